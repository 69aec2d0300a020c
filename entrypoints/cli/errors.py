"""Exit codes (documented in docs/cli.md), the one place CLI failures become a message on
stderr, and pydantic's validation problems (Typer's own option parsing, the settings) in
plain words."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from entrypoints.presentation import plain_message

if TYPE_CHECKING:
    from pydantic import ValidationError


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


# pydantic's problem types that an option or a setting meets, in words; the bounds come
# from the problem's context. Anything else goes through presentation.plain_message.
_WORDS = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be {expected}",
    "enum": "must be {expected}",
    "string_too_short": "must be at least {min_length} characters long",
    "string_too_long": "must be at most {max_length} characters long",
    "url_parsing": "must be a URL",
}


def plain_words(problem: Mapping[str, Any]) -> str:
    """One pydantic problem as words ("must be a whole number", "must be at least 1"),
    never echoing the input (a setting may be a secret)."""
    template = _WORDS.get(str(problem.get("type")))
    if template is not None:
        try:
            return template.format(**(problem.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
    return plain_message(problem).rstrip(".")


def invalid_settings_message(error: ValidationError) -> str:
    """The first problem of settings that do not validate, as one line naming the variable."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
    return f"invalid configuration: {where.upper()} {plain_words(first)}"
