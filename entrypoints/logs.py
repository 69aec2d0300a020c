"""Log configuration: readable text, or one JSON object per line for log shippers.

``JsonLineFormatter`` is also the formatter of ``entrypoints/uvicorn_logging.json``, the log
config of ``make serve``'s supervising process, which never loads the app: so this module
imports SQLAlchemy and the settings only in the functions that need them.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from entrypoints.settings import LogFormat

_CONTEXT_FIELDS = ("request_id", "method", "route", "status", "latency_ms", "user_id")


class RedactingFormatter(logging.Formatter):
    """Tracebacks as usual, except that database errors are told without their message:
    drivers quote the values involved (a failing row, statement parameters), which are
    task contents and user ids. Class, SQLSTATE, constraint and statement remain."""

    def formatException(self, ei: Any) -> str:
        _type, error, _tb = ei
        if error is None:
            return super().formatException(ei)
        return "".join(_format_chain(error, set())).rstrip("\n")


def _is_database_error(error: BaseException) -> bool:
    import sqlalchemy.exc as sa_exc

    if isinstance(error, sa_exc.StatementError):
        return True
    module = type(error).__module__
    return module.startswith(("psycopg", "sqlite3", "aiosqlite"))


def _format_chain(error: BaseException, seen: set[int]) -> list[str]:
    from adapters.sql.errors import describe

    seen.add(id(error))
    lines: list[str] = []
    cause = error.__cause__
    context = None if error.__suppress_context__ else error.__context__
    if cause is not None and id(cause) not in seen:
        lines += _format_chain(cause, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif context is not None and id(context) not in seen:
        lines += _format_chain(context, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    lines.append("Traceback (most recent call last):\n")
    lines += traceback.format_tb(error.__traceback__)
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    message = describe(error) if _is_database_error(error) else str(error)
    lines.append(f"{name}: {message}\n" if message else f"{name}\n")
    return lines


class JsonLineFormatter(RedactingFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in _CONTEXT_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: LogFormat) -> None:
    from entrypoints.settings import LogFormat

    handler = logging.StreamHandler()
    if log_format is LogFormat.JSON:
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("todo_api", "adapters", "entrypoints", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    # uvicorn's access log prints each request line with its query string (search terms,
    # cursors); todo_api.access logs the route template instead.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers[:] = []
    uvicorn_access.propagate = False
    uvicorn_access.disabled = True
    # Everything else (the drivers, the MCP SDK): warnings and worse, in the same format,
    # rather than Python's last-resort plain text on stderr.
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
