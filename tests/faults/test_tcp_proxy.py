"""The fault proxy itself: passes bytes, cuts (reset + refuse) and hangs (holds bytes) on demand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.faults

WAIT = 5.0  # seconds: an upper bound for anything to happen
QUIET = 0.3  # seconds: how long "nothing arrives" is watched for


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A loopback echo server standing in for PostgreSQL."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def round_trip(port: int, payload: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), WAIT)
    finally:
        writer.close()


async def test_passes_bytes_both_ways_on_an_ephemeral_loopback_port(echo_port: int) -> None:
    async with TcpProxy("127.0.0.1", echo_port) as proxy:
        assert proxy.port not in (0, echo_port)
        assert await round_trip(proxy.port, b"hello") == b"hello"
        assert proxy.accepted == 1


async def test_cut_resets_open_connections_and_refuses_new_ones_until_restored(
    echo_port: int,
) -> None:
    async with TcpProxy("127.0.0.1", echo_port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"a")
        assert await asyncio.wait_for(reader.readexactly(1), WAIT) == b"a"

        await proxy.cut()
        with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
            await asyncio.wait_for(reader.readexactly(1), WAIT)
        writer.close()
        assert proxy.open_connections == 0
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", proxy.port)

        port = proxy.port
        await proxy.restore()
        assert proxy.port == port, "a restored proxy listens on the same port"
        assert await round_trip(proxy.port) == b"ping"


async def test_hang_holds_every_byte_until_restored_then_delivers_it(echo_port: int) -> None:
    async with TcpProxy("127.0.0.1", echo_port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        proxy.hang()
        writer.write(b"held")
        await writer.drain()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.readexactly(4), QUIET)
        # a new connection is accepted while hung, but gets no answer either
        late_reader, late_writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        late_writer.write(b"late")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(late_reader.readexactly(4), QUIET)
        assert proxy.open_connections == 2

        await proxy.restore()
        assert await asyncio.wait_for(late_reader.readexactly(4), WAIT) == b"late"
        writer.write(b"more")
        data = await asyncio.wait_for(reader.readexactly(8), WAIT)
        assert data == b"heldmore"
        writer.close()
        late_writer.close()


async def test_leaving_the_context_closes_the_port_and_every_connection(echo_port: int) -> None:
    async with TcpProxy("127.0.0.1", echo_port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        await asyncio.wait_for(reader.readexactly(1), WAIT)
    try:
        assert await asyncio.wait_for(reader.read(1), WAIT) == b""
    except ConnectionResetError:
        pass  # reset rather than closed: either way the connection is gone
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", proxy.port)
