"""``LoneSurrogateGuard`` refuses exactly the JSON strings whose escapes leave half a
surrogate pair, however the stream is cut into reads, and passes every byte through."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.cli.surrogates import LoneSurrogate, LoneSurrogateGuard

PIECES = [
    b"a", b"u", b"d800", b"\\\\", b"\\\\\\\\", b"\\n", b'\\"', b"\\u0041",
    b"\\ud800", b"\\uDBFF", b"\\uD83E", b"\\udc00", b"\\uDFFF", b"\\uDD84",
]  # fmt: skip


class Reads(io.BytesIO):
    """A stream that hands out at most ``size`` bytes a read."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__(data)
        self.size = size

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.size)


def _passes(text: bytes, read_size: int) -> bool:
    guard = LoneSurrogateGuard(Reads(text, read_size))
    passed = b""
    try:
        while chunk := guard.read(65536):
            passed += chunk
    except LoneSurrogate:
        return False
    assert passed == text
    return True


@given(st.lists(st.sampled_from(PIECES), max_size=16), st.integers(min_value=1, max_value=40))
def test_only_lone_surrogate_escapes_are_refused(pieces: list[bytes], read_size: int) -> None:
    text = b'"' + b"".join(pieces) + b'"'
    decoded = json.loads(text)  # Python's parser keeps lone surrogates: the reference
    lone = any(0xD800 <= ord(char) <= 0xDFFF for char in decoded)
    assert _passes(text, read_size) is not lone


def test_a_pair_split_across_reads_passes() -> None:
    assert _passes(b'["\\ud83e\\udd84", "' + b"x" * 70_000 + b'\\ud83e\\udd84"]', 7)
