"""A bearer token as it arrives, read once before any key is touched: its size and shape
checked, its JOSE header parsed. Nothing in it is trusted yet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jose import jwt
from jose.exceptions import JWTError

from application.errors import InvalidToken

# Better Auth's tokens carry the user's profile and are a few hundred bytes; 8 KiB is far
# beyond any honest token and keeps parsing cost bounded.
MAX_TOKEN_BYTES = 8192


@dataclass(frozen=True)
class UnverifiedToken:
    """A compact JWS that passed ``read_token``; its header only chooses the algorithm and key."""

    text: str
    header: Mapping[str, Any]


def read_token(text: str) -> UnverifiedToken:
    """Refuses as malformed anything that is not a compact JWS of at most ``MAX_TOKEN_BYTES``
    ASCII characters with a JSON object for its header. The size goes first: nothing larger
    is parsed."""
    if not text or len(text) > MAX_TOKEN_BYTES:
        raise InvalidToken("the access token is malformed")
    if text.count(".") != 2 or not text.isascii():
        raise InvalidToken("the access token is malformed")
    try:
        header = jwt.get_unverified_header(text)
    except (JWTError, ValueError, TypeError) as error:
        raise InvalidToken("the access token is malformed") from error
    if not isinstance(header, dict):
        raise InvalidToken("the access token is malformed")
    return UnverifiedToken(text=text, header=header)
