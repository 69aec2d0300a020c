"""The EdDSA key class plugged into python-jose through ``jwk.register_key``."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jose import jwk, jws, jwt
from jose.constants import ALGORITHMS
from jose.exceptions import JWKError, JWSError, JWTError

from adapters.identity import eddsa
from adapters.identity.eddsa import Ed25519Key
from tests.unit.identity.signing import b64url, claims, new_key

eddsa.register()
KEY = new_key("EdDSA", "ed-1")


def test_registration_makes_jose_know_eddsa() -> None:
    assert ALGORITHMS.KEYS["EdDSA"] is Ed25519Key
    assert "EdDSA" in ALGORITHMS.SUPPORTED
    assert isinstance(jwk.construct(KEY.public_jwk(), "EdDSA"), Ed25519Key)


def test_registering_twice_is_harmless() -> None:
    eddsa.register()
    eddsa.register()
    assert ALGORITHMS.KEYS["EdDSA"] is Ed25519Key


def test_jose_decodes_with_a_jwk_dict() -> None:
    token = KEY.token(claims())
    decoded = jwt.decode(token, KEY.public_jwk(), algorithms=["EdDSA"], audience=claims()["aud"])
    assert decoded["sub"] == "user-1"


def test_jose_decodes_with_a_constructed_key_and_a_cryptography_key() -> None:
    token = KEY.token(claims(audience=None))
    from_object = Ed25519Key(KEY.private_key.public_key(), "EdDSA")
    assert jwt.decode(token, from_object, algorithms=["EdDSA"])["sub"] == "user-1"
    assert jwt.decode(token, Ed25519Key(KEY.public_jwk(), "EdDSA"), algorithms=["EdDSA"])


def test_a_signature_by_another_key_fails() -> None:
    token = new_key("EdDSA", "ed-1").token(claims(audience=None))
    with pytest.raises(JWTError):
        jwt.decode(token, KEY.public_jwk(), algorithms=["EdDSA"])


def test_a_tampered_message_fails() -> None:
    key = Ed25519Key(KEY.public_jwk(), "EdDSA")
    signature = KEY.sign_input(b"message")
    assert key.verify(b"message", signature)
    assert not key.verify(b"messagE", signature)
    assert not key.verify(b"message", signature[:-1])


def test_eddsa_must_be_in_the_callers_allow_list() -> None:
    token = KEY.token(claims(audience=None))
    with pytest.raises(JWTError):
        jwt.decode(token, KEY.public_jwk(), algorithms=["ES256"])


def test_it_never_signs() -> None:
    key = Ed25519Key(KEY.public_jwk(), "EdDSA")
    with pytest.raises(JWKError):
        key.sign(b"message")
    with pytest.raises(JWSError):
        jws.sign({"sub": "x"}, key, algorithm="EdDSA")


@pytest.mark.parametrize(
    "bad_jwk",
    [
        {"kty": "EC", "crv": "Ed25519", "x": KEY.public_jwk()["x"]},
        {"kty": "OKP", "crv": "Ed448", "x": KEY.public_jwk()["x"]},
        {"kty": "OKP", "crv": "X25519", "x": KEY.public_jwk()["x"]},
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": 42},
        {"kty": "OKP", "crv": "Ed25519", "x": b64url(b"\x01" * 31)},
        {"kty": "OKP", "crv": "Ed25519", "x": b64url(b"\x01" * 33)},
        {"kty": "OKP", "crv": "Ed25519", "x": "not*base64url!"},
    ],
)
def test_malformed_jwks_are_refused(bad_jwk: dict[str, object]) -> None:
    with pytest.raises(JWKError):
        Ed25519Key(bad_jwk, "EdDSA")


@pytest.mark.parametrize(
    "bad_key", ["-----BEGIN PUBLIC KEY-----", b"raw bytes", Ed25519PrivateKey.generate(), None]
)
def test_other_key_material_is_refused(bad_key: object) -> None:
    with pytest.raises(JWKError):
        Ed25519Key(bad_key, "EdDSA")


@pytest.mark.parametrize("algorithm", ["HS256", "ES256", "none", "Ed25519"])
def test_the_key_serves_eddsa_only(algorithm: str) -> None:
    with pytest.raises(JWKError):
        Ed25519Key(KEY.public_jwk(), algorithm)
