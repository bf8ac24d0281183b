"""HTTP bodies are checked as strictly as socket events: depth before parsing, no coercion, JSON errors."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from server.web.body import json_depth
from tests.support.live import LiveServer

from .test_http import post

KEY = "pos-key-1"
BODY_PATHS = ["/api/agent/login", "/api/purchases", "/api/sessions/exposure",
              "/api/sessions/progress"]
JSON = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_depth_is_counted_on_the_text_and_brackets_in_strings_do_not_count() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}', 8) == 3
    assert json_depth(b'{"a": "\\"[[[["}', 8) == 1
    assert json_depth(b"7", 8) == 0
    assert json_depth(deep(100_000).encode(), 8) == 9  # stops once past the limit


@pytest.mark.parametrize("path", BODY_PATHS)
async def test_a_body_nested_a_thousand_levels_is_400_payload_too_deep(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]], path: str,
) -> None:
    async with server_factory(ingest_api_keys=[KEY]) as server:
        limit = server.settings.limits.max_json_depth
        for depth in (1000, 30_000, limit + 1):
            status, _, body = await post(server, path, data=deep(depth), headers=JSON)
            assert status == 400, (depth, body)
            assert body["error"]["code"] == "payload_too_deep"
        # at the limit the body is parsed (and then refused by the schema, not as too deep)
        status, _, body = await post(server, path, data=deep(limit), headers=JSON)
        assert (status, body["error"]["code"]) == (400, "invalid_payload")


@pytest.mark.parametrize("text", ['{"username": "\\ud800", "password": "x"}',
                                  '{"username": "lisa", "password": NaN}'])
async def test_a_lone_surrogate_or_nan_in_a_body_is_invalid_json(server: LiveServer, text: str) -> None:
    status, _, body = await post(server, "/api/agent/login", data=text, headers=JSON)
    assert (status, body["error"]["code"]) == (400, "invalid_json")


@pytest.mark.parametrize("login", [{"username": "lisa", "password": 12345678},
                                   {"username": ["lisa"], "password": "password123"},
                                   {"username": "li\x00sa", "password": "password123"}])
async def test_login_fields_are_not_coerced_nor_control_characters_taken(
    server: LiveServer, login: dict[str, Any],
) -> None:
    status, _, body = await post(server, "/api/agent/login", json=login)
    assert (status, body["error"]["code"]) == (400, "invalid_payload")


@pytest.mark.parametrize(("change", "field"), [({"amount": "10"}, "amount"),
                                               ({"currency": "ZZZ"}, "currency"),
                                               ({"store": "s\x00"}, "store"),
                                               ({"at": True}, "at")])
async def test_purchase_fields_are_not_coerced(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
    change: dict[str, Any], field: str,
) -> None:
    purchase = {"order_id": "o-1", "session_id": None, "store": "s1", "amount": 10,
                "currency": "sek", **change}
    async with server_factory(ingest_api_keys=[KEY]) as server:
        status, _, body = await post(server, "/api/purchases", json=purchase, headers=JSON)
        assert (status, body["error"]["code"]) == (400, "invalid_payload"), body
        assert body["error"]["message"].startswith(field)
        purchase.update({"order_id": "o-2", "amount": 10, "currency": "eur", "store": "s1",
                         "at": None})
        status, _, body = await post(server, "/api/purchases", json=purchase, headers=JSON)
        assert status == 201, body


async def test_a_body_of_max_request_bytes_is_read_and_one_byte_more_is_413(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    limit = 2048
    async with server_factory(network__max_request_bytes=limit) as server:
        def login_body(size: int) -> str:
            head, tail = '{"username": "', '", "password": "x"}'
            return head + "u" * (size - len(head) - len(tail)) + tail

        status, _, at_the_limit = await post(server, "/api/agent/login", data=login_body(limit),
                                             headers={"Content-Type": "application/json"})
        assert status != 413, at_the_limit
        status, _, past = await post(server, "/api/agent/login", data=login_body(limit + 1),
                                     headers={"Content-Type": "application/json"})
        assert (status, past["error"]["code"]) == (413, "payload_too_large")
        assert f"the limit is {limit} bytes (setting network.max_request_bytes)" in past["error"]["message"]
