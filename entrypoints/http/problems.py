"""The one mapping from errors to RFC 9457 ``application/problem+json`` responses."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from application.errors import (
    AccessDenied,
    ConcurrentUpdate,
    IdempotencyKeyReused,
    InvalidQuery,
    InvalidToken,
    StorageUnavailable,
    TaskNotFound,
    VersionMismatch,
)
from domain.errors import InvalidTaskField

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


VALIDATION = ProblemType("validation-error", 422, "Your request is not valid")
MALFORMED = ProblemType("malformed-request", 400, "The request could not be read")
CORS_REJECTED = ProblemType("cors-rejected", 400, "Cross-origin request not allowed")
UNAUTHORIZED = ProblemType("unauthorized", 401, "Authentication required")
FORBIDDEN = ProblemType("forbidden", 403, "Forbidden")
NOT_FOUND = ProblemType("not-found", 404, "Not Found")
CONFLICT = ProblemType("conflict", 409, "Conflict")
PRECONDITION_FAILED = ProblemType("precondition-failed", 412, "Precondition Failed")
IDEMPOTENCY_KEY_REUSED = ProblemType("idempotency-key-reused", 422, "Idempotency-Key reused")
TOO_LARGE = ProblemType("payload-too-large", 413, "Content Too Large")
UNAVAILABLE = ProblemType("service-unavailable", 503, "Service Unavailable")
INTERNAL = ProblemType("internal-error", 500, "Internal Server Error")


def request_id_of(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def problem_response(
    request: Request,
    problem: ProblemType,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    status: int | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.title,
        "status": status or problem.status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = request_id_of(request)
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status or problem.status, headers=headers, media_type=PROBLEM_JSON
    )


def bearer_challenge(error: str | None = None, description: str | None = None) -> str:
    """``WWW-Authenticate`` value per RFC 6750 §3 (no error code when no token was sent)."""
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    if description:
        safe = description.replace("\\", "").replace('"', "'")
        challenge += f', error_description="{safe}"'
    return challenge


class MissingCredentials(Exception):
    """No bearer token in the request."""


class MalformedHeader(ValueError):
    """A request header we rely on (If-Match, Idempotency-Key) is not well-formed."""


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_errors(error: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for item in error.errors():
        message = str(item.get("msg", "is not valid"))
        message = message.removeprefix("Value error, ")
        errors.append({"field": _field_of(tuple(item.get("loc", ()))), "message": message})
    return errors


async def _on_request_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    for item in error.errors():
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error")
            detail = "the request body is not valid JSON" + (f": {reason}" if reason else "")
            return problem_response(request, MALFORMED, detail)
    return problem_response(
        request, VALIDATION, "see errors for what to fix", errors=_validation_errors(error)
    )


async def _on_invalid_field(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidTaskField | InvalidQuery)
    errors = [{"field": error.field, "message": error.message}]
    return problem_response(request, VALIDATION, "see errors for what to fix", errors=errors)


async def _on_missing_credentials(request: Request, error: Exception) -> JSONResponse:
    return problem_response(
        request,
        UNAUTHORIZED,
        "send the user's token as 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": bearer_challenge()},
    )


async def _on_invalid_token(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidToken)
    challenge = bearer_challenge("invalid_token", error.reason)
    return problem_response(
        request, UNAUTHORIZED, error.reason, headers={"WWW-Authenticate": challenge}
    )


async def _on_access_denied(request: Request, error: Exception) -> JSONResponse:
    return problem_response(request, FORBIDDEN, str(error) or "this is not your resource")


async def _on_not_found(request: Request, error: Exception) -> JSONResponse:
    return problem_response(request, NOT_FOUND, "no such task")


async def _on_version_mismatch(request: Request, error: Exception) -> JSONResponse:
    return problem_response(
        request,
        PRECONDITION_FAILED,
        "the task has changed since you read it (If-Match does not match its ETag)",
    )


async def _on_concurrent_update(request: Request, error: Exception) -> JSONResponse:
    return problem_response(request, CONFLICT, "the task kept changing; read it and retry")


async def _on_storage_unavailable(request: Request, error: Exception) -> JSONResponse:
    logger.warning("database unavailable: %s", type(error.__cause__ or error).__name__)
    return problem_response(
        request,
        UNAVAILABLE,
        "the database is unavailable; retry shortly",
        headers={"Retry-After": "2"},
    )


async def _on_malformed_header(request: Request, error: Exception) -> JSONResponse:
    return problem_response(request, MALFORMED, str(error))


async def _on_idempotency_key_reused(request: Request, error: Exception) -> JSONResponse:
    errors = [{"field": "Idempotency-Key", "message": str(error)}]
    return problem_response(request, IDEMPOTENCY_KEY_REUSED, str(error), errors=errors)


async def _on_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    known = {p.status: p for p in (MALFORMED, NOT_FOUND, TOO_LARGE, UNAVAILABLE)}
    problem = known.get(status, ProblemType(phrase.lower().replace(" ", "-"), status, phrase))
    detail = error.detail if isinstance(error.detail, str) and error.detail != phrase else None
    headers = dict(error.headers or {})
    if status == 404:
        detail = "no such route"
    if status == 405:
        # Starlette's Allow names the first matching route's methods only (GET for
        # /api/tasks, hiding POST); RFC 9110 §15.5.6 wants every method the path supports.
        allowed = ", ".join(_allowed_methods(request))
        headers = {name: value for name, value in headers.items() if name.lower() != "allow"}
        headers["Allow"] = allowed
        detail = f"{request.method} is not supported here; use {allowed}"
    return problem_response(request, problem, detail or phrase, headers=headers, status=status)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app fully matches for this request's path (asked
    through ``BaseRoute.matches``, which also sees into included routers)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_problem_handlers(app: FastAPI) -> None:
    """Unexpected exceptions are turned into 500 problems by ``RequestContextMiddleware``,
    which also logs them with the request id."""
    handlers = {
        RequestValidationError: _on_request_validation,
        InvalidTaskField: _on_invalid_field,
        InvalidQuery: _on_invalid_field,
        MissingCredentials: _on_missing_credentials,
        InvalidToken: _on_invalid_token,
        AccessDenied: _on_access_denied,
        TaskNotFound: _on_not_found,
        VersionMismatch: _on_version_mismatch,
        ConcurrentUpdate: _on_concurrent_update,
        StorageUnavailable: _on_storage_unavailable,
        MalformedHeader: _on_malformed_header,
        IdempotencyKeyReused: _on_idempotency_key_reused,
        StarletteHTTPException: _on_http_exception,
    }
    for error_type, handler in handlers.items():
        app.add_exception_handler(error_type, handler)


def documented_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems a route can answer."""
    from entrypoints.http.schemas import Problem

    descriptions = {
        400: "Malformed request (e.g. invalid JSON)",
        401: "Missing, invalid or expired bearer token",
        403: "The path names another user",
        404: "No such task (or it belongs to another user)",
        409: "The task kept changing; retry",
        412: "If-Match does not match the task's current ETag",
        413: "Body larger than 64 KiB",
        415: "Body not sent as application/json",
        422: "Validation error; `errors` lists each field",
        503: "Database unavailable; retry after a moment",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
