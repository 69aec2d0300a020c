"""``todo-admin users``: operations on everything one user has stored."""

from __future__ import annotations

from typing import Annotated

import typer

from entrypoints.cli.errors import ExitCode, fail
from entrypoints.cli.runtime import UserOption, cli_errors, load_container, run_async

users_app = typer.Typer(
    help="Users' stored data (users themselves live in Better Auth).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@users_app.command("purge")
def purge_user(
    user: UserOption,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm the erasure; without it nothing is done")
    ] = False,
) -> None:
    """Erase all of a user's data (tasks and idempotency keys) in one transaction: the
    right-to-erasure operation. Cannot be undone; refuses without --yes."""
    with cli_errors():
        if not yes:
            fail(
                f"refusing to erase all data of user {user} (tasks, idempotency keys) without"
                " --yes; nothing was changed",
                ExitCode.REFUSED,
            )
        container = load_container()
        use_case = container.purge_user()
        result = run_async(container, lambda: use_case.execute(user))
    typer.echo(
        f"erased {result.tasks:,} tasks and {result.idempotency_keys:,} idempotency keys"
        f" of user {user}"
    )
