"""Limits on what a request may send, each written once: enforced by the middleware, stated in
the OpenAPI document and the problems that refuse a request."""

from __future__ import annotations

MAX_BODY_BYTES = 64 * 1024
MAX_BODY_KIB = MAX_BODY_BYTES // 1024

# Request headers: how many fields, and how many bytes of them (names and values). The
# documented server refuses a larger header block before parsing it (server.py); the app
# refuses what any other server lets through (middleware).
MAX_HEADER_COUNT = 1000
MAX_HEADER_BYTES = 128 * 1024
MAX_HEADER_KIB = MAX_HEADER_BYTES // 1024
