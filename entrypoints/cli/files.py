"""Opening the files operators name: ``-`` for stdin/stdout, clear failures otherwise."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from entrypoints.cli.errors import ExitCode, fail

BUFFER_SIZE = 1 << 20
STDIO = "-"


def is_stdio(path: Path) -> bool:
    return str(path) == STDIO


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    if is_stdio(path):
        yield sys.stdin.buffer
        return
    try:
        stream = path.open("rb", buffering=BUFFER_SIZE)
    except FileNotFoundError:
        fail(f"{path} does not exist", ExitCode.NOT_FOUND)
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}", ExitCode.USAGE)
    with stream:
        yield stream


@contextmanager
def open_output(path: Path) -> Iterator[IO[bytes]]:
    """Write to a private temporary file beside ``path`` and move it into place only when
    the body succeeds: a failed export never leaves a partial file, and an existing file is
    replaced whole. The file is readable by its owner only (it holds users' data)."""
    if is_stdio(path):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if path.is_dir():
        fail(f"{path} is a directory", ExitCode.USAGE)
    directory = path.parent
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)
    except FileNotFoundError:
        fail(f"cannot write {path}: the directory {directory} does not exist", ExitCode.NOT_FOUND)
    except OSError as error:
        fail(f"cannot write {path}: {error.strerror or error}", ExitCode.USAGE)
    try:
        with os.fdopen(fd, "wb", buffering=BUFFER_SIZE) as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
