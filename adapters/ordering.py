"""Sort keys shared by the adapters, so every store orders tasks the same way."""

from __future__ import annotations


def title_sort_key(title: str) -> str:
    """Titles sort case-insensitively by code point: identical in Python, SQLite and
    PostgreSQL, whatever the database's collation."""
    return title.casefold()


def search_key(text: str) -> str:
    """Search is a case-insensitive substring match on this key."""
    return text.casefold()
