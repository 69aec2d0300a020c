"""``build_token_verifier``: which modes the settings turn on, Better Auth's defaults, and the
configurations that must refuse to start. Where JWKS mode fetches its keys from, and which
``iss``/``aud`` it expects, is in tests/integration/identity/test_configuration.py."""

from __future__ import annotations

import logging

import pytest

from adapters.identity.jwks import better_auth_endpoints
from adapters.identity.shared_secret import SharedSecretMinter
from application.errors import InvalidToken
from entrypoints.container import ConfigurationError, build_token_verifier, close_token_verifier
from tests.unit.identity.signing import cached_key, claims
from tests.unit.identity.wiring import IDENTITY_ENV, container_verifier, settings

SECRET = "a-long-enough-shared-secret-0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in IDENTITY_ENV:
        monkeypatch.delenv(name, raising=False)


async def test_the_shared_secret_alone_enables_hs256_only() -> None:
    async with container_verifier(better_auth_secret=SECRET) as verifier:
        token = SharedSecretMinter(SECRET).mint("user-7", ttl_seconds=60)
        assert (await verifier.verify(token)).user_id == "user-7"
        with pytest.raises(InvalidToken, match="algorithm is not accepted"):
            await verifier.verify(cached_key("EdDSA", "k").token(claims()))


async def test_better_auth_url_alone_leaves_hs256_off() -> None:
    async with container_verifier(better_auth_url="https://auth.example.com/") as verifier:
        with pytest.raises(InvalidToken, match="algorithm is not accepted"):
            await verifier.verify(SharedSecretMinter(SECRET).mint("user-7", ttl_seconds=60))


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
    assert defaults.jwks_refetch_interval == 10.0
    assert defaults.jwks_cache_ttl == 600.0


ASSEMBLY_LOGGER = "adapters.identity.assembly"


def identity_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == ASSEMBLY_LOGGER and record.levelno == logging.WARNING
    ]


@pytest.mark.parametrize(
    ("values", "unset"),
    [
        ({}, "JWT_ISSUER and JWT_AUDIENCE"),
        ({"jwt_issuer": "https://app.example.com"}, "JWT_AUDIENCE"),
        ({"jwt_audience": "todo-api"}, "JWT_ISSUER"),
    ],
)
async def test_shared_secret_mode_without_issuer_or_audience_warns_once_at_start_up(
    values: dict[str, str], unset: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=ASSEMBLY_LOGGER)
    async with container_verifier(better_auth_secret=SECRET, **values):
        pass
    [warning] = identity_warnings(caplog)
    assert f"without {unset}:" in warning
    assert "accepted whatever their" in warning
    assert "\n" not in warning


@pytest.mark.parametrize(
    "values",
    [
        {"better_auth_secret": SECRET, "jwt_issuer": "https://a", "jwt_audience": "todo-api"},
        {"better_auth_url": "https://auth.example.com"},
    ],
)
async def test_no_warning_when_iss_and_aud_are_checked(
    values: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=ASSEMBLY_LOGGER)
    async with container_verifier(**values):
        pass
    assert identity_warnings(caplog) == []


async def test_jwt_max_lifetime_bounds_how_far_away_exp_may_be() -> None:
    assert settings().jwt_max_lifetime == 30 * 24 * 3600
    async with container_verifier(better_auth_secret=SECRET, jwt_max_lifetime=3600) as verifier:
        minter = SharedSecretMinter(SECRET)
        assert (await verifier.verify(minter.mint("user-7", ttl_seconds=3000))).user_id == "user-7"
        with pytest.raises(InvalidToken, match="lifetime is too long"):
            await verifier.verify(minter.mint("user-7", ttl_seconds=2 * 3600))
