"""Limits on what a request may send, each written once: enforced by the middleware, stated in
the OpenAPI document and the problems that refuse a request."""

from __future__ import annotations

MAX_BODY_BYTES = 64 * 1024
MAX_BODY_KIB = MAX_BODY_BYTES // 1024
