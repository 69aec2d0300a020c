"""Time limits on database operations that hold even when the server or the network hangs.

``asyncio.timeout`` around a query is not enough with psycopg: cancelling a running query
makes psycopg send a cancel request to the server and wait for the query to end (5 s + 5 s)
before the cancellation completes. On a connection to a server that accepts but never
answers (a hung host, a stuck pooler, a silent network) a request would still take 10 s
longer. So each operation runs in a task of its own: when its time is up the caller gets
``TimeoutError`` at once, and the cancelled operation winds down in the background.

The server-side counterpart of a statement timeout comes with it: the cancellation makes
psycopg send the server a cancel request, which also works through PgBouncer (where a
``statement_timeout`` startup option would be refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Background tasks (cancelled operations winding down, sessions being discarded): asyncio
# keeps only weak references to tasks.
_background: set[asyncio.Task[Any]] = set()


def in_background(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    task = asyncio.ensure_future(coroutine)
    _background.add(task)
    task.add_done_callback(_forget)
    return task


def _forget(task: asyncio.Task[Any]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.debug("background database work ended with %r", task.exception())


class OperationTimer:
    """Runs the database operations of one unit of work, each within ``seconds``.

    After an operation overran, ``unfinished`` holds it (cancelled, still winding down) and
    every later operation fails at once: what it was using must not be touched again.
    ``seconds=None`` means no limit (and no extra task).
    """

    def __init__(
        self, seconds: float | None, on_timeout: Callable[[], object] | None = None
    ) -> None:
        self.seconds = seconds
        self.unfinished: asyncio.Task[Any] | None = None
        self._on_timeout = on_timeout

    async def run(
        self, operation: Callable[P, Coroutine[Any, Any, R]], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        if self.unfinished is not None:
            raise TimeoutError("an earlier database operation did not finish in time")
        if self.seconds is None:
            return await operation(*args, **kwargs)
        # The operation in a task of its own, awaited through a future that its end or the
        # time limit settles, whichever comes first: what ``asyncio.timeout`` around
        # ``asyncio.shield`` does, with one future and one timer instead of their
        # several per operation (every query, commit and connection return runs here).
        loop = asyncio.get_running_loop()
        task = loop.create_task(operation(*args, **kwargs))
        settled = loop.create_future()

        def settle(_: object = None) -> None:
            if not settled.done():
                settled.set_result(None)

        task.add_done_callback(settle)
        timer = loop.call_later(self.seconds, settle)
        try:
            await settled
        except BaseException:
            # The request itself was cancelled (client gone): stop waiting, let the
            # operation be cancelled in the background.
            self._give_up(task)
            raise
        finally:
            timer.cancel()
        if not task.done():
            self._give_up(task)
            if self._on_timeout is not None:
                self._on_timeout()
            raise TimeoutError(f"a database operation took longer than {self.seconds:g} s")
        return task.result()

    def _give_up(self, task: asyncio.Task[Any]) -> None:
        if not task.done():
            task.cancel()
            self.unfinished = in_background(_wait_for(task))


async def _wait_for(future: asyncio.Future[Any]) -> None:
    # Cancelled or failed, as expected: nobody waits for its result any more.
    with contextlib.suppress(BaseException):
        await future


async def settle(seconds: float) -> None:
    """Wait (at most ``seconds``) for the background work above to end, for an orderly
    shutdown (``close_container``)."""
    if _background:
        await asyncio.wait(set(_background), timeout=seconds)
