"""Fuzzing the API from its own OpenAPI schema (schemathesis 4).

Schemathesis reads ``/openapi.json`` and, for every operation, sends data generated from the
documented schemas (positive) and data that breaks them (negative), with a valid token. Every
built-in check runs on every response: no server errors; status code, content type, headers
and body as documented; schema-violating requests rejected, schema-valid ones accepted.

It runs twice: on the in-memory backend, where it spends its time on the HTTP contract, and,
with fewer examples, on PostgreSQL, where the same values also reach the real store.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from entrypoints.container import Container, build_container
from entrypoints.http.factory import create_app
from tests.http import make_settings, token_for

memory_container = build_container(make_settings("memory://", log_level="CRITICAL"))
memory_app = create_app(memory_container)
schema = schemathesis.openapi.from_asgi("/openapi.json", memory_app)


class FreshUser:
    """A valid token, for a user of its own per example: what one example wrote (an
    Idempotency-Key, a task) does not change what the next one may expect. Given as the
    schema's auth, so schemathesis knows the credentials come from here."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return token_for(f"fuzz-{uuid.uuid4()}")

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


schema.auth(refresh_interval=None)(FreshUser)


def mixes_negative_parts(case: schemathesis.Case) -> bool:
    """A case labelled positive that carries a negative part. Schemathesis' coverage phase
    makes these (e.g. an ``If-Match`` of ``0`` against the header's documented pattern, in
    a case marked positive): "valid data must be accepted" does not apply to them."""
    meta = case.meta
    if meta is None or meta.generation.mode.is_negative:
        return False
    return any(component.mode.is_negative for component in meta.components.values())


def follow_cross_field_rules(case: schemathesis.Case) -> None:
    """Make a positive case obey the rules between values that a JSON Schema cannot state
    (each is in the fields' descriptions, and tested on its own elsewhere): tags are unique
    ignoring case, a recurring task has a due date, ``due_from`` is not after ``due_to``."""
    body = case.body
    if isinstance(body, dict):
        if isinstance(body.get("tags"), list):
            unique: dict[str, Any] = {}
            for tag in body["tags"]:
                unique.setdefault(tag.strip().casefold() if isinstance(tag, str) else tag, tag)
            body["tags"] = list(unique.values())
        if body.get("recurrence") is not None and body.get("due_date") is None:
            body["due_date"] = "2026-12-31"
    query = case.query or {}
    due_from, due_to = query.get("due_from"), query.get("due_to")
    if isinstance(due_from, str) and isinstance(due_to, str) and due_from > due_to:
        query["due_from"], query["due_to"] = due_to, due_from


def check(case: schemathesis.Case, **transport: Any) -> None:
    if case.meta is not None and not case.meta.generation.mode.is_negative:
        follow_cross_field_rules(case)
    if case.meta is not None and not case.meta.generation.mode.is_negative and case.query:
        # A cursor is issued by the server (in a Link header), never made up by a client:
        # no string the schema allows is a valid one unless the server gave it out. The
        # fuzzer still sends malformed cursors in negative cases; real ones are exercised
        # by the pagination and state-machine tests.
        case.query.pop("cursor", None)
    if mixes_negative_parts(case):
        # Judge it as what it is: data that breaks the schema, which must be refused.
        response = case.call_and_validate(excluded_checks=[positive_data_acceptance], **transport)
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        return
    case.call_and_validate(**transport)


@pytest.fixture
def in_memory() -> Any:
    return memory_app


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_own_schema(case: schemathesis.Case, in_memory: Any) -> None:
    check(case, app=in_memory)


@pytest.fixture(scope="module")
def postgres_container(postgres_url: str) -> Container:
    return build_container(make_settings(postgres_url, log_level="CRITICAL"))


@pytest.fixture(scope="module")
def postgres_app(postgres_container: Container) -> Any:
    """The same app on PostgreSQL (its schema is the same document)."""
    return create_app(postgres_container)


@pytest.fixture
def on_postgres(postgres_app: Any) -> Any:
    # Each app resolves its routes' use cases on its own container: no wiring to redo.
    return postgres_app


@pytest.mark.postgres
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_on_postgresql_honours_its_own_schema(
    case: schemathesis.Case, on_postgres: Any
) -> None:
    check(case, app=on_postgres)
