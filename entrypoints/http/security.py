"""Bearer authentication as a FastAPI dependency."""

from __future__ import annotations

from fastapi import Request

from application.ports import Identity
from entrypoints.http.dependencies import Verifier
from entrypoints.http.problems import MissingCredentials


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>`` (RFC 6750 §2.1); OpenAPI declares the
    scheme (openapi.py). Every failure gets our problem response and challenge."""
    header = request.headers.get("authorization")
    if header is None:
        raise MissingCredentials
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingCredentials
    return token.strip()


async def current_identity(request: Request, verifier: Verifier) -> Identity:
    identity = await verifier.verify(bearer_token(request))
    request.state.user_id = identity.user_id
    return identity
