"""Rules every accepted token obeys, whoever signed it: a valid signature, then its claims."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from adapters.identity.unverified import UnverifiedToken
from application.errors import InvalidToken
from application.ports import Identity
from domain.errors import InvalidTaskField
from domain.task import check_user_id

# Clock skew tolerated on exp, nbf and iat (and on the maximum lifetime).
LEEWAY_SECONDS = 30
# JWT_MAX_LIFETIME's default: Better Auth issues 15 minutes, shared-secret setups commonly
# 7 days, `todo-admin token mint` at most 30 days. A ten-year token is a stolen credential
# that never stops working.
DEFAULT_MAX_LIFETIME_SECONDS = 30 * 24 * 3600


def verified_identity(
    token: UnverifiedToken,
    key: object,
    *,
    algorithm: str,
    issuer: str | None,
    audience: str | None,
    max_lifetime: float = DEFAULT_MAX_LIFETIME_SECONDS,
) -> Identity:
    """The identity ``token`` carries once its signature (by ``key``, with ``algorithm`` only)
    and its claims check out, and its ``exp`` is at most ``max_lifetime`` seconds away;
    otherwise ``InvalidToken`` saying which of them failed. ``read_token`` has already
    checked the time claims' shapes, so jose only ever meets plain numbers there."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token.text,
            key,
            algorithms=[algorithm],  # a list: jose tests ``alg in algorithms``
            issuer=issuer,
            audience=audience,
            options=_decode_options(issuer=issuer, audience=audience),
        )
    except ExpiredSignatureError as error:
        raise InvalidToken("the access token has expired") from error
    except JWTClaimsError as error:
        raise InvalidToken("the access token's claims are not acceptable") from error
    except (JWTError, ValueError, TypeError, KeyError, ArithmeticError) as error:
        # ArithmeticError: jose's int() of a time claim; unreachable after read_token's
        # checks, kept so that no claim can ever be a 500.
        raise InvalidToken("the access token is invalid") from error
    now = time.time()
    check_issued_at(claims, now=now)
    identity = _identity_from_claims(claims)
    check_lifetime(identity, now=now, max_lifetime=max_lifetime)
    return identity


def check_lifetime(identity: Identity, *, now: float, max_lifetime: float) -> None:
    """Refuses a token that expires further away than ``max_lifetime`` (JWT_MAX_LIFETIME)."""
    if (
        identity.expires_at is not None
        and identity.expires_at > now + max_lifetime + LEEWAY_SECONDS
    ):
        raise InvalidToken("the access token's lifetime is too long")


def check_issued_at(claims: Mapping[str, Any], *, now: float) -> None:
    """jose only checks that ``iat`` is an integer; a token from the future is refused here."""
    issued_at = claims.get("iat")
    if issued_at is None:
        return
    if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
        raise InvalidToken("the access token's claims are not acceptable")
    if issued_at > now + LEEWAY_SECONDS:
        raise InvalidToken("the access token's claims are not acceptable")


def _decode_options(*, issuer: str | None, audience: str | None) -> dict[str, Any]:
    """python-jose options: exp and sub required, iss/aud checked when configured."""
    return {
        "require_exp": True,
        "require_sub": True,
        "verify_exp": True,
        "verify_nbf": True,
        "verify_iat": True,
        "verify_iss": issuer is not None,
        "verify_aud": audience is not None,
        "require_iss": issuer is not None,
        "require_aud": audience is not None,
        "leeway": LEEWAY_SECONDS,
    }


def _identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise InvalidToken("the access token has no subject")
    try:
        user_id = check_user_id(subject)
    except InvalidTaskField as error:
        raise InvalidToken("the access token's subject is not a valid user id") from error
    expires_at = claims.get("exp")
    if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
        raise InvalidToken("the access token has no valid expiry")
    return Identity(user_id=user_id, expires_at=float(expires_at))
