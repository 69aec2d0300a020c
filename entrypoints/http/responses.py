"""Response shapes shared by the routes."""

from __future__ import annotations

from fastapi import Response

from application.task_document import task_document
from domain.task import Task
from entrypoints.http.preconditions import etag_of
from entrypoints.presentation import dump_json

JSON = "application/json"


def task_response(task: Task, status_code: int = 200, **headers: str) -> Response:
    return Response(
        dump_json(task_document(task)),
        status_code=status_code,
        media_type=JSON,
        headers={"ETag": etag_of(task), **headers},
    )
