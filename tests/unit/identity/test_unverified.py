"""Reading a token before any key is touched: size and shape first, then the JOSE header."""

from __future__ import annotations

import pytest

from adapters.identity.unverified import MAX_TOKEN_BYTES, read_token
from application.errors import InvalidToken
from tests.unit.identity.signing import b64url_json, cached_key, claims

HEADER = b64url_json({"alg": "EdDSA", "kid": "k"})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "not-a-token",
        "a.b",
        "a.b.c.d",
        "a.b.c",
        "é.é.é",
        "ä.b.c",
        "x" * 10_000 + ".y.z",
        f"{b64url_json(['alg', 'EdDSA'])}.e30.c2ln",
        "eyJhbGciOiJFZERTQSJ9\u00e9.e30.c2ln",
    ],
)
def test_what_is_not_a_small_compact_jws_is_malformed(text: str) -> None:
    with pytest.raises(InvalidToken, match="malformed"):
        read_token(text)


def test_the_size_limit_is_max_token_bytes() -> None:
    signing_input = f"{HEADER}.{b64url_json({'a': 1})}"
    length = MAX_TOKEN_BYTES - len(signing_input) - 1
    assert length % 4 != 1  # else it would not be base64 at all
    # "A" last: its unused low bits are zero, so the filler is canonical base64url.
    signature = "s" * (length - 1) + "A"
    largest = f"{signing_input}.{signature}"
    assert len(largest) == MAX_TOKEN_BYTES
    assert read_token(largest).text == largest
    with pytest.raises(InvalidToken, match="malformed"):
        read_token(largest + "s")


def test_the_header_is_read_and_nothing_is_verified() -> None:
    token = cached_key("EdDSA", "k").token(claims())
    forged = token.rsplit(".", 1)[0] + ".c2ln"
    assert read_token(forged).header == {"alg": "EdDSA", "kid": "k"}
    assert read_token(forged).text == forged
