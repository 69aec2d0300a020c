"""Fixtures of the repository contract suites: one unit-of-work factory per store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from adapters.memory import InMemoryTaskStore, InMemoryUnitOfWork
from adapters.sql.engine import PoolSettings, create_engine, normalize_database_url
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[UowFactory]:
    if request.param == "memory":
        store = InMemoryTaskStore()
        yield lambda: InMemoryUnitOfWork(store)
        return
    url = request.getfixturevalue(f"{request.param}_url")
    engine = create_engine(normalize_database_url(url), PoolSettings())
    try:
        yield lambda: SqlUnitOfWork(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def owner() -> str:
    return str(uuid.uuid4())
