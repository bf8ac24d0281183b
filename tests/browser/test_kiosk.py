"""The self-checkout kiosk page: big touch targets, the same Help widget on the /kiosk namespace."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.support.live import LiveServer
from tests.support.widget import (
    DIALOG,
    HELP_BUTTON,
    POSITION,
    PROMISE,
    SV_BUTTON,
    SV_PROMISE,
    case_id_of,
    open_page,
    signed_in_agent,
)

KIOSK = {"width": 1280, "height": 1024}


async def test_a_help_press_on_the_kiosk_opens_a_kiosk_case_carrying_the_kiosk_id(
    server: LiveServer, browser: Browser, artifacts: Path
) -> None:
    async with signed_in_agent(server, presence="available") as agent:
        page = await open_page(browser, server.url + "/kiosk?store=kista-1&kiosk=kiosk-7", KIOSK)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Skannade varor")
        await expect(page.locator("#kiosk-id")).to_have_text("Kassa kiosk-7")
        for _ in range(3):
            await page.click("[data-action=scan]")
        await expect(page.locator(".scanned-item")).to_have_count(3)
        pay = page.locator("[data-action=pay]")
        await expect(pay).to_have_text(re.compile(r"Betala 78,90\s*kr"))
        # touch targets at arm's length: well above 44 px
        for target in (pay, page.locator("[data-action=scan]"), page.locator(HELP_BUTTON)):
            box = await target.bounding_box()
            assert box is not None and box["height"] >= 64 and box["width"] >= 64, box
        button = page.get_by_role("button", name=SV_BUTTON, exact=True)
        await expect(button).to_be_visible()
        await expect(page.locator(PROMISE)).to_have_text(SV_PROMISE)
        # the container later issues use for consent and age prompts is there, empty and hidden
        await expect(page.locator("#kiosk-prompts")).to_be_attached()
        await expect(page.locator("#kiosk-prompts")).to_be_hidden()
        await page.screenshot(path=artifacts / "kiosk-page.png", full_page=True)

        await agent.presence("busy")  # so the case waits in the queue
        await button.click()
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        case_id = await case_id_of(page)
        await agent.presence("available")
        offer = await agent.accept_offer()
        assert offer["case_id"] == case_id
        assert offer["summary"]["channel"] == "kiosk"
        assert offer["summary"]["position"] == "checkout"
        assigned = await agent.client.wait_for("case_assigned", lambda c: c["case_id"] == case_id)
        assert assigned["kiosk_id"] == "kiosk-7"
        await expect(page.locator(f"{DIALOG} .hw-status-main")).to_have_text("Lisa är här")

        await server.flush()
        row = await server.services.cases.get(case_id)
        assert row is not None
        assert (row["channel"], row["kiosk_id"], row["store"]) == ("kiosk", "kiosk-7", "kista-1")
        context = row["context"]
        assert (context["device"], context["position"], context["payment_step"]) == (
            "kiosk", "checkout", "cart")
        assert [line["sku"] for line in context["cart"]["lines"]] == [
            "mjolk-1l", "brod-rag", "starkol-50"]
        assert context["cart"]["lines"][2]["age_restricted"] is True
