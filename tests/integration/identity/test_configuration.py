"""What the identity settings turn on, through the container's verifier and a loopback JWKS
server: where JWKS mode fetches its keys, and which ``iss`` and ``aud`` it accepts."""

from __future__ import annotations

import pytest

from application.errors import InvalidToken
from tests.integration.identity.jwks_server import JwksServer
from tests.unit.identity.signing import (
    ALGORITHMS,
    AUDIENCE,
    ISSUER,
    cached_key,
    claims,
    hmac_token,
)
from tests.unit.identity.wiring import IDENTITY_ENV, container_verifier

ED = cached_key("EdDSA", "kid-EdDSA")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in IDENTITY_ENV:
        monkeypatch.delenv(name, raising=False)


async def test_better_auth_url_gives_its_jwks_path_and_its_origin_as_iss_and_aud(
    jwks_server: JwksServer,
) -> None:
    origin = jwks_server.base_url
    async with container_verifier(better_auth_url=f"{origin}/") as verifier:
        for algorithm in ALGORITHMS:
            token = cached_key(algorithm, f"kid-{algorithm}").token(
                claims(issuer=origin, audience=origin)
            )
            assert (await verifier.verify(token)).user_id == "user-1"
        for other in (claims(issuer=ISSUER, audience=origin), claims(issuer=origin)):
            with pytest.raises(InvalidToken, match="claims are not acceptable"):
                await verifier.verify(ED.token(other))
    assert jwks_server.paths == ["/api/auth/jwks"]


async def test_both_modes_at_once(jwks_server: JwksServer) -> None:
    secret = "an-hs256-secret-of-enough-length-0123456789"
    origin = jwks_server.base_url
    async with container_verifier(better_auth_url=origin, better_auth_secret=secret) as verifier:
        jwks_token = ED.token(claims(issuer=origin, audience=origin))
        assert (await verifier.verify(jwks_token)).user_id == "user-1"
        hs256 = hmac_token(secret.encode(), {"alg": "HS256"}, claims(issuer=None, audience=None))
        assert (await verifier.verify(hs256)).user_id == "user-1"


async def test_explicit_settings_override_better_auths_defaults(jwks_server: JwksServer) -> None:
    async with container_verifier(
        better_auth_url="https://auth.example.com",  # never asked: JWT_JWKS_URL wins
        jwt_jwks_url=f"{jwks_server.base_url}/keys.json",
        jwt_issuer="https://issuer.example.com",
        jwt_audience="todo-api",
    ) as verifier:
        token = ED.token(claims(issuer="https://issuer.example.com", audience="todo-api"))
        assert (await verifier.verify(token)).user_id == "user-1"
        better_auths = claims(
            issuer="https://auth.example.com", audience="https://auth.example.com"
        )
        with pytest.raises(InvalidToken, match="claims are not acceptable"):
            await verifier.verify(ED.token(better_auths))
    assert jwks_server.paths == ["/keys.json"]


async def test_a_jwks_url_alone_with_issuer_and_audience_is_enough(
    jwks_server: JwksServer,
) -> None:
    async with container_verifier(
        jwt_jwks_url=jwks_server.jwks_url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE
    ) as verifier:
        assert (await verifier.verify(ED.token(claims()))).user_id == "user-1"
