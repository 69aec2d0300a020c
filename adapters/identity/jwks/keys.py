"""Which keys of a published JWKS may verify tokens, and each one's single algorithm."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jose import jwk
from jose.exceptions import JWKError

from adapters.identity import eddsa

logger = logging.getLogger(__name__)

# jose's key registry is process-wide; EdDSA must be known before any key is constructed.
eddsa.register()

# What Better Auth can sign with and python-jose can verify. PS256 is missing on purpose:
# python-jose 3.5 has no RSA-PSS (its RSA keys only do PKCS#1 v1.5).
JWKS_ALGORITHMS = frozenset({"EdDSA", "ES256", "ES512", "RS256"})

MIN_RSA_MODULUS_BITS = 2048
# Members that only private or symmetric keys have: a JWKS publishing them is compromised.
SECRET_KEY_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class JwksUnavailable(Exception):
    """The key set could not be fetched or is not a key set (never shown to clients)."""


@dataclass(frozen=True)
class VerificationKey:
    """A public key from the JWKS and the one algorithm it may verify."""

    kid: str
    algorithm: str
    key: Any  # a jose Key


def parse_key_set(body: bytes) -> dict[str, VerificationKey]:
    """The usable keys of a JWKS document, by kid. Unusable keys are skipped, not fatal."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise JwksUnavailable("the JWKS response is not JSON") from error
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailable("the JWKS response has no keys list")
    keys: dict[str, VerificationKey] = {}
    for entry in document["keys"]:
        key = verification_key(entry)
        if key is not None:
            keys.setdefault(key.kid, key)  # a repeated kid cannot replace the first key
    return keys


def verification_key(entry: object) -> VerificationKey | None:
    if not isinstance(entry, dict):
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        return None  # tokens name their key by kid; a key without one can never be chosen
    algorithm = allowed_algorithm(entry)
    if algorithm is None:
        logger.info("ignoring JWKS key %r: unsupported type, curve, algorithm or use", kid)
        return None
    if SECRET_KEY_MEMBERS & entry.keys():
        logger.warning("ignoring JWKS key %r: it carries private key material", kid)
        return None
    try:
        key = jwk.construct(entry, algorithm)
    except (JWKError, ValueError, TypeError, KeyError):
        logger.info("ignoring JWKS key %r: not a valid public key", kid)
        return None
    return VerificationKey(kid=kid, algorithm=algorithm, key=key)


def allowed_algorithm(entry: Mapping[str, Any]) -> str | None:
    """The single algorithm a key may verify, from its type and curve; ``None`` when unusable.

    A declared ``alg`` must agree, ``use`` (if any) must be "sig", and RSA moduli must have at
    least 2048 bits. HS* is never possible: symmetric (``oct``) keys are not accepted.
    """
    if entry.get("use", "sig") != "sig":
        return None
    kty, crv = entry.get("kty"), entry.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        algorithm = "EdDSA"
    elif kty == "EC" and crv == "P-256":
        algorithm = "ES256"
    elif kty == "EC" and crv == "P-521":
        algorithm = "ES512"
    elif kty == "RSA" and _rsa_modulus_bits(entry) >= MIN_RSA_MODULUS_BITS:
        algorithm = "RS256"
    else:
        return None
    declared = entry.get("alg")
    if declared is not None and declared != algorithm:
        return None
    return algorithm


def _rsa_modulus_bits(entry: Mapping[str, Any]) -> int:
    modulus = entry.get("n")
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except (binascii.Error, ValueError):
        return 0
    return int.from_bytes(raw, "big").bit_length()
