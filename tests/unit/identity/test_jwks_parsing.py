"""Which JWKS keys are usable, and with which single algorithm each."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapters.identity.jwks import (
    JwksUnavailable,
    allowed_algorithm,
    parse_key_set,
    verification_key,
)
from tests.unit.identity.signing import ALGORITHMS, SigningKey, b64url, cached_key


def document(*keys: dict[str, Any]) -> bytes:
    return json.dumps({"keys": list(keys)}).encode()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_supported_key_type_gets_exactly_its_algorithm(algorithm: str) -> None:
    jwk = cached_key(algorithm, "k").public_jwk()
    assert allowed_algorithm(jwk) == algorithm
    without_alg = {name: value for name, value in jwk.items() if name != "alg"}
    assert allowed_algorithm(without_alg) == algorithm  # inferred from kty/crv


@pytest.mark.parametrize(
    ("algorithm", "declared"),
    [
        ("RS256", "PS256"),  # python-jose has no RSA-PSS
        ("RS256", "RS512"),
        ("RS256", "HS256"),
        ("ES256", "ES512"),
        ("ES512", "ES256"),
        ("EdDSA", "ES256"),
        ("EdDSA", "none"),
    ],
)
def test_a_declared_alg_that_disagrees_with_the_key_makes_it_unusable(
    algorithm: str, declared: str
) -> None:
    assert allowed_algorithm(cached_key(algorithm, "k").public_jwk(alg=declared)) is None


@pytest.mark.parametrize("use", ["enc", "", "SIG"])
def test_keys_not_for_signatures_are_unusable(use: str) -> None:
    assert allowed_algorithm(cached_key("EdDSA", "k").public_jwk(use=use)) is None


def test_a_key_without_use_is_fine() -> None:
    assert allowed_algorithm(cached_key("EdDSA", "k").public_jwk(use=None)) == "EdDSA"


def test_unsupported_types_and_curves_are_unusable() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
    unusable = [
        {"kty": "oct", "k": b64url(b"secret" * 8)},
        {"kty": "OKP", "crv": "Ed448", "x": b64url(b"\x01" * 57)},
        {"kty": "OKP", "crv": "X25519", "x": b64url(b"\x01" * 32)},
        {
            "kty": "EC",
            "crv": "P-384",
            "x": b64url(p384.x.to_bytes(48)),
            "y": b64url(p384.y.to_bytes(48)),
        },
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"},
        {"kty": "RSA"},
        {},
    ]
    for jwk in unusable:
        assert allowed_algorithm(jwk) is None, jwk


def test_rsa_keys_under_2048_bits_are_unusable() -> None:
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    weak = SigningKey("weak", "RS256", weak_key)
    assert allowed_algorithm(weak.public_jwk()) is None


def test_keys_with_private_material_are_ignored() -> None:
    ed_jwk = cached_key("EdDSA", "k").public_jwk(d=b64url(b"\x02" * 32))
    rsa_jwk = cached_key("RS256", "k").public_jwk(d="AQAB", p="AQAB")
    assert verification_key(ed_jwk) is None
    assert verification_key(rsa_jwk) is None


@pytest.mark.parametrize("kid", [None, "", 7])
def test_keys_without_a_string_kid_are_ignored(kid: object) -> None:
    assert verification_key(cached_key("EdDSA", "k").public_jwk(kid=kid)) is None


def test_a_point_off_the_curve_is_ignored() -> None:
    jwk = cached_key("ES256", "k").public_jwk()
    jwk["y"] = jwk["x"]
    assert verification_key(jwk) is None


def test_the_key_set_keeps_usable_keys_by_kid() -> None:
    good = [cached_key(algorithm, f"kid-{algorithm}") for algorithm in ALGORITHMS]
    body = document(
        *(key.public_jwk() for key in good),
        cached_key("EdDSA", "enc").public_jwk(use="enc"),
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        "not a key",  # type: ignore[arg-type]
    )
    keys = parse_key_set(body)
    assert sorted(keys) == sorted(key.kid for key in good)
    assert {keys[key.kid].algorithm for key in good} == set(ALGORITHMS)


def test_a_repeated_kid_cannot_replace_the_first_key() -> None:
    first = cached_key("EdDSA", "same")
    second = cached_key("ES256", "same")
    keys = parse_key_set(document(first.public_jwk(), second.public_jwk()))
    assert keys["same"].algorithm == "EdDSA"


def test_an_empty_key_set_is_a_valid_answer() -> None:
    assert parse_key_set(document()) == {}


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"\xff\xfe", b"[]", b'{"keys": {}}', b'{"no_keys": []}', b"null"]
)
def test_a_response_that_is_not_a_key_set_is_an_error(body: bytes) -> None:
    with pytest.raises(JwksUnavailable):
        parse_key_set(body)
