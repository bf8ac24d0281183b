"""One log format: the libraries' lines are Helpwire's JSON lines, and no secret is ever logged."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import aiohttp
import pytest
import socketio

from server.__main__ import DEMO_PASSWORD
from server.logs import configure_logging
from tests.support.serve_process import server_env, start_served


def json_lines(text: str) -> list[dict[str, object]]:
    """Every non-empty line of ``text`` as JSON (fails naming the first line that is not)."""
    parsed = []
    for line in text.splitlines():
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                raise AssertionError(f"not a JSON log line: {line!r}") from None
    return parsed


@pytest.mark.parametrize("name", ["aiohttp.server", "engineio.server", "socketio.server", "asyncio"])
def test_library_records_are_rendered_as_helpwire_json_lines(
    capsys: pytest.CaptureFixture[str], name: str,
) -> None:
    configure_logging("INFO", json=True)
    try:
        try:
            raise ZeroDivisionError("boom")
        except ZeroDivisionError:
            logging.getLogger(name).exception("Error handling request")
        (line,) = json_lines(capsys.readouterr().err)
    finally:
        logging.getLogger().handlers.clear()
    assert line["event"] == "Error handling request"
    assert line["logger"] == name
    assert line["level"] == "error"
    assert "timestamp" in line
    assert "ZeroDivisionError: boom" in str(line["exception"])


def test_reconfiguring_replaces_the_handler_instead_of_doubling_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", json=True)
    configure_logging("INFO", json=True)
    try:
        logging.getLogger("aiohttp.server").warning("once")
        assert len(json_lines(capsys.readouterr().err)) == 1
    finally:
        logging.getLogger().handlers.clear()


async def test_a_demo_server_logs_one_format_and_never_a_secret(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    served = await start_served(tmp_path, env, extra_args=("--demo",))
    secrets = [DEMO_PASSWORD, env["HELPWIRE_SECURITY__SECRET_KEY"]]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{served.url}/api/agent/login",
                                 json={"username": "lisa", "password": DEMO_PASSWORD}) as answer:
                assert answer.status == 200
                token = (await answer.json())["token"]
            async with http.post(f"{served.url}/api/agent/login",
                                 json={"username": "lisa", "password": "wrong-guess"}) as answer:
                assert answer.status == 401
            async with http.get(f"{served.url}/api/demo/ingest-key") as answer:
                key = (await answer.json())["key"]
        secrets += [token, key]
        agent = socketio.AsyncClient(reconnection=False)
        await agent.connect(served.url, namespaces=["/agent"], transports=["websocket"],
                            auth={"token": token}, wait_timeout=10)
        for name in ("connect", "disconnect", "queues_get"):  # refused: a line per window
            await agent.call(name, {"token": token}, namespace="/agent", timeout=10)
        await agent.disconnect()
        # a request aiohttp itself refuses (it may log it)
        reader, writer = await asyncio.open_connection(*served.url.removeprefix("http://").split(":"))
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        await reader.read()
        writer.close()
    finally:
        code, stdout, stderr = await served.stop()
    assert code == 0, stderr
    lines = json_lines(stderr)
    events = [line["event"] for line in lines]
    assert "event_refused" in events and "events_refused_summary" in events, events
    assert "demo agents created" in stdout and "README.md" in stdout
    for secret in secrets:
        assert secret not in stdout
        assert secret not in stderr


def test_lines_go_to_the_stderr_of_the_moment_not_the_one_at_configure_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream replaced and closed after configuring (a test capture, a daemon's redirect) must not
    make the next line raise "I/O operation on closed file"."""
    import io

    from server.logs import get_logger

    first = io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    configure_logging("INFO", json=True)
    try:
        second = io.StringIO()
        monkeypatch.setattr("sys.stderr", second)
        first.close()
        logging.getLogger("aiohttp.server").warning("library line")
        get_logger("helpwire.test").info("own_line")
        events = [line["event"] for line in json_lines(second.getvalue())]
    finally:
        logging.getLogger().handlers.clear()
    assert events == ["library line", "own_line"]
