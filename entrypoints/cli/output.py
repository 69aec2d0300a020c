"""How the CLI shows tasks to people: a table (``--json`` gives the task documents)."""

from __future__ import annotations

from domain.task import Task

TITLE_WIDTH = 60
TABLE_HEADER = f"{'ID':<36}  {'DONE':<4}  {'DUE':<10}  TITLE"


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table_row(task: Task) -> str:
    done = "[x]" if task.completed else "[ ]"
    due = task.due_date.isoformat() if task.due_date else "-"
    return f"{task.id!s:<36}  {done:<4}  {due:<10}  {truncate(task.title, TITLE_WIDTH)}"
