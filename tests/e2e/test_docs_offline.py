"""/docs and /redoc come whole from the service (ADR 0023): every URL a page names is on its
own origin and answers with the package's file, and each page carries a
Content-Security-Policy that allows nothing else. The pages rendering in a real browser
is tests/reliability/test_docs_browser.py."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.helpers import assert_problem

PACKAGE_FILES = Path(str(files("fastapi_standalone_docs") / "static"))
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
    ".svg": {"image/svg+xml"},
    ".json": {"application/json"},
}
# What each served asset is: the package's own file.
ASSETS = {
    "/docs/swagger-ui-bundle.js": PACKAGE_FILES / "swagger" / "swagger-ui-bundle.js",
    "/docs/swagger-ui.css": PACKAGE_FILES / "swagger" / "swagger-ui.css",
    "/docs/favicon.png": PACKAGE_FILES / "fastapi" / "favicon.png",
    "/redoc/redoc.standalone.js": PACKAGE_FILES / "redoc" / "redoc.standalone.js",
    "/redoc/logo-mini.svg": PACKAGE_FILES / "redoc" / "logo-mini.svg",
}


URL_ATTRIBUTES = {"src", "href", "spec-url", "action", "data", "poster"}


class _References(HTMLParser):
    """Every URL an HTML page names in an attribute, and its inline scripts' text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.urls += [value for name, value in attrs if name in URL_ATTRIBUTES and value]
        self._in_inline_script = tag == "script" and "src" not in named

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_inline_script = False


def references(page: str) -> _References:
    parser = _References()
    parser.feed(page)
    parser.close()
    return parser


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_a_page_names_only_urls_of_its_own_origin_and_each_answers(
    http_client: httpx.AsyncClient, path: str
) -> None:
    response = await http_client.get(path)

    assert response.status_code == 200
    assert media_type(response) == "text/html"
    # No absolute or protocol-relative URL anywhere: nothing names another host.
    assert "://" not in response.text
    page = references(response.text)
    spec_urls = re.findall(r"url: '([^']*)'", "".join(page.inline_scripts))
    urls = page.urls + spec_urls
    assert "/openapi.json" in urls
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
        assert url.startswith("/"), url
        named = await http_client.get(url)
        assert named.status_code == 200, url
        suffix = Path(parts.path).suffix
        if suffix:
            assert media_type(named) in CONTENT_TYPES[suffix], url


@pytest.mark.parametrize(("url", "package_file"), ASSETS.items())
async def test_each_asset_is_the_file_the_package_ships(
    http_client: httpx.AsyncClient, url: str, package_file: Path
) -> None:
    response = await http_client.get(url)

    assert response.status_code == 200
    assert media_type(response) in CONTENT_TYPES[package_file.suffix]
    assert response.content == package_file.read_bytes()
    assert directives(response.headers["content-security-policy"])["default-src"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    # The URLs carry no version: after an upgrade a browser must not keep the old bundle.
    assert response.headers["cache-control"] == "no-cache"


async def test_the_files_checked_above_are_all_that_the_pages_load(
    http_client: httpx.AsyncClient,
) -> None:
    """ASSETS is the whole set: what each page names, and ReDoc's logo, which its bundle
    loads from the page's own path."""
    named = set()
    for path in ("/docs", "/redoc"):
        named |= set(references((await http_client.get(path)).text).urls)
    assert named | {"/redoc/logo-mini.svg"} == {*ASSETS, "/openapi.json"}


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_a_page_may_load_and_send_to_its_own_origin_only(
    http_client: httpx.AsyncClient, path: str
) -> None:
    response = await http_client.get(path)

    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    for name in ("connect-src", "font-src"):
        assert policy[name] == ["'self'"], name
    assert policy["img-src"] == ["'self'", "data:"]
    for name in ("base-uri", "form-action", "frame-ancestors"):
        assert policy[name] == ["'none'"], name
    # No script runs unless it is a served file or named by its hash.
    assert policy["script-src"][0] == "'self'"
    assert all(source.startswith("'sha256-") for source in policy["script-src"][1:])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_swagger_ui_runs_its_start_up_script_by_hash_and_loads_no_inline_style(
    http_client: httpx.AsyncClient,
) -> None:
    response = await http_client.get("/docs")

    policy = directives(response.headers["content-security-policy"])
    scripts = references(response.text).inline_scripts
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["worker-src"] == ["'none'"]


async def test_redoc_runs_only_its_bundle_and_may_add_styles_and_a_search_worker(
    http_client: httpx.AsyncClient,
) -> None:
    response = await http_client.get("/redoc")

    policy = directives(response.headers["content-security-policy"])
    assert references(response.text).inline_scripts == []
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["blob:"]
    assert "fonts.googleapis.com" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/docs/",
        "/redoc/",
        "/docs/nowhere.js",
        "/redoc/%2e%2e/%2e%2e/pyproject.toml",
        "/docs/LICENSE/x",
    ],
)
async def test_what_is_not_an_asset_is_a_404_problem(
    http_client: httpx.AsyncClient, path: str
) -> None:
    assert_problem(await http_client.get(path), 404)


async def test_the_pages_are_not_operations_of_the_api(http_client: httpx.AsyncClient) -> None:
    paths = (await http_client.get("/openapi.json")).json()["paths"]

    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]
