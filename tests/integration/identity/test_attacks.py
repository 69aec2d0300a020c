"""RFC 8725's catalogue of JWT attacks, against the real verifier and a loopback JWKS server.
Every one must end in ``InvalidToken`` with a short reason that never echoes the token."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization

from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import JwksKeySet, JwksVerifier
from adapters.identity.shared_secret import SharedSecretVerifier
from application.errors import InvalidToken
from tests.integration.identity.jwks_server import JwksServer
from tests.unit.identity.signing import (
    ALGORITHMS,
    AUDIENCE,
    ISSUER,
    SigningKey,
    b64url_json,
    cached_key,
    claims,
    hmac_token,
    new_key,
    unsigned_token,
)

SHARED_SECRET = "the-service-shared-secret-0123456789abcdef"
ED = cached_key("EdDSA", "kid-EdDSA")
RSA = cached_key("RS256", "kid-RS256")


@pytest.fixture
def composite(key_set: JwksKeySet) -> CompositeTokenVerifier:
    """Both modes on: the configuration with the most ways in."""
    return CompositeTokenVerifier(
        shared_secret=SharedSecretVerifier(SHARED_SECRET, issuer=ISSUER, audience=AUDIENCE),
        jwks=JwksVerifier(key_set, issuer=ISSUER, audience=AUDIENCE),
    )


async def assert_rejected(verifier: CompositeTokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        await verifier.verify(token)
    reason = caught.value.reason
    assert len(reason) < 80
    assert len(token) < 8 or token not in reason  # (a one-letter "token" is in any sentence)
    return reason


def public_key_pem(key: SigningKey) -> bytes:
    return bytes(
        key.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def replace_payload(token: str, new_claims: dict[str, object]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{b64url_json(new_claims)}.{signature}"


# --- alg: none -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_unsigned_tokens_are_rejected(
    alg: str, composite: CompositeTokenVerifier, verifier: CompositeTokenVerifier
) -> None:
    token = unsigned_token({"alg": alg, "kid": ED.kid}, claims())
    await assert_rejected(composite, token)
    await assert_rejected(verifier, token)
    # Same with a signature that is not empty.
    await assert_rejected(composite, token + "c2lnbmF0dXJl")


# --- key confusion: HS256 with the public key as the HMAC secret -----------------------------


def public_key_secrets() -> list[tuple[str, bytes]]:
    raw_ed = base64.urlsafe_b64decode(ED.public_jwk()["x"] + "=")
    return [
        ("RSA public key PEM", public_key_pem(RSA)),
        ("Ed25519 public key PEM", public_key_pem(ED)),
        ("RSA public JWK JSON", json.dumps(RSA.public_jwk()).encode()),
        ("Ed25519 raw public key", raw_ed),
        ("Ed25519 x as text", ED.public_jwk()["x"].encode()),
    ]


@pytest.mark.parametrize(
    ("label", "secret"), public_key_secrets(), ids=[label for label, _ in public_key_secrets()]
)
async def test_hs256_signed_with_a_public_key_is_rejected(
    label: str, secret: bytes, composite: CompositeTokenVerifier, verifier: CompositeTokenVerifier
) -> None:
    for kid in (ED.kid, RSA.kid):
        token = hmac_token(secret, {"alg": "HS256", "kid": kid}, claims())
        await assert_rejected(verifier, token)  # JWKS mode alone never verifies HS*
        await assert_rejected(composite, token)  # routed to the shared secret, which differs


# --- forged signatures -----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_a_foreign_key_under_a_known_kid_is_rejected(
    algorithm: str, composite: CompositeTokenVerifier
) -> None:
    attacker = new_key(algorithm, f"kid-{algorithm}")
    reason = await assert_rejected(composite, attacker.token(claims()))
    assert reason == "the access token is invalid"


async def test_an_embedded_jwk_header_is_not_trusted(composite: CompositeTokenVerifier) -> None:
    attacker = new_key("EdDSA", ED.kid)
    token = attacker.token(claims(), jwk=attacker.public_jwk())
    await assert_rejected(composite, token)


async def test_a_jku_header_is_never_fetched(
    composite: CompositeTokenVerifier, jwks_server: JwksServer
) -> None:
    attacker = new_key("EdDSA", "attacker-kid")
    attacker_server = JwksServer(attacker).start()
    try:
        token = attacker.token(claims(), jku=attacker_server.jwks_url)
        await assert_rejected(composite, token)
        await assert_rejected(
            composite, attacker.token(claims(), kid=ED.kid, jku=attacker_server.jwks_url)
        )
    finally:
        attacker_server.stop()
    assert attacker_server.requests == 0
    assert jwks_server.requests == 1  # only our own endpoint was asked


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_a_tampered_payload_is_rejected(
    algorithm: str, composite: CompositeTokenVerifier
) -> None:
    token = cached_key(algorithm, f"kid-{algorithm}").token(claims(sub="alice"))
    assert (await composite.verify(token)).user_id == "alice"
    await assert_rejected(composite, replace_payload(token, claims(sub="bob")))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token.rsplit(".", 1)[0] + ".",
        lambda token: token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        lambda token: token + "AAAA",
        lambda token: token.rsplit(".", 1)[0] + "." + "!!!!",
    ],
    ids=["stripped", "altered", "extended", "not base64"],
)
async def test_a_mangled_signature_is_rejected(
    mangle: Callable[[str], str], composite: CompositeTokenVerifier
) -> None:
    for algorithm in ALGORITHMS:
        token = cached_key(algorithm, f"kid-{algorithm}").token(claims())
        await assert_rejected(composite, mangle(token))


async def test_a_key_used_with_another_algorithm_is_rejected(
    composite: CompositeTokenVerifier,
) -> None:
    # A real P-521 signature, but under the P-256 key's kid: each key has one algorithm.
    token = new_key("ES512", "kid-ES256").token(claims())
    assert "does not match" in await assert_rejected(composite, token)


# --- claims ----------------------------------------------------------------------------------


def now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("label", "make_claims"),
    [
        ("expired", lambda: claims(exp=now() - 120)),
        ("no exp", lambda: claims(exp=None)),
        ("not yet valid", lambda: claims(nbf=now() + 300)),
        ("issued in the future", lambda: claims(iat=now() + 300)),
        ("wrong issuer", lambda: claims(issuer="https://evil.example")),
        ("issuer with trailing slash", lambda: claims(issuer=ISSUER + "/")),
        ("no issuer", lambda: claims(issuer=None)),
        ("wrong audience", lambda: claims(audience="https://other-service.example")),
        ("no audience", lambda: claims(audience=None)),
        (
            "audience list without us",
            lambda: claims(audience=["https://a.example", "https://b.example"]),
        ),
        ("no subject", lambda: claims(sub=None)),
        ("empty subject", lambda: claims(sub="")),
        ("blank subject", lambda: claims(sub="   ")),
        ("numeric subject", lambda: claims(sub=42)),
        ("list subject", lambda: claims(sub=["user-1"])),
    ],
)
async def test_unacceptable_claims_are_rejected(
    label: str, make_claims: Callable[[], dict[str, object]], composite: CompositeTokenVerifier
) -> None:
    # Made when the test runs, not when it is collected: a token that is "not yet valid"
    # at collection is valid minutes later, and every token then expires (a right answer
    # for the wrong reason).
    for algorithm in ALGORITHMS:
        token = cached_key(algorithm, f"kid-{algorithm}").token(make_claims())
        await assert_rejected(composite, token)


async def test_expiry_is_reported_as_such(composite: CompositeTokenVerifier) -> None:
    reason = await assert_rejected(composite, ED.token(claims(exp=now() - 120)))
    assert reason == "the access token has expired"


async def test_clock_skew_within_the_leeway_is_tolerated(composite: CompositeTokenVerifier) -> None:
    skewed = claims(exp=now() - 10, nbf=now() + 10, iat=now() + 10)
    assert (await composite.verify(ED.token(skewed))).user_id == "user-1"


# --- size and shape --------------------------------------------------------------------------


async def test_an_oversized_token_is_rejected_without_any_fetch(
    composite: CompositeTokenVerifier, jwks_server: JwksServer
) -> None:
    token = ED.token(claims(padding="x" * 9000))
    assert "malformed" in await assert_rejected(composite, token)
    assert jwks_server.requests == 0


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a",
        "a.b",
        "a.b.c.d",
        "....",
        f"{b64url_json({'alg': 'EdDSA', 'kid': ED.kid})}.not-json.c2ln",
        f"{b64url_json(['alg', 'EdDSA'])}.{b64url_json({})}.c2ln",
        f"{b64url_json({'alg': 'EdDSA', 'kid': ED.kid})}.{b64url_json(['sub'])}.c2ln",
        "eyJhbGciOiJFZERTQSJ9\u00e9.e30.c2ln",
    ],
)
async def test_malformed_tokens_are_rejected(token: str, composite: CompositeTokenVerifier) -> None:
    await assert_rejected(composite, token)
