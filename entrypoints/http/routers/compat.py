"""``/api/{user_id}/tasks``: the widespread "Phase II" route shape, on the same use cases
(routes built by ``tasks.build_task_router``)."""

from __future__ import annotations

from entrypoints.http.routers.common import PathOwner
from entrypoints.http.routers.tasks import build_task_router

router = build_task_router(
    prefix="/api/{user_id}/tasks",
    tags=["tasks (compatibility routes)"],
    owner=PathOwner,
    compat=True,
)
