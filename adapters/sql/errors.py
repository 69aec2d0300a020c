"""Turning driver failures into the application's ``StorageUnavailable``, and telling the
other ones without the data they quote."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import sqlalchemy.exc as sa_exc

from adapters.sql.deadline import OperationTimer
from application.errors import SchemaNotReady, StorageUnavailable

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


# A table or column the code needs is not there: a database that was never migrated, or
# not to this code's revision (a deployment step to take), not an outage to wait out.
# SQLite says so in an OperationalError's message, PostgreSQL by SQLSTATE (undefined_table,
# undefined_column).
_SQLITE_SCHEMA_PROBLEMS = ("no such table", "no such column")
_POSTGRES_SCHEMA_PROBLEMS = ("42P01", "42703")


def is_schema_problem(error: BaseException) -> bool:
    if not isinstance(error, sa_exc.DBAPIError) or error.orig is None:
        return False
    if getattr(error.orig, "sqlstate", None) in _POSTGRES_SCHEMA_PROBLEMS:
        return True
    return isinstance(error, sa_exc.OperationalError) and any(
        marker in str(error.orig) for marker in _SQLITE_SCHEMA_PROBLEMS
    )


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if is_schema_problem(error):
        return False
    return isinstance(error, _UNAVAILABLE)


def describe(error: BaseException) -> str:
    """A database error told without the data involved, for logs: the driver's message may
    quote values (PostgreSQL's "Failing row contains (…)", SQLAlchemy's parameters), and
    those are task contents. Says the error's class, SQLSTATE and schema objects, and the
    statement with its placeholders."""
    original = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    facts = [type(original).__name__ if original is not None else type(error).__name__]
    diagnostics = getattr(original, "diag", None)  # psycopg
    for label, attribute in (
        ("sqlstate", "sqlstate"),
        ("table", "table_name"),
        ("column", "column_name"),
        ("constraint", "constraint_name"),
    ):
        value = getattr(diagnostics, attribute, None)
        if value:
            facts.append(f"{label}={value}")
    code = getattr(original, "sqlite_errorname", None)  # sqlite3
    if code:
        facts.append(f"code={code}")
    statement = getattr(error, "statement", None)
    if isinstance(statement, str) and statement:
        facts.append("in: " + " ".join(statement.split())[:300])
    return " ".join(facts)


@asynccontextmanager
async def unavailable_as_storage_error() -> AsyncIterator[None]:
    try:
        yield
    except Exception as error:
        if is_unavailable(error):
            raise StorageUnavailable("the database is unavailable") from error
        if is_schema_problem(error):
            raise SchemaNotReady() from error
        raise


P = ParamSpec("P")
R = TypeVar("R")


class Timed(Protocol):
    _timer: OperationTimer


T = TypeVar("T", bound=Timed)


def storage_errors(
    method: Callable[Concatenate[T, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[T, P], Coroutine[Any, Any, R]]:
    """Decorate a repository method so it runs within the unit of work's time limit, and a
    lost connection or an overrun surfaces as ``StorageUnavailable``."""

    @functools.wraps(method)
    async def wrapper(self: T, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with unavailable_as_storage_error():
            return await self._timer.run(method, self, *args, **kwargs)

    return wrapper
