"""``todo-admin tasks``: list, export, import and seed one user's tasks.

Users live in the identity provider, not here: a user without tasks and a user id nobody
ever used look the same, so listing or exporting either gives an empty result (exit 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from application.errors import InvalidQuery, InvalidRecord, TaskQuotaExceeded
from application.queries import (
    MAX_PAGE_SIZE,
    StatusFilter,
    TaskQuery,
    parse_priority_list,
    parse_tag_list,
)
from application.task_document import task_document
from domain.fields import Priority
from entrypoints.cli.errors import ExitCode, fail
from entrypoints.cli.files import is_stdio, open_input, open_output
from entrypoints.cli.output import TABLE_HEADER, table_row
from entrypoints.cli.runtime import (
    Progress,
    UserOption,
    cli_errors,
    load_container,
    quota_message,
    run_async,
)
from entrypoints.cli.task_file import FORMAT, TaskFileError, TaskFileReader, TaskFileWriter
from entrypoints.presentation import dump_json

tasks_app = typer.Typer(
    help="One user's tasks: list, export, import, demo data.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

T = TypeVar("T")

# Progress is reported after each page or batch of this many tasks, at the most.
_PROGRESS_STEP = 1000
_PRIORITY_NAMES = ", ".join(Priority)


def _priorities(value: str) -> frozenset[Priority]:
    """``--priority high,medium``: as the HTTP API's ``priority=`` takes them."""
    return _parsed(parse_priority_list, value)


def _tags(value: str) -> frozenset[str]:
    """``--tag home,Work``: as the HTTP API's ``tag=`` takes them."""
    return frozenset(_parsed(parse_tag_list, value))


def _parsed(parse: Callable[[str], T], value: str) -> T:
    try:
        return parse(value)
    except InvalidQuery as error:
        raise typer.BadParameter(error.message) from error


def _list_option(name: str, parser: Callable[[str], object], help_text: str) -> Any:
    """A filter that takes a comma-separated list, read by ``parser`` (which raises
    ``typer.BadParameter``: a one-line usage error naming the option)."""
    return typer.Option(name, parser=parser, metavar="LIST", help=help_text, show_default=False)


@tasks_app.command("list")
def list_tasks(
    user: UserOption,
    status: Annotated[
        StatusFilter, typer.Option("--status", help="Which tasks", case_sensitive=False)
    ] = StatusFilter.ALL,
    priorities: Annotated[
        frozenset[Priority] | None,
        _list_option(
            "--priority",
            _priorities,
            f"Tasks of any of these priorities, comma-separated ({_PRIORITY_NAMES})",
        ),
    ] = None,
    tags: Annotated[
        frozenset[str] | None,
        _list_option(
            "--tag", _tags, "Tasks carrying all of these tags (ignoring case), comma-separated"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON array of tasks, as the HTTP API returns them")
    ] = False,
) -> None:
    """List a user's tasks, newest first: a table, or JSON with --json."""
    with cli_errors():
        container = load_container()
        use_case = container.list_tasks()

        async def work() -> int:
            query = TaskQuery(
                status=status,
                limit=MAX_PAGE_SIZE,
                priorities=priorities,
                tags=tuple(sorted(tags or ())),
            )
            count = 0
            while True:
                page = await use_case.execute(user, query)
                for task in page.items:
                    if as_json:
                        line = dump_json(task_document(task)).decode()
                        typer.echo(("[\n" if count == 0 else ",\n") + line, nl=False)
                    else:
                        if count == 0:
                            typer.echo(TABLE_HEADER)
                        typer.echo(table_row(task))
                    count += 1
                if page.next_position is None:
                    return count
                query = replace(query, after=page.next_position)

        count = run_async(container, work)
    if as_json:
        typer.echo("\n]" if count else "[]")
    else:
        typer.echo(f"{count:,} task{'' if count == 1 else 's'} of user {user}", err=True)


@tasks_app.command("export")
def export_tasks(
    user: UserOption,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=f"File to write ({FORMAT} JSON); - for stdout",
            show_default=False,
            dir_okay=False,
        ),
    ],
) -> None:
    """Write all of a user's tasks to a file (replaced if it exists), oldest first."""
    with cli_errors():
        container = load_container()
        use_case = container.export_tasks()
        clock = container.clock()
        progress = Progress("exported")

        async def work() -> int:
            with open_output(output) as stream:
                writer = TaskFileWriter(stream, user_id=user, exported_at=clock.now())
                async for task in use_case.execute(user):
                    writer.write(task)
                    if writer.count % _PROGRESS_STEP == 0:
                        progress(writer.count)
                writer.close()
            return writer.count

        try:
            count = run_async(container, work)
        except BrokenPipeError:
            raise  # the reader went away (`… -o - | head`): cli_errors stops quietly
        except OSError as error:
            progress.finish()
            fail(f"cannot write {output}: {error.strerror or error}", ExitCode.FAILURE)
        progress.finish()
    destination = "stdout" if is_stdio(output) else str(output)
    typer.echo(f"exported {count:,} tasks of user {user} to {destination}", err=is_stdio(output))


@tasks_app.command("import")
def import_tasks(
    user: UserOption,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help=f"A {FORMAT} file (from tasks export); - for stdin",
            dir_okay=False,
        ),
    ],
    new_ids: Annotated[
        bool,
        typer.Option("--new-ids", help="Give every task a new id (to copy tasks to another user)"),
    ] = False,
) -> None:
    """Add the tasks of an export file to a user: all of them, or none if any is wrong."""
    with cli_errors(), open_input(file) as stream:
        reader = TaskFileReader(stream)
        container = load_container()
        use_case = container.import_tasks()
        progress = Progress("imported")
        try:
            count = run_async(
                container,
                lambda: use_case.execute(
                    user, reader.records(), new_ids=new_ids, on_progress=progress
                ),
            )
        except (InvalidRecord, TaskFileError) as error:
            progress.finish()
            hint = ""
            if isinstance(error, InvalidRecord) and error.field == "id" and not new_ids:
                hint = " (--new-ids imports the tasks under new ids)"
            fail(f"{file}: {error}{hint}; nothing was imported", ExitCode.INVALID_DATA)
        except TaskQuotaExceeded as error:
            progress.finish()
            fail(f"{file}: {quota_message(error)}", ExitCode.QUOTA)
        except OSError as error:
            progress.finish()
            fail(f"cannot read {file}: {error.strerror or error}", ExitCode.FAILURE)
        progress.finish()
    source = reader.user_id
    origin = f" (exported from user {source})" if source is not None and source != user else ""
    name = "stdin" if is_stdio(file) else str(file)
    typer.echo(f"imported {count:,} tasks into user {user} from {name}{origin}")


@tasks_app.command("seed")
def seed_tasks(
    user: UserOption,
    count: Annotated[
        int,
        typer.Option(
            "--count", "-n", min=1, max=10_000_000, metavar="N", help="How many tasks to add"
        ),
    ],
    seed: Annotated[
        int | None,
        typer.Option("--seed", metavar="N", help="Random seed, for the same content every time"),
    ] = None,
) -> None:
    """Add COUNT realistic demo tasks to a user (for trying the API and benchmarks)."""
    with cli_errors():
        container = load_container()
        use_case = container.seed_tasks()
        progress = Progress("added", every=100_000)
        added = run_async(
            container, lambda: use_case.execute(user, count, seed=seed, on_progress=progress)
        )
        progress.finish()
    typer.echo(f"added {added:,} demo tasks to user {user}")
