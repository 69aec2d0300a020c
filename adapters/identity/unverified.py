"""A bearer token as it arrives, read once before any key is touched: its size, its encoding
and its shape checked, its JOSE header and claims parsed. Nothing in it is trusted yet.

These rules hold for every token, whichever mode then verifies it, so they live here, once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.identity.canonical import NotCanonical, decode_canonical
from application.errors import InvalidToken

# Better Auth's tokens carry the user's profile and are a few hundred bytes; 8 KiB is far
# beyond any honest token and keeps parsing cost bounded.
MAX_TOKEN_BYTES = 8192
# RFC 7519 NumericDate claims. Beyond year 9999 no date library can represent them, and
# jose turns them into ints and datetimes: a bound keeps every accepted value ordinary.
TIME_CLAIMS = ("exp", "nbf", "iat")
LATEST_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True)
class UnverifiedToken:
    """A compact JWS that passed ``read_token``; its header only chooses the algorithm and
    key, and its claims are not to be believed before the signature is checked."""

    text: str
    header: Mapping[str, Any]
    claims: Mapping[str, Any]


def read_token(text: str) -> UnverifiedToken:
    """Refuses as malformed anything that is not a compact JWS of at most ``MAX_TOKEN_BYTES``
    ASCII characters, in canonical base64url, with JSON objects for header and claims. The
    size goes first: nothing larger is parsed. A ``crit`` header (extensions we would have
    to understand, RFC 7515 §4.1.11) and time claims that are not plain dates are refused."""
    if not text or len(text) > MAX_TOKEN_BYTES:
        raise InvalidToken("the access token is malformed")
    if text.count(".") != 2 or not text.isascii():
        raise InvalidToken("the access token is malformed")
    header_segment, claims_segment, signature_segment = text.split(".")
    try:
        header_bytes = decode_canonical(header_segment)
        claims_bytes = decode_canonical(claims_segment)
        decode_canonical(signature_segment)
    except NotCanonical as error:
        raise InvalidToken("the access token is malformed") from error
    header, claims = _json_object(header_bytes), _json_object(claims_bytes)
    if "crit" in header:
        raise InvalidToken("the access token uses unsupported header extensions")
    check_time_claims(claims)
    return UnverifiedToken(text=text, header=header, claims=claims)


def check_time_claims(claims: Mapping[str, Any]) -> None:
    """``exp``, ``nbf`` and ``iat``, where present, are finite numbers of seconds between
    the epoch and year 9999 (not booleans, strings, ``Infinity``, ``NaN`` or 10⁴⁰⁰)."""
    for name in TIME_CLAIMS:
        if name in claims and not _is_numeric_date(claims[name]):
            raise InvalidToken("the access token's claims are not acceptable")


def _is_numeric_date(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return 0 <= value <= LATEST_NUMERIC_DATE


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # RecursionError: nesting too deep
        raise InvalidToken("the access token is malformed") from error
    if not isinstance(value, dict):
        raise InvalidToken("the access token is malformed")
    return value


def _refuse_constant(name: str) -> object:
    # json accepts NaN, Infinity and -Infinity, which JSON (RFC 8259) does not have.
    raise ValueError(f"{name} is not JSON")
