"""A task's entity tag: its version, quoted (RFC 9110 §8.8.3), ``"3"``. Written here alone,
imported by what sends it (``responses``, the 412 of ``problems``) and what reads it back
(``preconditions``), which imports ``problems`` itself: so this module imports nothing."""

from __future__ import annotations


def etag_of_version(version: int) -> str:
    return f'"{version}"'
