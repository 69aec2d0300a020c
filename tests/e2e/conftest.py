"""Fixtures for the e2e tests (the HTTP ones, ``client`` and ``http_client``, are in
tests/http.py, for the reliability tests too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import NEUTRAL_ENVIRONMENT


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """``todo-admin``'s environment: a fresh working directory (no .env), every setting
    that could change an outcome neutral, and a database the test is expected to replace."""
    monkeypatch.chdir(tmp_path)
    for name, value in NEUTRAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    return monkeypatch
