"""The ASGI application: ``uvicorn entrypoints.http.app:app``."""

from __future__ import annotations

from entrypoints.http.factory import create_app

app = create_app()
