"""Where the worker processes of one server share their metrics (ADR 0026).

prometheus_client's multiprocess mode keeps each process's values in files under
``PROMETHEUS_MULTIPROC_DIR``, chosen when prometheus_client is first imported; a scrape
answered by any worker then reads every worker's files. An operator may name the directory
(gunicorn, or to keep counts across restarts). Without it, a worker of ``uvicorn --workers
N`` (a multiprocessing child of uvicorn's supervisor) uses one of its own making, named
after the supervisor: its siblings, and the workers the supervisor restarts, find the same
one, and the next run of the server gets a fresh one.
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import shutil
import stat
import sys
import tempfile

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_PREFIX = "todo-api-metrics-"


class UnusableMetricsDirectory(Exception):
    """The workers' metrics directory cannot be trusted or made."""


def choose_metrics_directory() -> str | None:
    """The directory this process writes its metrics to (set in the environment, before
    prometheus_client is imported), or ``None``: a single process, counting in memory."""
    named = os.environ.get(VARIABLE, "").strip()
    if named:
        os.makedirs(named, exist_ok=True)
        return named
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return None
    if "prometheus_client" in sys.modules:
        raise UnusableMetricsDirectory(
            f"prometheus_client was imported before the metrics were set up; set {VARIABLE}"
        )
    root = tempfile.gettempdir()
    _remove_dead_servers_directories(root)
    directory = os.path.join(root, f"{_PREFIX}{parent.pid}")
    _make_private_directory(directory)
    os.environ[VARIABLE] = directory
    return directory


def _make_private_directory(directory: str) -> None:
    """Ours alone: a name in a shared /tmp could have been taken by another user first."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise UnusableMetricsDirectory(
            f"{directory} is not a private directory of this user; set {VARIABLE}"
        )


def _remove_dead_servers_directories(root: str) -> None:
    for path in glob.glob(os.path.join(root, f"{_PREFIX}*")):
        pid = path.rsplit("-", 1)[-1]
        owned = os.lstat(path).st_uid == os.getuid()
        if pid.isdigit() and owned and not process_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
