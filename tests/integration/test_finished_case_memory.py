"""A finished case stays in memory for its page to resume, then only the database has it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from server.core.clock import ManualClock
from server.settings import load_settings

from .helpers import customer, press_help


async def test_a_finished_case_leaves_memory_one_second_after_the_setting_not_at_it(
    server_factory: Any,
) -> None:
    clock = ManualClock()
    async with server_factory(clock=clock, dispatch__finished_case_memory_seconds=120) as server:
        shopper = await customer(server)
        case_id = (await press_help(shopper))["case_id"]  # nobody online: callback requested
        await shopper.wait_for("technical_error")
        engine = server.services.engine
        finished_at = engine.cases[case_id].events[-1].at
        hub = server.services.hub

        clock.advance(finished_at + 120 - clock.now())
        await hub.housekeeping()
        assert case_id in engine.cases  # at the limit: still resumable

        clock.advance(1)
        await hub.housekeeping()
        assert case_id not in engine.cases
        await server.flush()
        row = await server.services.cases.get(case_id)
        assert row is not None and row["state"] == "callback_requested"  # the record stays


def test_finished_case_memory_has_a_floor_of_a_minute() -> None:
    at_the_floor = load_settings(dispatch__finished_case_memory_seconds=60)
    assert at_the_floor.dispatch.finished_case_memory_seconds == 60
    with pytest.raises(ValidationError, match="finished_case_memory_seconds"):
        load_settings(dispatch__finished_case_memory_seconds=59)
