"""The OpenAPI schema publishes the domain's text rules as patterns (schemas.py): they must
accept exactly what the domain accepts, or the fuzzer and clients are misled."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidTaskField
from domain.task import normalize_description, normalize_title
from entrypoints.http.schemas import DESCRIPTION_PATTERN, TITLE_PATTERN

# Characters where the rules have edges: every whitespace str.strip() removes, controls,
# the C1 range, letters, and a few astral ones.
EDGES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x7f\x85\x9f\xa0\u1680\u2000\u200a\u200b"
    "\u2028\u2029\u202f\u205f\u3000\ufeff\x00\x01"
)
text = st.text(
    alphabet=st.one_of(st.sampled_from(EDGES), st.characters(exclude_categories=("Cs",))),
    max_size=220,
)


def accepted(check: object, value: str) -> bool:
    try:
        check(value)  # type: ignore[operator]
    except InvalidTaskField:
        return False
    return True


@settings(max_examples=2000)
@given(text)
@example(" " * 5 + "a" * 200 + "\n")
@example("a" * 201)
@example("\u3000")
@example("a\tb")
def test_the_title_pattern_is_the_domain_rule(value: str) -> None:
    documented = re.fullmatch(TITLE_PATTERN, value) is not None and len(value) <= 800
    assert documented == accepted(normalize_title, value), repr(value)


@settings(max_examples=2000)
@given(st.one_of(text, st.text(max_size=1005)))
@example("a" * 1001)
@example("line\r\nbreak\ttab")
def test_the_description_pattern_is_the_domain_rule(value: str) -> None:
    documented = re.fullmatch(DESCRIPTION_PATTERN, value) is not None and len(value) <= 1000
    assert documented == accepted(normalize_description, value), repr(value)
