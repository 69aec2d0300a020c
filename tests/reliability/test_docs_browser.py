"""/docs and /redoc in a real browser, offline (ADR 0023): Debian's Chromium, driven by
Playwright with ``executable_path`` (never a browser build of Playwright's own), loads each
page from the documented server command run for real. The page lists the API's operations,
every request it makes goes to the service itself, and nothing breaks its
Content-Security-Policy.

The browser is required under ``CI=true`` (``.ci/run`` installs Debian's ``chromium``):
there a missing one fails these tests; elsewhere they skip, saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Route,
    expect,
    sync_playwright,
)

from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, free_port
from tests.e2e.test_cli import wait_until_healthy

PROJECT_ROOT = Path(__file__).resolve().parents[2]
UVICORN = str(Path(sys.executable).with_name("uvicorn"))
# Debian's package (apt-get install chromium); CHROMIUM names another binary.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Not 127.0.0.1 or localhost, which page scripts may treat as a developer's machine (Swagger
# UI's validator badge does): the pages are seen as a deployed service's are.
HOST = "127.0.0.2"
# Records every CSP violation of a page, workers included, before any of its scripts runs.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


def _chromium() -> str:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"no Chromium at {CHROMIUM}: apt-get install chromium (Debian's package)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The service, as `make run` serves it (docs/operations.md), on a free port."""
    port = free_port(HOST)
    environment = {**os.environ, **NEUTRAL_ENVIRONMENT, "DATABASE_URL": "memory://"}
    command = [UVICORN, "entrypoints.http.app:app", "--host", HOST, "--port", str(port)]
    command += ["--no-access-log", "--http", "entrypoints.http.server:BoundedH11Protocol"]
    server = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{HOST}:{port}"
    try:
        wait_until_healthy(url, server, timeout=60)
        yield url
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as playwright:
        # Chromium's own background traffic (updates, sync, safe browsing) is off: the
        # machine has no network, and it is not the page's.
        launched = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def summaries(base_url: str) -> Counter[str]:
    """The summary of every operation of the API, as its OpenAPI document has them, as
    often as a page lists it: once under each of its tags."""
    document = httpx.get(f"{base_url}/openapi.json", timeout=10).json()
    listed: Counter[str] = Counter()
    for path_item in document["paths"].values():
        for operation in path_item.values():
            listed[operation["summary"]] += max(1, len(operation.get("tags", [])))
    return listed


@dataclass
class Visit:
    """What a page did: each request it made, what failed, what it said went wrong."""

    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)

    def record(self) -> None:
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", self._failed)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        # Offline: a request to any other host never gets an answer (and is noted).
        self.page.route("**/*", self._only_own_origin)
        self.page.add_init_script(RECORD_VIOLATIONS)

    def _failed(self, request: Request) -> None:
        self.failed.append(f"{request.url}: {request.failure}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _only_own_origin(self, route: Route) -> None:
        if origin_of(route.request.url) == self.origin:
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.cspViolations"))


def origin_of(url: str) -> str:
    # A worker's script made from a blob: URL is of the origin that made it.
    parts = urlsplit(url.removeprefix("blob:"))
    return f"{parts.scheme}://{parts.netloc}"


@contextmanager
def visit(browser: Browser, base_url: str, path: str) -> Iterator[Visit]:
    context = browser.new_context()
    try:
        page = context.new_page()
        seen = Visit(page=page, origin=base_url)
        seen.record()
        response = page.goto(f"{base_url}{path}")
        assert response is not None
        assert response.status == 200
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'none'" in policy, policy
        yield seen
    finally:
        context.close()


def assert_only_own_origin(seen: Visit) -> None:
    # Everything the page might still fetch once its operations are drawn (icons, logo).
    seen.page.wait_for_load_state("networkidle")
    assert seen.requests, "no request recorded"
    assert [url for url in seen.requests if origin_of(url) != seen.origin] == []
    assert seen.elsewhere == []
    assert seen.failed == []
    assert seen.violations() == []
    assert seen.errors == []


def test_swagger_ui_lists_the_operations_loading_only_from_the_service(
    browser: Browser, base_url: str, summaries: Counter[str]
) -> None:
    with visit(browser, base_url, "/docs") as seen:
        listed = seen.page.locator(".opblock-summary-description")
        listed.filter(has_text="List your tasks").first.wait_for()

        assert Counter(listed.all_inner_texts()) == summaries
        assert_only_own_origin(seen)
        assert f"{base_url}/openapi.json" in seen.requests


def test_swagger_ui_try_it_out_reaches_the_api_from_the_page(
    browser: Browser, base_url: str
) -> None:
    """The policy's connect-src lets the page's own requests through to the API."""
    with visit(browser, base_url, "/docs") as seen:
        # Swagger UI's element id: operations-<tag>-<operationId> (the id test_operation_ids pins).
        healthz = seen.page.locator("#operations-health-getLiveness")
        healthz.locator(".opblock-summary").click()
        healthz.get_by_role("button", name="Try it out").click()
        healthz.get_by_role("button", name="Execute").click()

        answered = healthz.locator(".live-responses-table .response-col_status")
        expect(answered.filter(has_text="200")).to_have_count(1)
        assert_only_own_origin(seen)
        assert f"{base_url}/healthz" in seen.requests


def test_redoc_lists_the_operations_loading_only_from_the_service(
    browser: Browser, base_url: str, summaries: Counter[str]
) -> None:
    with visit(browser, base_url, "/redoc") as seen:
        headings = seen.page.get_by_role("heading", level=2)
        headings.filter(has_text="List your tasks").first.wait_for()

        shown = Counter(headings.all_inner_texts())
        assert {summary: shown[summary] for summary in summaries} == summaries
        assert_only_own_origin(seen)
        assert f"{base_url}/openapi.json" in seen.requests
        # The logo ReDoc's bundle names comes from the service too.
        assert f"{base_url}/redoc/logo-mini.svg" in seen.requests
