"""A query string read in one validation (entrypoints/http/query_models.py): the same
parameters in the schema, and the same 422s, as FastAPI's own query parameters give."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from entrypoints.http.list_query import ListParameters
from entrypoints.http.query_models import QueryModel, query_models
from entrypoints.http.strict import StrictRoute, query_parameters


class Page(BaseModel):
    limit: int = Field(10, ge=1, le=50, description="How many")
    q: str | None = Field(None, max_length=5)


PAGE = QueryModel(Page)


def request_for(query: bytes) -> Request:
    return Request({"type": "http", "query_string": query, "headers": []})


async def test_the_query_string_is_validated_as_the_model() -> None:
    assert await PAGE(request_for(b"limit=7&q=abc")) == Page(limit=7, q="abc")
    assert await PAGE(request_for(b"")) == Page()


async def test_each_parameter_at_fault_is_named_in_the_query() -> None:
    with pytest.raises(RequestValidationError) as raised:
        await PAGE(request_for(b"limit=0&q=toolong"))
    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [
        (("query", "limit"), "greater_than_equal"),
        (("query", "q"), "string_too_long"),
    ]


def test_its_fields_are_the_operations_parameters() -> None:
    async def read(page: Annotated[Page, Depends(PAGE)]) -> None: ...

    route = StrictRoute("/", read)
    assert query_models(route.dependant) == [PAGE]
    assert query_parameters(route.dependant) == {"limit", "q"}


def test_they_are_published_as_fastapi_publishes_a_query_model() -> None:
    declared = FastAPI()

    @declared.get("/")
    async def read(page: Annotated[Page, Query()]) -> None: ...

    schema = get_openapi(title="", version="", routes=declared.routes)
    parameters, _ = PAGE.published()
    assert parameters == schema["paths"]["/"]["get"]["parameters"]
    assert [parameter["name"] for parameter in parameters] == ["limit", "q"]


def test_the_list_operation_publishes_every_list_parameter() -> None:
    parameters, schemas = QueryModel(ListParameters).published()
    assert [parameter["name"] for parameter in parameters] == list(ListParameters.model_fields)
    assert {"StatusFilter", "SortField", "SortOrder"} <= set(schemas)
    assert "HTTPValidationError" not in schemas
