"""How ``todo-admin`` talks to people: help without type labels, ``-u`` wherever there is a
``--user``, and bad values and settings in plain words rather than pydantic's."""

from __future__ import annotations

import re

import pytest
import typer

from entrypoints.cli.errors import ExitCode
from entrypoints.cli.main import app
from tests.e2e.helpers import assert_clean_failure, invoke

PYDANTIC_WORDING = ("Input should", "Value error", "unable to parse", "String should")


def _commands(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's path under ``command``, in the Click tree Typer builds."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        return [path]
    return [found for name, sub in subcommands.items() for found in _commands(sub, (*path, name))]


COMMANDS = _commands(typer.main.get_command(app))


def test_every_command_is_found() -> None:
    assert ("tasks", "list") in COMMANDS
    assert ("token", "mint") in COMMANDS
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_has_no_type_labels_and_user_has_its_short_option(
    cli_env: pytest.MonkeyPatch, path: tuple[str, ...]
) -> None:
    result = invoke(*path, "--help")

    assert result.exit_code == 0, result.output
    options = result.stdout.partition("Options:")[2]
    assert re.search(r"--help +Show this message and exit.", options), result.stdout
    # Flags read as flags, values by what they are (ID, N, FILE): no <bool>, <str>, <int>.
    assert not re.search(r"<(bool|str|int|int range|float)>", options), result.stdout
    if "--user" in result.stdout:
        assert "-u, --user ID" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["tasks", "seed", "-u", "demo", "--count", "many"], "'--count' / '-n': must be a whole"),
        (["tasks", "seed", "-u", "demo", "--count", "0"], "'--count' / '-n': must be at least 1"),
        (["tasks", "seed", "-u", "demo", "-n", "2", "--seed", "x"], "'--seed': must be a whole"),
        (["stats", "--top", "1001"], "'--top': must be at most 1000"),
        (["token", "mint", "-u", "alice", "--ttl", "1.5"], "'--ttl': must be a whole number"),
        (["tasks", "list", "-u", "alice", "--status", "done"], "'done' is not one of"),
    ],
)
def test_bad_values_are_told_in_plain_words(
    cli_env: pytest.MonkeyPatch, args: list[str], words: str
) -> None:
    line = assert_clean_failure(invoke(*args), ExitCode.USAGE)

    assert words in line
    assert not any(phrase in line for phrase in PYDANTIC_WORDING), line


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("DB_POOL_SIZE", "ten", "DB_POOL_SIZE must be a whole number"),
        ("DB_POOL_SIZE", "0", "DB_POOL_SIZE must be at least 1"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be 'text' or 'json'"),
        ("DB_PREPARED_STATEMENTS", "maybe", "DB_PREPARED_STATEMENTS must be true or false"),
    ],
)
def test_bad_settings_are_told_in_plain_words(
    cli_env: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    cli_env.setenv(variable, value)

    line = assert_clean_failure(invoke("stats"), ExitCode.CONFIG)

    assert line == f"todo-admin: error: invalid configuration: {words}"


def test_token_mint_takes_the_short_option(cli_env: pytest.MonkeyPatch) -> None:
    result = invoke("token", "mint", "-u", "alice")

    assert result.exit_code == 0, result.output
    assert result.stdout.count(".") == 2  # a JWT: header.payload.signature
