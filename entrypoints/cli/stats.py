"""``todo-admin stats``: store-wide counts."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer

from application.ports import TaskStats
from application.use_cases.admin import DEFAULT_TOP_OWNERS
from entrypoints.cli.runtime import cli_errors, load_container, run_async


def stats_json(stats: TaskStats) -> dict[str, Any]:
    ratio = stats.completed_ratio
    return {
        "users": stats.owners,
        "tasks": stats.tasks,
        "completed": stats.completed,
        "completed_ratio": round(ratio, 4) if ratio is not None else None,
        "largest_users": [{"user_id": o.owner, "tasks": o.tasks} for o in stats.largest],
    }


def stats_text(stats: TaskStats) -> str:
    ratio = stats.completed_ratio
    share = f" ({ratio:.1%})" if ratio is not None else ""
    lines = [
        f"users      {stats.owners:,}  (with at least one task)",
        f"tasks      {stats.tasks:,}",
        f"completed  {stats.completed:,}{share}",
    ]
    if stats.largest:
        width = len(f"{stats.largest[0].tasks:,}")
        lines.append("largest users:")
        lines += [f"  {o.tasks:>{width},}  {o.owner}" for o in stats.largest]
    return "\n".join(lines)


def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    top: Annotated[
        int,
        typer.Option(
            "--top", min=0, max=1000, metavar="N", help="How many of the largest users to show"
        ),
    ] = DEFAULT_TOP_OWNERS,
) -> None:
    """Users (owners of at least one task), tasks, completed share and the largest users."""
    with cli_errors():
        container = load_container()
        use_case = container.get_stats()
        result = run_async(container, lambda: use_case.execute(top=top))
    typer.echo(orjson.dumps(stats_json(result)).decode() if as_json else stats_text(result))
