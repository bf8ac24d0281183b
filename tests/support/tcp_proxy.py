"""A loopback TCP proxy that can fail on demand: the database "goes away" or "freezes" for a test.

Put it between the server and PostgreSQL (the server's ``database_url`` points at the proxy's
port) and switch modes while the server works:

- pass (the default): bytes flow both ways unchanged;
- ``cut()``: every open connection is reset (RST) and the listening socket is closed, so new
  connections are refused (ECONNREFUSED), as when the database server is down;
- ``hang()``: connections stay open and new ones are accepted, but no byte is forwarded in
  either direction, as when the database's host or network freezes;
- ``restore()``: back to pass (cut: listening again on the same port; hang: what was held
  back flows on).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Literal

Mode = Literal["pass", "cut", "hang"]

#: how much one read takes from a socket before forwarding it
CHUNK_BYTES = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432,
                 listen_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.listen_host = listen_host
        self.port = 0
        self.mode: Mode = "pass"
        #: connections accepted so far (for tests and diagnostics)
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> TcpProxy:
        await self._listen()
        return self

    async def close(self) -> None:
        """Stop listening and drop every connection (idempotent)."""
        self._flowing.set()
        await self._stop_listening()
        for link in list(self._links):
            link.reset()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.close()

    @property
    def open_connections(self) -> int:
        return len(self._links)

    # ------------------------------------------------------------------ faults

    async def cut(self) -> None:
        """Reset every open connection and refuse new ones until ``restore()``."""
        self.mode = "cut"
        self._flowing.set()  # a hung pump wakes up and finds its link reset
        await self._stop_listening()
        for link in list(self._links):
            link.reset()

    def hang(self) -> None:
        """Keep connections (and accept new ones) but forward nothing until ``restore()``."""
        self.mode = "hang"
        self._flowing.clear()

    async def restore(self) -> None:
        previous, self.mode = self.mode, "pass"
        if previous == "cut":
            await self._listen()
        self._flowing.set()

    # ------------------------------------------------------------------ internals

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.listen_host, self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            # wait_closed() also waits for handlers of open connections in 3.12+; not needed here
            await asyncio.sleep(0)

    async def _accept(self, client_reader: asyncio.StreamReader,
                      client_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == "cut":  # accepted in the instant before the listener closed
            _reset(client_writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(client_writer)
            return
        if self.mode == "cut":  # cut while this connection was being opened upstream
            _reset(client_writer)
            _reset(upstream_writer)
            return
        link = _Link(client_writer, upstream_writer)
        self._links.add(link)
        pumps = [
            self._spawn(self._pump(client_reader, upstream_writer, link)),
            self._spawn(self._pump(upstream_reader, client_writer, link)),
        ]
        try:
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            self._links.discard(link)
            link.close()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    link: _Link) -> None:
        try:
            while not link.closed:
                data = await reader.read(CHUNK_BYTES)
                if not data:
                    break
                await self._flowing.wait()
                if link.closed:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # one side ended: end the other (a half-open database link helps nobody)
            link.close()


class _Link:
    """One proxied connection: the client's socket and ours to the target."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.closed = False

    def reset(self) -> None:
        self.closed = True
        _reset(self.client)
        _reset(self.upstream)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for writer in (self.client, self.upstream):
            with contextlib.suppress(Exception):
                writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN: the peer sees "connection reset by peer"."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
