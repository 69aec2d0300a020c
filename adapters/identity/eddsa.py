"""EdDSA (Ed25519) for python-jose, which has none: a verify-only key class, registered through
jose's own extension point so ``jwt.decode(token, jwk_dict_or_key, algorithms=["EdDSA"])`` works.

RFC 8037: an Ed25519 JWK is ``{"kty": "OKP", "crv": "Ed25519", "x": <base64url, 32 bytes>}``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jose import jwk
from jose.backends.base import Key
from jose.constants import ALGORITHMS
from jose.exceptions import JWKError

EDDSA = "EdDSA"
ED25519_PUBLIC_KEY_BYTES = 32


class Ed25519Key(Key):  # type: ignore[misc]  # jose ships no type hints
    """An Ed25519 public key that verifies EdDSA signatures. It never signs: this service only
    checks tokens, and the private key stays with the identity provider. Nor does it export
    itself (``to_dict``, ``to_pem``): verification never asks a key for that."""

    def __init__(self, key: object, algorithm: str) -> None:
        if algorithm != EDDSA:
            raise JWKError(f"an Ed25519 key is only for {EDDSA}, not {algorithm}")
        self._public_key = _load_public_key(key)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        try:
            self._public_key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True

    def sign(self, msg: bytes) -> bytes:
        raise JWKError("Ed25519Key only verifies; it holds no private key")


def register() -> None:
    """Teach jose the EdDSA algorithm. Idempotent; jose's registry is process-wide.

    ``register_key`` also adds "EdDSA" to ``ALGORITHMS.SUPPORTED``, the set ``jws.sign``
    checks; verification (``jws._verify_signature``) only looks at the caller's allow-list and
    builds keys through ``jwk.construct``, which consults ``ALGORITHMS.KEYS`` first.
    """
    if ALGORITHMS.KEYS.get(EDDSA) is not Ed25519Key:
        jwk.register_key(EDDSA, Ed25519Key)


def _load_public_key(key: object) -> Ed25519PublicKey:
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, Mapping):
        return _public_key_from_jwk(key)
    raise JWKError("expected an Ed25519 public key or an OKP/Ed25519 JWK")


def _public_key_from_jwk(jwk_dict: Mapping[str, Any]) -> Ed25519PublicKey:
    if jwk_dict.get("kty") != "OKP" or jwk_dict.get("crv") != "Ed25519":
        raise JWKError("expected a JWK with kty OKP and crv Ed25519")
    x = jwk_dict.get("x")
    if not isinstance(x, str):
        raise JWKError("the Ed25519 JWK has no x")
    raw = _base64url_decode(x)
    if len(raw) != ED25519_PUBLIC_KEY_BYTES:
        raise JWKError("the Ed25519 JWK's x is not 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def _base64url_decode(text: str) -> bytes:
    # jose's own decoder silently drops characters outside the alphabet; this one refuses them.
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as error:
        raise JWKError("the Ed25519 JWK's x is not base64url") from error
