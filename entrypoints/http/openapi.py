"""OpenAPI tweaks: problem+json for every error, including the framework's own."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from entrypoints.http.problems import PROBLEM_JSON


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
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                _problem_responses_only(operation.get("responses", {}))
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
            response["description"] = "Validation error; `errors` lists each field"
