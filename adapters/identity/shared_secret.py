"""HS256 tokens signed with ``BETTER_AUTH_SECRET`` (frontends that sign their own tokens)."""

from __future__ import annotations

import time
from typing import Any

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from adapters.identity.claims import (
    check_issued_at,
    check_token_size,
    decode_options,
    identity_from_claims,
)
from application.errors import InvalidToken
from application.ports import Identity

ALGORITHM = "HS256"
MIN_SECRET_LENGTH = 32


class WeakSecret(ValueError):
    """The shared secret is too short to resist brute force."""


def check_secret(secret: str) -> str:
    if len(secret.strip()) < MIN_SECRET_LENGTH:
        raise WeakSecret(f"BETTER_AUTH_SECRET must be at least {MIN_SECRET_LENGTH} characters")
    return secret


class SharedSecretVerifier:
    """Accepts HS256 only: the algorithm list is fixed, never read from the token."""

    def __init__(
        self, secret: str, *, issuer: str | None = None, audience: str | None = None
    ) -> None:
        self._secret = check_secret(secret)
        self._issuer = issuer
        self._audience = audience

    async def verify(self, token: str) -> Identity:
        check_token_size(token)
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options=decode_options(issuer=self._issuer, audience=self._audience),
            )
        except ExpiredSignatureError as error:
            raise InvalidToken("the access token has expired") from error
        except JWTClaimsError as error:
            raise InvalidToken("the access token's claims are not acceptable") from error
        except (JWTError, ValueError, TypeError, KeyError) as error:
            raise InvalidToken("the access token is invalid") from error
        check_issued_at(claims, now=time.time())
        return identity_from_claims(claims)


class SharedSecretMinter:
    """Mints HS256 tokens that ``SharedSecretVerifier`` accepts (``todo-admin token mint``)."""

    def __init__(
        self, secret: str, *, issuer: str | None = None, audience: str | None = None
    ) -> None:
        self._secret = check_secret(secret)
        self._issuer = issuer
        self._audience = audience

    def mint(self, user_id: str, ttl_seconds: int) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"sub": user_id, "iat": now, "exp": now + ttl_seconds}
        if self._issuer:
            claims["iss"] = self._issuer
        if self._audience:
            claims["aud"] = self._audience
        return str(jwt.encode(claims, self._secret, algorithm=ALGORITHM))
