"""One unit of work's database connection: checked out on first use, returned at the end."""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class GateObserver(Protocol):
    """What a gate reports, for the service's metrics: changes in how many units of work
    wait for a connection and how many hold one, and how long each waited."""

    def waiting(self, change: int) -> None: ...

    def holding(self, change: int) -> None: ...

    def waited(self, seconds: float) -> None: ...


class ConnectionGate:
    """First come, first served access to a pool's connections.

    SQLAlchemy's async pool lets a newly arriving request take a connection that was just
    returned before the requests already waiting for one wake up; under sustained load some
    waiters lose again and again, which shows as a long latency tail (measured: p99 171 ms
    against p50 31 ms at 32 concurrent requests on 10 connections). Queueing for a
    semaphore of the pool's size first hands connections out in arrival order.
    """

    def __init__(self, size: int, observer: GateObserver | None = None) -> None:
        self._slots = asyncio.Semaphore(size)
        self._observer = observer

    async def enter(self) -> None:
        observer = self._observer
        if observer is None:
            await self._slots.acquire()
            return
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken without suspending
            observer.waited(0.0)
        else:
            observer.waiting(1)
            started = time.perf_counter()
            try:
                await self._slots.acquire()
            finally:  # admitted, or given up (the operation's time limit)
                observer.waiting(-1)
                observer.waited(time.perf_counter() - started)
        observer.holding(1)

    def leave(self) -> None:
        self._slots.release()
        if self._observer is not None:
            self._observer.holding(-1)


class DriverQueryTracer(Protocol):
    """Traces the queries that go to the driver directly (the staged writes, the reads on
    PostgreSQL), and so past the SQLAlchemy events that tracing listens to. ``statement``
    has placeholders, no values."""

    def span(self, statement: str) -> AbstractContextManager[object]: ...


_DRIVER_QUERY_TRACERS: weakref.WeakKeyDictionary[sa.Engine, DriverQueryTracer] = (
    weakref.WeakKeyDictionary()
)


def trace_driver_queries(engine: AsyncEngine, tracer: DriverQueryTracer | None) -> None:
    """Trace the driver queries sent on ``engine`` with ``tracer`` (``None``: stop)."""
    if tracer is None:
        _DRIVER_QUERY_TRACERS.pop(engine.sync_engine, None)
    else:
        _DRIVER_QUERY_TRACERS[engine.sync_engine] = tracer


async def driver_of(connection: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under a pooled SQLAlchemy connection, for what goes to the
    driver directly (staged writes, reads on PostgreSQL, COPY)."""
    raw = await connection.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


def _traced(connection: AsyncConnection, statement: str) -> AbstractContextManager[object]:
    tracer = _DRIVER_QUERY_TRACERS.get(connection.engine.sync_engine)
    return tracer.span(statement) if tracer is not None else contextlib.nullcontext()


class Rows:
    """A read's rows as the driver returned them (plain tuples), with the part of
    SQLAlchemy's result that the repositories use."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    @property
    def rowcount(self) -> int:
        return len(self._rows)

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self._rows) != 1:
            raise sa_exc.NoResultFound(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar(self) -> Any:
        row = self.first()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


# A statement's result, rows of any columns: SQLAlchemy's, or ``Rows`` from the driver.
Result = sa.CursorResult[*tuple[Any, ...]] | Rows


# An application error to raise when a staged write finds nothing to write.
Failure = Callable[[], Exception]
# The message of the error that stops a staged batch at its N-th statement (see
# ``_expecting_rows``): PostgreSQL quotes the text it could not read as an integer.
_UNMET = "unmet expectation "


@dataclass(frozen=True)
class StagedWrite:
    statement: sa.Executable
    parameters: dict[str, Any]
    # Without ``rows`` rows back (the statement must end in RETURNING), the batch stops and
    # this error is raised; ``None``: any number of rows is fine.
    if_no_rows: Failure | None = None
    # A unique violation raised by this statement becomes this error.
    if_duplicate: Failure | None = None
    rows: int = 1


class Transaction:
    """A pooled connection held for one unit of work.

    The repositories only run Core statements (no ORM identity map or flush to manage), so
    a plain ``AsyncConnection`` does the job of a session at a fraction of its per-request
    bookkeeping. The transaction starts with the connection (on an autocommit engine, each
    statement commits by itself); ``close`` returns the connection to the pool, which rolls
    back whatever was not committed.
    """

    def __init__(
        self, engine: AsyncEngine, gate: ConnectionGate | None = None, *, staged: bool = False
    ) -> None:
        self._engine = engine
        self._gate = gate
        self._connection: AsyncConnection | None = None
        self._in_gate = False
        self.staged = staged
        self._writes: list[StagedWrite] = []

    async def connection(self) -> AsyncConnection:
        if self._connection is None:
            if self._gate is not None:
                await self._gate.enter()
                self._in_gate = True
            try:
                connection = await self._engine.connect()
                # Begun explicitly, so that work done on the driver connection directly
                # (COPY) is part of what ``commit`` commits.
                await connection.begin()
            except BaseException:
                self._leave_gate()
                raise
            self._connection = connection
        return self._connection

    async def execute(
        self,
        statement: sa.Executable,
        parameters: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> Result:
        """Run a Core statement in this transaction (a list of parameter sets runs it once
        per set). Rows come back as plain tuples: no ORM identity map or instance state."""
        reading = isinstance(statement, sa.Select)
        if self.staged and not reading:
            raise RuntimeError("a staged unit of work writes with stage(), at commit")
        if self._writes:
            raise RuntimeError("a staged unit of work reads before it writes")
        connection = await self.connection()
        if reading and not isinstance(parameters, list):
            read = _driver_read(statement, connection.dialect)
            if read is not None:
                return await self._read(connection, read, parameters or {})
        return await connection.execute(statement, parameters)

    async def _read(
        self, connection: AsyncConnection, read: _DriverRead, parameters: dict[str, Any]
    ) -> Rows:
        """A read on the driver's cursor: SQLAlchemy's execution layer (execution context,
        result wrapping, a greenlet hand-off each way) was most of a list's database-side
        CPU, for rows the driver already gives in their final types (ADR 0029)."""
        driver = await driver_of(connection)
        values = _bound(read.compiled, parameters)
        try:
            with _traced(connection, read.text):
                async with driver.cursor() as cursor:
                    await cursor.execute(read.text, values)
                    return Rows(await cursor.fetchall())
        except psycopg.Error as error:
            raise _wrapped(error, read.text) from error

    def stage(self, write: StagedWrite) -> None:
        """Hold a write until ``commit``, which sends every staged write at once."""
        assert self.staged, "stage() on a unit of work that writes as it goes"
        self._writes.append(write)

    def _leave_gate(self) -> None:
        if self._in_gate:
            self._in_gate = False
            assert self._gate is not None
            self._gate.leave()

    async def commit(self) -> None:
        if self._writes:
            writes, self._writes = self._writes, []
            await self._send(writes)
        elif self._connection is not None and not self.staged:
            await self._connection.commit()

    async def _send(self, writes: list[StagedWrite]) -> None:
        """The staged writes as one simple query: PostgreSQL runs the statements of one
        query message as one implicit transaction (all land or none), in one round trip,
        and a transaction pooler keeps them on one server connection. Parameters are
        bound client-side (psycopg's literal quoting). A write that expects rows and gets
        none stops the batch with an error, so nothing after or before it lands. A single
        unconditional write is sent as it is, bound by the server."""
        connection = await self.connection()
        driver = await driver_of(connection)
        query: str
        arguments: dict[str, Any] | None = None
        if len(writes) == 1 and writes[0].if_no_rows is None:
            # One statement alone (a create) is its own implicit transaction on the
            # extended protocol too, where psycopg binds it without quoting each value.
            cursor: psycopg.AsyncCursor[Any] = driver.cursor()
            query, arguments = _compiled(
                writes[0].statement, writes[0].parameters, connection.dialect
            )
            texts = [query]
        else:
            cursor = psycopg.AsyncClientCursor(driver)
            parts, texts = [], []
            for index, write in enumerate(writes):
                text, parameters = _compiled(write.statement, write.parameters, connection.dialect)
                texts.append(text)
                sql = cursor.mogrify(text, parameters)
                parts.append(_expecting_rows(sql, index, write.rows) if write.if_no_rows else sql)
            query = ";\n".join(parts)
        try:
            with _traced(connection, ";\n".join(texts)):
                await cursor.execute(query, arguments)
        except psycopg.errors.InvalidTextRepresentation as error:
            message = error.diag.message_primary or ""
            failed = _failed_index(message)
            failure = writes[failed].if_no_rows if failed is not None else None
            if failure is None:
                raise _wrapped(error) from error
            raise failure() from error
        except psycopg.errors.UniqueViolation as error:
            on_duplicate = next(
                (
                    w.if_duplicate
                    for w in writes
                    if w.if_duplicate is not None
                    and _table_of(w.statement) == error.diag.table_name
                ),
                None,
            )
            if on_duplicate is None:
                raise _wrapped(error) from error
            raise on_duplicate() from error
        except psycopg.Error as error:
            raise _wrapped(error) from error
        finally:
            await cursor.close()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            finally:
                self._leave_gate()

    def let_go(self) -> None:
        """An operation overran on this connection and winds down in the background (a
        hung server's cancellation can take seconds): take it out of the pool's count and
        give up its place at the gate now, so that the pool serves others meanwhile with
        fresh connections. It is closed once the operation has stopped (``invalidate``)."""
        connection = self._connection
        if connection is not None and not connection.closed:
            with contextlib.suppress(Exception):
                connection.sync_connection.connection.detach()  # type: ignore[union-attr]
        self._leave_gate()

    async def invalidate(self) -> None:
        """Discard the connection instead of returning it (its state is unknown)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
                await connection.close()
            finally:
                self._leave_gate()


def _compiled(
    statement: sa.Executable, parameters: dict[str, Any], dialect: sa.Dialect
) -> tuple[str, dict[str, Any]]:
    """The statement's SQL for the driver (cached per statement object) and its parameters
    after SQLAlchemy's bind processing (JSON columns serialized, as ``execute`` does)."""
    form = _compilation(statement, dialect)
    return form.string, _bound(form, parameters)


def _compilation(statement: sa.Executable, dialect: sa.Dialect) -> Any:
    key = (id(statement), dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None or compiled[0] is not statement:
        compiled = (statement, statement.compile(dialect=dialect))  # type: ignore[attr-defined]
        _COMPILED[key] = compiled
    return compiled[1]


def _bound(form: Any, parameters: dict[str, Any]) -> dict[str, Any]:
    values = form.construct_params(parameters, _check=False)
    processors = form._bind_processors
    return {
        name: processors[name](value) if name in processors else value
        for name, value in values.items()
    }


# Statements are module-level constants of the repositories, or built once per list shape
# (``listing._statements``, an LRU cache): a bounded set, each compiled once per dialect (a
# process may talk to PostgreSQL and SQLite: the tests, the CLI's copy between them).
_COMPILED: dict[tuple[int, str], tuple[sa.Executable, Any]] = {}


@dataclass(frozen=True)
class _DriverRead:
    compiled: Any
    text: str


_DRIVER_READS: dict[tuple[int, str], tuple[sa.Executable, _DriverRead | None]] = {}


def _driver_read(statement: sa.Executable, dialect: sa.Dialect) -> _DriverRead | None:
    """How to run ``statement`` on the driver, or ``None`` where SQLAlchemy must: not on
    PostgreSQL, or the statement needs a render step at execution (an expanding ``IN``) or
    a column of it needs converting (a type with a result processor). Decided once per
    statement and dialect."""
    key = (id(statement), dialect.name)
    cached = _DRIVER_READS.get(key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    read: _DriverRead | None = None
    if dialect.name == "postgresql":
        form = _compilation(statement, dialect)
        converted = any(
            column[3]._cached_result_processor(dialect, None) is not None
            for column in form._result_columns
        )
        if not converted and not form.post_compile_params and not form.literal_execute_params:
            read = _DriverRead(form, form.string)
    _DRIVER_READS[key] = (statement, read)
    return read


def _expecting_rows(sql: str, index: int, rows: int) -> str:
    # Casting a non-numeric text to an integer is the way a plain SQL statement can stop
    # the query it is part of; the text says which statement found no rows. (``sql`` is
    # one of our statements, its values bound by psycopg.)
    check = f"CASE WHEN count(*) = {int(rows)} THEN '1' ELSE '{_UNMET}{index}' END"
    return f"WITH written AS ({sql}) SELECT CAST({check} AS integer) FROM written"  # noqa: S608


def _failed_index(message: str) -> int | None:
    marker = message.find(_UNMET)
    if marker < 0:
        return None
    digits = message[marker + len(_UNMET) :].rstrip('"')
    return int(digits) if digits.isdigit() else None


def _table_of(statement: sa.Executable) -> str | None:
    table = getattr(statement, "table", None)
    return getattr(table, "name", None)


def _wrapped(error: psycopg.Error, statement: str = "staged writes") -> sa_exc.StatementError:
    """The driver's own error, as SQLAlchemy would have raised it from ``execute``: callers
    tell outages and schema problems apart the same way for every statement."""
    return sa_exc.DBAPIError.instance(statement, None, error, psycopg.Error, hide_parameters=True)
