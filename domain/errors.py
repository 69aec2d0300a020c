"""Errors raised when a domain rule is broken."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for broken domain rules."""


class FieldError(Exception):
    """A named field or parameter holds an unacceptable value; ``message`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTaskField(DomainError, FieldError):
    """A task field breaks one of the aggregate's rules."""
