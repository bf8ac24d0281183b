"""Settings: sections with defaults, a TOML file, HELPWIRE_* environment variables, explicit
overrides, and the flat names of the previous release (read, with a warning naming old → new)."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
import structlog
from pydantic import ValidationError

from server.security.secret_key import secret_key
from server.settings import DEFAULT_RULES, Settings, load_settings, log_renamed
from server.settings.renamed import RENAMED, Renamed


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HELPWIRE_* variable of the shell running the tests may leak into these."""
    for name in list(os.environ):
        if name.startswith("HELPWIRE_"):
            monkeypatch.delenv(name)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings()
    assert (settings.network.host, settings.network.port) == ("127.0.0.1", 8080)
    assert settings.storage.data_dir == Path("var")
    assert settings.storage.database_url == ""
    assert settings.storage.resolved_database_url == "sqlite+aiosqlite:///var/helpwire.sqlite3"
    assert settings.storage.transcript_retention is False
    assert settings.rules_file == DEFAULT_RULES
    dispatch = settings.dispatch
    assert (dispatch.promise_seconds, dispatch.offer_timeout_seconds) == (60, 20)
    assert (dispatch.max_queue_length, dispatch.customer_grace_seconds) == (200, 30)
    assert (dispatch.agent_grace_seconds, dispatch.cart_hold_seconds) == (10, 300)
    assert settings.security.agent_token_ttl_seconds == 12 * 3600
    assert settings.labels == ["betalningsfråga", "produkt saknas", "tekniskt fel"]
    assert [reply.id for reply in settings.quick_replies][:2] == ["greeting_cart", "greeting"]
    limits = settings.limits
    assert (limits.max_event_bytes, limits.max_json_depth) == (16 * 1024, 8)
    assert (limits.max_chat_chars, limits.max_feedback_chars, limits.max_cart_lines) == (2000, 500, 100)
    assert settings.network.max_transport_bytes == 2 * 1024 * 1024
    assert (settings.log.level, settings.log.json_lines) == ("INFO", True)


def test_a_toml_file_sets_values_by_section(tmp_path: Path) -> None:
    config = write(tmp_path / "helpwire.toml", """
labels = ["betalning", "övrigt"]

[network]
port = 9000

[storage]
data_dir = "/srv/helpwire"
transcript_retention = true

[dispatch]
promise_seconds = 45.5

[log]
level = "debug"

[[quick_replies]]
id = "hej"
sv = "Hej!"
en = "Hi!"
""")
    settings = load_settings(config)
    assert settings.network.port == 9000
    assert settings.storage.data_dir == Path("/srv/helpwire")
    assert settings.storage.resolved_database_url == "sqlite+aiosqlite:////srv/helpwire/helpwire.sqlite3"
    assert settings.storage.transcript_retention is True
    assert settings.dispatch.promise_seconds == 45.5
    assert settings.labels == ["betalning", "övrigt"]
    assert settings.log.level == "DEBUG"
    assert [(r.id, r.sv, r.en) for r in settings.quick_replies] == [("hej", "Hej!", "Hi!")]
    # what the file does not mention keeps its default
    assert settings.network.host == "127.0.0.1"
    assert settings.limits.max_chat_chars == 2000
    assert settings.renamed == ()


def test_the_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "helpwire.toml",
                   '[network]\nport = 9000\nhost = "0.0.0.0"\n[limits]\nmax_chat_chars = 100\n')
    monkeypatch.setenv("HELPWIRE_NETWORK__PORT", "9100")
    monkeypatch.setenv("HELPWIRE_LABELS", '["a", "b"]')
    monkeypatch.setenv("HELPWIRE_STORAGE__TRANSCRIPT_RETENTION", "true")
    settings = load_settings(config)
    assert settings.network.port == 9100
    assert settings.labels == ["a", "b"]
    assert settings.storage.transcript_retention is True
    # the file still decides what the environment does not say
    assert settings.network.host == "0.0.0.0"
    assert settings.limits.max_chat_chars == 100
    # and without a file the environment applies on its own
    assert load_settings().network.port == 9100


def test_explicit_overrides_beat_the_environment_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "helpwire.toml", "[network]\nport = 9000\n[dispatch]\nmax_queue_length = 5\n")
    monkeypatch.setenv("HELPWIRE_NETWORK__PORT", "9100")
    monkeypatch.setenv("HELPWIRE_DISPATCH__MAX_QUEUE_LENGTH", "7")
    settings = load_settings(config, network__port=9200)
    assert settings.network.port == 9200
    assert settings.dispatch.max_queue_length == 7


def test_an_override_may_name_a_section_and_fields_of_it_together() -> None:
    settings = load_settings(network={"host": "0.0.0.0"}, network__port=9300)
    assert (settings.network.host, settings.network.port) == ("0.0.0.0", 9300)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("network__port", 70000, "less than or equal to 65535"),
        ("network__port", -1, "greater than or equal to 0"),
        ("log__level", "LOUD", "level must be DEBUG, INFO, WARNING or ERROR"),
        ("dispatch__promise_seconds", 0, "greater than 0"),
        ("limits__max_json_depth", 1, "greater than or equal to 2"),
        ("limits__max_event_bytes", 100, "greater than or equal to 256"),
        ("dispatch__eta_alpha", 1.5, "less than or equal to 1"),
        ("security__agent_token_ttl_seconds", 10, "greater than or equal to 60"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_section_and_setting(
    key: str, value: object, problem: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        load_settings(**{key: value})
    errors = refused.value.errors()
    assert [error["loc"] for error in errors] == [tuple(key.split("__"))]
    assert problem in errors[0]["msg"]


def test_an_invalid_value_in_the_environment_or_file_is_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPWIRE_NETWORK__PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        load_settings()
    monkeypatch.delenv("HELPWIRE_NETWORK__PORT")
    config = write(tmp_path / "helpwire.toml", '[log]\nlevel = "LOUD"\n')
    with pytest.raises(ValidationError, match="level must be DEBUG, INFO, WARNING or ERROR"):
        load_settings(config)
    with pytest.raises(ValidationError, match="port"):
        load_settings(network__port="not-a-number")


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    config = write(tmp_path / "helpwire.toml", "max_chat_chars_typo = 10\n[limits]\nmax_chat_char = 1\n")
    with pytest.raises(ValidationError) as refused:
        load_settings(config)
    errors = refused.value.errors()
    assert sorted((e["loc"], e["type"]) for e in errors) == [
        (("limits", "max_chat_char"), "extra_forbidden"),
        (("max_chat_chars_typo",), "extra_forbidden"),
    ]


def test_an_unknown_explicit_setting_is_refused() -> None:
    with pytest.raises(ValidationError, match="no_such_setting"):
        Settings(no_such_setting=1)  # type: ignore[call-arg]


def test_a_missing_config_file_is_an_error_not_silently_ignored(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.toml"):
        load_settings(tmp_path / "nowhere.toml")


def test_a_broken_toml_file_is_refused(tmp_path: Path) -> None:
    config = write(tmp_path / "helpwire.toml", "port = \n")
    with pytest.raises(tomllib.TOMLDecodeError, match="line 1"):
        load_settings(config)


# --- the previous release's flat names ------------------------------------------------------

def test_every_old_name_maps_onto_an_existing_section_field() -> None:
    fields = Settings.model_fields
    for old, new in RENAMED.items():
        section, name = new.split(".")
        assert name in fields[section].annotation.model_fields, (old, new)  # type: ignore[union-attr]
        assert old not in fields, old  # no old name is still a field of its own


def test_old_flat_file_keys_still_work_and_are_recorded_as_renamed(tmp_path: Path) -> None:
    config = write(tmp_path / "old.toml", 'port = 9000\nlog_level = "debug"\n'
                                          'media_host_addresses = ["127.0.0.1"]\n')
    settings = load_settings(config)
    assert settings.network.port == 9000
    assert settings.log.level == "DEBUG"
    assert settings.media.host_addresses == ["127.0.0.1"]
    assert settings.renamed == (
        Renamed("port", "network.port", "file"),
        Renamed("log_level", "log.level", "file"),
        Renamed("media_host_addresses", "media.host_addresses", "file"),
    )


def test_old_environment_names_still_work_below_the_new_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPWIRE_PORT", "9100")
    monkeypatch.setenv("HELPWIRE_ICE_STUN_URLS", '["stun:turn.example.se:3478"]')
    settings = load_settings()
    assert settings.network.port == 9100
    assert settings.media.ice_stun_urls == ["stun:turn.example.se:3478"]
    renamed = {r.old: r for r in settings.renamed}
    assert (renamed["port"].old_env, renamed["port"].new_env) == (
        "HELPWIRE_PORT", "HELPWIRE_NETWORK__PORT")
    assert renamed["port"].source == "environment"
    monkeypatch.setenv("HELPWIRE_NETWORK__PORT", "9200")
    assert load_settings().network.port == 9200  # the new name wins


def test_an_old_environment_name_beats_the_files_new_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "helpwire.toml", "[network]\nport = 9000\n")
    monkeypatch.setenv("HELPWIRE_PORT", "9100")
    assert load_settings(config).network.port == 9100


def test_a_renamed_setting_is_logged_as_a_structured_warning_naming_old_and_new(
    tmp_path: Path,
) -> None:
    settings = load_settings(write(tmp_path / "old.toml", "tick_seconds = 0.5\n"))
    assert settings.dispatch.tick_seconds == 0.5
    with structlog.testing.capture_logs() as logs:
        log_renamed(settings, structlog.get_logger("helpwire.settings"))
    assert logs == [{
        "event": "setting_renamed", "log_level": "warning", "old": "tick_seconds",
        "new": "dispatch.tick_seconds", "source": "file", "old_env": "HELPWIRE_TICK_SECONDS",
        "new_env": "HELPWIRE_DISPATCH__TICK_SECONDS",
    }]
    json.dumps(logs)  # plain values only


def test_an_invalid_value_under_an_old_name_is_refused_at_its_new_place(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        load_settings(write(tmp_path / "old.toml", "port = 70000\n"))
    assert [e["loc"] for e in refused.value.errors()] == [("network", "port")]


# --- the secret key --------------------------------------------------------------------------

def test_the_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = load_settings(storage__data_dir=data)
    key = secret_key(settings.security, settings.storage.data_dir)
    assert len(key) >= 48
    path = data / "secret.key"
    assert path.read_text() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert secret_key(load_settings().security, data) == key
    assert secret_key(load_settings(security__secret_key="given").security, data) == "given"


def test_reading_the_settings_writes_nothing(tmp_path: Path) -> None:
    load_settings(storage__data_dir=tmp_path / "data")
    assert not (tmp_path / "data").exists()


# --- limits and timeouts: the default, the limit, one past it --------------------------------

def test_event_loop_and_collector_defaults_and_limits() -> None:
    runtime = load_settings().runtime
    assert runtime.event_loop == "uvloop"
    assert (runtime.loop_monitor_interval_seconds, runtime.loop_stall_warning_seconds) == (0.01, 0.1)
    assert runtime.gc_freeze_on_start is True
    assert (runtime.gc_freeze_interval_seconds, runtime.gc_thaw_interval_seconds) == (0.25, 3600)
    assert runtime.gc_thresholds == []
    assert load_settings(runtime__gc_thresholds=[10000, 50, 100]).runtime.gc_thresholds == [
        10000, 50, 100]
    for wrong in ([700, 10], [0, 10, 10], [700, -1, 10]):
        with pytest.raises(ValidationError, match="gc_thresholds"):
            load_settings(runtime__gc_thresholds=wrong)
    with pytest.raises(ValidationError, match="event_loop"):
        load_settings(runtime__event_loop="trio")
    with pytest.raises(ValidationError, match="loop_stall_warning_seconds"):
        load_settings(runtime__loop_stall_warning_seconds=0)


def test_outbox_defaults_and_limits() -> None:
    outbox = load_settings().outbox
    assert (outbox.attempts, outbox.backoff_seconds, outbox.backoff_cap_seconds) == (5, 1.0, 30)
    assert (outbox.poll_seconds, outbox.attempt_timeout_seconds, outbox.lease_seconds) == (2, 5, 60)
    assert outbox.stop_seconds == 5
    assert load_settings(outbox__attempts=50).outbox.attempts == 50
    for past in (51, 0):
        with pytest.raises(ValidationError, match="attempts"):
            load_settings(outbox__attempts=past)
    for name in ("backoff_cap_seconds", "poll_seconds", "lease_seconds", "attempt_timeout_seconds",
                 "stop_seconds"):
        with pytest.raises(ValidationError, match=name):
            load_settings(**{f"outbox__{name}": 0})
    assert load_settings(outbox__stop_seconds=60).outbox.stop_seconds == 60
    with pytest.raises(ValidationError, match="stop_seconds"):
        load_settings(outbox__stop_seconds=60.01)
    # a claim must outlast an attempt: just longer is accepted, as long is refused
    assert load_settings(outbox__lease_seconds=5.001).outbox.lease_seconds == 5.001
    with pytest.raises(ValidationError, match="lease_seconds must exceed"):
        load_settings(outbox__lease_seconds=5)


def test_restart_and_http_database_timeout_defaults_and_limits() -> None:
    settings = load_settings()
    assert (settings.network.restart_retry_after_ms, settings.network.restart_notice_seconds) == (
        1500, 0.5)
    assert settings.storage.http_database_timeout_seconds == 3.0
    at_the_limits = load_settings(network__restart_retry_after_ms=60_000,
                                  network__restart_notice_seconds=10,
                                  storage__http_database_timeout_seconds=60)
    assert (at_the_limits.network.restart_retry_after_ms, at_the_limits.network.restart_notice_seconds,
            at_the_limits.storage.http_database_timeout_seconds) == (60_000, 10, 60)
    zero = load_settings(network__restart_retry_after_ms=0, network__restart_notice_seconds=0)
    assert zero.network.restart_notice_seconds == 0
    for key, past in (("network__restart_retry_after_ms", 60_001),
                      ("network__restart_retry_after_ms", -1),
                      ("network__restart_notice_seconds", 10.01),
                      ("network__restart_notice_seconds", -0.01),
                      ("storage__http_database_timeout_seconds", 60.01),
                      ("storage__http_database_timeout_seconds", 0)):
        with pytest.raises(ValidationError, match=key.split("__")[1]):
            load_settings(**{key: past})


@pytest.mark.parametrize(
    ("key", "default", "limit", "past"),
    [
        # was client_max_size = 64 KiB in app.py; at least 1 KiB
        ("network__max_request_bytes", 64 * 1024, 1024, 1023),
        ("network__disconnect_seconds", 1.0, 30, 30.01),
        ("network__shutdown_seconds", 5.0, 120, 120.01),
        # the hub's housekeeping (was 30 s in runtime/hub.py)
        ("dispatch__housekeeping_seconds", 30.0, 3600, 3600.01),
        ("dispatch__feedback_seconds", 10, 600, 601),
        # the peer's close wait (was 5 s in media/peer.py)
        ("media__peer_close_seconds", 5.0, 60, 60.01),
        # consent's timer (was 0.1 s in media/consent.py)
        ("consent__tick_seconds", 0.1, 1, 1.01),
        ("outbox__stop_seconds", 5.0, 60, 60.01),
        ("network__preflight_max_age_seconds", 600, 86_400, 86_401),
        ("limits__max_access_log_rows", 500, 10_000, 10_001),
        # were RETRY_AFTER_SECONDS in web/errors.py, PING_TIMEOUT_SECONDS and the SQLite
        # busy_timeout pragma in store/database.py
        ("storage__retry_after_seconds", 2, 3600, 3601),
        ("storage__ping_timeout_seconds", 5.0, 60, 60.01),
        ("storage__sqlite_busy_timeout_ms", 5000, 600_000, 600_001),
    ],
)
def test_a_former_literal_is_a_setting_with_its_default_its_limit_and_one_past_it(
    key: str, default: float, limit: float, past: float,
) -> None:
    section, name = key.split("__")
    assert getattr(getattr(load_settings(), section), name) == default
    assert getattr(getattr(load_settings(**{key: limit}), section), name) == limit
    with pytest.raises(ValidationError, match=name):
        load_settings(**{key: past})


def test_commit_linger_default_and_limits() -> None:
    assert load_settings().durability.commit_linger_seconds == 0.005
    assert load_settings(durability={"commit_linger_seconds": 1}).durability.commit_linger_seconds == 1
    assert load_settings(durability={"commit_linger_seconds": 0}).durability.commit_linger_seconds == 0
    for past in (1.001, -0.001):
        with pytest.raises(ValidationError, match="commit_linger_seconds"):
            load_settings(durability={"commit_linger_seconds": past})
