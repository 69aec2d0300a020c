"""How the compatibility shape (``/api/{user_id}/tasks``) reads what frontends written for
the "Phase II" spec send: in our words, and without refusing what it does not know.

* The vocabulary below, the one table of the spec family's names for ours: query parameter
  names and values here, body field names by rule (the camelCase spelling of each of our
  fields, ``dueDate`` for ``due_date``; the lenient body models in schemas.py apply it).
* Both spellings of one name count once when they carry the same value; with different
  values the request is ambiguous and refused (422 naming both), as a repeated JSON member
  is (strict.py).
* Query parameters the operation does not define are ignored (``?url_user_id=…``,
  ``?_=123``); parameters it defines are read as strictly as on ``/api/tasks`` (one value
  each, checked values). Unknown body fields are ignored by the lenient body models.

Leniency never reaches identity: the owner comes from the token, the path's user must be
it (``check_path_owner``), and a body's ``user_id`` or ``id`` is not a field anyone sets.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic.alias_generators import to_camel

from entrypoints.http.strict import StrictRoute, query_parameters

# Their query parameter → ours.
PARAMETER_NAMES = {"search": "q", "sort_by": "sort", "sort_order": "order"}
# Per parameter of ours: their value → ours.
PARAMETER_VALUES = {
    "sort": {"created_at": "created", "updated_at": "updated"},
    "status": {"incomplete": "pending"},
}

Value = TypeVar("Value")


class Ambiguous(ValueError):
    """Both spellings of one name, with different values."""

    def __init__(self, theirs: str, ours: str) -> None:
        super().__init__(f"names the same thing as {ours}, with another value: send one of them")
        self.theirs = theirs


@cache
def camel_case_names(fields: tuple[str, ...]) -> dict[str, str]:
    """The camelCase spelling of each of these field names that has one → the name."""
    return {to_camel(name): name for name in fields if to_camel(name) != name}


def in_our_words(
    items: Iterable[tuple[str, Value]], aliases: Mapping[str, str]
) -> list[tuple[str, Value]]:
    """``items`` with their names in our words; both spellings of a name with one value
    count once, with two values they raise ``Ambiguous``. Our own names pass as they are
    (a name repeated in our words is for the strict reading to refuse)."""
    items = list(items)
    given: dict[str, tuple[str, Value]] = {
        name: (name, value) for name, value in items if name not in aliases
    }
    words: list[tuple[str, Value]] = []
    for name, value in items:
        ours = aliases.get(name)
        if ours is None:
            words.append((name, value))
            continue
        if ours in given:
            if given[ours][1] != value:
                raise Ambiguous(name, given[ours][0])
            continue
        given[ours] = (name, value)
        words.append((ours, value))
    return words


def _our_query(query: list[tuple[str, str]], parameters: frozenset[str]) -> list[tuple[str, str]]:
    """The operation's own parameters, in our words and values; the rest dropped."""
    known = []
    for name, value in query:
        ours = PARAMETER_NAMES.get(name, name)
        if ours in parameters:
            known.append((name, PARAMETER_VALUES.get(ours, {}).get(value, value)))
    try:
        return in_our_words(known, PARAMETER_NAMES)
    except Ambiguous as error:
        item = {"type": "value_error", "loc": ("query", error.theirs), "msg": str(error)}
        raise RequestValidationError([{**item, "input": None}]) from None


def vocabulary_note(parameters: frozenset[str]) -> str | None:
    """What an operation with these query parameters also accepts here (for /docs)."""
    names = [
        f"`{theirs}` for `{ours}`" for theirs, ours in PARAMETER_NAMES.items() if ours in parameters
    ]
    values = [
        f"`{name}={theirs}` for `{ours}`"
        for name, table in PARAMETER_VALUES.items()
        if name in parameters
        for theirs, ours in table.items()
    ]
    if not names and not values:
        return None
    return (
        f"Also accepted on this shape: {', '.join(names + values)}; other parameters are ignored."
    )


class CompatRoute(StrictRoute):
    """``StrictRoute`` for the compatibility shape: the query string is first put in our
    words and stripped of parameters the operation does not define."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        note = vocabulary_note(query_parameters(self.dependant))
        if note is not None:
            self.description = f"{self.description}\n\n{note}".strip()

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parameters = query_parameters(self.dependant)

        async def compat_handler(request: Request) -> Response:
            if request.query_params:
                query = _our_query(request.query_params.multi_items(), parameters)
                # The rest of the request, the Link header's next URL included, sees our words.
                scope = {**request.scope, "query_string": urlencode(query).encode("ascii")}
                request = Request(scope, request.receive)
            return await handler(request)

        return compat_handler
