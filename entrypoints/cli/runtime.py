"""What every ``todo-admin`` command shares: the container, the event loop, the mapping of
failures to one line on stderr and an exit code, progress on stderr, the ``--user`` option.

The container, SQLAlchemy, Alembic and pydantic are imported inside the functions that use
them, which only run in a command: ``todo-admin --help`` (and a usage error) loads none of
them (ADR 0027, pinned by tests/unit/test_cli_imports.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from application.errors import (
    DuplicateTaskId,
    SchemaNotReady,
    StorageUnavailable,
    TaskQuotaExceeded,
)
from domain.errors import InvalidTaskField
from domain.task import check_user_id
from entrypoints.cli.errors import ExitCode, fail, invalid_settings_message

if TYPE_CHECKING:
    from entrypoints.container import Container

T = TypeVar("T")

# Set to 1 to let unexpected errors (bugs) through with their traceback.
TRACEBACK_ENV = "TODO_ADMIN_TRACEBACK"


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def _database_reason(error: BaseException) -> str | None:
    """The driver's own words (first line) for a failure somewhere in ``error``'s causes."""
    import sqlalchemy.exc as sa_exc

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, sa_exc.DBAPIError) and seen.orig is not None:
            return first_line(seen.orig)
        if isinstance(seen, OSError | TimeoutError) and not isinstance(
            seen, sa_exc.SQLAlchemyError
        ):
            return first_line(seen)
        seen = seen.__cause__
    return None


def _database_failure(reason: str | None, fallback: str) -> str:
    if reason is None:
        return fallback
    missing_table = "no such table" in reason or (
        reason.startswith("relation ") and "does not exist" in reason
    )
    if missing_table:
        return f"the database has no schema ({reason}): run `todo-admin db upgrade`"
    return f"{fallback}: {reason}"


def quota_message(error: TaskQuotaExceeded) -> str:
    """Which user, the limit, and how far the input got: for an operator to decide."""
    has = f" has {error.existing:,} tasks and" if error.existing is not None else ""
    at = f" at tasks[{error.index}]" if error.index is not None else ""
    return (
        f"user {error.owner}{has} may have at most {error.limit:,} (MAX_TASKS_PER_USER):"
        f" the input goes over it{at}; nothing was written (raise MAX_TASKS_PER_USER, or 0"
        " for no cap, to import it)"
    )


@contextmanager
def cli_errors() -> Iterator[None]:
    """Known failures become a one-line message and an exit code; never a traceback."""
    import sqlalchemy.exc as sa_exc
    from alembic.util.exc import CommandError
    from pydantic import ValidationError

    from entrypoints.container import ConfigurationError

    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise  # Typer's own exits and usage errors (Click's exceptions derive from TyperException)
    except ConfigurationError as error:
        fail(str(error), ExitCode.CONFIG)
    except ValidationError as error:
        fail(invalid_settings_message(error), ExitCode.CONFIG)
    except SchemaNotReady as error:
        fail(str(error), ExitCode.DATABASE)
    except StorageUnavailable as error:
        message = _database_failure(
            _database_reason(error),
            "the database is unavailable (check DATABASE_URL and the server)",
        )
        fail(message, ExitCode.DATABASE)
    except sa_exc.DBAPIError as error:
        fail(
            _database_failure(_database_reason(error), "cannot use the database"), ExitCode.DATABASE
        )
    except DuplicateTaskId as error:
        fail(f"{error}; nothing was written", ExitCode.INVALID_DATA)
    except TaskQuotaExceeded as error:
        fail(quota_message(error), ExitCode.QUOTA)
    except CommandError as error:
        fail(first_line(error), ExitCode.USAGE)
    except BrokenPipeError:
        # The reader of our output went away (`todo-admin tasks list | head`): stop quietly.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - left for the interpreter to close
        raise typer.Exit(code=int(ExitCode.FAILURE)) from None
    except Exception as error:
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        fail(
            f"unexpected {type(error).__name__}: {first_line(error)} (a bug: please report it;"
            f" {TRACEBACK_ENV}=1 shows the traceback)",
            ExitCode.FAILURE,
        )


# Admin commands run bulk statements (a 5,000-row COPY, erasing a user's 100k tasks) that may
# outlast the HTTP API's per-operation limit: unless DB_OPERATION_TIMEOUT is set explicitly,
# each database operation of a command may take this long. Connecting still fails within
# DB_CONNECT_TIMEOUT when the database is unreachable.
CLI_OPERATION_TIMEOUT = 120.0


def load_container() -> Container:
    from entrypoints.container import build_container, without_metrics
    from entrypoints.settings import Settings

    settings = Settings()
    if (
        "db_operation_timeout" in Settings.model_fields
        and "db_operation_timeout" not in settings.model_fields_set
    ):
        settings = settings.model_copy(update={"db_operation_timeout": CLI_OPERATION_TIMEOUT})
    return build_container(without_metrics(settings))


def run_async(container: Container, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    import asyncio

    from entrypoints.container import close_container

    async def main() -> T:
        try:
            return await work()
        finally:
            await close_container(container)

    return asyncio.run(main())


def require_sql(container: Container) -> None:
    from entrypoints.container import storage_kind

    if storage_kind(container.settings()) != "sql":
        fail("DATABASE_URL is memory://, which has no schema to migrate", ExitCode.CONFIG)


def _user_id(value: str) -> str:
    try:
        return check_user_id(value)
    except InvalidTaskField as error:
        raise typer.BadParameter(error.message) from error


UserOption = Annotated[
    str,
    typer.Option(
        "--user",
        "-u",
        metavar="ID",
        help="The user's id (Better Auth's user id, the token's sub)",
        callback=_user_id,
        show_default=False,
    ),
]


class Progress:
    """Progress of a long command on stderr: a line rewritten in place on a terminal,
    else (logs, pipes) one line each time another ``every`` tasks are done."""

    def __init__(self, verb: str, every: int = 10_000) -> None:
        self._verb = verb
        self._every = every
        self._next = every
        self._tty = sys.stderr.isatty()
        self._shown = False

    def __call__(self, count: int) -> None:
        if self._tty:
            typer.echo(f"\r{self._verb} {count:,} tasks…", nl=False, err=True)
            self._shown = True
        elif count >= self._next:
            typer.echo(f"{self._verb} {count:,} tasks…", err=True)
            self._next = (count // self._every + 1) * self._every

    def finish(self) -> None:
        if self._shown:
            typer.echo("", err=True)
            self._shown = False
