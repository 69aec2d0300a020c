"""The operators' commands of ``todo-admin`` (tasks list/export/import/seed, users purge,
stats) through Typer's runner and the real container, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from domain.task import NewTask
from entrypoints.cli.errors import ExitCode
from entrypoints.container import build_container, close_container
from entrypoints.http.schemas import TaskOut
from tests.databases import SQL_BACKENDS, fresh_database
from tests.e2e.helpers import UNREACHABLE_POSTGRES, assert_clean_failure, invoke
from tests.http import make_settings


@pytest.fixture(params=SQL_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The module's migrated database (tests use their own user ids)."""
    return str(request.getfixturevalue(f"{backend}_url"))


@pytest.fixture
def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, for store-wide results (stats)."""
    with fresh_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def db(cli_env: pytest.MonkeyPatch, database_url: str) -> str:
    cli_env.setenv("DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    return result


def listed(user: str, *options: str) -> list[dict[str, Any]]:
    result = ok(invoke("tasks", "list", "--user", user, "--json", *options))
    items: list[dict[str, Any]] = json.loads(result.stdout)
    return items


def export_document(user: str, path: Path) -> dict[str, Any]:
    ok(invoke("tasks", "export", "--user", user, "--output", str(path)))
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def write_export(path: Path, tasks: list[dict[str, Any]], **header: Any) -> Path:
    document = {"format": "todo-api.tasks", "version": 1, **header, "tasks": tasks}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def seed(user: str, count: int) -> None:
    ok(invoke("tasks", "seed", "--user", user, "--count", str(count), "--seed", "1"))


def create_with_idempotency_key(database_url: str, user: str, key: str) -> None:
    async def create() -> None:
        container = build_container(make_settings(database_url))
        try:
            await container.create_task().execute(
                user, NewTask(title="with a key"), idempotency_key=key
            )
        finally:
            await close_container(container)

    asyncio.run(create())


# --- tasks list -----------------------------------------------------------------------------


def test_list_of_a_user_without_tasks_is_empty_not_an_error(db: str, user: str) -> None:
    table = ok(invoke("tasks", "list", "--user", user))
    assert table.stdout == ""
    assert "0 tasks" in table.stderr
    assert listed(user) == []


def test_list_pages_through_every_task_in_the_apis_shape(db: str, user: str) -> None:
    seed(user, 230)  # more than one page of ListTasks (200)
    items = listed(user)
    assert len(items) == 230
    assert len({item["id"] for item in items}) == 230
    # Newest first, like GET /api/tasks.
    created = [item["created_at"] for item in items]
    assert created == sorted(created, reverse=True)
    for item in items:
        assert item["user_id"] == user
        # Exactly what the HTTP API would serialize: same keys, order and formats.
        assert TaskOut.model_validate(item).model_dump(mode="json") == item
        assert list(item) == list(TaskOut.model_fields)
        assert item["created_at"].endswith("Z")


def test_list_filters_by_status(db: str, user: str) -> None:
    seed(user, 60)
    everything = listed(user)
    done = listed(user, "--status", "completed")
    pending = listed(user, "--status", "PENDING")
    assert done
    assert pending
    assert all(item["completed"] for item in done)
    assert not any(item["completed"] for item in pending)
    assert {i["id"] for i in done} | {i["id"] for i in pending} == {i["id"] for i in everything}


def columns(header: str, row: str) -> dict[str, str]:
    """A table row's cells by column name, cut where the header's names start."""
    names = header.split()
    starts = [header.index(name) for name in names]
    ends: list[int | None] = [*starts[1:], None]
    return {name: row[a:b].strip() for name, a, b in zip(names, starts, ends, strict=True)}


def test_list_shows_a_readable_table(db: str, user: str, tmp_path: Path) -> None:
    long_title = "A very long title " * 10
    file = write_export(
        tmp_path / "in.json",
        [
            {
                "title": long_title.strip(),
                "completed": True,
                "due_date": "2025-03-01",
                "priority": "medium",
                "tags": ["groceries", "weekend-shopping", "family", "errands"],
            },
            {"title": "Short one", "priority": "high", "tags": ["home", "Work"]},
            {"title": "Plain"},
        ],
        version=2,
    )
    ok(invoke("tasks", "import", "--user", user, str(file)))
    result = ok(invoke("tasks", "list", "--user", user))
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["ID", "DONE", "PRIO", "DUE", "TAGS", "TITLE"]
    rows = {row["TITLE"]: row for row in (columns(header, line) for line in lines)}
    assert len(rows) == 3
    short = rows["Short one"]
    assert len(short.pop("ID")) == 36
    assert short == {
        "DONE": "[ ]",
        "PRIO": "high",
        "DUE": "-",
        "TAGS": "home,Work",
        "TITLE": "Short one",
    }
    assert (rows["Plain"]["PRIO"], rows["Plain"]["TAGS"]) == ("-", "-")
    truncated = next(title for title in rows if title.startswith("A very long"))
    assert len(truncated) == 60
    assert truncated.endswith("…")
    long_row = rows[truncated]
    assert (long_row["DONE"], long_row["PRIO"], long_row["DUE"]) == ("[x]", "medium", "2025-03-01")
    assert long_row["TAGS"] == "groceries,weekend-shopp…"  # cut to its column
    assert "3 tasks" in result.stderr


FILTERED = [
    {"title": "A", "priority": "high", "tags": ["Home", "errands"]},
    {"title": "B", "priority": "medium", "tags": ["home"]},
    {"title": "C", "priority": "low", "tags": ["work"], "completed": True},
    {"title": "D"},
    {"title": "E", "priority": "high", "tags": ["work", "HOME"], "completed": True},
]


@pytest.mark.parametrize(
    ("options", "titles"),
    [
        (["--priority", "high,medium"], "ABE"),
        (["--priority", " HIGH "], "AE"),
        (["--priority", "none"], "D"),
        (["--priority", "low,low"], "C"),
        (["--tag", "home"], "ABE"),
        (["--tag", "HOME,Errands"], "A"),
        (["--tag", "home,"], "ABE"),  # blank items are ignored, as by the HTTP API
        (["--tag", ","], "ABCDE"),
        (["--tag", "nobody"], ""),
        (["--tag", "x" * 51], ""),  # longer than a tag can be: matches nothing
        (["--tag", "home", "--priority", "high", "--status", "pending"], "A"),
        (["--tag", "work", "--priority", "low,medium"], "C"),
    ],
)
def test_list_filters_by_priority_and_tags(
    db: str, user: str, tmp_path: Path, options: list[str], titles: str
) -> None:
    ok(invoke("tasks", "import", "--user", user, str(write_export(tmp_path / "in.json", FILTERED))))
    assert "".join(sorted(item["title"] for item in listed(user, *options))) == titles


def test_list_filters_every_page(db: str, user: str) -> None:
    seed(user, 450)
    everything = listed(user)
    not_high = listed(user, "--priority", "none,low,medium")
    assert len(not_high) > 200  # more than one page of ListTasks
    assert not_high == [item for item in everything if item["priority"] != "high"]
    at_work = listed(user, "--tag", "WORK")
    assert at_work
    assert at_work == [item for item in everything if "work" in item["tags"]]
    table = ok(invoke("tasks", "list", "--user", user, "--tag", "work", "--priority", "high"))
    header, *lines = table.stdout.splitlines()
    shown = [columns(header, line) for line in lines]
    assert shown
    assert all(row["PRIO"] == "high" and "work" in row["TAGS"].split(",") for row in shown)


# --- tasks export / import ------------------------------------------------------------------


def test_export_writes_the_documented_format(db: str, user: str, tmp_path: Path) -> None:
    seed(user, 12)
    document = export_document(user, tmp_path / "out.json")
    assert list(document) == ["format", "version", "user_id", "exported_at", "tasks", "count"]
    assert (document["format"], document["version"], document["user_id"]) == (
        "todo-api.tasks",
        2,
        user,
    )
    assert document["exported_at"].endswith("Z")
    assert document["count"] == len(document["tasks"]) == 12
    first = document["tasks"][0]
    assert set(first) == {
        "id",
        "title",
        "description",
        "completed",
        "due_date",
        "priority",
        "tags",
        "remind_at",
        "recurrence",
        "created_at",
        "updated_at",
        "completed_at",
        "next_task_id",
        "version",
    }
    created = [task["created_at"] for task in document["tasks"]]
    assert created == sorted(created)  # oldest first
    assert (tmp_path / "out.json").stat().st_mode & 0o077 == 0  # private to its owner


def test_export_of_a_user_without_tasks_is_an_empty_export(
    db: str, user: str, tmp_path: Path
) -> None:
    document = export_document(user, tmp_path / "empty.json")
    assert document["tasks"] == []
    assert document["count"] == 0


def test_export_to_stdout(db: str, user: str) -> None:
    seed(user, 3)
    result = ok(invoke("tasks", "export", "--user", user, "--output", "-"))
    assert len(json.loads(result.stdout)["tasks"]) == 3
    assert "exported 3 tasks" in result.stderr


def weekly_series() -> list[dict[str, Any]]:
    """Two occurrences of a weekly task, as a version-2 export holds them (every field): the
    first completed, which made the second, and edited since (so ``completed_at`` is not
    ``updated_at``). Fresh ids, so that tests sharing a database never clash."""
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    recurrence = {"frequency": "weekly", "interval": 1, "starts_on": "2025-02-24"}
    return [
        {
            "id": first,
            "title": "Water the plants",
            "description": "Balcony first",
            "completed": True,
            "due_date": "2025-03-03",
            "priority": "high",
            "tags": ["home", "Weekend"],
            "remind_at": "2025-03-02T18:00:00Z",
            "recurrence": recurrence,
            "created_at": "2025-02-20T10:00:00.123456Z",
            "updated_at": "2025-03-04T09:15:00.654321Z",
            "completed_at": "2025-03-03T19:30:00.250000Z",
            "next_task_id": second,
            "version": 3,
        },
        {
            "id": second,
            "title": "Water the plants",
            "description": "Balcony first",
            "completed": False,
            "due_date": "2025-03-10",
            "priority": "high",
            "tags": ["home", "Weekend"],
            "remind_at": "2025-03-09T18:00:00Z",
            "recurrence": recurrence,
            "created_at": "2025-03-03T19:30:00.250000Z",
            "updated_at": "2025-03-03T19:30:00.250000Z",
            "completed_at": None,
            "next_task_id": None,
            "version": 1,
        },
    ]


def test_export_purge_import_gives_the_user_the_same_tasks(
    db: str, user: str, tmp_path: Path
) -> None:
    seed(user, 40)
    series = weekly_series()
    special = write_export(
        tmp_path / "special.json",
        [
            {
                "title": "Ünïcödé — 漢字 🎉",
                "description": "line one\nline two\ttabbed",
                "completed": True,
                "due_date": "2025-12-31",
                "created_at": "2025-01-02T03:04:05.678901Z",
                "updated_at": "2025-01-03T00:00:00+02:00",
                "version": 5,
            },
            {"title": "x" * 200, "description": "y" * 1000},
            *series,
        ],
        version=2,
    )
    ok(invoke("tasks", "import", "--user", user, str(special)))
    before = listed(user)
    export = tmp_path / "backup.json"
    exported = export_document(user, export)
    # Every field of a version-2 record is imported and exported as it was written.
    assert [task for task in exported["tasks"] if task["title"] == "Water the plants"] == series

    purged = ok(invoke("users", "purge", "--user", user, "--yes"))
    assert "erased 44 tasks" in purged.stdout
    assert listed(user) == []

    imported = ok(invoke("tasks", "import", "--user", user, str(export)))
    assert "imported 44 tasks" in imported.stdout
    after = listed(user)
    assert after == before  # every field of the task documents
    again = export_document(user, tmp_path / "again.json")
    assert again["tasks"] == exported["tasks"]  # versions too


def test_a_version_1_file_still_imports(db: str, user: str, tmp_path: Path) -> None:
    """A file from before priorities, tags, reminders and recurrence: the new fields take
    their defaults, and a completed task was completed when it was last updated."""
    done, pending = str(uuid.uuid4()), str(uuid.uuid4())
    v1_records = [
        {
            "id": done,
            "title": "Book the car's MOT",
            "description": "See the notes.",
            "completed": True,
            "due_date": "2026-06-10",
            "created_at": "2026-05-30T18:24:19.835718Z",
            "updated_at": "2026-11-21T23:46:52.027172Z",
            "version": 2,
        },
        {
            "id": pending,
            "title": "Review the design mock-ups",
            "description": None,
            "completed": False,
            "due_date": None,
            "created_at": "2026-06-08T14:02:55.327351Z",
            "updated_at": "2026-06-08T14:02:55.327351Z",
            "version": 1,
        },
    ]
    ok(
        invoke(
            "tasks", "import", "--user", user, str(write_export(tmp_path / "v1.json", v1_records))
        )
    )
    exported = export_document(user, tmp_path / "v2.json")
    assert exported["version"] == 2
    defaults = {
        "priority": "none",
        "tags": [],
        "remind_at": None,
        "recurrence": None,
        "next_task_id": None,
    }
    assert exported["tasks"] == [
        {**v1_records[0], **defaults, "completed_at": v1_records[0]["updated_at"]},
        {**v1_records[1], **defaults, "completed_at": None},
    ]


def test_import_with_new_ids_drops_the_links_to_next_occurrences(
    db: str, user: str, tmp_path: Path
) -> None:
    """Under new ids, ``next_task_id`` would name a task of the user the file came from."""
    series = weekly_series()
    ok(invoke("tasks", "import", "--user", user, str(write_export(tmp_path / "s.json", series))))
    export = tmp_path / "out.json"
    export_document(user, export)
    other = f"{user}-copy"
    ok(invoke("tasks", "import", "--user", other, "--new-ids", str(export)))
    copies = export_document(other, tmp_path / "copies.json")["tasks"]
    assert [task["next_task_id"] for task in copies] == [None, None]
    assert {task["id"] for task in copies}.isdisjoint(task["id"] for task in series)
    unlinked = [{**task, "id": None, "next_task_id": None} for task in series]
    assert [{**task, "id": None} for task in copies] == unlinked  # the rest as it was
    originals = export_document(user, tmp_path / "originals.json")["tasks"]
    assert originals == series  # the user the file came from keeps the link


def test_import_from_stdin(db: str, user: str, tmp_path: Path) -> None:
    data = json.dumps(
        {"format": "todo-api.tasks", "version": 1, "tasks": [{"title": "from a pipe"}]}
    )
    result = ok(invoke("tasks", "import", "--user", user, "-", stdin=data.encode()))
    assert "imported 1 tasks" in result.stdout
    assert [item["title"] for item in listed(user)] == ["from a pipe"]


def test_importing_the_same_file_twice_fails_and_changes_nothing(
    db: str, user: str, tmp_path: Path
) -> None:
    seed(user, 5)
    export = tmp_path / "out.json"
    export_document(user, export)
    before = listed(user)
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", user, str(export)), ExitCode.INVALID_DATA
    )
    assert "tasks[0].id" in line
    assert "already exists for this user" in line
    assert "nothing was imported" in line
    assert listed(user) == before


def test_importing_another_users_export_needs_new_ids(db: str, user: str, tmp_path: Path) -> None:
    seed(user, 4)
    export = tmp_path / "out.json"
    export_document(user, export)
    other = f"{user}-copy"
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", other, str(export)), ExitCode.INVALID_DATA
    )
    assert "belongs to another user" in line
    assert "--new-ids" in line
    assert listed(other) == []

    copied = ok(invoke("tasks", "import", "--user", other, "--new-ids", str(export)))
    assert f"exported from user {user}" in copied.stdout
    originals, copies = listed(user), listed(other)
    assert {i["id"] for i in originals}.isdisjoint(i["id"] for i in copies)

    def content(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        keys = ("title", "description", "completed", "due_date", "created_at", "updated_at")
        return sorted((tuple(item[k] for k in keys) for item in items), key=str)

    assert content(copies) == content(originals)


BAD_RECORDS = [
    ({"title": "   "}, "tasks[2].title", "must not be blank"),
    ({"title": 42}, "tasks[2].title", "must be a string"),
    ({"description": "x"}, "tasks[2].title", "is required"),
    ({"title": "t", "due_date": "2025-02-30"}, "tasks[2].due_date", "YYYY-MM-DD"),
    ({"title": "t", "completed": "yes"}, "tasks[2].completed", "true or false"),
    ({"title": "t", "created_at": "2025-01-01T00:00:00"}, "tasks[2].created_at", "RFC 3339"),
    ({"title": "t", "id": "not-a-uuid"}, "tasks[2].id", "UUID"),
    ({"title": "t", "owner": "x"}, "tasks[2].owner", "not a field"),
    ({"title": "t", "version": 0}, "tasks[2].version", "positive"),
    ({"title": "t", "description": ["a"]}, "tasks[2].description", "string or null"),
    (
        {
            "title": "t",
            "created_at": "2025-01-02T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        },
        "tasks[2].updated_at",
        "before created_at",
    ),
    ({"title": "t", "priority": "urgent"}, "tasks[2].priority", "one of none, low, medium, high"),
    ({"title": "t", "tags": "home"}, "tasks[2].tags", "array of strings"),
    ({"title": "t", "tags": ["home", 1]}, "tasks[2].tags", "array of strings"),
    ({"title": "t", "tags": ["home", " HOME"]}, "tasks[2].tags", "appears twice"),
    ({"title": "t", "tags": ["a,b"]}, "tasks[2].tags", "comma"),
    ({"title": "t", "remind_at": "2025-03-01T09:00:00"}, "tasks[2].remind_at", "RFC 3339"),
    ({"title": "t", "completed_at": "yesterday"}, "tasks[2].completed_at", "RFC 3339"),
    ({"title": "t", "next_task_id": "next"}, "tasks[2].next_task_id", "UUID"),
    (
        {"title": "t", "recurrence": {"frequency": "weekly", "interval": 1}},
        "tasks[2].recurrence",
        "needs a due_date",
    ),
    (
        {
            "title": "t",
            "due_date": "2025-03-03",
            "recurrence": {"frequency": "hourly", "interval": 1},
        },
        "tasks[2].recurrence",
        "must be null or an object",
    ),
    (
        {
            "title": "t",
            "due_date": "2025-03-03",
            "recurrence": {"frequency": "daily", "interval": 0},
        },
        "tasks[2].recurrence.interval",
        "between 1 and 365",
    ),
]


@pytest.mark.parametrize(("record", "where", "message"), BAD_RECORDS)
def test_one_bad_record_imports_nothing_and_names_the_record_and_field(
    db: str, user: str, tmp_path: Path, record: dict[str, Any], where: str, message: str
) -> None:
    tasks: list[Any] = [{"title": f"good {i}"} for i in range(4)]
    tasks.insert(2, record)
    file = write_export(tmp_path / "bad.json", tasks)
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", user, str(file)), ExitCode.INVALID_DATA
    )
    assert f"{where}: " in line
    assert message in line
    assert "nothing was imported" in line
    assert listed(user) == []


# Records whose arrays or objects are not what a task holds: the reader refuses them while
# parsing, after a few items at most, so no record can make the import hold a large array.
BAD_CONTAINERS = [
    (
        json.dumps({"title": "t", "tags": [f"tag {i}" for i in range(21)]}),
        "tasks[2].tags: must hold at most 20 items",
    ),
    (
        json.dumps({"title": "t", "tags": ["x"] * 200_000}),
        "tasks[2].tags: must hold at most 20 items",
    ),
    ('{"title": "t", "tags": [["home"]]}', "tasks[2].tags: must be an array of strings"),
    ('{"title": "t", "tags": ["home", {"name": "work"}]}', "tasks[2].tags: must be an array"),
    ('{"title": "t", "tags": {"home": true}}', "tasks[2].tags: must be an array of strings"),
    (
        '{"title": "t", "due_date": "2025-03-03",'
        ' "recurrence": {"frequency": "weekly", "interval": [1]}}',
        "tasks[2].recurrence: must be null or an object",
    ),
    (
        '{"title": "t", "due_date": "2025-03-03",'
        ' "recurrence": {"frequency": "weekly", "interval": 1, "starts_on": "2025-03-03",'
        ' "until": "2025-12-31"}}',
        "tasks[2].recurrence: must hold at most 3 items",
    ),
    (
        '{"title": "t", "due_date": "2025-03-03",'
        ' "recurrence": {"frequency": "weekly", "interval": 1, "interval": 2}}',
        "tasks[2].recurrence.interval: appears twice",
    ),
    ('{"title": "t", "recurrence": ["weekly", 1]}', "tasks[2].recurrence: must be null or"),
]


@pytest.mark.parametrize(
    ("record", "message"),
    BAD_CONTAINERS,
    ids=[
        "21-tags",
        "200k-tags",
        "array-in-tags",
        "object-in-tags",
        "object-as-tags",
        "array-in-recurrence",
        "4-keys-in-recurrence",
        "repeated-key-in-recurrence",
        "array-as-recurrence",
    ],
)
def test_a_record_with_a_wrong_array_or_object_imports_nothing(
    db: str, user: str, tmp_path: Path, record: str, message: str
) -> None:
    good = [json.dumps({"title": f"good {i}", "tags": ["home"]}) for i in range(4)]
    tasks = ",\n".join([*good[:2], record, *good[2:]])
    file = tmp_path / "bad.json"
    file.write_text(f'{{"format": "todo-api.tasks", "version": 2, "tasks": [{tasks}]}}')
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", user, str(file)), ExitCode.INVALID_DATA
    )
    assert message in line
    assert "nothing was imported" in line
    assert listed(user) == []


def test_a_bad_record_after_many_good_ones_imports_nothing(
    db: str, user: str, tmp_path: Path
) -> None:
    tasks: list[Any] = [{"title": f"good {i}"} for i in range(2500)]  # several batches
    tasks.append({"title": ""})
    file = write_export(tmp_path / "late.json", tasks)
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", user, str(file)), ExitCode.INVALID_DATA
    )
    assert "tasks[2500].title" in line
    assert listed(user) == []


def test_a_truncated_export_imports_nothing(db: str, user: str, tmp_path: Path) -> None:
    seed(user, 30)
    export = tmp_path / "out.json"
    export_document(user, export)
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(export.read_bytes()[: export.stat().st_size // 2])
    target = f"{user}-restore"
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", target, "--new-ids", str(truncated)),
        ExitCode.INVALID_DATA,
    )
    assert "not valid JSON" in line
    assert listed(target) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON"),
        (b"this is not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"format": "something-else", "version": 1, "tasks": []}', "'format' is"),
        (b'{"format": "todo-api.tasks", "version": 3, "tasks": []}', "unsupported version 3"),
        (b'{"version": 1, "tasks": []}', "'format' must come before 'tasks'"),
        (b'{"format": "todo-api.tasks", "version": 1}', "no 'tasks' array"),
        (b'{"format": "todo-api.tasks", "version": 1, "tasks": {}}', "must be an array"),
        (b'{"format": "todo-api.tasks", "version": 1, "tasks": [], "extra": 1}', "'extra'"),
        (b'{"format": "todo-api.tasks", "version": 1, "tasks": [1]}', "tasks[0]: must be"),
        (
            b'{"format": "todo-api.tasks", "version": 1, "tasks": [], "count": 3}',
            "'count' is 3",
        ),
        (b'{"format": "todo-api.tasks", "version": 1, "tasks": []} []', "not valid JSON"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused(
    db: str, user: str, tmp_path: Path, content: bytes, message: str
) -> None:
    file = tmp_path / "input.json"
    file.write_bytes(content)
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", user, str(file)), ExitCode.INVALID_DATA
    )
    assert message in line
    assert str(file) in line
    assert listed(user) == []


def test_importing_a_missing_file_is_not_found(db: str, user: str, tmp_path: Path) -> None:
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", user, str(tmp_path / "nope.json")),
        ExitCode.NOT_FOUND,
    )
    assert "nope.json does not exist" in line


def test_export_into_a_missing_directory_is_not_found(db: str, user: str, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "out.json"
    line = assert_clean_failure(
        invoke("tasks", "export", "--user", user, "--output", str(target)), ExitCode.NOT_FOUND
    )
    assert "does not exist" in line
    assert not target.parent.exists()


def test_a_failed_export_leaves_an_existing_file_alone(
    cli_env: pytest.MonkeyPatch, user: str, tmp_path: Path
) -> None:
    cli_env.setenv("DATABASE_URL", UNREACHABLE_POSTGRES)
    target = tmp_path / "out.json"
    target.write_text("previous export")
    assert_clean_failure(
        invoke("tasks", "export", "--user", user, "--output", str(target)), ExitCode.DATABASE
    )
    assert target.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no partial file left


def test_progress_is_shown_on_stderr_for_large_files(
    cli_env: pytest.MonkeyPatch, sqlite_url: str, user: str, tmp_path: Path
) -> None:
    cli_env.setenv("DATABASE_URL", sqlite_url)
    # 10,500 tasks: more than the default MAX_TASKS_PER_USER (10,000), which imports obey.
    cli_env.setenv("MAX_TASKS_PER_USER", "20000")
    seed(user, 10_500)
    export = tmp_path / "big.json"
    exported = ok(invoke("tasks", "export", "--user", user, "--output", str(export)))
    assert "exported 10,000 tasks…" in exported.stderr
    imported = ok(invoke("tasks", "import", "--user", f"{user}-2", "--new-ids", str(export)))
    assert "imported 10,000 tasks…" in imported.stderr
    assert "imported 10,500 tasks" in imported.stdout


# --- users purge ----------------------------------------------------------------------------


def test_purge_without_yes_refuses_and_changes_nothing(db: str, user: str) -> None:
    seed(user, 3)
    line = assert_clean_failure(invoke("users", "purge", "--user", user), ExitCode.REFUSED)
    assert "--yes" in line
    assert "nothing was changed" in line
    assert len(listed(user)) == 3


def test_purge_erases_the_users_tasks_and_idempotency_keys_only(db: str, user: str) -> None:
    seed(user, 5)
    create_with_idempotency_key(db, user, "key-1")
    create_with_idempotency_key(db, user, "key-2")
    other = f"{user}-other"
    seed(other, 2)
    create_with_idempotency_key(db, other, "key-1")

    result = ok(invoke("users", "purge", "--user", user, "--yes"))
    assert result.stdout.strip() == (f"erased 7 tasks and 2 idempotency keys of user {user}")
    assert listed(user) == []
    assert len(listed(other)) == 3
    # The other user's key survived: a retry with it creates nothing new.
    create_with_idempotency_key(db, other, "key-1")
    assert len(listed(other)) == 3
    # The purged user's key is gone: the same key now creates a task.
    create_with_idempotency_key(db, user, "key-1")
    assert len(listed(user)) == 1


def test_purging_a_user_without_data_succeeds_and_erases_nothing(db: str, user: str) -> None:
    result = ok(invoke("users", "purge", "--user", user, "--yes"))
    assert "erased 0 tasks and 0 idempotency keys" in result.stdout


# --- stats ----------------------------------------------------------------------------------


def test_stats_count_users_tasks_and_the_largest_users(
    cli_env: pytest.MonkeyPatch, fresh_database_url: str
) -> None:
    cli_env.setenv("DATABASE_URL", fresh_database_url)
    empty = json.loads(ok(invoke("stats", "--json")).stdout)
    assert empty == {
        "users": 0,
        "tasks": 0,
        "completed": 0,
        "completed_ratio": None,
        "largest_users": [],
    }
    for i in range(12):
        seed(f"user-{i:02}", 1 + i)
    stats = json.loads(ok(invoke("stats", "--json")).stdout)
    assert (stats["users"], stats["tasks"]) == (12, sum(range(1, 13)))
    assert 0 < stats["completed"] < stats["tasks"]
    assert stats["completed_ratio"] == round(stats["completed"] / stats["tasks"], 4)
    assert stats["largest_users"] == [
        {"user_id": f"user-{i:02}", "tasks": 1 + i} for i in range(11, 1, -1)
    ]
    text = ok(invoke("stats")).stdout
    assert "users      12" in text
    assert "tasks      78" in text
    assert "%)" in text
    assert text.splitlines()[4].split() == ["12", "user-11"]
    top = json.loads(ok(invoke("stats", "--json", "--top", "2")).stdout)
    assert len(top["largest_users"]) == 2


# --- tasks seed -----------------------------------------------------------------------------


def test_seed_adds_varied_demo_tasks(db: str, user: str) -> None:
    result = ok(invoke("tasks", "seed", "--user", user, "--count", "150"))
    assert result.stdout.strip() == f"added 150 demo tasks to user {user}"
    items = listed(user)
    assert len(items) == 150
    assert any(item["completed"] for item in items)
    assert any(not item["completed"] for item in items)
    assert any(item["due_date"] for item in items)
    assert any(item["description"] for item in items)
    assert len({item["title"] for item in items}) > 50
    assert len({item["created_at"][:7] for item in items}) >= 3  # spread over months
    # The new fields, as stored and listed: priorities, tags, reminders, recurrences.
    assert {item["priority"] for item in items} == {"none", "low", "medium", "high"}
    assert any(item["tags"] for item in items)
    assert any(item["remind_at"] for item in items)
    assert any(item["recurrence"] for item in items)
    by_id = {item["id"]: item for item in items}
    for item in items:
        assert (item["completed_at"] is not None) == item["completed"]
        if item["recurrence"] is not None:
            assert item["recurrence"]["starts_on"] <= item["due_date"]
        if item["next_task_id"] is not None:
            assert by_id[item["next_task_id"]]["title"] == item["title"]


# --- failures common to every command -------------------------------------------------------

EVERY_COMMAND = [
    ["tasks", "list", "--user", "u"],
    ["tasks", "export", "--user", "u", "--output", "out.json"],
    ["tasks", "seed", "--user", "u", "--count", "3"],
    ["users", "purge", "--user", "u", "--yes"],
    ["stats"],
]


@pytest.mark.parametrize("args", EVERY_COMMAND)
def test_an_unreachable_database_is_exit_4_with_one_line(
    cli_env: pytest.MonkeyPatch, args: list[str]
) -> None:
    cli_env.setenv("DATABASE_URL", UNREACHABLE_POSTGRES)
    line = assert_clean_failure(invoke(*args), ExitCode.DATABASE)
    assert "database is unavailable" in line


def test_an_unreachable_database_fails_an_import_with_one_line(
    cli_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli_env.setenv("DATABASE_URL", UNREACHABLE_POSTGRES)
    file = write_export(tmp_path / "in.json", [{"title": "t"}])
    assert_clean_failure(invoke("tasks", "import", "--user", "u", str(file)), ExitCode.DATABASE)


@pytest.mark.parametrize("args", EVERY_COMMAND)
def test_a_database_without_schema_says_to_migrate(
    cli_env: pytest.MonkeyPatch, backend: str, tmp_path: Path, args: list[str]
) -> None:
    with fresh_database(backend, tmp_path, migrate=False) as url:
        cli_env.setenv("DATABASE_URL", url)
        line = assert_clean_failure(invoke(*args), ExitCode.DATABASE)
    assert "todo-admin db upgrade" in line


def test_a_bad_database_url_is_a_configuration_error(cli_env: pytest.MonkeyPatch) -> None:
    cli_env.setenv("DATABASE_URL", "mysql://localhost/x")
    assert_clean_failure(invoke("stats"), ExitCode.CONFIG)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tasks", "list"], "Missing option '--user'"),
        (["tasks", "list", "--user", ""], "must not be empty"),
        (["tasks", "list", "--user", "u", "--status", "done"], "'--status'"),
        (
            ["tasks", "list", "--user", "u", "--priority", "urgent"],
            "Invalid value for '--priority': 'urgent' is not one of none, low, medium, high",
        ),
        (["tasks", "list", "--user", "u", "--priority", "high,Urgent"], "'Urgent' is not one"),
        (["tasks", "list", "--user", "u", "--priority", "high,"], "'' is not one of"),
        (["tasks", "list", "--user", "u", "--priority", ""], "'' is not one of"),
        (
            ["tasks", "list", "--user", "u", "--tag", "home,a\x01b"],
            "Invalid value for '--tag': 'a\\x01b': must not contain control characters",
        ),
        (["tasks", "export", "--user", "u"], "Missing option '--output'"),
        (["tasks", "import", "--user", "u"], "Missing argument"),
        (["tasks", "seed", "--user", "u", "--count", "0"], "'--count'"),
        (["tasks", "seed", "--user", "u", "--count", "many"], "'--count'"),
        (["users", "purge"], "Missing option '--user'"),
        (["stats", "--top", "-1"], "'--top'"),
        (["tasks", "frobnicate"], "No such command"),
        (["stats", "--verbose"], "No such option"),
    ],
)
def test_bad_arguments_are_exit_2_with_one_line(
    cli_env: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    line = assert_clean_failure(invoke(*args), ExitCode.USAGE)
    assert message in line
    assert "--help" in line
