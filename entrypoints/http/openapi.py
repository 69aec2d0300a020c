"""OpenAPI tweaks: problem+json for every error, including the framework's own."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from entrypoints.http.problems import PROBLEM_JSON, documented_errors

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
        for path, path_item in schema.get("paths", {}).items():
            for operation in path_item.values():
                if "requestBody" in operation:
                    # StrictRoute (strict.py) refuses bodies not declared JSON.
                    responses = documented_errors(415)
                    operation["responses"]["415"] = {
                        "description": responses[415]["description"],
                        "content": responses[415]["content"],
                    }
                _problem_responses_only(operation.get("responses", {}))
                if path.startswith("/api/"):
                    operation["security"] = [{BEARER_SCHEME: []}]
        schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
        schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


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
