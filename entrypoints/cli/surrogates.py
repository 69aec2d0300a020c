"""Refusing JSON text that escapes a lone surrogate (``"\\ud800"``), while it streams.

The fast JSON parser (ijson's yajl backend) turns such an escape into ``?`` without a word,
and Python's own parsers keep it as a lone surrogate the database cannot store; the API
refuses both, so an import must too. ``LoneSurrogateGuard`` wraps the binary stream and
scans each chunk once, in C (a regular expression), before the parser reads it.
"""

from __future__ import annotations

import re
from typing import IO

# A run of backslashes, then a surrogate's escape. An even run is escaped backslashes
# followed by the letter u: text, not an escape.
_SURROGATE = re.compile(rb"(\\+)u[dD]([89a-fA-F])[0-9a-fA-F]{2}")
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_ESCAPE_LENGTH = 6
_BACKSLASH = 0x5C


class LoneSurrogate(ValueError):
    """The text escapes half of a surrogate pair."""


class LoneSurrogateGuard:
    """A binary stream that passes ``stream``'s bytes through and raises ``LoneSurrogate``
    at a lone surrogate escape. Bytes that could still turn out to be part of an escape are
    held back until the next read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._held = b""

    def read(self, size: int = -1) -> bytes:
        while True:
            chunk = self._stream.read(size)
            at_end = not chunk
            buffer = self._held + chunk
            cut = _checked_prefix(buffer, at_end)
            passed, self._held = buffer[:cut], buffer[cut:]
            if passed or at_end:
                return passed


def _checked_prefix(buffer: bytes, at_end: bool) -> int:
    """How much of ``buffer`` is checked and may be passed on (all of it at the end)."""
    # Two escapes (a pair) fit in what is held back, and nothing held back starts inside a
    # run of backslashes, so the next read sees every escape whole, with its run.
    limit = len(buffer) if at_end else max(0, len(buffer) - 2 * _ESCAPE_LENGTH)
    checked = 0
    partner = -1  # where the low half of the last pair starts
    for match in _SURROGATE.finditer(buffer):
        if match.start() == partner:
            continue  # checked with its high half
        if match.start() >= limit or (not at_end and match.end() + _ESCAPE_LENGTH > len(buffer)):
            return match.start()
        checked = match.end()
        if len(match.group(1)) % 2 == 0:
            continue
        if match.group(2) not in b"89abAB" or _LOW.match(buffer, match.end()) is None:
            raise LoneSurrogate("a string escapes a lone surrogate")
        partner = match.end()
        checked = match.end() + _ESCAPE_LENGTH
    cut = max(limit, checked)
    while not at_end and cut > checked and buffer[cut - 1] == _BACKSLASH:
        cut -= 1
    return cut
