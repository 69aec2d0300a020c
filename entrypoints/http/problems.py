"""The one mapping from errors to RFC 9457 ``application/problem+json`` responses.

``ERRORS`` says, per error type, which problem it is, its detail and its headers; the
exception handlers answer from it, and ``documented_errors`` documents a route's problems
from the same problem types. Framework errors (request validation, Starlette's HTTP
exceptions) have handlers of their own that answer with the same problem types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from application.errors import (
    AccessDenied,
    ConcurrentUpdate,
    CreatedTaskDeleted,
    IdempotencyKeyReused,
    IdentityProviderUnavailable,
    InvalidToken,
    SchemaNotReady,
    StorageUnavailable,
    TaskNotFound,
    TaskQuotaExceeded,
    VersionMismatch,
)
from domain.errors import FieldError
from entrypoints.http.etags import etag_of_version
from entrypoints.http.limits import MAX_BODY_KIB, MAX_HEADER_COUNT, MAX_HEADER_KIB
from entrypoints.http.rate_limit import RateLimited, rate_limit_headers
from entrypoints.http.schemas import Problem
from entrypoints.presentation import plain_message

logger = logging.getLogger("todo_api.errors")

PROBLEM_JSON = "application/problem+json"
REALM = "todo-api"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.slug}"


MALFORMED = ProblemType("malformed-request", 400, "The request could not be read")
CORS_REJECTED = ProblemType("cors-rejected", 400, "Cross-origin request not allowed")
UNAUTHORIZED = ProblemType("unauthorized", 401, "Authentication required")
FORBIDDEN = ProblemType("forbidden", 403, "Forbidden")
NOT_FOUND = ProblemType("not-found", 404, "Not Found")
REQUEST_TIMEOUT = ProblemType("request-timeout", 408, "Request Timeout")
CONFLICT = ProblemType("conflict", 409, "Conflict")
TASK_QUOTA_EXCEEDED = ProblemType("task-quota-exceeded", 409, "Task limit reached")
CREATED_TASK_DELETED = ProblemType("created-task-deleted", 410, "The task was deleted")
PRECONDITION_FAILED = ProblemType("precondition-failed", 412, "Precondition Failed")
TOO_LARGE = ProblemType("payload-too-large", 413, "Content Too Large")
UNSUPPORTED_MEDIA_TYPE = ProblemType("unsupported-media-type", 415, "Unsupported Media Type")
VALIDATION = ProblemType("validation-error", 422, "Your request is not valid")
IDEMPOTENCY_KEY_REUSED = ProblemType("idempotency-key-reused", 422, "Idempotency-Key reused")
TOO_MANY_REQUESTS = ProblemType("too-many-requests", 429, "Too Many Requests")
HEADERS_TOO_LARGE = ProblemType("headers-too-large", 431, "Request Header Fields Too Large")
UNAVAILABLE = ProblemType("service-unavailable", 503, "Service Unavailable")
INTERNAL = ProblemType("internal-error", 500, "Internal Server Error")

# What the OpenAPI document says a route's response of each status means.
_DOCUMENTED = {
    MALFORMED: "Malformed request (e.g. invalid JSON)",
    UNAUTHORIZED: "Missing, invalid or expired bearer token",
    FORBIDDEN: "The path names another user",
    NOT_FOUND: "No such task (or it belongs to another user)",
    REQUEST_TIMEOUT: "The request's body was not received in time",
    CONFLICT: "The task kept changing (retry), or your task limit is reached "
    "(`/problems/task-quota-exceeded`: delete tasks first)",
    CREATED_TASK_DELETED: "A retry (same Idempotency-Key) of a create whose task has since "
    "been deleted; nothing was created",
    PRECONDITION_FAILED: "If-Match does not match the task's current ETag (sent as `ETag`)",
    TOO_LARGE: f"Body larger than {MAX_BODY_KIB} KiB",
    UNSUPPORTED_MEDIA_TYPE: "Body not sent as application/json",
    VALIDATION: "Validation error; `detail` names the first problem, `errors` lists each",
    TOO_MANY_REQUESTS: "Too many requests from this user; retry after `Retry-After` seconds",
    HEADERS_TOO_LARGE: f"More than {MAX_HEADER_COUNT} header fields, or more than "
    f"{MAX_HEADER_KIB} KiB of them",
    UNAVAILABLE: "The database, or the sign-in service's keys, unavailable; retry after"
    " `Retry-After` seconds (not a sign-out). Also: the database not migrated",
}
_BY_STATUS = {problem.status: problem for problem in _DOCUMENTED}


class MissingCredentials(Exception):
    """No bearer token in the request."""


class MalformedHeader(ValueError):
    """A request header we rely on (If-Match, Idempotency-Key) is not well-formed."""


def bearer_challenge(
    error: str | None = None,
    description: str | None = None,
    *,
    resource_metadata: str | None = None,
) -> str:
    """``WWW-Authenticate`` value per RFC 6750 §3 (no error code when no token was sent),
    naming the protected resource's metadata (RFC 9728 §5.1) where there is one."""
    challenge = f'Bearer realm="{REALM}"'
    if resource_metadata:
        challenge += f', resource_metadata="{_quotable(resource_metadata)}"'
    if error:
        challenge += f', error="{error}"'
    if description:
        challenge += f', error_description="{_quotable(description)}"'
    return challenge


def _quotable(text: str) -> str:
    """``text`` made safe inside a quoted-string: no backslashes, quotes or line breaks."""
    return text.replace("\\", "").replace('"', "'").replace("\r", "").replace("\n", "")


FieldErrors = list[dict[str, str]]


def _field_error(error: Exception) -> FieldErrors:
    assert isinstance(error, FieldError)
    return [{"field": error.field, "message": error.message}]


def first_problem(errors: FieldErrors) -> str:
    """A 422's ``detail``: the first of its ``errors`` in words (``title: must not be
    blank``), for clients that show ``detail`` and nothing else."""
    if not errors:
        return "the request is not valid"
    return f"{errors[0]['field']}: {errors[0]['message']}"


def _no_headers(_error: Exception) -> dict[str, str]:
    return {}


def _no_field_errors(_error: Exception) -> FieldErrors | None:
    return None


@dataclass(frozen=True)
class ErrorRule:
    """How one error type is answered."""

    problem: ProblemType
    detail: str | Callable[[Exception], str]
    headers: Callable[[Exception], dict[str, str]] = _no_headers
    errors: Callable[[Exception], FieldErrors | None] = _no_field_errors


def _token_reason(error: Exception) -> str:
    assert isinstance(error, InvalidToken)
    return error.reason


def _invalid_token_challenge(error: Exception) -> dict[str, str]:
    return {"WWW-Authenticate": bearer_challenge("invalid_token", _token_reason(error))}


def _retry_after_keys(error: Exception) -> dict[str, str]:
    assert isinstance(error, IdentityProviderUnavailable)
    return {"Retry-After": str(error.retry_after_seconds)}


def _rate_limited_headers(error: Exception) -> dict[str, str]:
    assert isinstance(error, RateLimited)
    return rate_limit_headers(error.decision)


def _rate_limited_detail(error: Exception) -> str:
    assert isinstance(error, RateLimited)
    decision = error.decision
    return (
        f"at most {decision.limit} requests a minute per user (RATE_LIMIT_PER_USER);"
        f" retry in {rate_limit_headers(decision)['Retry-After']} s"
    )


def _current_etag(error: Exception) -> dict[str, str]:
    """A 412 names the version the task is at, so the client knows how far behind it is."""
    assert isinstance(error, VersionMismatch)
    if error.current_version is None:
        return {}
    return {"ETag": etag_of_version(error.current_version)}


def _quota_detail(error: Exception) -> str:
    assert isinstance(error, TaskQuotaExceeded)
    return (
        f"you have reached the limit of {error.limit:,} tasks per user"
        " (MAX_TASKS_PER_USER); delete some to add more"
    )


ERRORS: dict[type[Exception], ErrorRule] = {
    FieldError: ErrorRule(
        VALIDATION, lambda error: first_problem(_field_error(error)), errors=_field_error
    ),
    MissingCredentials: ErrorRule(
        UNAUTHORIZED,
        "send the user's token as 'Authorization: Bearer <token>'",
        headers=lambda _: {"WWW-Authenticate": bearer_challenge()},
    ),
    InvalidToken: ErrorRule(UNAUTHORIZED, _token_reason, headers=_invalid_token_challenge),
    # A 503, not a 401: the token may be fine, and a 401 tells a frontend to sign out.
    IdentityProviderUnavailable: ErrorRule(
        UNAVAILABLE,
        "the sign-in service's keys cannot be fetched right now, so the token could not be"
        " checked; retry shortly (you are still signed in)",
        headers=_retry_after_keys,
    ),
    AccessDenied: ErrorRule(FORBIDDEN, lambda error: str(error) or "this is not your resource"),
    TaskNotFound: ErrorRule(NOT_FOUND, "no such task"),
    VersionMismatch: ErrorRule(
        PRECONDITION_FAILED,
        "the task has changed since you read it (If-Match does not match its ETag)",
        headers=_current_etag,
    ),
    ConcurrentUpdate: ErrorRule(CONFLICT, "the task kept changing; read it and retry"),
    StorageUnavailable: ErrorRule(
        UNAVAILABLE,
        "the database is unavailable; retry shortly",
        headers=lambda _: {"Retry-After": "2"},
    ),
    SchemaNotReady: ErrorRule(UNAVAILABLE, str, headers=lambda _: {"Retry-After": "30"}),
    MalformedHeader: ErrorRule(MALFORMED, str),
    IdempotencyKeyReused: ErrorRule(
        IDEMPOTENCY_KEY_REUSED,
        str,
        errors=lambda error: [{"field": "Idempotency-Key", "message": str(error)}],
    ),
    CreatedTaskDeleted: ErrorRule(
        CREATED_TASK_DELETED,
        "the task this Idempotency-Key created has since been deleted; nothing was created"
        " (send a new key to create it again)",
    ),
    TaskQuotaExceeded: ErrorRule(TASK_QUOTA_EXCEEDED, _quota_detail),
    RateLimited: ErrorRule(TOO_MANY_REQUESTS, _rate_limited_detail, headers=_rate_limited_headers),
}


def problem_body(
    problem: ProblemType,
    detail: str | None,
    *,
    instance: str | None = None,
    request_id: str | None = None,
    errors: FieldErrors | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    return body


def request_id_of(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def problem_response(
    request: Request,
    problem: ProblemType,
    detail: str | None = None,
    *,
    errors: FieldErrors | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        problem,
        detail,
        instance=request.url.path,
        request_id=request_id_of(request),
        errors=errors,
    )
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=PROBLEM_JSON)


async def error_response(request: Request, error: Exception) -> JSONResponse:
    """The problem response ``ERRORS`` gives for ``error`` (its type or a base of it)."""
    rule = next(ERRORS[kind] for kind in type(error).__mro__ if kind in ERRORS)
    if isinstance(error, SchemaNotReady):
        logger.error("%s", error)
    elif isinstance(error, StorageUnavailable):  # the JWKS key set logs its own failures
        logger.warning("database unavailable: %s", type(error.__cause__ or error).__name__)
    return problem_response(
        request,
        rule.problem,
        rule.detail if isinstance(rule.detail, str) else rule.detail(error),
        errors=rule.errors(error),
        headers=rule.headers(error) or None,
    )


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _on_request_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    for item in error.errors():
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error")
            detail = "the request body is not valid JSON" + (f": {reason}" if reason else "")
            return problem_response(request, MALFORMED, detail)
    errors = [
        {
            "field": _field_of(tuple(item.get("loc", ()))),
            "message": plain_message(item),
        }
        for item in error.errors()
    ]
    return problem_response(request, VALIDATION, first_problem(errors), errors=errors)


async def _on_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    generic = ProblemType(phrase.lower().replace(" ", "-"), status, phrase)
    problem = _BY_STATUS.get(status, generic)
    detail = error.detail if isinstance(error.detail, str) and error.detail != phrase else None
    headers = dict(error.headers or {})
    if status == 404:
        location = _without_trailing_slash(request)
        if location is not None:
            return Response(status_code=307, headers={"Location": location})
        detail = "no such route"
    if status == 405:
        # Starlette's Allow names the first matching route's methods only (GET for
        # /api/tasks, hiding POST); RFC 9110 §15.5.6 wants every method the path supports.
        allowed = ", ".join(_allowed_methods(request))
        headers = {name: value for name, value in headers.items() if name.lower() != "allow"}
        headers["Allow"] = allowed
        detail = f"{request.method} is not supported here; use {allowed}"
    return problem_response(request, problem, detail or phrase, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _without_trailing_slash(request: Request) -> str | None:
    """Where ``/api/tasks/`` is served (``/api/tasks``, same query), as a path of this
    origin: the app's own redirect (Starlette's ``redirect_slashes``, turned off) would
    build an absolute URL from the ``Host`` header. None when no route serves it."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    if not raw_path.endswith(b"/") or raw_path == b"/":
        return None
    path = request.url.path.rstrip("/")
    candidate = {**request.scope, "path": path}
    if not any(
        route.matches(candidate)[0] is not Match.NONE for route in request.app.router.routes
    ):
        return None
    query = request.url.query
    return raw_path.rstrip(b"/").decode("latin-1") + (f"?{query}" if query else "")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app fully matches for this request's path (asked
    through ``BaseRoute.matches``, which also sees into included routers)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": route_method})[0] is Match.FULL
            for route in routes
            # HeadMiddleware (head.py) answers HEAD wherever a GET route is.
            for route_method in ({method, "GET"} if method == "HEAD" else {method})
        )
    ]


def install_problem_handlers(app: FastAPI) -> None:
    """Unexpected exceptions are turned into 500 problems by ``RequestContextMiddleware``,
    which also logs them with the request id."""
    for error_type in ERRORS:
        app.add_exception_handler(error_type, error_response)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)


def documented_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems a route can answer."""
    return {
        status: {
            "model": Problem,
            "description": _DOCUMENTED[_BY_STATUS[status]],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
