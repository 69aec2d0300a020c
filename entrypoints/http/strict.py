"""Requests are read strictly: what is ambiguous or unexpected is refused, not guessed at.

* A JSON body with a repeated member name (``{"title": "a", "title": "b"}``) is 400: which
  one wins differs between parsers, so a proxy that checked the first and this service that
  kept the last would disagree (RFC 8259 §4; I-JSON, RFC 7493, forbids duplicates).
* A body that is not declared JSON (``Content-Type: text/plain``, a form, none at all) is
  415.
* A query parameter the operation does not define, or one given twice, is 422 naming it: a
  typo (``?stauts=done``) is not silently ignored, and parameter pollution has no say.

FastAPI's documented extension point for this is a custom ``APIRoute``: routers opt in with
``route_class=StrictRoute``. The compatibility shape's ``CompatRoute`` (lenient.py) is this
route reading its query in the Phase II spec family's words, ignoring what it does not define.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from entrypoints.http.query_models import QueryModel


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        name = next(name for name, count in Counter(n for n, _ in pairs).items() if count > 1)
        raise ValueError(f"duplicate member {name!r}")
    return document


# One decoder for every body: ``json.loads`` with a hook builds a new one on each call.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates)


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                # What json.loads does with bytes: UTF-8, -16 or -32, told by the first bytes.
                text = body.decode(json.detect_encoding(body), "surrogatepass")
                self._json = _DECODER.decode(text)
            except ValueError as error:
                if isinstance(error, json.JSONDecodeError):
                    raise
                # FastAPI answers a JSONDecodeError as invalid JSON (our 400).
                raise json.JSONDecodeError(str(error), body.decode("utf-8", "replace"), 0) from None
        return self._json


def query_parameters(dependant: Dependant) -> frozenset[str]:
    """The query parameters an operation defines, its dependencies' and query models'
    included."""
    names = {parameter.alias for parameter in dependant.query_params}
    if isinstance(dependant.call, QueryModel):
        names |= dependant.call.names
    for dependency in dependant.dependencies:
        names |= query_parameters(dependency)
    return frozenset(names)


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


class StrictRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parameters = query_parameters(self.dependant)
        takes_body = self.body_field is not None

        async def strict_handler(request: Request) -> Response:
            query = request.query_params
            if query:
                errors = [
                    {
                        "type": "extra_forbidden",
                        "loc": ("query", name),
                        "msg": "is not a parameter of this operation"
                        if name not in parameters
                        else "must be given at most once",
                        "input": None,
                    }
                    for name, count in Counter(key for key, _ in query.multi_items()).items()
                    if name not in parameters or count > 1
                ]
                if errors:
                    raise RequestValidationError(errors)
            if takes_body:
                headers = request.headers
                content_type = headers.get("content-type")
                if content_type is None:
                    has_body = headers.get("content-length", "0") != "0" or (
                        "transfer-encoding" in headers
                    )
                    if has_body:
                        raise HTTPException(415, "send the body as application/json")
                elif not _is_json(content_type):
                    raise HTTPException(415, "send the body as application/json")
                request = _StrictJsonRequest(request.scope, request.receive)
            return await handler(request)

        return strict_handler
