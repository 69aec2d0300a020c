"""Page cursors sealed with AES-256-GCM (ADR 0022): encrypted, so a title or a date in a
cursor is not readable in a URL or a log line, and authenticated, so a cursor cannot be
forged or altered. The key comes from a ``CursorKeySource``: on SQL it is kept in the
database, so every process on the same database opens every other's cursors."""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
# Bound into every cursor: a value sealed for another purpose with the same key never
# opens as a cursor, and a future format can change the label.
_PURPOSE = b"todo-api page cursor v1"


class CursorKeySource(Protocol):
    async def cursor_key(self) -> bytes:
        """The 32-byte key every process of the service seals cursors with."""
        ...


class RandomCursorKey:
    """A key of this process only: for the in-memory store, whose tasks are this
    process's only too."""

    def __init__(self) -> None:
        self._key = os.urandom(KEY_BYTES)

    async def cursor_key(self) -> bytes:
        return self._key


class AesGcmCursorSealer:
    """``seal``: base64url (unpadded) of a random 96-bit nonce, the ciphertext and its
    tag. The key is fetched once, on the first cursor, and kept for the process's life."""

    def __init__(self, keys: CursorKeySource) -> None:
        self._keys = keys
        self._cipher: AESGCM | None = None
        self._loading = asyncio.Lock()

    async def seal(self, data: bytes) -> str:
        cipher = await self._ready()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + cipher.encrypt(nonce, data, _PURPOSE)
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    async def unseal(self, cursor: str) -> bytes:
        sealed = _canonical_base64url(cursor)
        if len(sealed) < _NONCE_BYTES + _TAG_BYTES:
            raise ValueError("too short to be sealed")
        cipher = await self._ready()
        try:
            return cipher.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _PURPOSE)
        except InvalidTag as error:
            raise ValueError("not sealed with this service's key") from error

    async def _ready(self) -> AESGCM:
        if self._cipher is None:
            async with self._loading:  # one fetch, however many requests wait for it
                if self._cipher is None:
                    key = await self._keys.cursor_key()
                    if len(key) != KEY_BYTES:  # not a client's fault: no ValueError
                        raise RuntimeError(f"the stored cursor key is not {KEY_BYTES} bytes")
                    self._cipher = AESGCM(key)
        return self._cipher


def _canonical_base64url(text: str) -> bytes:
    """The bytes ``text`` spells in unpadded base64url, only if it is their one spelling
    (Python's decoder skips stray characters and accepts non-zero trailing bits)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise ValueError("not canonical base64url")
    return raw
