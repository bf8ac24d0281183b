"""Every client event of every namespace, valid and mutated, against a real server.

For each input the answer is a correct acknowledgement or a typed refusal naming the event, never
`internal_error`; afterwards the server is healthy, the bystander case untouched, no task left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.signalling.agent import AgentNamespace
from server.signalling.customer import CustomerNamespace, KioskNamespace
from server.signalling.socketio_compat import RESERVED_EVENTS
from tests.support.live import Client

from .conftest import Arena, campaign_seconds, connect, press_help
from .strategies import HOSTILE, payloads

ROUTES = {"/customer": CustomerNamespace.routes, "/kiosk": KioskNamespace.routes,
          "/agent": AgentNamespace.routes}
ALL_NAMES = sorted({name for routes in ROUTES.values() for name in routes})


def campaign(run_round: Callable[[], None]) -> None:
    """One round of examples; under `make fuzz`, rounds until the campaign's time is spent."""
    deadline = time.monotonic() + campaign_seconds()
    run_round()
    while time.monotonic() < deadline:
        run_round()


def arguments(namespace: str) -> st.SearchStrategy[tuple[str, tuple[Any, ...]]]:
    """(event name, the arguments after it): a known event with a payload of its schema or a
    mutation of one; or none, or two; or a name of another namespace, a reserved or a random one."""
    known = st.sampled_from(sorted(ROUTES[namespace])).flatmap(
        lambda name: st.tuples(st.just(name), st.one_of(
            payloads(ROUTES[namespace][name].schema).map(lambda p: (p,)),
            st.just(()),
            st.tuples(HOSTILE, HOSTILE),
        )))
    other = st.tuples(
        st.one_of(st.sampled_from(ALL_NAMES), st.sampled_from(sorted(RESERVED_EVENTS)),
                  st.text(max_size=80)),
        st.one_of(st.just(({},)), HOSTILE.map(lambda p: (p,))),
    )
    return st.one_of(known, known, known, other)


async def _customer(arena: Arena, namespace: str) -> Client:
    auth = {"kiosk_id": "fuzz-kiosk"} if namespace == "/kiosk" else None
    client = await connect(arena.server.url, namespace, auth)
    await press_help(client)
    return client


@pytest.mark.parametrize("namespace", ["/customer", "/kiosk"])
def test_every_customer_event_is_answered_or_refused_typed(arena: Arena, namespace: str) -> None:
    client = arena.run(_customer(arena, namespace))
    tasks = arena.tasks()

    @given(call=arguments(namespace))
    @example(call=("cancel", (None,)))
    @example(call=("chat_send", ({"text": b"\x00binary"},)))
    @example(call=("chat_send", ({"text": "\ud800"},)))
    @example(call=("help_request", ({"context": {"store": "s", "page": "\udfff"}},)))
    @example(call=("connect", ({"x": 1},)))
    @example(call=("disconnect", ()))
    @example(call=("typing", ({"active": "yes"},)))
    @example(call=("feedback", ({"rating": True},)))
    def one(call: tuple[str, tuple[Any, ...]]) -> None:
        arena.call(client, call[0], call[1], f"events {namespace}")

    try:
        campaign(one)
        arena.check_after(tasks)
    finally:
        arena.run(client.close())


def test_every_agent_event_is_answered_or_refused_typed(arena: Arena) -> None:
    responder, shopper, case_id = arena.run(arena.pair())
    before_hello = arena.run(connect(arena.server.url, "/agent", {"token": responder.token}))
    tasks = arena.tasks()

    with_case = arguments("/agent").map(
        # most agent events name a case: often the agent's own, so the handlers run for real
        lambda call: (call[0], tuple({**a, "case_id": case_id} if isinstance(a, dict) and
                                     "case_id" in a else a for a in call[1])))

    @given(call=st.one_of(arguments("/agent"), with_case), early=st.booleans())
    @example(call=("queues_get", ({},)), early=True)
    @example(call=("disconnect", ({},)), early=False)
    @example(call=("case_close", ({"case_id": "\x00", "label": 1, "resolved": "yes"},)), early=False)
    @settings(max_examples=settings().max_examples)
    def one(call: tuple[str, tuple[Any, ...]], early: bool) -> None:
        arena.call(before_hello if early else responder.client, call[0], call[1], "events /agent")

    try:
        campaign(one)
        arena.check_after(tasks)
    finally:
        for client in (before_hello, responder.client, shopper):
            arena.run(client.close())
