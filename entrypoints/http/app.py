"""The ASGI application: ``uvicorn entrypoints.http.app:app``."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from entrypoints.container import ConfigurationError
from entrypoints.http.factory import create_app
from entrypoints.settings import invalid_settings_message

try:
    app = create_app()
except ConfigurationError as error:
    # One line an operator can act on, not the server's traceback of this import.
    sys.exit(f"todo-api: {error}")
except ValidationError as error:
    sys.exit(f"todo-api: {invalid_settings_message(error)}")
