"""Query strings read in one validation: a ``QueryModel`` dependency validates the whole
query string as one pydantic model, and the schema publishes the model's fields as the
operation's query parameters, exactly as FastAPI publishes a query parameter model.

Why not FastAPI's own parameters: it resolves each declared query parameter on its own,
on every request (several microseconds each, its query parameter models included); the
list operation has eleven, which cost more CPU than the rest of its request parsing
(docs/performance.md). One ``model_validate`` does the same checks, with the same
messages, in a fraction of that.
"""

from typing import Annotated, Any, Generic, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)

# FastAPI's components for its own validation errors: our 422 is a problem (openapi.py).
_FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


class QueryModel(Generic[Model]):
    """A dependency giving the request's query string as ``model`` (a 422 naming each
    parameter at fault, as FastAPI's would); the model's fields are the operation's query
    parameters, for ``StrictRoute`` and the schema alike. A name given twice never reaches
    it: StrictRoute refuses it first."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.names = frozenset(field.alias or name for name, field in model.model_fields.items())
        self._published: tuple[list[dict[str, Any]], dict[str, Any]] | None = None

    async def __call__(self, request: Request) -> Model:
        try:
            return self.model.model_validate(request.query_params)
        except ValidationError as error:
            raise RequestValidationError(
                [
                    {**detail, "loc": ("query", *detail["loc"])}
                    for detail in error.errors(include_url=False)
                ]
            ) from None

    def published(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The OpenAPI parameters of the model's fields, and the component schemas they
        refer to: what FastAPI writes for the model declared as ``Query()``."""
        if self._published is None:
            scratch = FastAPI()

            async def operation(query: Annotated[self.model, Query()]) -> None:  # type: ignore[name-defined]
                """Only read for its schema."""

            scratch.add_api_route("/", operation, methods=["GET"])
            schema = get_openapi(title="", version="", routes=scratch.routes)
            schemas = dict(schema.get("components", {}).get("schemas", {}))
            for name in _FRAMEWORK_SCHEMAS:
                schemas.pop(name, None)
            self._published = (schema["paths"]["/"]["get"]["parameters"], schemas)
        return self._published


def query_models(dependant: Dependant) -> list[QueryModel[Any]]:
    """The query models an operation's dependencies read, its own included."""
    found = [dependant.call] if isinstance(dependant.call, QueryModel) else []
    for dependency in dependant.dependencies:
        found.extend(query_models(dependency))
    return found
