"""``build_token_verifier``: which modes the settings turn on, Better Auth's defaults, and the
configurations that must refuse to start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import better_auth_endpoints
from adapters.identity.shared_secret import SharedSecretMinter
from entrypoints.container import ConfigurationError, build_token_verifier, close_token_verifier
from entrypoints.settings import Settings

SECRET = "a-long-enough-shared-secret-0123456789"
IDENTITY_ENV = (
    "BETTER_AUTH_SECRET",
    "BETTER_AUTH_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_JWKS_URL",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in IDENTITY_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def built() -> AsyncIterator[list[CompositeTokenVerifier]]:
    """Verifiers built by a test, closed afterwards."""
    verifiers: list[CompositeTokenVerifier] = []
    yield verifiers
    for verifier in verifiers:
        await close_token_verifier(verifier)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def build(built: list[CompositeTokenVerifier], **values: Any) -> CompositeTokenVerifier:
    verifier = build_token_verifier(settings(**values))
    built.append(verifier)
    return verifier


async def test_the_shared_secret_alone_enables_hs256(built: list[CompositeTokenVerifier]) -> None:
    verifier = build(built, better_auth_secret=SECRET)
    assert verifier.jwks is None
    token = SharedSecretMinter(SECRET).mint("user-7", ttl_seconds=60)
    assert (await verifier.verify(token)).user_id == "user-7"


async def test_better_auth_url_alone_enables_jwks_with_its_defaults(
    built: list[CompositeTokenVerifier],
) -> None:
    verifier = build(built, better_auth_url="https://auth.example.com/")
    assert verifier.shared_secret is None
    assert verifier.jwks is not None
    assert verifier.jwks.jwks_url == "https://auth.example.com/api/auth/jwks"
    assert verifier.jwks.issuer == verifier.jwks.audience == "https://auth.example.com"


async def test_both_modes_at_once(built: list[CompositeTokenVerifier]) -> None:
    verifier = build(built, better_auth_secret=SECRET, better_auth_url="http://localhost:3000")
    assert verifier.shared_secret is not None
    assert verifier.jwks is not None


async def test_explicit_settings_override_better_auths_defaults(
    built: list[CompositeTokenVerifier],
) -> None:
    verifier = build(
        built,
        better_auth_url="https://auth.example.com",
        jwt_jwks_url="https://keys.example.com/jwks.json",
        jwt_issuer="https://issuer.example.com",
        jwt_audience="todo-api",
    )
    assert verifier.jwks is not None
    assert verifier.jwks.jwks_url == "https://keys.example.com/jwks.json"
    assert verifier.jwks.issuer == "https://issuer.example.com"
    assert verifier.jwks.audience == "todo-api"


async def test_a_jwks_url_alone_with_issuer_and_audience_is_enough(
    built: list[CompositeTokenVerifier],
) -> None:
    verifier = build(
        built,
        jwt_jwks_url="https://keys.example.com/jwks",
        jwt_issuer="https://issuer.example.com",
        jwt_audience="todo-api",
    )
    assert verifier.jwks is not None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "no token verification configured"),
        ({"better_auth_secret": ""}, "no token verification configured"),
        ({"better_auth_secret": "   "}, "no token verification configured"),
        ({"better_auth_secret": "too-short"}, "at least 32"),
        ({"better_auth_secret": " " * 40}, "no token verification configured"),
        ({"better_auth_secret": "x" * 31, "better_auth_url": "http://a"}, "at least 32"),
        ({"better_auth_url": "ftp://auth.example.com"}, "http:// or https://"),
        ({"better_auth_url": "auth.example.com"}, "http:// or https://"),
        ({"better_auth_url": "file:///etc/jwks.json"}, "http:// or https://"),
        ({"better_auth_url": "http://host:notaport"}, "not a valid URL"),
        ({"better_auth_url": "https://a.example", "jwt_jwks_url": "file:///k"}, "http://"),
        ({"jwt_jwks_url": "https://keys.example.com/jwks"}, "needs JWT_ISSUER and JWT_AUDIENCE"),
        (
            {"jwt_jwks_url": "https://keys.example.com/jwks", "jwt_issuer": "https://i"},
            "needs JWT_ISSUER and JWT_AUDIENCE",
        ),
    ],
)
def test_configurations_that_could_accept_forged_tokens_refuse_to_start(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build_token_verifier(settings(**values))


@pytest.mark.parametrize(
    ("base_url", "origin", "jwks_url"),
    [
        ("http://localhost:3000", "http://localhost:3000", "http://localhost:3000/api/auth/jwks"),
        ("http://localhost:3000/", "http://localhost:3000", "http://localhost:3000/api/auth/jwks"),
        ("https://Auth.Example.com:443", "https://auth.example.com", None),
        ("http://auth.example.com:80/", "http://auth.example.com", None),
        ("https://a.example/api/auth", "https://a.example", "https://a.example/api/auth/jwks"),
        ("https://a.example/auth//", "https://a.example", "https://a.example/auth/jwks"),
        ("http://[::1]:3000", "http://[::1]:3000", "http://[::1]:3000/api/auth/jwks"),
        ("  https://a.example  ", "https://a.example", "https://a.example/api/auth/jwks"),
    ],
)
def test_better_auth_endpoints_follow_better_auths_own_url_rules(
    base_url: str, origin: str, jwks_url: str | None
) -> None:
    endpoints = better_auth_endpoints(base_url)
    assert endpoints.origin == origin
    assert endpoints.jwks_url == (jwks_url or f"{origin}/api/auth/jwks")


async def test_close_token_verifier_tolerates_verifiers_without_aclose() -> None:
    await close_token_verifier(object())


def test_jwks_timing_settings_have_safe_defaults() -> None:
    defaults = settings()
    assert defaults.jwks_fetch_timeout == 3.0
    assert defaults.jwks_refetch_interval == 30.0
    assert defaults.jwks_cache_ttl == 600.0
