"""The app's routes sit on its own route list, each with its path (ADR 0030): FastAPI
matches an included router's routes twice on every request, through an entry that has no
path of its own."""

from __future__ import annotations

from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from tests.http import make_settings


def test_every_route_is_on_the_apps_own_list() -> None:
    app = create_app(build_container(make_settings("memory://")))
    paths = [getattr(route, "path", None) for route in app.router.routes]
    assert None not in paths
    assert {"/api/tasks", "/api/{user_id}/tasks", "/healthz", "/mcp"} <= set(paths)
