"""Configuration from the environment and an optional ``.env`` file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'todo.db'}"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="postgresql://… (Neon's URL as printed works), sqlite:///path, or memory://",
    )
    better_auth_secret: str | None = Field(
        default=None,
        description="HS256 shared secret (≥ 32 characters); enables shared-secret mode",
    )
    better_auth_url: str | None = Field(
        default=None, description="Better Auth base URL; enables JWKS mode"
    )
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_jwks_url: str | None = None
    jwt_max_lifetime: int = Field(
        default=30 * 24 * 3600,
        ge=60,
        description="seconds: tokens whose exp is further away than this are refused (401)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:3000"]
    )
    db_pool_size: int = Field(default=10, ge=1, le=100)
    db_max_overflow: int = Field(default=0, ge=0, le=100)
    db_pool_timeout: float = Field(default=5.0, gt=0, le=60)
    db_pool_recycle: int = Field(default=300, ge=1)
    db_connect_timeout: int = Field(default=5, ge=1, le=60)
    db_operation_timeout: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="seconds one database operation (query, commit) may take; then 503",
    )
    db_prepared_statements: bool = Field(
        default=False,
        description="psycopg prepared statements; off (safe behind any transaction pooler)",
    )
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT
    # Limits and quotas (docs/operations.md, "Limits"): per user, per minute; 0 turns each off.
    rate_limit_per_user: int = Field(
        default=600,
        ge=0,
        le=1_000_000,
        description="requests a minute per user on /api and /mcp (burst included); 0 = off",
    )
    max_tasks_per_user: int = Field(
        default=10_000, ge=0, le=100_000_000, description="tasks one user may have; 0 = no cap"
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db: one rate limit for every process; unset: per process",
    )
    idempotency_sweep_interval: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        description="seconds between sweeps of expired Idempotency-Key records",
    )
    request_header_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="seconds a connection may take to send a request's headers (documented server)",
    )
    request_body_timeout: float = Field(
        default=20.0, gt=0, le=300, description="seconds a request may take to send its body"
    )

    # Observability (docs/operations.md, "Metrics and traces"; ADR 0026).
    metrics_token: str | None = Field(
        default=None,
        min_length=32,
        description="bearer token that reads GET /metrics (≥ 32 characters); unset: no metrics",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector base URL: traces of requests and statements; unset: none",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator(
        "better_auth_secret",
        "better_auth_url",
        "jwt_issuer",
        "jwt_audience",
        "jwt_jwks_url",
        "redis_url",
        "metrics_token",
        "otel_exporter_otlp_endpoint",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}:
            raise ValueError("must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG")
        return level

    # JWKS mode (BETTER_AUTH_URL / JWT_JWKS_URL): how the public keys are fetched and cached.
    jwks_fetch_timeout: float = Field(
        default=3.0, gt=0, le=30, description="seconds one JWKS fetch may take in total"
    )
    jwks_refetch_interval: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description=(
            "least seconds from the end of one JWKS fetch to the start of the next (unknown"
            " kid, failed fetch): the most a rotated-in key waits, and 60/interval fetches a"
            " minute at most"
        ),
    )
    jwks_cache_ttl: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="seconds before the cached JWKS is refreshed, in the background",
    )


def invalid_settings_message(error: ValidationError) -> str:
    """The first problem of settings that do not validate, as one line naming the variable."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
    return f"invalid configuration: {where.upper()}: {first.get('msg')}"
