"""The one error unusable identity settings raise, whichever mode they are for."""

from __future__ import annotations


class IdentityConfigurationError(ValueError):
    """The identity settings could let forged tokens in; the message says what to change."""
