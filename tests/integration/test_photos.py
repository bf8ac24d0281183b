"""Photos over a live server: uploaded with the case token, announced to the case's agent only,
fetched with the agent token, refused with stable codes, gone when the case is over."""

from __future__ import annotations

import io
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
import pytest
from PIL import Image

from server.core.history import PhotoSent
from server.photos.sanitise import CleanPhoto, PhotoLimits, sanitise
from tests.integration.helpers import active_case, agent, customer, ok, press_help
from tests.support.live import LiveServer
from tests.support.photos import assert_clean_jpeg, encoded, heic_header, jpeg_with_metadata, picture

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


async def upload(server: LiveServer, token: str, data: bytes,
                 content_type: str = "image/jpeg") -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(
        f"{server.url}/api/photos", data=io.BytesIO(data),
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    ) as response:
        return response.status, await response.json()


async def fetch(server: LiveServer, token: str, photo_id: str) -> tuple[int, bytes, Any]:
    async with aiohttp.ClientSession() as http, http.get(
        f"{server.url}/api/photos/{photo_id}", headers={"Authorization": f"Bearer {token}"},
    ) as response:
        return response.status, await response.read(), response.headers


async def test_a_photo_reaches_the_cases_agent_clean_and_the_history_records_only_its_size(
    server: LiveServer,
) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    omar = await agent(server, "omar", "Omar")
    client, case_id, ack = await active_case(server, lisa)
    status, body = await upload(server, ack["case_token"], jpeg_with_metadata(800, 600))
    assert status == 201, body
    photo = body["photo"]
    assert (photo["case_id"], photo["width"], photo["height"], photo["media_type"]) == (
        case_id, 800, 600, "image/jpeg")
    shared = await lisa.client.wait_for("photo_shared", lambda p: p["photo_id"] == photo["photo_id"])
    assert shared == {**photo, "url": f"/api/photos/{photo['photo_id']}"}
    status, data, headers = await fetch(server, lisa.token, photo["photo_id"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert headers["Cache-Control"] == "no-store"
    assert len(data) == photo["bytes"]
    assert_clean_jpeg(data)
    # another agent is told nothing and gets nothing; nor does the customer's socket hear of it
    assert "photo_shared" not in omar.client.received
    assert (await fetch(server, omar.token, photo["photo_id"]))[0] == 404
    assert "photo_shared" not in client.received
    # both sides' case views list it (a reconnecting console fetches it again), never its bytes
    listed = {k: photo[k] for k in ("photo_id", "at", "width", "height", "bytes")}
    engine = server.services.engine
    assert engine.agent_view(case_id)["photos"] == [{**listed, "url": shared["url"]}]
    assert engine.customer_view(case_id)["photos"] == [listed]
    # the history holds the fact, not the photo
    case = server.services.engine.case(case_id)
    sent = [e for e in case.events if isinstance(e, PhotoSent)]
    assert [(e.photo_id, e.width, e.height, e.size_bytes, e.source_type) for e in sent] == [
        (photo["photo_id"], 800, 600, photo["bytes"], "JPEG")]


async def test_refusals_carry_stable_codes(server_factory: Factory) -> None:
    async with server_factory(photos={"max_bytes": 50_000,
                                      "per_case": {"burst": 20, "per_seconds": 60}}) as server:
        lisa = await agent(server, "lisa", "Lisa")
        _, _, ack = await active_case(server, lisa)
        token = ack["case_token"]
        cases = [
            (heic_header(), 415, "photo_type_refused"),
            (encoded(picture(20, 20), "GIF"), 415, "photo_type_refused"),
            (b"not a photo at all", 422, "photo_unreadable"),
            (b"\xff\xd8\xff" + b"\x00" * 40, 422, "photo_unreadable"),
        ]
        for data, status, code in cases:
            got, body = await upload(server, token, data)
            assert (got, body["error"]["code"]) == (status, code), body
        # the size limit is kept while reading: exactly max_bytes is read, one more is refused
        photo = encoded(picture(64, 64), "JPEG")
        assert (await upload(server, token, photo + b"\x00" * (50_000 - len(photo))))[0] == 201
        got, body = await upload(server, token, photo + b"\x00" * (50_001 - len(photo)))
        assert (got, body["error"]["code"]) == (413, "photo_too_large")
        # sent in chunks without a Content-Length: refused once the read passes the limit
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"\xff" * 10_000

        async with aiohttp.ClientSession() as http, http.post(
            f"{server.url}/api/photos", data=chunks(),
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
            assert (response.status, (await response.json())["error"]["code"]) == (
                413, "photo_too_large")
        got, body = await upload(server, "forged-token", photo)
        assert (got, body["error"]["code"]) == (401, "invalid_token")


async def test_a_photo_needs_an_agent_in_the_case(server: LiveServer) -> None:
    client = await customer(server)
    ack = await press_help(client)
    got, body = await upload(server, ack["case_token"], encoded(picture(20, 20), "PNG"))
    assert (got, body["error"]["code"]) == (409, "photo_needs_agent")


async def test_photos_per_case_are_rate_limited_at_the_burst(server_factory: Factory) -> None:
    async with server_factory(photos={"per_case": {"burst": 2, "per_seconds": 60}}) as server:
        lisa = await agent(server, "lisa", "Lisa")
        _, _, ack = await active_case(server, lisa)
        photo = encoded(picture(30, 30), "PNG")
        for _ in range(2):
            assert (await upload(server, ack["case_token"], photo))[0] == 201
        got, body = await upload(server, ack["case_token"], photo)
        assert (got, body["error"]["code"]) == (429, "rate_limited")
        assert body["error"]["retry_after"] >= 1


async def test_the_case_budget_refuses_the_photo_that_does_not_fit(server_factory: Factory) -> None:
    async with server_factory(photos={"case_budget_bytes": 64 * 1024}) as server:
        lisa = await agent(server, "lisa", "Lisa")
        _, case_id, ack = await active_case(server, lisa)
        big = encoded(picture(1200, 900), "PNG")
        statuses = []
        for _ in range(5):
            got, body = await upload(server, ack["case_token"], big)
            statuses.append(got if got == 201 else body["error"]["code"])
        assert "photo_case_budget_full" in statuses and statuses[0] == 201, statuses
        assert server.services.photos.memory.case_bytes(case_id) <= 64 * 1024


async def test_photos_are_dropped_when_the_case_is_over(server: LiveServer) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    _, case_id, ack = await active_case(server, lisa)
    got, body = await upload(server, ack["case_token"], jpeg_with_metadata())
    assert got == 201
    photo_id = body["photo"]["photo_id"]
    assert (await fetch(server, lisa.token, photo_id))[0] == 200
    ok(await lisa.call("conversation_end", {"case_id": case_id}))
    ok(await lisa.call("case_close", {"case_id": case_id, "label": "tekniskt fel",
                                      "resolved": True}))
    await lisa.client.wait_for("case_closed", lambda e: e["case_id"] == case_id)
    memory = server.services.photos.memory
    assert memory.get(photo_id) is None and memory.used == 0
    got, _, _ = await fetch(server, lisa.token, photo_id)
    assert got == 404


async def test_photos_are_cleaned_in_the_photo_threads_never_on_the_event_loop(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[str] = []

    def watched(data: bytes, limits: PhotoLimits) -> CleanPhoto:
        threads.append(threading.current_thread().name)
        return sanitise(data, limits)

    monkeypatch.setattr("server.photos.service.sanitise", watched)
    lisa = await agent(server, "lisa", "Lisa")
    _, _, ack = await active_case(server, lisa)
    assert (await upload(server, ack["case_token"], jpeg_with_metadata()))[0] == 201
    assert len(threads) == 1 and threads[0].startswith("helpwire-photo"), threads
    assert threads[0] != threading.main_thread().name


async def test_the_server_memory_budget_counts_uploads_being_cleaned(server_factory: Factory) -> None:
    budget = 1024 * 1024
    async with server_factory(photos={"memory_budget_bytes": budget, "case_budget_bytes": budget,
                                      "max_bytes": 4 * budget}) as server:
        lisa = await agent(server, "lisa", "Lisa")
        _, _, ack = await active_case(server, lisa)
        noise = encoded(Image.effect_noise((900, 900), 128).convert("RGB"), "PNG")
        assert len(noise) > budget
        got, body = await upload(server, ack["case_token"], noise)
        assert (got, body["error"]["code"]) == (503, "photo_memory_full"), body
        assert server.services.photos.memory.in_flight == 0


async def test_a_kiosk_sends_a_photo_from_its_camera_like_a_shop_customer(server: LiveServer) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    kiosk = await customer(server, "/kiosk", {"kiosk_id": "kassa-3"})
    ack = await press_help(kiosk, {"store": "ica-maxi-lund", "language": "sv"})
    offer = await lisa.client.wait_for("offer", lambda o: o["case_id"] == ack["case_id"])
    ok(await lisa.call("offer_accept", {"case_id": offer["case_id"]}))
    got, body = await upload(server, ack["case_token"], encoded(picture(640, 480), "WEBP"))
    assert got == 201, body
    await lisa.client.wait_for("photo_shared", lambda p: p["case_id"] == ack["case_id"])
