"""A TCP proxy that delays each direction and counts round trips (for bench/latency.py and
the round-trip tests).

A round trip is counted when the client sends after having received something since it last
sent (or for the first time on a connection): the client's turns in the conversation. Data
the client sends before any answer arrives (several statements pipelined, or BEGIN sent with
its first statement) is one round trip, however many messages it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class DelayingProxy:
    """Listens on 127.0.0.1 and forwards to ``target``, each chunk ``delay`` seconds late in
    each direction (so a round trip costs 2 x ``delay`` more), in order."""

    def __init__(self, target_host: str, target_port: int, delay: float = 0.0) -> None:
        self._target = (target_host, target_port)
        self.delay = delay
        self.round_trips = 0
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.close()
            self._tasks.discard(task)
            return
        # True once the server's answer reached the client: its next send is a new turn.
        state = {"answered": True}

        async def pump(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, from_client: bool
        ) -> None:
            queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

            async def deliver() -> None:
                while True:
                    due, data = await queue.get()
                    if not data:
                        with contextlib.suppress(OSError):
                            writer.close()
                        return
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    writer.write(data)
                    with contextlib.suppress(OSError):
                        await writer.drain()
                    if not from_client:
                        state["answered"] = True

            delivering = asyncio.create_task(deliver())
            try:
                while True:
                    try:
                        data = await reader.read(65536)
                    except OSError:
                        data = b""
                    if data and from_client and state["answered"]:
                        state["answered"] = False
                        self.round_trips += 1
                    queue.put_nowait((time.monotonic() + self.delay, data))
                    if not data:
                        break
                await delivering
            finally:
                delivering.cancel()

        try:
            await asyncio.gather(
                pump(client_reader, server_writer, True),
                pump(server_reader, client_writer, False),
            )
        finally:
            for writer in (client_writer, server_writer):
                with contextlib.suppress(Exception):
                    writer.close()
            self._tasks.discard(task)


@contextmanager
def running_proxy(
    target_host: str, target_port: int, delay: float = 0.0
) -> Iterator[DelayingProxy]:
    """The proxy on an event loop of its own, in a background thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    proxy = DelayingProxy(target_host, target_port, delay)
    asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(10)
    try:
        yield proxy
    finally:
        asyncio.run_coroutine_threadsafe(proxy.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
