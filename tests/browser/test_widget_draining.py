"""The widget when the server it reached is draining (about to stop, docs/protocol.md "Draining").

A Help press refused with node_draining makes the widget connect again — behind the load
balancer that lands on a server that stays — and press once more, so the customer sees the
queue, not an error. Here one server refuses the first press only (what a draining node does to
a socket it had not moved yet); the second press, on a new connection, opens the case.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, expect

from server.core.errors import NodeDraining
from server.signalling.rooms import CUSTOMER_NS
from tests.support.live import LiveServer
from tests.support.widget import (
    HELP_BUTTON,
    POSITION,
    case_id_of,
    fill_seed_cart,
    open_page,
    signed_in_agent,
)


async def test_a_help_press_refused_with_node_draining_reconnects_and_presses_once_more(
        server: LiveServer, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    refusals: list[str] = []
    drain = server.services.drain

    def draining_for_the_first_press() -> None:
        if not refusals:
            refusals.append("node_draining")
            raise NodeDraining()

    monkeypatch.setattr(drain, "check_new_case", draining_for_the_first_press)
    customers = server.services.sio.namespace_handlers[CUSTOMER_NS]
    connected: list[str] = []
    on_connect = customers.on_connect

    async def counted(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        connected.append(sid)
        await on_connect(sid, environ, auth)

    monkeypatch.setattr(customers, "on_connect", counted)
    async with signed_in_agent(server, skills=("payments",)):
        page = await open_page(browser, server.url + "/")
        await fill_seed_cart(page)
        await page.locator(HELP_BUTTON).click()
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        case_id = await case_id_of(page)
        assert refusals == ["node_draining"]
        assert len(connected) == 2  # the refused press's socket, then a new connection
        assert list(server.services.engine.cases) == [case_id]
        await page.context.close()
