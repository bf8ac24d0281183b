"""One contract for every dispatch-state implementation: in memory and Redis (the machine's real
server, a key prefix of its own per test). Each test runs against both."""

from __future__ import annotations

import dataclasses

import pytest

from server.cluster.port import AsyncDispatchState, AsyncMemoryDispatchState
from server.core.agents import AgentProfile, Presence
from server.core.state import Offer, QueueEntry

pytestmark = pytest.mark.redis

T = 1_764_859_000.123456  # a wall-clock time with sub-millisecond digits: nothing may round it


def profile(agent_id: str = "a1", capacity: int = 2, skills: tuple[str, ...] = ()) -> AgentProfile:
    return AgentProfile(agent_id, f"Agent {agent_id} åäö", frozenset(skills), frozenset({"sv"}),
                        capacity)


def entry(case_id: str, queue: str = "general", priority: int = 0, front: bool = False,
          at: float = T) -> QueueEntry:
    return QueueEntry(case_id, queue, priority, front, at)


async def ready_agent(state: AsyncDispatchState, agent_id: str = "a1", capacity: int = 2) -> None:
    await state.connect_agent(profile(agent_id, capacity), T)
    await state.set_presence(agent_id, Presence.AVAILABLE, T + 1)


async def accepted(state: AsyncDispatchState, case_id: str, agent_id: str = "a1") -> None:
    await state.enqueue(entry(case_id))
    assert await state.offer(Offer(case_id, agent_id, T, T + 20)) is not None
    assert await state.accept(case_id, agent_id, T + 1) is not None


# ---------------------------------------------------------------------- agents


async def test_a_sign_in_is_away_online_and_idle_from_now(state: AsyncDispatchState) -> None:
    status = await state.connect_agent(profile(skills=("payments", "kassa")), T)
    assert (status.presence, status.online, status.idle_since, status.cases) == (
        Presence.AWAY, True, T, frozenset())
    assert status.profile == profile(skills=("payments", "kassa"))
    assert await state.agent("a1") == status
    assert await state.agents() == [status]


async def test_a_reconnect_within_the_grace_keeps_presence_and_cases(
        state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await accepted(state, "c1")
    lost = await state.disconnect_agent("a1", T + 5)
    assert lost is not None and (lost.online, lost.lost_at) == (False, T + 5)
    back = await state.connect_agent(profile(), T + 6)
    assert (back.online, back.presence, back.cases, back.lost_at) == (
        True, Presence.AVAILABLE, frozenset({"c1"}), None)


async def test_connecting_an_online_agent_again_brings_the_new_profile_and_keeps_the_rest(
        state: AsyncDispatchState) -> None:
    await ready_agent(state, capacity=1)
    await accepted(state, "c1")
    again = await state.connect_agent(profile(capacity=2, skills=("payments",)), T + 5)
    assert again.profile == profile(capacity=2, skills=("payments",))
    assert (again.online, again.presence, again.cases, again.idle_since) == (
        True, Presence.AVAILABLE, frozenset({"c1"}), T + 1)
    assert again.has_capacity
    assert await state.agent("a1") == again


async def test_a_sign_out_without_cases_starts_afresh_at_the_next_sign_in(
        state: AsyncDispatchState) -> None:
    await ready_agent(state)
    gone = await state.disconnect_agent("a1", T + 5)
    assert gone is not None and gone.lost_at is None  # nothing to give back: no grace
    again = await state.connect_agent(profile(), T + 9)
    assert (again.presence, again.idle_since) == (Presence.AWAY, T + 9)


async def test_commands_on_an_unknown_agent_are_refused(state: AsyncDispatchState) -> None:
    assert await state.set_presence("nobody", Presence.AVAILABLE, T) is None
    assert await state.disconnect_agent("nobody", T) is None
    assert await state.release("nobody", "c1", T) is None
    assert await state.settle_lost_agent("nobody", frozenset()) is None
    assert await state.agent("nobody") is None


async def test_becoming_available_without_a_case_makes_the_agent_idle_from_then(
        state: AsyncDispatchState) -> None:
    await state.connect_agent(profile(), T)
    status = await state.set_presence("a1", Presence.AVAILABLE, T + 3)
    assert status is not None and status.idle_since == T + 3
    again = await state.set_presence("a1", Presence.AVAILABLE, T + 8)  # no change of presence
    assert again is not None and again.idle_since == T + 3


async def test_becoming_available_with_a_case_keeps_the_idle_time(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await accepted(state, "c1")
    await state.set_presence("a1", Presence.BUSY, T + 4)
    status = await state.set_presence("a1", Presence.AVAILABLE, T + 5)
    assert status is not None and status.idle_since == T + 1


async def test_release_frees_the_agent_when_their_last_case_goes(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await accepted(state, "c1")
    await accepted(state, "c2")
    one_left = await state.release("a1", "c1", T + 10)
    assert one_left is not None and (one_left.cases, one_left.idle_since) == (frozenset({"c2"}), T + 1)
    free = await state.release("a1", "c2", T + 11)
    assert free is not None and (free.cases, free.idle_since) == (frozenset(), T + 11)


async def test_a_lost_agent_settles_by_dropping_the_given_cases(state: AsyncDispatchState) -> None:
    await ready_agent(state, capacity=3)
    await accepted(state, "c1")
    await accepted(state, "c2")
    await state.disconnect_agent("a1", T + 5)
    settled = await state.settle_lost_agent("a1", frozenset({"c1"}))
    assert settled is not None
    assert (settled.cases, settled.lost_at, settled.lost_grace_until) == (frozenset({"c2"}), None, None)


async def test_restore_gives_an_offline_agent_their_cases_with_the_longer_grace(
        state: AsyncDispatchState) -> None:
    first = await state.restore_agent(profile(), "c1", T, T + 30)
    assert (first.online, first.presence, first.lost_at, first.lost_grace_until, first.cases) == (
        False, Presence.AWAY, T, T + 30, frozenset({"c1"}))
    second = await state.restore_agent(profile(), "c2", T + 1, T + 31)
    assert second.cases == frozenset({"c1", "c2"}) and second.lost_grace_until == T + 30
    back = await state.connect_agent(profile(), T + 2)  # within the grace: the cases stay
    assert back.cases == frozenset({"c1", "c2"}) and back.online


# ---------------------------------------------------------------------- queues


async def test_the_queue_is_front_first_then_priority_then_time_then_arrival(
        state: AsyncDispatchState) -> None:
    await state.enqueue(entry("late", at=T + 2))
    await state.enqueue(entry("tie-1", at=T + 1))
    await state.enqueue(entry("tie-2", at=T + 1))
    await state.enqueue(entry("urgent", priority=5, at=T + 3))
    await state.enqueue(entry("back-first", front=True, at=T + 4))
    order = [e.case_id for e in await state.waiting("general")]
    assert order == ["back-first", "urgent", "tie-1", "tie-2", "late"]
    assert await state.entry("urgent") == entry("urgent", priority=5, at=T + 3)


async def test_enqueueing_again_moves_the_case_to_its_new_place(state: AsyncDispatchState) -> None:
    await state.enqueue(entry("c1"))
    await state.enqueue(entry("c1", queue="payments", at=T + 1))
    assert await state.waiting("general") == []
    assert [e.case_id for e in await state.waiting("payments")] == ["c1"]
    assert set(await state.queue_names()) == {"general", "payments"}


async def test_dequeue_returns_the_entry_once(state: AsyncDispatchState) -> None:
    await state.enqueue(entry("c1"))
    assert await state.dequeue("c1") == entry("c1")
    assert await state.dequeue("c1") is None
    assert await state.entry("c1") is None and await state.waiting("general") == []


# ---------------------------------------------------------------------- offers


async def test_an_offer_rings_a_ready_agent_for_a_waiting_case(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    offer = Offer("c1", "a1", T, T + 20)
    assert await state.offer(offer) == offer
    assert await state.offer_for_case("c1") == offer
    assert await state.offer_for_agent("a1") == offer
    assert await state.offers() == [offer]
    assert await state.entry("c1") is not None  # it keeps its place while it rings


async def test_an_offer_of_a_case_that_is_not_waiting_is_refused(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    assert await state.offer(Offer("c1", "a1", T, T + 20)) is None


async def test_a_case_is_never_offered_to_two_agents(state: AsyncDispatchState) -> None:
    await ready_agent(state, "a1")
    await ready_agent(state, "a2")
    await state.enqueue(entry("c1"))
    assert await state.offer(Offer("c1", "a1", T, T + 20)) is not None
    assert await state.offer(Offer("c1", "a2", T, T + 20)) is None
    assert await state.offer_for_agent("a2") is None


async def test_an_agent_rings_for_one_case_at_a_time(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    await state.enqueue(entry("c2"))
    assert await state.offer(Offer("c1", "a1", T, T + 20)) is not None
    assert await state.offer(Offer("c2", "a1", T, T + 20)) is None


@pytest.mark.parametrize("presence", [Presence.AWAY, Presence.BUSY])
async def test_an_agent_who_is_not_available_is_not_offered(
        state: AsyncDispatchState, presence: Presence) -> None:
    await ready_agent(state)
    await state.set_presence("a1", presence, T + 2)
    await state.enqueue(entry("c1"))
    assert await state.offer(Offer("c1", "a1", T, T + 20)) is None


async def test_an_offline_agent_is_not_offered(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.disconnect_agent("a1", T + 2)
    await state.enqueue(entry("c1"))
    assert await state.offer(Offer("c1", "a1", T, T + 20)) is None


async def test_an_agent_is_offered_up_to_their_capacity_and_not_one_past_it(
        state: AsyncDispatchState) -> None:
    await ready_agent(state, capacity=2)
    await accepted(state, "c1")  # one below the limit: offered
    await accepted(state, "c2")  # at the limit now
    await state.enqueue(entry("c3"))
    assert await state.offer(Offer("c3", "a1", T, T + 20)) is None
    await state.release("a1", "c1", T + 3)
    assert await state.offer(Offer("c3", "a1", T, T + 20)) is not None


async def test_accepting_makes_the_case_the_agents_and_ends_its_wait(
        state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    await state.offer(Offer("c1", "a1", T, T + 20))
    status = await state.accept("c1", "a1", T + 19.999)
    assert status is not None and status.cases == frozenset({"c1"})
    assert await state.entry("c1") is None
    assert await state.offer_for_case("c1") is None and await state.offer_for_agent("a1") is None


async def test_an_offer_cannot_be_accepted_by_another_agent(state: AsyncDispatchState) -> None:
    await ready_agent(state, "a1")
    await ready_agent(state, "a2")
    await state.enqueue(entry("c1"))
    await state.offer(Offer("c1", "a1", T, T + 20))
    assert await state.accept("c1", "a2", T + 1) is None
    assert await state.offer_for_case("c1") is not None  # still ringing for a1


async def test_an_offer_cannot_be_accepted_once_it_has_run_out(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    await state.offer(Offer("c1", "a1", T, T + 20))
    assert await state.accept("c1", "a1", T + 20) is None
    assert await state.entry("c1") is not None


async def test_only_the_offered_agent_can_decline(state: AsyncDispatchState) -> None:
    await ready_agent(state, "a1")
    await ready_agent(state, "a2")
    await state.enqueue(entry("c1"))
    offer = Offer("c1", "a1", T, T + 20)
    await state.offer(offer)
    assert await state.decline("c1", "a2") is None
    assert await state.decline("c1", "a1") == offer
    assert await state.offer(Offer("c1", "a2", T + 1, T + 21)) is not None  # free to ring again


async def test_a_withdrawn_offer_frees_the_case_and_the_agent(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    offer = Offer("c1", "a1", T, T + 20)
    await state.offer(offer)
    assert await state.withdraw("c1") == offer
    assert await state.withdraw("c1") is None
    assert await state.offer_for_agent("a1") is None and await state.offers() == []


async def test_an_offer_expires_at_its_time_and_not_before(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    offer = Offer("c1", "a1", T, T + 20)
    await state.offer(offer)
    assert await state.expire("c1", T + 19.999) is None
    expiry = await state.expire("c1", T + 20)
    assert expiry is not None and expiry.offer == offer and expiry.set_away
    assert expiry.agent is not None and expiry.agent.presence is Presence.AWAY
    assert await state.offer_for_case("c1") is None and await state.entry("c1") is not None


async def test_an_expired_offer_leaves_a_busy_agent_busy(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    await state.offer(Offer("c1", "a1", T, T + 20))
    await state.set_presence("a1", Presence.BUSY, T + 2)
    expiry = await state.expire("c1", T + 25)
    assert expiry is not None and not expiry.set_away
    assert expiry.agent is not None and expiry.agent.presence is Presence.BUSY


# ---------------------------------------------------------------------- values


async def test_values_are_immutable_and_a_later_command_leaves_an_old_one_alone(
        state: AsyncDispatchState) -> None:
    before = await state.connect_agent(profile(), T)
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.presence = Presence.AVAILABLE  # type: ignore[misc]
    after = await state.set_presence("a1", Presence.AVAILABLE, T + 1)
    assert before.presence is Presence.AWAY
    assert after is not None and after.presence is Presence.AVAILABLE


async def test_reset_forgets_everything(state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    await state.offer(Offer("c1", "a1", T, T + 20))
    await state.reset()
    assert (await state.agents(), await state.offers(), await state.waiting("general")) == ([], [], [])


# ---------------------------------------------------------------------- idempotent commands


async def test_a_command_repeated_under_its_id_is_applied_once_and_answers_the_first_result(
        state: AsyncDispatchState) -> None:
    await ready_agent(state)
    await state.enqueue(entry("c1"))
    assert await state.offer(Offer("c1", "a1", T, T + 20)) is not None
    first = await state.apply("accept", ("c1", "a1", T + 1), "node-a:run:7")
    again = await state.apply("accept", ("c1", "a1", T + 1), "node-a:run:7")
    assert first.result is not None and first.result.cases == frozenset({"c1"})
    assert (again.result, again.revision) == (first.result, first.revision)
    # the same command under a new id is a new command: refused, the offer is gone
    assert (await state.apply("accept", ("c1", "a1", T + 1), "node-a:run:8")).result is None
    status = await state.agent("a1")
    assert status is not None and status.cases == frozenset({"c1"})


async def test_commands_under_different_ids_are_each_applied(state: AsyncDispatchState) -> None:
    await state.apply("enqueue", (entry("c1", at=T),), "n:1")
    await state.apply("enqueue", (entry("c1", queue="kassa", at=T + 1),), "n:2")
    assert await state.entry("c1") == entry("c1", queue="kassa", at=T + 1)
    assert await state.waiting("general") == []


async def test_in_memory_a_command_id_is_forgotten_after_applied_ttl_seconds() -> None:
    clock = [0.0]
    state = AsyncMemoryDispatchState(applied_ttl_seconds=300, monotonic=lambda: clock[0])
    await state.apply("enqueue", (entry("c1"),), "n:1")
    assert (await state.apply("dequeue", ("c1",), "n:2")).result == entry("c1")
    await state.apply("enqueue", (entry("c1"),), "n:3")
    clock[0] = 299.999  # remembered: answered, not applied
    assert (await state.apply("dequeue", ("c1",), "n:2")).result == entry("c1")
    assert await state.entry("c1") == entry("c1")
    clock[0] = 300.0  # forgotten: a new command
    assert (await state.apply("dequeue", ("c1",), "n:2")).result == entry("c1")
    assert await state.entry("c1") is None
