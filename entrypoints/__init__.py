"""Entrypoints: the container that wires adapters to use cases, the HTTP API and the CLI."""
