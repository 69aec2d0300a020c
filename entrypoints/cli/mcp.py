"""``todo-admin mcp --user ID``: the MCP tools over stdio, acting for one user, on the
database in ``DATABASE_URL`` (for an AI agent on the operator's machine)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from entrypoints.cli.errors import ExitCode, fail
from entrypoints.cli.runtime import UserOption, cli_errors, run_async

if TYPE_CHECKING:
    from entrypoints.container import Container


def mcp(user: UserOption) -> None:
    """Serve the MCP tools over stdin/stdout, acting for USER (docs/mcp.md)."""
    # Imported here: only this command needs the container with the MCP SDK (ADR 0027).
    from entrypoints.container import build_container, without_metrics
    from entrypoints.mcp.stdio import serve_stdio
    from entrypoints.settings import Settings

    with cli_errors():
        # The API's settings as they are: an agent's calls get the API's limits and
        # timeouts, not the longer ones of the bulk admin commands.
        container = build_container(without_metrics(Settings()))
        _require_current_schema(container)
        run_async(container, lambda: serve_stdio(container, user))


def _require_current_schema(container: Container) -> None:
    """Refuse to start on a database every tool call would fail on."""
    from adapters.sql.migrate import current_revision, head_revision
    from entrypoints.container import storage_kind

    if storage_kind(container.settings()) != "sql":
        return
    if current_revision(container.database_url()) != head_revision():
        fail(
            "the database schema is missing or behind: run `todo-admin db upgrade`",
            ExitCode.DATABASE,
        )
