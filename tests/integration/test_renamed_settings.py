"""A server started with a setting under its old flat name works, and says so at start-up:
one structured `setting_renamed` warning naming the old and the new name."""

from __future__ import annotations

from pathlib import Path

import structlog

from tests.support.live import live_server


async def test_a_server_started_with_an_old_name_logs_setting_renamed_and_uses_the_value(
    tmp_path: Path,
) -> None:
    with structlog.testing.capture_logs() as logs:
        async with live_server(tmp_path, max_chat_chars=123) as server:
            assert server.settings.limits.max_chat_chars == 123
    renamed = [line for line in logs if line["event"] == "setting_renamed"]
    assert renamed == [{
        "event": "setting_renamed", "log_level": "warning", "old": "max_chat_chars",
        "new": "limits.max_chat_chars", "source": "argument", "old_env": "HELPWIRE_MAX_CHAT_CHARS",
        "new_env": "HELPWIRE_LIMITS__MAX_CHAT_CHARS",
    }]


async def test_a_server_started_with_the_new_names_logs_no_renamed_setting(tmp_path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        async with live_server(tmp_path, limits__max_chat_chars=123):
            pass
    assert [line for line in logs if line["event"] == "setting_renamed"] == []
