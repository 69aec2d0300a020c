"""Text rules shared by every free-text field of the domain."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidTaskField

# Tab, line feed and carriage return are ordinary in a description; every other control
# character (NUL above all: PostgreSQL text cannot hold it) is refused.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def check_text(field: str, value: str, *, max_length: int, multiline: bool) -> str:
    """Return ``value`` unchanged if it is acceptable text, else raise ``InvalidTaskField``."""
    if len(value) > max_length:
        raise InvalidTaskField(field, f"must be at most {max_length} characters")
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in _ALLOWED_CONTROLS):
            raise InvalidTaskField(field, "must not contain control characters")
        if category == "Cs":
            raise InvalidTaskField(field, "must not contain unpaired surrogates")
    return value
