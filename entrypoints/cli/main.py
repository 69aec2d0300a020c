"""``todo-admin`` commands. Each builds the container, takes what it needs, and maps every
failure to one line on stderr and a documented exit code."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import sqlalchemy.exc as sa_exc
import typer
from pydantic import ValidationError

from adapters.sql.migrate import current_revision, head_revision, upgrade
from application.errors import StorageUnavailable
from entrypoints.cli.errors import ExitCode, fail
from entrypoints.container import (
    ConfigurationError,
    Container,
    build_container,
    close_container,
    storage_kind,
)
from entrypoints.settings import Settings

T = TypeVar("T")

app = typer.Typer(
    name="todo-admin",
    help="Administer the todo API's database and tokens (uses DATABASE_URL, like the server).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
token_app = typer.Typer(help="Development tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")


@contextmanager
def cli_errors() -> Iterator[None]:
    """Known failures become a one-line message and an exit code; never a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except ConfigurationError as error:
        fail(str(error), ExitCode.CONFIG)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
        fail(f"invalid configuration: {where.upper()}: {first.get('msg')}", ExitCode.CONFIG)
    except StorageUnavailable:
        fail("the database is unavailable (check DATABASE_URL and the server)", ExitCode.DATABASE)
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        fail(f"cannot use the database: {reason}", ExitCode.DATABASE)


def load_container() -> Container:
    return build_container(Settings())


def run_async(container: Container, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    async def main() -> T:
        try:
            return await work()
        finally:
            await close_container(container)

    return asyncio.run(main())


def require_sql(container: Container) -> None:
    if storage_kind(container.settings()) != "sql":
        fail("DATABASE_URL is memory://, which has no schema to migrate", ExitCode.CONFIG)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply schema migrations (to the latest by default)."""
    with cli_errors():
        container = load_container()
        require_sql(container)
        upgrade(container.database_url(), revision)
        typer.echo(f"database at revision {current_revision(container.database_url())}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision and whether it is the latest."""
    with cli_errors():
        container = load_container()
        require_sql(container)
        current = current_revision(container.database_url())
        head = head_revision()
        state = "up to date" if current == head else f"behind (latest is {head})"
        typer.echo(f"{current or 'empty (no migrations applied)'}: {state}")


@token_app.command("mint")
def token_mint(
    user: Annotated[str, typer.Option("--user", help="User id to put in the token's sub")],
    ttl: Annotated[
        int, typer.Option("--ttl", min=1, max=30 * 24 * 3600, help="Lifetime in seconds")
    ] = 3600,
) -> None:
    """Print an HS256 token for USER signed with BETTER_AUTH_SECRET (development only)."""
    with cli_errors():
        if not user.strip():
            fail("--user must not be empty", ExitCode.USAGE)
        minter = load_container().token_minter()
        typer.echo(minter.mint(user, ttl))


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
