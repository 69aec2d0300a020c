"""The HS256 shared-secret verifier (on a read token) and minter."""

from __future__ import annotations

import time

import pytest
from jose import jwt

from adapters.identity.shared_secret import (
    SharedSecretMinter,
    SharedSecretVerifier,
    WeakSecret,
)
from adapters.identity.unverified import read_token
from application.errors import InvalidToken
from application.ports import Identity

SECRET = "a-shared-secret-of-at-least-32-characters!"


def sign(claims: dict[str, object], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return str(jwt.encode(claims, secret, algorithm=algorithm))


def now() -> int:
    return int(time.time())


async def verify(token: str, verifier: SharedSecretVerifier | None = None) -> Identity:
    return await (verifier or SharedSecretVerifier(SECRET)).verify(read_token(token))


async def test_minted_token_is_accepted() -> None:
    token = SharedSecretMinter(SECRET).mint("alice", 60)
    assert (await verify(token)).user_id == "alice"


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
        await verify(sign(claims))


async def test_issued_in_the_future_is_refused_beyond_leeway() -> None:
    ok = sign({"sub": "alice", "exp": now() + 600, "iat": now() + 10})
    assert (await verify(ok)).user_id == "alice"
    with pytest.raises(InvalidToken):
        await verify(sign({"sub": "alice", "exp": now() + 600, "iat": now() + 300}))


async def test_not_before_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidToken):
        await verify(sign({"sub": "alice", "exp": now() + 600, "nbf": now() + 300}))


async def test_other_secret_and_other_algorithms_are_refused() -> None:
    claims = {"sub": "alice", "exp": now() + 600}
    with pytest.raises(InvalidToken):
        await verify(sign(claims, secret="another-secret-of-at-least-32-characters"))
    with pytest.raises(InvalidToken):
        await verify(sign(claims, algorithm="HS512"))


async def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = SharedSecretVerifier(SECRET, issuer="https://app", audience="https://app")
    good = SharedSecretMinter(SECRET, issuer="https://app", audience="https://app").mint("a", 60)
    assert (await verify(good, verifier)).user_id == "a"
    for claims in (
        {"sub": "a", "exp": now() + 60, "iss": "https://evil", "aud": "https://app"},
        {"sub": "a", "exp": now() + 60, "iss": "https://app", "aud": "https://evil"},
        {"sub": "a", "exp": now() + 60},
    ):
        with pytest.raises(InvalidToken):
            await verify(sign(claims), verifier)


@pytest.mark.parametrize("secret", ["", "short", " " * 40, "x" * 31])
def test_weak_secrets_are_refused(secret: str) -> None:
    with pytest.raises(WeakSecret):
        SharedSecretVerifier(secret)
    with pytest.raises(WeakSecret):
        SharedSecretMinter(secret)
