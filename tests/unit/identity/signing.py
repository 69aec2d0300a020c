"""Test-only token factory: real keys for every algorithm, signed with ``cryptography``
directly (independent of the code under test), serialized as compact JWS by hand."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://auth.example.test"
AUDIENCE = "https://auth.example.test"
ALGORITHMS = ("EdDSA", "ES256", "ES512", "RS256")

_EC_CURVES: dict[str, tuple[ec.EllipticCurve, str, int, hashes.HashAlgorithm]] = {
    # algorithm: (curve, JWK crv, coordinate size in bytes, hash)
    "ES256": (ec.SECP256R1(), "P-256", 32, hashes.SHA256()),
    "ES512": (ec.SECP521R1(), "P-521", 66, hashes.SHA512()),
}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_json(value: object) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


@dataclass(frozen=True)
class SigningKey:
    """A private key as the identity provider holds it, with the kid it publishes."""

    kid: str
    algorithm: str
    private_key: Any

    def public_jwk(self, **overrides: Any) -> dict[str, Any]:
        jwk = {**_public_members(self.algorithm, self.private_key), "kid": self.kid}
        jwk.update({"alg": self.algorithm, "use": "sig"})
        jwk.update(overrides)
        return {name: value for name, value in jwk.items() if value is not None}

    def sign_input(self, signing_input: bytes) -> bytes:
        return _sign(self.algorithm, self.private_key, signing_input)

    def token(self, claims: dict[str, Any], **header: Any) -> str:
        """A compact JWS; ``header`` entries override alg/kid (``None`` removes one)."""
        full_header = {"alg": self.algorithm, "kid": self.kid, **header}
        return signed_token(
            {name: value for name, value in full_header.items() if value is not None},
            claims,
            self.sign_input,
        )


def signed_token(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    return signed_raw_token(header, json.dumps(claims, separators=(",", ":")), sign)


def signed_raw_token(header: dict[str, Any], payload: str, sign: Any) -> str:
    """A compact JWS whose payload is ``payload`` exactly (JSON or not: ``Infinity``, …)."""
    signing_input = f"{b64url_json(header)}.{b64url(payload.encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def unsigned_token(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64url_json(header)}.{b64url_json(claims)}."


def hmac_token(secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    return signed_token(
        header, claims, lambda data: hmac.new(secret, data, hashlib.sha256).digest()
    )


def new_key(algorithm: str, kid: str) -> SigningKey:
    """A fresh key every call (RSA generation costs ~0.1 s: prefer ``cached_key``)."""
    return SigningKey(kid=kid, algorithm=algorithm, private_key=_generate(algorithm))


@functools.cache
def cached_key(algorithm: str, kid: str) -> SigningKey:
    return new_key(algorithm, kid)


def claims(
    *,
    sub: Any = "user-1",
    issuer: str | None = ISSUER,
    audience: Any = AUDIENCE,
    lifetime: int = 900,
    **extra: Any,
) -> dict[str, Any]:
    """Claims like Better Auth's jwt() plugin puts in (``None`` leaves one out)."""
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": sub,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        **extra,
    }
    return {name: value for name, value in values.items() if value is not None}


def _generate(algorithm: str) -> Any:
    if algorithm == "EdDSA":
        return Ed25519PrivateKey.generate()
    if algorithm in _EC_CURVES:
        return ec.generate_private_key(_EC_CURVES[algorithm][0])
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(algorithm)


def _public_members(algorithm: str, private_key: Any) -> dict[str, Any]:
    public = private_key.public_key()
    if algorithm == "EdDSA":
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    if algorithm in _EC_CURVES:
        _, crv, size, _ = _EC_CURVES[algorithm]
        numbers = public.public_numbers()
        return {
            "kty": "EC",
            "crv": crv,
            "x": b64url(numbers.x.to_bytes(size, "big")),
            "y": b64url(numbers.y.to_bytes(size, "big")),
        }
    numbers = public.public_numbers()
    return {
        "kty": "RSA",
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }


def _sign(algorithm: str, private_key: Any, data: bytes) -> bytes:
    if algorithm == "EdDSA":
        return bytes(private_key.sign(data))
    if algorithm in _EC_CURVES:
        _, _, size, digest = _EC_CURVES[algorithm]
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(digest)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # JWS wants raw r || s
    return bytes(private_key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
