"""Start-up and shutdown have one shape: a cleanup context per component, in dependency order."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from server.runtime.loop_monitor import LoopMonitor
from server.runtime.persister import Persister
from tests.support.live import live_server


class BrokenPart(RuntimeError):
    """A component's start-up failing, as a real fault would."""


async def test_a_component_that_fails_to_start_stops_those_already_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped: list[str] = []
    real_stop = Persister.stop

    async def stop_and_note(self: Persister) -> None:
        await real_stop(self)
        stopped.append("persister")

    def fail(self: LoopMonitor) -> None:
        raise BrokenPart("the loop monitor cannot start")

    monkeypatch.setattr(LoopMonitor, "start", fail)  # started after the persister and the hub
    monkeypatch.setattr(Persister, "stop", stop_and_note)
    with capture_logs() as logs, pytest.raises(BrokenPart):
        async with live_server(tmp_path):
            pytest.fail("the server must not come up")
    events = [entry["event"] for entry in logs]
    assert stopped == ["persister"]
    assert "server_started" not in events
    assert events[-1] == "server_stopped"  # the database, opened first, was closed last


async def test_every_running_component_is_stopped_when_the_server_stops(tmp_path: Path) -> None:
    async with live_server(tmp_path) as server:
        services = server.services
        persister_task = services.persister._task
        assert persister_task is not None and not persister_task.done()
        assert services.hub._ticker is not None
    assert services.hub._ticker is None
    assert services.persister._task is None
    assert persister_task.done()
