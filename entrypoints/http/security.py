"""Bearer authentication as a FastAPI dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from application.errors import AccessDenied
from application.ports import Identity, RateLimiter, TokenVerifier
from entrypoints.http.problems import MissingCredentials
from entrypoints.http.rate_limit import admit


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


async def authenticate(
    request: Request, verifier: TokenVerifier, limiter: RateLimiter | None
) -> Identity:
    """The verified caller (for the access log too), whose request is then counted against
    their rate limit: the same for ``/api`` and ``/mcp``."""
    identity = await verifier.verify(bearer_token(request))
    request.state.user_id = identity.user_id
    await admit(request.scope, limiter, identity.user_id)
    return identity


async def current_identity(request: Request) -> Identity:
    # The verifier and the limiter straight from the app's container, not as two more
    # dependencies: on every request, each dependency FastAPI solves costs more CPU than
    # the two singletons' lookups.
    container = request.app.state.container
    return await authenticate(request, container.token_verifier(), container.rate_limiter())


CurrentUser = Annotated[Identity, Depends(current_identity)]


async def check_path_owner(user_id: str, identity: CurrentUser) -> None:
    """The compatibility routes name the user in the path; it must be the caller (a
    router-level dependency of ``/api/{user_id}/…``)."""
    if user_id != identity.user_id:
        raise AccessDenied("the path names another user than the token's subject")
