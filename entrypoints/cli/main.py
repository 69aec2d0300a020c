"""``todo-admin`` commands. Each builds the container, takes the use case it needs, and maps
every failure to one line on stderr and a documented exit code (``entrypoints.cli.errors``).

The command groups live in their own modules (``tasks``, ``users``, ``stats``, ``mcp``); this one
assembles them and keeps the ``db`` and ``token`` commands. No module of the CLI imports the
container, SQLAlchemy, Alembic, FastAPI or the MCP SDK at its top: each command imports what
it runs, so ``--help`` and usage errors start in a fraction of the time (ADR 0027).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

# Typer vendors Click (typer._click) and raises its usage errors, which it does not export.
from typer._click.exceptions import BadParameter, ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from entrypoints.cli.errors import ExitCode, fail, plain_words
from entrypoints.cli.mcp import mcp
from entrypoints.cli.runtime import (
    cli_errors,
    load_container,
    require_sql,
    run_async,
)
from entrypoints.cli.stats import stats
from entrypoints.cli.tasks import tasks_app
from entrypoints.cli.users import users_app

__all__ = ["app", "cli_errors", "load_container", "require_sql", "run", "run_async"]


class AdminGroup(TyperGroup):
    """Usage errors (unknown command, missing or bad option) as one line on stderr, like
    every other failure, instead of Click's usage block."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except NoArgsIsHelpError as error:
            error.show()
            sys.exit(error.exit_code)
        except UsageError as error:
            _plain_bad_parameter(error)
            message = " ".join(error.format_message().split())
            where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            typer.echo(f"todo-admin: error: {message}{where}", err=True)
            sys.exit(int(ExitCode.USAGE))
        except ClickException as error:
            typer.echo(f"todo-admin: error: {' '.join(error.format_message().split())}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("todo-admin: aborted", err=True)
            sys.exit(int(ExitCode.FAILURE))
        sys.exit(result if isinstance(result, int) else int(ExitCode.OK))


def _plain_bad_parameter(error: UsageError) -> None:
    """Typer checks option values with pydantic and words them as pydantic does ("Input
    should be a valid integer, unable to parse string as an integer"): say it plainly."""
    if not isinstance(error, BadParameter):
        return
    from pydantic import ValidationError

    cause = error.__cause__
    if isinstance(cause, ValidationError) and cause.errors():
        error.message = plain_words(cause.errors(include_url=False)[0])


app = typer.Typer(
    name="todo-admin",
    cls=AdminGroup,
    help="Administer the todo API: database, tokens, users' tasks (uses DATABASE_URL, like"
    " the server). Exit codes: docs/cli.md.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Click's plain help: Rich's tables label every flag <bool> and every value <str>, and
    # importing Rich is a good part of the start-up time. Each group says it again (Typer
    # takes the mode from the group a command is in).
    rich_markup_mode=None,
)
db_app = typer.Typer(
    help="Database schema migrations.", no_args_is_help=True, rich_markup_mode=None
)
token_app = typer.Typer(help="Development tokens.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(tasks_app, name="tasks")
app.add_typer(users_app, name="users")
app.command("stats")(stats)
app.command("mcp")(mcp)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(metavar="REVISION", help="Target revision")] = "head",
) -> None:
    """Apply schema migrations (to the latest by default)."""
    from adapters.sql.migrate import current_revision, upgrade

    with cli_errors():
        container = load_container()
        require_sql(container)
        upgrade(container.database_url(), revision)
        typer.echo(f"database at revision {current_revision(container.database_url())}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision and whether it is the latest."""
    from adapters.sql.migrate import current_revision, head_revision

    with cli_errors():
        container = load_container()
        require_sql(container)
        current = current_revision(container.database_url())
        head = head_revision()
        state = "up to date" if current == head else f"behind (latest is {head})"
        typer.echo(f"{current or 'empty (no migrations applied)'}: {state}")


@token_app.command("mint")
def token_mint(
    user: Annotated[
        str,
        typer.Option("--user", "-u", metavar="ID", help="User id to put in the token's sub"),
    ],
    ttl: Annotated[
        int,
        typer.Option(
            "--ttl", min=1, max=30 * 24 * 3600, metavar="SECONDS", help="Lifetime in seconds"
        ),
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
