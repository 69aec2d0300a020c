"""Response shapes shared by the routes."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote_from_bytes, urlencode

from fastapi import Request, Response

from application.task_document import task_document
from domain.task import Task
from entrypoints.http.preconditions import HeldVersions, etag_of
from entrypoints.presentation import dump_json

JSON = "application/json"


def task_response(task: Task, status_code: int = 200, **headers: str) -> Response:
    return Response(
        dump_json(task_document(task)),
        status_code=status_code,
        media_type=JSON,
        headers={"ETag": etag_of(task), **headers},
    )


def task_response_for(task: Task, held: HeldVersions | None) -> Response:
    """``task_response``, or 304 Not Modified when ``If-None-Match`` names the task's
    version: its ``ETag`` and no body (RFC 9110 §15.4.5), so a client revalidating what it
    holds gets nothing it already has."""
    if held is not None and held.include(task):
        return Response(status_code=304, headers={"ETag": etag_of(task)})
    return task_response(task)


def path_for_headers(request: Request) -> str:
    """The request's path as sent, fit for a ``Location`` or a ``Link``: every byte that is
    not an unreserved character, ``/`` or an existing escape is percent-encoded, so a user
    id in the path (any ``sub``: non-ASCII, ``;``, ``>``, spaces) can neither break the
    header's encoding nor add parameters to it."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    return quote_from_bytes(raw_path.partition(b"?")[0], safe="/%")


def next_page_url(request: Request, cursor: str) -> str:
    """The request's URL with ``cursor`` as its (last) cursor parameter: the other
    parameters as they were, in their order (what Starlette's ``include_query_params``
    gives, without building and parsing URL objects on every page). Parameters are kept as
    bytes: whatever a client sent, the link says it again, escaped."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    kept = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in parse_qsl(query, keep_blank_values=True, encoding="latin-1")
        if name != "cursor"
    ]
    return f"{path_for_headers(request)}?{urlencode([*kept, (b'cursor', cursor)])}"
