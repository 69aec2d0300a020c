"""Stateful property test through the whole HTTP app: several users create, replace, patch,
toggle, delete, read and list (page by page) their tasks in random orders, on both route
families, and after every step each user's view equals a plain model, and nobody ever sees
a task of someone else.

Runs on the in-memory and the PostgreSQL backends. Hypothesis drives a synchronous machine;
each machine runs the async client on an event loop of its own, made in ``__init__`` and
closed in ``teardown``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.e2e.helpers import next_link
from tests.http import app_client, auth, make_settings

T = TypeVar("T")
USERS = 3
FIELDS = ("id", "title", "description", "completed", "due_date", "user_id")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # a field left out of a request body

# Text the model can search like the service does (casefold substrings), with the cases that
# matter: mixed case, accents, LIKE wildcards, spaces to trim.
text = st.text(alphabet="aAbBzZ é%_ ", min_size=1, max_size=10)
titles = text.filter(lambda value: value.strip() != "")
descriptions = st.one_of(st.none(), st.text(alphabet="aAbBzZ é%_\n", max_size=12))
due_dates = st.one_of(st.none(), st.sampled_from(["2025-01-01", "2025-06-30", "2026-02-28"]))
users = st.integers(0, USERS - 1)
routes = st.sampled_from(["main", "compat"])


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(UNSET), strategy)


def body_of(**fields: Any) -> dict[str, Any]:
    """A request body of the fields that are not UNSET."""
    return {name: value for name, value in fields.items() if value is not UNSET}


class HttpTaskMachine(RuleBasedStateMachine):
    """The model: per user, task id -> the task as the API shows it, plus its version."""

    database_url: ClassVar[str] = "memory://"
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.users = [f"user-{n}-{uuid.uuid4()}" for n in range(USERS)]
        self.model: dict[str, dict[str, dict[str, Any]]] = {user: {} for user in self.users}
        self.versions: dict[str, int] = {}
        self.server: AbstractAsyncContextManager[httpx.AsyncClient] = app_client(
            make_settings(self.database_url, log_level="CRITICAL")
        )
        self.client = self.run(self.server.__aenter__())

    def teardown(self) -> None:
        try:
            self.run(self.server.__aexit__(None, None, None))
        finally:
            self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def request(self, method: str, url: str, user: str, **kwargs: Any) -> httpx.Response:
        headers = {**auth(user), **kwargs.pop("headers", {})}
        return self.run(self.client.request(method, url, headers=headers, **kwargs))

    @staticmethod
    def task_url(route: str, user: str, task_id: str) -> str:
        return f"/api/tasks/{task_id}" if route == "main" else f"/api/{user}/tasks/{task_id}"

    def owner_of(self, task_id: str) -> str | None:
        return next((user for user, tasks in self.model.items() if task_id in tasks), None)

    def expect_task(self, response: httpx.Response, user: str, status: int = 200) -> None:
        """The response shows the model's task, with the model's version in it and as ETag."""
        assert response.status_code == status, response.text
        body = response.json()
        expected = self.model[user][body["id"]]
        assert body == expected
        assert body["version"] == self.versions[body["id"]]
        assert response.headers["etag"] == f'"{self.versions[body["id"]]}"'

    def applied(
        self, actor: str, task_id: str, response: httpx.Response, changes: dict[str, Any]
    ) -> None:
        """Check an edit's answer against the model, then record it."""
        owner = self.owner_of(task_id)
        if owner != actor:
            # Someone else's task, or a deleted one: indistinguishable, 404.
            assert response.status_code == 404, response.text
            return
        assert response.status_code == 200, response.text
        before = self.model[owner][task_id]
        after = {**before, **changes}
        body = response.json()
        if after == before:
            assert body == before  # nothing changed: no new version, same timestamps
        else:
            assert moment(body["updated_at"]) >= moment(before["updated_at"])
            self.versions[task_id] += 1
            after["version"] = self.versions[task_id]
            after["updated_at"] = body["updated_at"]
            if after["completed"] != before["completed"]:
                # Completed by this change, or reopened.
                after["completed_at"] = body["updated_at"] if after["completed"] else None
        self.model[owner][task_id] = after
        self.expect_task(response, owner)

    # --- rules ----------------------------------------------------------------------------

    @rule(
        target=tasks,
        user=users,
        route=routes,
        title=titles,
        description=maybe(descriptions),
        completed=maybe(st.booleans()),
        due_date=maybe(due_dates),
        keyed=st.booleans(),
    )
    def create(
        self,
        user: int,
        route: str,
        title: str,
        description: Any,
        completed: Any,
        due_date: Any,
        keyed: bool,
    ) -> str:
        owner = self.users[user]
        body = body_of(title=title, description=description, completed=completed, due_date=due_date)
        url = "/api/tasks" if route == "main" else f"/api/{owner}/tasks"
        headers = {"Idempotency-Key": str(uuid.uuid4())} if keyed else {}
        response = self.request("POST", url, owner, json=body, headers=headers)
        assert response.status_code == 201, response.text
        task = response.json()
        expected = {
            "title": title.strip(),
            "description": None if description is UNSET else description,
            "completed": False if completed is UNSET else completed,
            "due_date": None if due_date is UNSET else due_date,
            "user_id": owner,
            "version": 1,
        }
        assert {name: task[name] for name in expected} == expected
        assert task["created_at"] == task["updated_at"]
        self.model[owner][task["id"]] = task
        self.versions[task["id"]] = 1
        self.expect_task(response, owner, 201)
        if keyed:  # a retry replays the same task and creates nothing
            retry = self.request("POST", url, owner, json=body, headers=headers)
            self.expect_task(retry, owner, 201)
        return str(task["id"])

    @rule(
        task_id=tasks,
        actor=users,
        route=routes,
        title=titles,
        description=maybe(descriptions),
        completed=maybe(st.booleans()),
        due_date=maybe(due_dates),
    )
    def replace(
        self,
        task_id: str,
        actor: int,
        route: str,
        title: str,
        description: Any,
        completed: Any,
        due_date: Any,
    ) -> None:
        user = self.users[actor]
        body = body_of(title=title, description=description, completed=completed, due_date=due_date)
        response = self.request("PUT", self.task_url(route, user, task_id), user, json=body)
        changes = {**body, "title": title.strip()}
        self.applied(user, task_id, response, changes)

    @rule(
        task_id=tasks,
        actor=users,
        title=maybe(titles),
        description=maybe(descriptions),
        completed=maybe(st.booleans()),
        due_date=maybe(due_dates),
    )
    def patch(
        self, task_id: str, actor: int, title: Any, description: Any, completed: Any, due_date: Any
    ) -> None:
        user = self.users[actor]
        body = body_of(title=title, description=description, completed=completed, due_date=due_date)
        response = self.request("PATCH", f"/api/tasks/{task_id}", user, json=body)
        changes = {**body, **({"title": title.strip()} if title is not UNSET else {})}
        self.applied(user, task_id, response, changes)

    @rule(task_id=tasks, actor=users, stale=st.booleans())
    def patch_if_match(self, task_id: str, actor: int, stale: bool) -> None:
        user = self.users[actor]
        owner = self.owner_of(task_id)
        version = self.versions.get(task_id, 1) - (1 if stale else 0)
        response = self.request(
            "PATCH",
            f"/api/tasks/{task_id}",
            user,
            json={"title": "conditional"},
            headers={"If-Match": f'"{version}"'},
        )
        if owner == user and stale:
            assert response.status_code == 412, response.text
            return
        self.applied(user, task_id, response, {"title": "conditional"})

    @rule(task_id=tasks, actor=users)
    def toggle(self, task_id: str, actor: int) -> None:
        user = self.users[actor]
        response = self.request("PATCH", f"/api/{user}/tasks/{task_id}/complete", user)
        owner = self.owner_of(task_id)
        completed = not self.model[owner][task_id]["completed"] if owner == user else True
        self.applied(user, task_id, response, {"completed": completed})

    @rule(task_id=tasks, actor=users, route=routes)
    def delete(self, task_id: str, actor: int, route: str) -> None:
        user = self.users[actor]
        response = self.request("DELETE", self.task_url(route, user, task_id), user)
        if self.owner_of(task_id) == user:
            assert response.status_code == 204, response.text
            assert response.content == b""
            del self.model[user][task_id]
        else:
            assert response.status_code == 404, response.text

    @rule(task_id=tasks, actor=users, route=routes)
    def get(self, task_id: str, actor: int, route: str) -> None:
        user = self.users[actor]
        response = self.request("GET", self.task_url(route, user, task_id), user)
        if self.owner_of(task_id) == user:
            self.expect_task(response, user)
        else:
            assert response.status_code == 404, response.text

    @rule(
        actor=users,
        route=routes,
        status=st.sampled_from(["all", "pending", "completed"]),
        sort=st.sampled_from(["created", "updated", "title", "due_date"]),
        order=st.sampled_from([None, "asc", "desc"]),
        q=st.one_of(st.none(), text),
        limit=st.integers(1, 4),
    )
    def list_pages(
        self,
        actor: int,
        route: str,
        status: str,
        sort: str,
        order: str | None,
        q: str | None,
        limit: int,
    ) -> None:
        user = self.users[actor]
        params: dict[str, Any] = {"status": status, "sort": sort, "limit": limit}
        if order is not None:
            params["order"] = order
        if q is not None:
            params["q"] = q
        path = "/api/tasks" if route == "main" else f"/api/{user}/tasks"
        url: str | None = str(httpx.URL(path, params=params))
        seen: list[dict[str, Any]] = []
        while url is not None:
            response = self.request("GET", url, user)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page) <= limit
            seen += page
            url = next_link(response)
            assert len(seen) <= 1000
        direction = order or ("desc" if sort in ("created", "updated") else "asc")
        expected = expected_listing(self.model[user].values(), status, sort, direction, q)
        assert [task["id"] for task in seen] == [task["id"] for task in expected]
        assert seen == expected

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def every_user_sees_exactly_their_model(self) -> None:
        for user in self.users:
            response = self.request("GET", "/api/tasks?limit=200", user)
            assert response.status_code == 200, response.text
            listed = response.json()
            assert all(task["user_id"] == user for task in listed)
            assert {task["id"]: task for task in listed} == self.model[user]


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def expected_listing(
    tasks: Any, status: str, sort: str, direction: str, q: str | None
) -> list[dict[str, Any]]:
    def matches(task: dict[str, Any]) -> bool:
        if status == "pending" and task["completed"]:
            return False
        if status == "completed" and not task["completed"]:
            return False
        if q is None or not q.strip():
            return True
        term = q.casefold()
        return term in task["title"].casefold() or term in (task["description"] or "").casefold()

    def value(task: dict[str, Any]) -> Any:
        if sort == "title":
            return task["title"].casefold()
        if sort == "due_date":
            return date.fromisoformat(task["due_date"]) if task["due_date"] else None
        return moment(task[f"{sort}_at"])

    chosen = [task for task in tasks if matches(task)]
    descending = direction == "desc"
    present = sorted(
        (t for t in chosen if value(t) is not None),
        key=lambda t: (value(t), t["id"]),
        reverse=descending,
    )
    nulls = sorted(
        (t for t in chosen if value(t) is None), key=lambda t: t["id"], reverse=descending
    )
    return present + nulls


def machine_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def test_http_api_matches_the_model_in_memory() -> None:
    machine = type("InMemory", (HttpTaskMachine,), {"database_url": "memory://"})
    run_state_machine_as_test(machine, settings=machine_settings(60))


@pytest.mark.postgres
def test_http_api_matches_the_model_on_postgresql(postgres_url: str) -> None:
    machine = type("OnPostgres", (HttpTaskMachine,), {"database_url": postgres_url})
    run_state_machine_as_test(machine, settings=machine_settings(30))
