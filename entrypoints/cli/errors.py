"""Exit codes (documented in docs/cli.md) and the one place CLI failures become a message
on stderr."""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import NoReturn

import typer


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # unexpected error (a bug): report it
    USAGE = 2  # bad arguments (Typer/Click's own code)
    CONFIG = 3  # the configuration is unusable (DATABASE_URL, secrets)
    DATABASE = 4  # the database is unreachable or not migrated
    NOT_FOUND = 5  # a named input file (or an output file's directory) does not exist;
    # users live in Better Auth, so a user without tasks is an empty result, never this
    INVALID_DATA = 6  # an input file or value breaks the rules; nothing was written
    REFUSED = 7  # a destructive command without its confirmation flag
    QUOTA = 8  # the user would have more tasks than MAX_TASKS_PER_USER; nothing was written


def fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(f"todo-admin: error: {message}", err=True)
    sys.stdout.flush()
    raise typer.Exit(code=int(code))
