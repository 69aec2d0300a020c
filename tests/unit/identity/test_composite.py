"""Routing by the token header's ``alg``: each token meets only the verifier of its kind."""

from __future__ import annotations

import pytest

from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.unverified import UnverifiedToken
from application.errors import InvalidToken
from application.ports import Identity
from tests.unit.identity.signing import cached_key, claims, hmac_token, unsigned_token

SECRET = b"s" * 32


class RecordingVerifier:
    """Accepts everything and remembers what it saw."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.tokens: list[str] = []
        self.closed = False

    async def verify(self, token: UnverifiedToken) -> Identity:
        self.tokens.append(token.text)
        return Identity(user_id=self.user_id)

    async def aclose(self) -> None:
        self.closed = True


def composite(
    *, shared: RecordingVerifier | None, jwks: RecordingVerifier | None
) -> CompositeTokenVerifier:
    # The composite only calls verify/aclose, which the recorder provides.
    return CompositeTokenVerifier(shared_secret=shared, jwks=jwks)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "ES512", "RS256"])
async def test_asymmetric_tokens_go_to_the_jwks_verifier(algorithm: str) -> None:
    shared, jwks = RecordingVerifier("shared"), RecordingVerifier("jwks")
    token = cached_key(algorithm, "k").token(claims())
    assert (await composite(shared=shared, jwks=jwks).verify(token)).user_id == "jwks"
    assert shared.tokens == []


async def test_hs256_tokens_go_to_the_shared_secret_verifier() -> None:
    shared, jwks = RecordingVerifier("shared"), RecordingVerifier("jwks")
    token = hmac_token(SECRET, {"alg": "HS256"}, claims())
    assert (await composite(shared=shared, jwks=jwks).verify(token)).user_id == "shared"
    assert jwks.tokens == []


async def test_a_mode_that_is_not_configured_rejects_its_tokens() -> None:
    only_jwks = composite(shared=None, jwks=RecordingVerifier("jwks"))
    only_shared = composite(shared=RecordingVerifier("shared"), jwks=None)
    with pytest.raises(InvalidToken, match="algorithm is not accepted"):
        await only_jwks.verify(hmac_token(SECRET, {"alg": "HS256"}, claims()))
    with pytest.raises(InvalidToken, match="algorithm is not accepted"):
        await only_shared.verify(cached_key("EdDSA", "k").token(claims()))


@pytest.mark.parametrize(
    "token",
    [
        unsigned_token({"alg": "none"}, claims()),
        unsigned_token({"alg": "None"}, claims()),
        unsigned_token({"alg": "NONE"}, claims()),
        unsigned_token({}, claims()),
        hmac_token(SECRET, {"alg": "HS384"}, claims()),
        hmac_token(SECRET, {"alg": "HS512"}, claims()),
        hmac_token(SECRET, {"alg": "hs256"}, claims()),
        cached_key("EdDSA", "k").token(claims(), alg="PS256"),
        cached_key("EdDSA", "k").token(claims(), alg="RS384"),
        cached_key("EdDSA", "k").token(claims(), alg={"alg": "HS256"}),
    ],
)
async def test_any_other_algorithm_is_rejected(token: str) -> None:
    shared, jwks = RecordingVerifier("shared"), RecordingVerifier("jwks")
    with pytest.raises(InvalidToken, match="algorithm is not accepted"):
        await composite(shared=shared, jwks=jwks).verify(token)
    assert shared.tokens == jwks.tokens == []


@pytest.mark.parametrize("token", ["", "x" * 9000, "abc", "a.b.c", "ä.b.c"])
async def test_malformed_tokens_are_rejected_before_routing(token: str) -> None:
    jwks = RecordingVerifier("jwks")
    with pytest.raises(InvalidToken, match="malformed"):
        await composite(shared=None, jwks=jwks).verify(token)
    assert jwks.tokens == []


async def test_aclose_closes_the_jwks_verifier() -> None:
    jwks = RecordingVerifier("jwks")
    await composite(shared=None, jwks=jwks).aclose()
    assert jwks.closed
    await composite(shared=RecordingVerifier("shared"), jwks=None).aclose()


def test_at_least_one_verifier_is_needed() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CompositeTokenVerifier()
