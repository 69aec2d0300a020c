"""A TCP proxy the tests control, to put faults between the app and PostgreSQL.

It runs on the test's own event loop. Modes:

* ``forward``   — pass bytes both ways (normal operation);
* ``refuse``    — close every open connection and stop listening: connects are refused;
* ``blackhole`` — accept connections and hold them open, but never pass a byte either way,
  on new and existing connections alike (a hung server, a silent network, a stuck pooler).

Connections that were black-holed stay hung until the proxy stops, even after ``forward``
is restored: the app has to notice and discard them itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter | None
    pumps: list[asyncio.Task[None]] = field(default_factory=list)
    hung: bool = False

    def close(self) -> None:
        for pump in self.pumps:
            pump.cancel()
        for writer in (self.client, self.server):
            if writer is not None:
                with contextlib.suppress(Exception):
                    # An abortive close (RST), like a dead server or a dropped route.
                    sock = writer.get_extra_info("socket")
                    if sock is not None:
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                        )
                    writer.close()


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host = "127.0.0.1"
        self.port = 0
        self.mode = "forward"
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self.accepted = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        await self._stop_listening()
        for link in list(self._links):
            link.close()
        self._links.clear()

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)
            self._server = None

    # --- faults -------------------------------------------------------------------------

    async def refuse(self) -> None:
        """Connection refused: every open connection is reset, nothing listens."""
        self.mode = "refuse"
        await self._stop_listening()
        for link in list(self._links):
            link.close()
            self._links.discard(link)

    async def blackhole(self) -> None:
        """Accept, never answer: open connections freeze, new ones are held silent."""
        self.mode = "blackhole"
        for link in self._links:
            link.hung = True
            for pump in link.pumps:
                pump.cancel()
        if self._server is None:
            await self.start()

    async def restore(self) -> None:
        """Forward again (hung connections stay hung)."""
        self.mode = "forward"
        if self._server is None:
            await self.start()

    # --- plumbing -----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        link = _Link(client=writer, server=None)
        self._links.add(link)
        if self.mode != "forward":
            link.hung = True
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            link.close()
            self._links.discard(link)
            return
        link.server = server_writer
        if self.mode != "forward":  # the fault came while we were connecting
            link.hung = True
            return
        link.pumps = [
            asyncio.ensure_future(self._pump(reader, server_writer, link)),
            asyncio.ensure_future(self._pump(server_reader, writer, link)),
        ]

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link
    ) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            return
        if not link.hung:
            link.close()
            self._links.discard(link)
