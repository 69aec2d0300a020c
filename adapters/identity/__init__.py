"""Token verification (and, for development, minting) on python-jose."""
