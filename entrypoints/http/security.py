"""Bearer authentication as a FastAPI dependency."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from application.ports import Identity, TokenVerifier
from entrypoints.http.problems import MissingCredentials

# Declared for OpenAPI's security scheme; the header itself is parsed below so that every
# failure gets our problem response and WWW-Authenticate challenge.
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="The user's JWT from Better Auth (or an HS256 token from `todo-admin token mint`).",
)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise MissingCredentials
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingCredentials
    return token.strip()


@inject
async def current_identity(
    request: Request,
    _credentials: object = Depends(bearer_scheme),
    verifier: TokenVerifier = Depends(Provide["token_verifier"]),
) -> Identity:
    identity = await verifier.verify(bearer_token(request))
    request.state.user_id = identity.user_id
    return identity
