"""The documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served whole by the
service (ADR 0023): their scripts, styles and favicon are the files the
``fastapi-standalone-docs`` package ships, and a Content-Security-Policy lets the pages load
nothing from anywhere else, so they work offline and behind a strict proxy."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SWAGGER_UI_PATH = "/docs"
REDOC_PATH = "/redoc"
FAVICON_PATH = "/docs/favicon.png"
# The package's files: static/swagger (swagger-ui-bundle.js, swagger-ui.css), static/redoc
# (redoc.standalone.js, and logo-mini.svg, which its bundle loads from the page's own path
# rather than from Redocly's CDN), static/fastapi (favicon.png). Each is served under the
# page that uses it; a new release of the package brings new versions of them.
ASSETS = Path(str(files("fastapi_standalone_docs") / "static"))
SWAGGER_ASSETS = ASSETS / "swagger"
REDOC_ASSETS = ASSETS / "redoc"
FAVICON = ASSETS / "fastapi" / "favicon.png"

# What a documentation page may load, and where it may send anything: its own origin only.
# Scripts are the bundles, plus a page's own inline scripts by their hashes (Swagger UI's
# start-up script); the stylesheets' icons are data: URLs.
POLICY: dict[str, str] = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
}
# ReDoc's styling library adds <style> elements as it renders, some before ReDoc could hand
# them a nonce, so no hash or nonce can name them; its search runs in a worker made from a
# blob: URL. Inline styles cannot reach another host either: nothing but 'self' may be loaded.
REDOC_POLICY: dict[str, str] = {
    **POLICY,
    "style-src": "'self' 'unsafe-inline'",
    "worker-src": "blob:",
}
# The assets: the pages' policy (it governs an SVG or a script opened on its own), no type
# sniffing, and revalidation (ETag) on every load, since their URLs carry no version.
ASSET_HEADERS = {
    "Content-Security-Policy": "; ".join(f"{name} {value}" for name, value in POLICY.items()),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def install_docs_pages(app: FastAPI) -> None:
    """/docs, /redoc and their assets, on an app made with ``docs_url=None, redoc_url=None``."""
    openapi_path = app.openapi_url
    if not openapi_path:
        raise ValueError("the documentation pages show the OpenAPI document: set openapi_url")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_path}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{SWAGGER_UI_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_UI_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{FAVICON_PATH}",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return _page(page, POLICY)

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_path}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{REDOC_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{FAVICON_PATH}",
            with_google_fonts=False,
        )
        return _page(page, REDOC_POLICY)

    async def favicon() -> FileResponse:
        return FileResponse(FAVICON, headers=ASSET_HEADERS)

    for path, endpoint in (
        (SWAGGER_UI_PATH, swagger_ui),
        (REDOC_PATH, redoc),
        (FAVICON_PATH, favicon),
    ):
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
    # After the routes: /docs and /redoc themselves are the pages, what is below them the files.
    app.mount(SWAGGER_UI_PATH, _WithHeaders(StaticFiles(directory=SWAGGER_ASSETS), ASSET_HEADERS))
    app.mount(REDOC_PATH, _WithHeaders(StaticFiles(directory=REDOC_ASSETS), ASSET_HEADERS))


def content_security_policy(page: str, policy: dict[str, str]) -> str:
    """The policy, with the page's own inline scripts and styles allowed by their hashes."""
    inline = _InlineElements.of(page)
    sources = dict(policy)
    sources["script-src"] = " ".join([policy["script-src"], *map(_source_hash, inline.scripts)])
    # Beside a hash, a browser ignores 'unsafe-inline'.
    if "'unsafe-inline'" not in policy["style-src"]:
        sources["style-src"] = " ".join([policy["style-src"], *map(_source_hash, inline.styles)])
    return "; ".join(f"{name} {value}".strip() for name, value in sources.items())


def _page(page: HTMLResponse, policy: dict[str, str]) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = content_security_policy(
        bytes(page.body).decode(), policy
    )
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


def _source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


class _InlineElements(HTMLParser):
    """The text of a page's inline <script> and <style> elements, as a browser hashes it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._tag: str | None = None
        self._text: list[str] = []

    @classmethod
    def of(cls, page: str) -> _InlineElements:
        parser = cls()
        parser.feed(page)
        parser.close()
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style" or (tag == "script" and "src" not in dict(attrs)):
            self._tag, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._tag is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            (self.scripts if tag == "script" else self.styles).append("".join(self._text))
            self._tag = None


class _WithHeaders:
    """An ASGI app whose responses carry these headers too."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
