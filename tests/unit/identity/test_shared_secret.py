"""The HS256 shared-secret verifier and minter."""

from __future__ import annotations

import time

import pytest
from jose import jwt

from adapters.identity.shared_secret import (
    SharedSecretMinter,
    SharedSecretVerifier,
    WeakSecret,
)
from application.errors import InvalidToken

SECRET = "a-shared-secret-of-at-least-32-characters!"


def sign(claims: dict[str, object], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return str(jwt.encode(claims, secret, algorithm=algorithm))


def now() -> int:
    return int(time.time())


async def test_minted_token_is_accepted() -> None:
    token = SharedSecretMinter(SECRET).mint("alice", 60)
    assert (await SharedSecretVerifier(SECRET).verify(token)).user_id == "alice"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "alice"},  # no exp
        {"sub": "alice", "exp": 1},  # expired long ago
        {"exp": 4_000_000_000},  # no sub
        {"sub": "", "exp": 4_000_000_000},
        {"sub": "a\x00b", "exp": 4_000_000_000},
        {"sub": 42, "exp": 4_000_000_000},
    ],
)
async def test_claims_rules(claims: dict[str, object]) -> None:
    with pytest.raises(InvalidToken):
        await SharedSecretVerifier(SECRET).verify(sign(claims))


async def test_issued_in_the_future_is_refused_beyond_leeway() -> None:
    verifier = SharedSecretVerifier(SECRET)
    ok = sign({"sub": "alice", "exp": now() + 600, "iat": now() + 10})
    assert (await verifier.verify(ok)).user_id == "alice"
    with pytest.raises(InvalidToken):
        await verifier.verify(sign({"sub": "alice", "exp": now() + 600, "iat": now() + 300}))


async def test_not_before_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidToken):
        await SharedSecretVerifier(SECRET).verify(
            sign({"sub": "alice", "exp": now() + 600, "nbf": now() + 300})
        )


async def test_other_secret_and_other_algorithms_are_refused() -> None:
    verifier = SharedSecretVerifier(SECRET)
    claims = {"sub": "alice", "exp": now() + 600}
    with pytest.raises(InvalidToken):
        await verifier.verify(sign(claims, secret="another-secret-of-at-least-32-characters"))
    with pytest.raises(InvalidToken):
        await verifier.verify(sign(claims, algorithm="HS512"))


async def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = SharedSecretVerifier(SECRET, issuer="https://app", audience="https://app")
    good = SharedSecretMinter(SECRET, issuer="https://app", audience="https://app").mint("a", 60)
    assert (await verifier.verify(good)).user_id == "a"
    for claims in (
        {"sub": "a", "exp": now() + 60, "iss": "https://evil", "aud": "https://app"},
        {"sub": "a", "exp": now() + 60, "iss": "https://app", "aud": "https://evil"},
        {"sub": "a", "exp": now() + 60},
    ):
        with pytest.raises(InvalidToken):
            await verifier.verify(sign(claims))


@pytest.mark.parametrize("secret", ["", "short", " " * 40, "x" * 31])
def test_weak_secrets_are_refused(secret: str) -> None:
    with pytest.raises(WeakSecret):
        SharedSecretVerifier(secret)
    with pytest.raises(WeakSecret):
        SharedSecretMinter(secret)


async def test_oversized_and_malformed_tokens_are_refused() -> None:
    verifier = SharedSecretVerifier(SECRET)
    for token in ("", "abc", "a.b", "a.b.c.d", "é.é.é", "x" * 10_000 + ".y.z"):
        with pytest.raises(InvalidToken):
            await verifier.verify(token)
