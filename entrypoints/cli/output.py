"""How the CLI shows tasks to people: a table (``--json`` gives the task documents)."""

from __future__ import annotations

from domain.fields import Priority
from domain.task import Task

TITLE_WIDTH = 60
# Up to three short tags fit whole; more are cut, and --json has them all.
TAGS_WIDTH = 24
PRIORITY_WIDTH = max(len(priority) for priority in Priority)
TABLE_HEADER = (
    f"{'ID':<36}  {'DONE':<4}  {'PRIO':<{PRIORITY_WIDTH}}  {'DUE':<10}  {'TAGS':<{TAGS_WIDTH}}"
    "  TITLE"
)


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table_row(task: Task) -> str:
    # The title comes last: the one column of varying width, so no row ends in padding.
    done = "[x]" if task.completed else "[ ]"
    # "-" for what is not set, as for the due date: "none" in every row would be noise.
    priority = "-" if task.priority is Priority.NONE else task.priority.value
    due = task.due_date.isoformat() if task.due_date else "-"
    # Tags never hold a comma (it separates them in --tag too), so a comma list is exact.
    tags = truncate(",".join(task.tags), TAGS_WIDTH) if task.tags else "-"
    return (
        f"{task.id!s:<36}  {done:<4}  {priority:<{PRIORITY_WIDTH}}  {due:<10}"
        f"  {tags:<{TAGS_WIDTH}}  {truncate(task.title, TITLE_WIDTH)}"
    )
