"""What the container decides from the settings it decides once, ``None`` included: the
rate limiter (none when ``RATE_LIMIT_PER_USER`` is 0) and the task cap (none when
``MAX_TASKS_PER_USER`` is 0) are asked for on every request, and building them again each
time was per-request work (docs/performance.md)."""

from __future__ import annotations

from entrypoints.container import build_container
from tests.http import make_settings


def test_no_rate_limiter_is_decided_once() -> None:
    settings = make_settings("memory://", rate_limit_per_user=0)
    container = build_container(settings)
    assert container.rate_limiter() is None
    settings.rate_limit_per_user = 5  # read again, this would now build a limiter
    assert container.rate_limiter() is None


def test_no_task_cap_is_decided_once() -> None:
    settings = make_settings("memory://", max_tasks_per_user=0)
    container = build_container(settings)
    assert container.max_tasks() is None
    settings.max_tasks_per_user = 10
    assert container.max_tasks() is None


def test_a_rate_limiter_is_one_instance() -> None:
    container = build_container(make_settings("memory://", rate_limit_per_user=5))
    limiter = container.rate_limiter()
    assert limiter is not None
    assert container.rate_limiter() is limiter
