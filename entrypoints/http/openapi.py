"""OpenAPI tweaks: problem+json for every error, including the framework's own; request
bodies whose ``required`` list alone says what may be left out (ADR 0024).

Operation ids are given where routes are registered (``operation_id=``), camelCase
verb and noun (``listTasks``), the compatibility shape's prefixed (``compatListTasks``,
routers/compat.py); tests/e2e/test_operation_ids.py pins the list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from entrypoints.http.problems import PROBLEM_JSON, documented_errors
from entrypoints.http.query_models import query_models

# The bearer scheme is declared here rather than as a FastAPI security dependency: the
# token is read by ``current_identity`` anyway, and a dependency would parse it twice.
BEARER_SCHEME = "HTTPBearer"
BEARER_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "The user's JWT from Better Auth (or an HS256 token from "
    "`todo-admin token mint`).",
}

# What the request bounds (request_bounds.py, middleware.py) answer on any operation, before
# it is routed: an unreadable request (e.g. an invalid Content-Length) 400, a declared body
# over the limit 413, too many or too long header fields 431.
_REFUSED_BEFORE_ROUTING = (400, 413, 431)


def _responses(*statuses: int) -> dict[str, dict[str, Any]]:
    """The schema's entries for these problems, fresh for each operation."""
    return {
        str(status): {"description": response["description"], "content": response["content"]}
        for status, response in documented_errors(*statuses).items()
    }


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})[BEARER_SCHEME] = BEARER_SECURITY_SCHEME
        _publish_query_models(app, schema)
        for path, path_item in schema.get("paths", {}).items():
            for operation in path_item.values():
                for status, response in _responses(*_REFUSED_BEFORE_ROUTING).items():
                    operation["responses"].setdefault(status, response)
                if "requestBody" in operation:
                    # StrictRoute (strict.py) refuses bodies not declared JSON.
                    operation["responses"].update(_responses(415))
                _problem_responses_only(operation.get("responses", {}))
                if path.startswith("/api/"):
                    operation["security"] = [{BEARER_SCHEME: []}]
        schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
        schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
        _defaults_in_words(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _publish_query_models(app: FastAPI, schema: dict[str, Any]) -> None:
    """Each query model's fields as its operations' query parameters, after their path
    and query parameters (where FastAPI puts its own), and the schemas they refer to."""
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for model in query_models(route.dependant):
            parameters, schemas = model.published()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
            for method in route.methods or ():
                operation = schema["paths"][route.path_format][method.lower()]
                declared = operation.setdefault("parameters", [])
                at = sum(1 for parameter in declared if parameter["in"] in ("path", "query"))
                declared[at:at] = parameters


def _problem_responses_only(responses: dict[str, Any]) -> None:
    """Error responses are problem+json only (FastAPI also lists application/json)."""
    for code, response in responses.items():
        if not code.isdigit() or int(code) < 400:
            continue
        content = response.get("content", {})
        schema = {"$ref": "#/components/schemas/Problem"}
        response["content"] = {PROBLEM_JSON: content.get(PROBLEM_JSON, {"schema": schema})}
        if code == "422":
            response["description"] = documented_errors(422)[422]["description"]


def _defaults_in_words(document: dict[str, Any]) -> None:
    """The default of a request body's optional field is said in its description, not as
    a ``default`` keyword: generators read that keyword as "always present" (so does
    openapi-typescript at its default options), which is true of a response and makes a
    request field the server fills in one the client must send."""
    for schema in _request_body_schemas(document):
        for field in schema.get("properties", {}).values():
            if "default" in field:
                default = json.dumps(field.pop("default"), ensure_ascii=False)
                said = f"Default: `{default}`."
                described = field.get("description", "").rstrip()
                if described and not described.endswith("."):
                    described += "."
                field["description"] = f"{described} {said}".lstrip()


def _request_body_schemas(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every schema object a request body is made of: its own, and those it refers to."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    pending: list[Any] = [
        media["schema"]
        for path_item in document.get("paths", {}).values()
        for operation in path_item.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        if "schema" in media
    ]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
                name = reference.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    pending.append(components[name])
            if "properties" in node:
                yield node
            pending.extend(value for key, value in node.items() if key != "$ref")
