"""Turning driver failures into the application's ``StorageUnavailable``."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

import sqlalchemy.exc as sa_exc

from application.errors import StorageUnavailable

# Failures of the connection, not of the statement: the database is down, unreachable,
# restarting, or the pool had no connection to give in time.
_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    ConnectionError,
    TimeoutError,
    OSError,
)


# SQLite reports a missing table as an OperationalError too; that is a database that was
# never migrated (a deployment mistake to fix), not an outage to wait out.
_SCHEMA_PROBLEMS = ("no such table", "no such column")


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError) and any(
        marker in str(error.orig) for marker in _SCHEMA_PROBLEMS
    ):
        return False
    return isinstance(error, _UNAVAILABLE)


@asynccontextmanager
async def unavailable_as_storage_error() -> AsyncIterator[None]:
    try:
        yield
    except Exception as error:
        if is_unavailable(error):
            raise StorageUnavailable("the database is unavailable") from error
        raise


P = ParamSpec("P")
R = TypeVar("R")


def storage_errors(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorate a repository method so a lost connection surfaces as ``StorageUnavailable``."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        async with unavailable_as_storage_error():
            return await method(*args, **kwargs)

    return wrapper
