"""Admin changes while cases run (core/engine/live.py): labels, queues and an agent's profile
take effect at the next decision; nothing already decided is undone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.core.agents import AgentProfile, Presence
from server.core.case import CaseState
from server.core.errors import UnknownLabel
from server.core.routing import RuleSet
from tests.core.conftest import Desk

S = CaseState


def test_new_labels_close_the_next_case_and_old_ones_are_refused(desk: Desk) -> None:
    desk.agent("lisa")
    case = desk.answered("lisa")
    desk.engine.end_conversation("lisa", case.id)
    desk.engine.set_labels(("kassa",))
    with pytest.raises(UnknownLabel):
        desk.engine.close("lisa", case.id, "betalningsfråga", True)
    desk.engine.close("lisa", case.id, "kassa", True)
    assert desk.engine.case(case.id).label == "kassa"


def test_a_raised_capacity_brings_the_waiting_case_to_the_online_agent_at_once(desk: Desk) -> None:
    desk.agent("lisa", max_concurrent=1)
    desk.answered("lisa")
    waiting, _ = desk.press()
    assert waiting.state is S.QUEUED
    profile = desk.status("lisa").profile
    desk.engine.agent_profile_changed(replace(profile, max_concurrent=2))
    assert desk.offered_to(waiting.id) == "lisa"
    assert len(desk.status("lisa").cases) == 1  # the case they had is still theirs


def test_a_profile_change_of_an_offline_agent_waits_for_their_sign_in(desk: Desk) -> None:
    assert desk.engine.agent_profile_changed(AgentProfile("nobody", "Nobody")) == []
    assert desk.engine.state.agent("nobody") is None


def test_new_queue_rules_are_refused_while_a_live_case_waits_in_a_queue_they_lack(
    desk: Desk,
) -> None:
    desk.agent("lisa", presence=Presence.BUSY)  # the case waits
    case, _ = desk.press()
    assert case.state is S.QUEUED
    rules = desk.engine.rules
    without = RuleSet(rules.default_queue,
                      {n: q for n, q in rules.queues.items() if n != case.queue}, rules.rules)
    with pytest.raises(ValueError, match=case.queue):
        desk.engine.set_rules(without)
    assert desk.engine.rules is rules
