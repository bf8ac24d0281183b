"""The 60-second promise is kept: overflow to a fallback that can answer in time, else offer a
callback before the deadline; with nobody at all, the technical-error path at once."""

from __future__ import annotations

from server.core.agents import Presence
from server.core.case import Case, CaseState
from server.core.effects import ForgetCase, SaveCallback, SaveCase
from server.core.engine import Outcome
from server.signalling.messages import ToCustomer
from tests.core.conftest import T0, Desk, DeskFactory, cart_of, to_agent, to_customer

S = CaseState

#: the shop queue overflows to backup; agents of one do not serve the other
PROMISE_RULES = """\
default_queue = "shop"

[queues.shop]
title_sv = "Butiken"
title_en = "The shop"
skills = ["shop"]
fallback = "backup"

[queues.backup]
title_sv = "Reserv"
title_en = "Backup"
skills = ["backup"]
"""


def shop_desk(make_desk: DeskFactory, **config: float) -> Desk:
    desk = make_desk(rules=PROMISE_RULES, **config)
    desk.agent("sam", skills={"shop"}, presence=Presence.BUSY)  # serves the shop, takes no offers now
    return desk


def three_waiting(desk: Desk) -> list[Case]:
    """With one serving agent and a 20 s mean: ETAs 20, 40 and 60 s; the third breaks the promise."""
    cases = [desk.press()[0] for _ in range(3)]
    assert [desk.engine.customer_view(c.id)["eta_seconds"] for c in cases] == [20, 40, 60]
    return cases


def overflows(case: Case) -> list[tuple[float, str, str, str]]:
    return [(e.at, e.detail["from_queue"], e.detail["to_queue"], e.detail["reason"])
            for e in case.events if e.kind == "overflow"]


def callback_offers(effects: list[Outcome], case_id: str) -> list[ToCustomer]:
    return to_customer(effects, "callback_offer", case_id)


# --- kept in the queue ----------------------------------------------------------------------


def test_a_case_predicted_to_be_answered_in_time_is_left_alone_until_the_guard(
    make_desk: DeskFactory,
) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"})
    case, _ = desk.press()

    seen: list[Outcome] = []
    for second in range(0, 50):
        seen += desk.tick_at(second + 0.9)

    assert case.queue == "shop"
    assert overflows(case) == []
    assert callback_offers(seen, case.id) == []


# --- overflow -------------------------------------------------------------------------------


def test_a_case_predicted_past_the_guard_overflows_to_a_fallback_agent_who_can_answer_in_time(
    make_desk: DeskFactory,
) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"})
    first, second, third = three_waiting(desk)

    effects = desk.tick_at(1)

    assert third.queue == "backup"
    assert third.overflowed
    assert overflows(third) == [(T0 + 1, "shop", "backup", "promise_at_risk")]
    assert third.state is S.OFFERED
    assert [(o.agent_id, o.payload["case_id"], o.payload["queue"]) for o in to_agent(effects, "offer")] == [
        ("bea", third.id, "backup")]
    assert SaveCase(third.id) in effects
    assert callback_offers(effects, third.id) == []
    # the two predicted in time stay where they are
    assert (first.queue, second.queue) == ("shop", "shop")
    assert overflows(first) == overflows(second) == []


def test_the_overflowed_customer_is_told_the_new_queue(make_desk: DeskFactory) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"}, presence=Presence.BUSY)
    *_, third = three_waiting(desk)

    effects = desk.tick_at(1)

    (status,) = to_customer(effects, "queue_status", third.id)
    assert status.payload["queue"] == "backup"
    assert status.payload["queue_title"] == {"sv": "Reserv", "en": "Backup"}
    assert (status.payload["position"], status.payload["eta_seconds"]) == (1, 20)


def test_an_overflowed_case_keeps_its_place_by_its_original_queueing_time(make_desk: DeskFactory) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"}, presence=Presence.BUSY)
    *_, third = three_waiting(desk)
    desk.tick_at(1)
    entry = desk.engine.state.entry(third.id)
    assert entry is not None
    assert (entry.queue, entry.enqueued_at) == ("backup", T0)
    # the promise still counts from the first time the case was queued
    assert third.first_entered(S.QUEUED) == T0


# --- callback offer -------------------------------------------------------------------------


def test_without_a_fallback_agent_the_customer_at_risk_is_offered_a_callback_once(
    make_desk: DeskFactory,
) -> None:
    desk = shop_desk(make_desk)
    *_, third = three_waiting(desk)

    effects = desk.tick_at(1)

    (offer,) = callback_offers(effects, third.id)
    assert offer.payload == {"case_id": third.id, "reason": "promise_at_risk"}
    assert third.callback_offered
    assert third.state is S.QUEUED and third.queue == "shop"
    assert [e.at for e in third.events if e.kind == "callback_offered"] == [T0 + 1]

    later: list[Outcome] = []
    for second in range(2, 120):
        later += desk.tick_at(second)
    assert callback_offers(later, third.id) == []
    assert [e.kind for e in third.events].count("callback_offered") == 1


def test_a_fallback_too_slow_for_the_deadline_does_not_take_the_case(make_desk: DeskFactory) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"}, presence=Presence.BUSY)
    desk.engine.eta.observe("backup", 200)  # 20 + 0.3·180 = 74 s, past the 60 s deadline
    *_, third = three_waiting(desk)

    effects = desk.tick_at(1)

    assert overflows(third) == []
    assert third.queue == "shop"
    assert len(callback_offers(effects, third.id)) == 1


def test_a_fallback_that_can_just_make_the_deadline_takes_the_case(make_desk: DeskFactory) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"}, presence=Presence.BUSY)
    desk.engine.eta.observe("backup", 153 + 1 / 3)  # 20 + 0.3·133.33 = 60 s: answered right at the deadline
    *_, third = three_waiting(desk)

    desk.tick_at(0)

    assert [(f, t) for _, f, t, _ in overflows(third)] == [("shop", "backup")]


def test_a_wait_reaching_the_promise_minus_the_guard_offers_a_callback_before_the_deadline(
    make_desk: DeskFactory,
) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"}, presence=Presence.BUSY)  # 50 + 20 > 60: no help in time
    case, _ = desk.press()  # predicted at T0 + 20, yet nobody takes it

    assert callback_offers(desk.tick_at(49.9), case.id) == []

    effects = desk.tick_at(50)  # promise 60 − guard 10

    assert len(callback_offers(effects, case.id)) == 1
    assert overflows(case) == []


def test_a_wait_reaching_the_guard_overflows_when_the_fallback_is_fast_enough(
    make_desk: DeskFactory,
) -> None:
    desk = shop_desk(make_desk)
    desk.agent("bea", skills={"backup"})
    desk.engine.eta.observe("backup", 0)
    desk.engine.eta.observe("backup", 0)  # 20 · 0.7² = 9.8 s: the backup team answers in time
    case, _ = desk.press()

    desk.tick_at(49.9)
    assert case.queue == "shop"
    effects = desk.tick_at(50)

    assert overflows(case) == [(T0 + 50, "shop", "backup", "promise_at_risk")]
    assert desk.offered_to(case.id) == "bea"
    assert callback_offers(effects, case.id) == []


def test_the_guard_is_configurable(make_desk: DeskFactory) -> None:
    desk = shop_desk(make_desk, promise_seconds=30, promise_guard_seconds=7.5)
    case, _ = desk.press()
    assert callback_offers(desk.tick_at(22.4), case.id) == []
    assert len(callback_offers(desk.tick_at(22.5), case.id)) == 1


def test_a_queue_nobody_serves_right_now_offers_the_callback_at_the_first_tick(
    make_desk: DeskFactory,
) -> None:
    desk = make_desk(rules=PROMISE_RULES)
    desk.agent("sam", skills={"shop"}, presence=None)  # online but away: the ETA is unknown
    case, _ = desk.press()
    assert case.state is S.QUEUED

    effects = desk.tick_at(0)

    assert len(callback_offers(effects, case.id)) == 1


def test_a_customer_taking_the_callback_leaves_the_queue_with_their_cart_kept(make_desk: DeskFactory) -> None:
    desk = shop_desk(make_desk)
    case, _ = desk.press(cart=cart_of(142.5))
    desk.tick_at(50)

    effects = desk.engine.request_callback(case.id, "+46701234567")

    assert case.state is S.CALLBACK_REQUESTED
    (saved,) = [e for e in effects if isinstance(e, SaveCallback)]
    assert saved == SaveCallback(case.id, T0 + 50, "customer_asked", "+46701234567",
                                 case.context["cart"], T0 + 50 + 300)
    assert len(to_customer(effects, "callback_confirmed", case.id)) == 1
    assert desk.engine.state.entry(case.id) is None


# --- no service at all: the technical-error path --------------------------------------------


def assert_technical_error(case: Case, effects: list[Outcome], at: float) -> None:
    assert case.state is S.CALLBACK_REQUESTED
    assert case.entered(S.CALLBACK_REQUESTED) == at
    assert case.events[-1].detail == {"reason": "no_service"}
    saves = [e for e in effects if isinstance(e, (SaveCase, SaveCallback))]
    assert saves == [
        SaveCase(case.id),  # the case row first, then its callback request
        SaveCallback(case.id, at, "no_service", None, case.context["cart"], at + 300),
    ]
    (error,) = to_customer(effects, "technical_error", case.id)
    assert error.payload == {"case_id": case.id, "reason": "no_service", "cart_hold_seconds": 300}
    assert ForgetCase(case.id) in effects
    assert to_customer(effects, "queue_status") == []


def test_with_no_agent_online_at_all_the_press_takes_the_technical_error_path(desk: Desk) -> None:
    desk.clock.advance(7)
    case, effects = desk.press(cart=cart_of(100, 42.5))

    assert_technical_error(case, effects, T0 + 7)
    assert case.context["cart"]["lines"][1]["unit_price"] == 42.5
    assert desk.engine.state.waiting("general") == []


def test_agents_who_cannot_serve_the_queue_or_its_fallbacks_mean_no_service(desk: Desk) -> None:
    desk.agent("sara", languages={"sv"})  # not English, not on call

    case, effects = desk.press(language="en", cart=cart_of(142.5))

    assert case.queue == "english"
    assert_technical_error(case, effects, T0)
    assert to_agent(effects, "offer") == []


def test_the_cart_hold_is_configurable(make_desk: DeskFactory) -> None:
    desk = make_desk(cart_hold_seconds=120)
    case, effects = desk.press()
    (saved,) = [e for e in effects if isinstance(e, SaveCallback)]
    assert saved.cart_expires_at == T0 + 120
    assert to_customer(effects, "technical_error")[0].payload["cart_hold_seconds"] == 120


def test_an_agent_online_only_in_the_fallback_takes_the_case_there_at_once(desk: Desk) -> None:
    desk.agent("olle", skills={"oncall"})  # on call, but no payments skill

    case, effects = desk.press(payment_step="payment")

    assert case.rule == "payment-step"
    assert case.queue == "oncall"
    assert [(f, t, r) for _, f, t, r in overflows(case)] == [
        ("payment-experts", "oncall", "no_agent_online")]
    assert case.overflowed
    assert desk.offered_to(case.id) == "olle"


def test_cancelling_a_case_after_the_technical_error_changes_nothing(desk: Desk) -> None:
    """The customer closes the overlay after asking for a callback: the case is already finished."""
    case, _ = desk.press()
    assert case.is_finished

    assert desk.engine.cancel(case.id) == []
    assert case.state is S.CALLBACK_REQUESTED
