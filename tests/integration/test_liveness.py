"""A customer whose device goes silent (frozen process, network gone without a FIN) is noticed in
seconds: the agent sees them offline, the queue stops counting them, and a device that comes back
within the grace period resumes its case and its place.

The customer is a real process (tests/support/customer_process.py) frozen with SIGSTOP: its
socket stays open and the kernel acknowledges every segment, so only Engine.IO's heartbeat can
tell. The liveness settings are the shipped defaults; each figure is printed and held to its bound.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from server.settings.dispatch import DispatchSettings
from server.settings.network import NetworkSettings
from tests.support.frozen import peer_process
from tests.support.live import LiveServer

from .helpers import agent, count, customer, fresh, press_help

#: the shipped defaults of everything that decides how fast a silent customer is noticed
LIVENESS_DEFAULTS: dict[str, Any] = {
    "network__ping_interval_seconds": NetworkSettings().ping_interval_seconds,
    "network__ping_timeout_seconds": NetworkSettings().ping_timeout_seconds,
    "dispatch__customer_grace_seconds": DispatchSettings().customer_grace_seconds,
    "dispatch__tick_seconds": DispatchSettings().tick_seconds,
}
#: the brief's bound for a silent chat customer; the defaults' worst case (a ping answered just
#: before the freeze, then interval + timeout + one heartbeat sweep) is 8.25 s
SILENT_SOCKET_BOUND_SECONDS = 10.0
#: the brief's bound for a ghost in the queue
GHOST_BOUND_SECONDS = 15.0
DEVICE = "tests.support.customer_process"


def general(overview: dict[str, Any]) -> dict[str, Any]:
    return next(q for q in overview["queues"] if q["name"] == "general")


def counted(overview: dict[str, Any]) -> list[str]:
    return [c["case_id"] for c in general(overview)["cases"]]


def test_the_defaults_notice_a_silent_socket_within_ten_seconds_at_worst() -> None:
    worst = (LIVENESS_DEFAULTS["network__ping_interval_seconds"]
             + LIVENESS_DEFAULTS["network__ping_timeout_seconds"]
             + LIVENESS_DEFAULTS["dispatch__tick_seconds"])
    assert worst <= SILENT_SOCKET_BOUND_SECONDS


async def test_a_frozen_chat_customer_is_shown_offline_to_the_agent_within_ten_seconds(
    server_factory: Any, tmp_path: Path,
) -> None:
    async with server_factory(**LIVENESS_DEFAULTS) as server:
        lisa = await agent(server, "lisa", "Lisa")
        async with peer_process(DEVICE, server.url, log=tmp_path / "customer.log") as device:
            case_id = (await device.next("opened"))["case_id"]
            assert (await lisa.accept_next_offer())["case_id"] == case_id
            assert (await lisa.client.wait_for("case_assigned"))["customer_connected"] is True

            frozen_at = device.freeze()
            offline = await lisa.client.wait_for(
                "customer_connection", lambda e: e["connected"] is False, timeout=20)
            noticed = time.monotonic() - frozen_at
            print(f"\nfrozen chat customer shown offline after {noticed:.2f} s"
                  f" (bound {SILENT_SOCKET_BOUND_SECONDS:.0f} s)")
            assert offline == {"case_id": case_id, "connected": False}
            assert noticed <= SILENT_SOCKET_BOUND_SECONDS

            # thawed within the grace: the device reconnects, resumes, and is shown online again
            device.thaw()
            resumed = await device.next("resumed", timeout=10)
            assert (resumed["case_id"], resumed["case"]["state"]) == (case_id, "active")
            online = await lisa.client.wait_for(
                "customer_connection", lambda e: e["connected"] is True, timeout=5)
            assert online == {"case_id": case_id, "connected": True}
            assert "customer_left" not in lisa.client.received


async def _ghost_and_one_behind(server: LiveServer, device: Any) -> tuple[Any, str, Any, str]:
    # Omar can serve the queue but is on a break, so both customers wait
    omar = await agent(server, "omar", "Omar", available=False)
    ghost = (await device.next("opened"))["case_id"]
    behind = await customer(server)
    behind_id = (await press_help(behind))["case_id"]
    await behind.wait_for("queue_status", lambda s: s["position"] == 1 + 1)
    await omar.client.wait_for("queues", lambda o: counted(o) == [ghost, behind_id])
    return omar, ghost, behind, behind_id


async def test_a_frozen_waiting_customer_stops_counting_in_the_queue_within_fifteen_seconds(
    server_factory: Any, tmp_path: Path,
) -> None:
    async with server_factory(**LIVENESS_DEFAULTS) as server:
        async with peer_process(DEVICE, server.url, log=tmp_path / "ghost.log") as device:
            omar, ghost, behind, behind_id = await _ghost_and_one_behind(server, device)

            mark, behind_mark = count(omar.client, "queues"), count(behind, "queue_status")
            frozen_at = device.freeze()
            overview = await fresh(omar.client, "queues", lambda o: ghost not in counted(o),
                                   since=mark, timeout=25)
            noticed = time.monotonic() - frozen_at
            print(f"\nfrozen waiting customer left the queue overview after {noticed:.2f} s"
                  f" (bound {GHOST_BOUND_SECONDS:.0f} s)")
            assert noticed <= GHOST_BOUND_SECONDS
            queue = general(overview)
            assert (queue["waiting"], queue["away"], counted(overview)) == (1, 1, [behind_id])
            # the customer behind is told they are next; the ghost's case is only kept, not lost
            await fresh(behind, "queue_status", lambda s: s["position"] == 1, since=behind_mark)
            assert server.services.engine.case(ghost).state.value == "queued"


async def test_a_frozen_waiting_customer_thawed_within_the_grace_resumes_and_keeps_their_place(
    server_factory: Any, tmp_path: Path,
) -> None:
    async with server_factory(**LIVENESS_DEFAULTS) as server:
        async with peer_process(DEVICE, server.url, log=tmp_path / "ghost.log") as device:
            omar, ghost, behind, behind_id = await _ghost_and_one_behind(server, device)
            mark, behind_mark = count(omar.client, "queues"), count(behind, "queue_status")
            frozen_at = device.freeze()
            await fresh(omar.client, "queues", lambda o: ghost not in counted(o), since=mark,
                        timeout=25)
            await fresh(behind, "queue_status", lambda s: s["position"] == 1, since=behind_mark)
            mark, behind_mark = count(omar.client, "queues"), count(behind, "queue_status")

            # back before customer_grace_seconds: Engine.IO closed the old socket meanwhile, so the
            # device reconnects and resumes with its case token
            seen = len(device.lines)
            device.thaw()
            resumed = await device.next("resumed", since=seen, timeout=10)
            away_for = time.monotonic() - frozen_at
            grace = LIVENESS_DEFAULTS["dispatch__customer_grace_seconds"]
            print(f"\nthawed after {away_for:.2f} s (grace {grace:.0f} s)")
            assert away_for < LIVENESS_DEFAULTS["dispatch__customer_grace_seconds"]
            assert resumed["case_id"] == ghost
            assert (resumed["case"]["state"], resumed["case"]["position"]) == ("queued", 1)
            assert (await device.next("queue_status", since=seen))["position"] == 1
            await fresh(behind, "queue_status", lambda s: s["position"] == 1 + 1, since=behind_mark)
            overview = await fresh(omar.client, "queues", lambda o: counted(o) == [ghost, behind_id],
                                   since=mark)
            assert general(overview)["away"] == 0
            assert general(overview)["waiting"] == 1 + 1
            waiting = server.services.engine.state.waiting("general")
            assert [entry.case_id for entry in waiting] == [ghost, behind_id]
