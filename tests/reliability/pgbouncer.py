"""A real PgBouncer in transaction mode (Neon's pooled endpoint is one), started for a test.

Debian's ``pgbouncer`` package installs the binary in /usr/sbin. PgBouncer refuses to run as
root, so as root it is started with ``-u postgres``. Missing binary: the tests skip on a
developer machine and fail under ``CI=true`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.databases import server_url

SEARCH_PATH = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin"


@dataclass(frozen=True)
class PgBouncer:
    host: str
    port: int
    pool_size: int
    log: Path

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


def pgbouncer_binary() -> str:
    binary = shutil.which("pgbouncer", path=SEARCH_PATH)
    if binary is None:
        message = "pgbouncer is not installed (Debian: apt-get install -y pgbouncer)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def _version(binary: str) -> tuple[int, ...]:
    output = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False, timeout=10
    ).stdout
    match = re.search(r"PgBouncer (\d+)\.(\d+)", output)
    return tuple(int(part) for part in match.groups()) if match else (0, 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else ""
    pytest.fail(f"pgbouncer did not start (exit code {process.poll()}):\n{text}")


@contextlib.contextmanager
def running_pgbouncer(
    pool_size: int = 3,
    server_host: str | None = None,
    server_port: int | None = None,
    extra: tuple[str, ...] = (),
) -> Iterator[PgBouncer]:
    """PgBouncer on a free port of 127.0.0.1, pooling (transaction mode) every database of
    the test server (or of the server at ``server_host:server_port``, e.g. a fault proxy),
    for the test server's user, with ``pool_size`` server connections per database."""
    binary = pgbouncer_binary()
    server = make_url(server_url())
    user = server.username or "postgres"
    server_host = server_host or server.host or "127.0.0.1"
    server_port = server_port or server.port or 5432
    port = _free_port()
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    log = directory / "pgbouncer.log"
    settings = [
        "[databases]",
        f"* = host={server_host} port={server_port}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {directory / 'userlist.txt'}",
        "pool_mode = transaction",
        f"default_pool_size = {pool_size}",
        "min_pool_size = 0",
        "reserve_pool_size = 0",
        "max_client_conn = 500",
        f"logfile = {log}",
        f"pidfile = {directory / 'pgbouncer.pid'}",
        "ignore_startup_parameters = extra_float_digits",
        *extra,
    ]
    if _version(binary) >= (1, 21):
        # Newer PgBouncers can track protocol-level prepared statements; like many poolers
        # in the field (and Neon's before 2024), this one does not.
        settings.append("max_prepared_statements = 0")
    (directory / "pgbouncer.ini").write_text("\n".join(settings) + "\n")
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    command = [binary, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        # PgBouncer will not run as root: run it as the server's system user.
        account = pwd.getpwnam("postgres")
        os.chown(directory, account.pw_uid, account.pw_gid)
        directory.chmod(0o755)
        for path in directory.iterdir():
            os.chown(path, account.pw_uid, account.pw_gid)
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_listening(port, process, log)
        yield PgBouncer(host="127.0.0.1", port=port, pool_size=pool_size, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
