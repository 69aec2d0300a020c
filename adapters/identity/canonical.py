"""Canonical base64url (RFC 7515 §2: the URL-safe alphabet, no padding), the only spelling of
a JWS segment this service reads.

python-jose's decoder skips characters outside the alphabet and surplus ``=``, and ignores
the unused low bits of the last character, so one signed token has endless spellings that
all verify. Each spelling would be a new token to the verified-token cache and to anything
that keys on token text. Here a segment passes only if it is exactly what encoding its bytes
gives back: one token, one text.
"""

from __future__ import annotations

import base64
import binascii
import re

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


class NotCanonical(ValueError):
    """The text is not the canonical base64url spelling of any bytes."""


def decode_canonical(segment: str) -> bytes:
    """The bytes ``segment`` encodes, if it is their canonical base64url spelling: only
    ``A-Za-z0-9-_``, no padding, a length other than 4k + 1, and zero unused bits (that
    is, encoding the bytes again gives back ``segment``). Else ``NotCanonical``."""
    if _ALPHABET.fullmatch(segment) is None:
        raise NotCanonical("characters outside the base64url alphabet, or padding")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as error:  # a length of 4k + 1 encodes no bytes
        raise NotCanonical("an impossible length") from error
    if encode_canonical(raw) != segment:
        raise NotCanonical("non-zero unused bits in the last character")
    return raw


def encode_canonical(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
