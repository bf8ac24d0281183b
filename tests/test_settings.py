"""Settings: defaults, a TOML file, HELPWIRE_* environment variables and explicit overrides."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.settings import DEFAULT_RULES, Settings, load_settings


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
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.data_dir == Path("var")
    assert settings.database_url == ""
    assert settings.resolved_database_url == "sqlite+aiosqlite:///var/helpwire.sqlite3"
    assert settings.transcript_retention is False
    assert settings.rules_file == DEFAULT_RULES
    assert settings.promise_seconds == 60
    assert settings.offer_timeout_seconds == 20
    assert settings.max_queue_length == 200
    assert settings.customer_grace_seconds == 30
    assert settings.agent_grace_seconds == 10
    assert settings.cart_hold_seconds == 300
    assert settings.agent_token_ttl_seconds == 12 * 3600
    assert settings.labels == ["betalningsfråga", "produkt saknas", "tekniskt fel"]
    assert [reply.id for reply in settings.quick_replies][:2] == ["greeting_cart", "greeting"]
    # the input limits
    assert settings.max_event_bytes == 16 * 1024
    assert settings.max_json_depth == 8
    assert settings.max_chat_chars == 2000
    assert settings.max_feedback_chars == 500
    assert settings.max_cart_lines == 100
    assert settings.max_transport_bytes == 2 * 1024 * 1024
    assert (settings.log_level, settings.log_json) == ("INFO", True)


def test_a_toml_file_sets_values(tmp_path: Path) -> None:
    config = write(tmp_path / "helpwire.toml", """
port = 9000
data_dir = "/srv/helpwire"
transcript_retention = true
promise_seconds = 45.5
labels = ["betalning", "övrigt"]
log_level = "debug"

[[quick_replies]]
id = "hej"
sv = "Hej!"
en = "Hi!"
""")
    settings = load_settings(config)
    assert settings.port == 9000
    assert settings.data_dir == Path("/srv/helpwire")
    assert settings.resolved_database_url == "sqlite+aiosqlite:////srv/helpwire/helpwire.sqlite3"
    assert settings.transcript_retention is True
    assert settings.promise_seconds == 45.5
    assert settings.labels == ["betalning", "övrigt"]
    assert settings.log_level == "DEBUG"
    assert [(r.id, r.sv, r.en) for r in settings.quick_replies] == [("hej", "Hej!", "Hi!")]
    # what the file does not mention keeps its default
    assert settings.host == "127.0.0.1"
    assert settings.max_chat_chars == 2000


def test_the_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "helpwire.toml", 'port = 9000\nhost = "0.0.0.0"\nmax_chat_chars = 100\n')
    monkeypatch.setenv("HELPWIRE_PORT", "9100")
    monkeypatch.setenv("HELPWIRE_LABELS", '["a", "b"]')
    monkeypatch.setenv("HELPWIRE_TRANSCRIPT_RETENTION", "true")
    settings = load_settings(config)
    assert settings.port == 9100
    assert settings.labels == ["a", "b"]
    assert settings.transcript_retention is True
    # the file still decides what the environment does not say
    assert settings.host == "0.0.0.0"
    assert settings.max_chat_chars == 100
    # and without a file the environment applies on its own
    assert load_settings().port == 9100


def test_explicit_overrides_beat_the_environment_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "helpwire.toml", "port = 9000\nmax_queue_length = 5\n")
    monkeypatch.setenv("HELPWIRE_PORT", "9100")
    monkeypatch.setenv("HELPWIRE_MAX_QUEUE_LENGTH", "7")
    settings = load_settings(config, port=9200)
    assert settings.port == 9200
    assert settings.max_queue_length == 7


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("port", 70000, "less than or equal to 65535"),
        ("port", -1, "greater than or equal to 0"),
        ("log_level", "LOUD", "log_level must be DEBUG, INFO, WARNING or ERROR"),
        ("promise_seconds", 0, "greater than 0"),
        ("max_json_depth", 1, "greater than or equal to 2"),
        ("max_event_bytes", 100, "greater than or equal to 256"),
        ("eta_alpha", 1.5, "less than or equal to 1"),
        ("agent_token_ttl_seconds", 10, "greater than or equal to 60"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_setting(
    field: str, value: object, problem: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        load_settings(**{field: value})
    errors = refused.value.errors()
    assert [error["loc"] for error in errors] == [(field,)]
    assert problem in errors[0]["msg"]
    assert field in str(refused.value)


def test_an_invalid_value_in_the_environment_or_file_is_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPWIRE_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        load_settings()
    monkeypatch.delenv("HELPWIRE_PORT")
    config = write(tmp_path / "helpwire.toml", 'log_level = "LOUD"\n')
    with pytest.raises(ValidationError, match="log_level must be DEBUG, INFO, WARNING or ERROR"):
        load_settings(config)
    with pytest.raises(ValidationError, match="port"):
        load_settings(port="not-a-number")


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    config = write(tmp_path / "helpwire.toml", "port = 9000\nmax_chat_chars_typo = 10\n")
    with pytest.raises(ValidationError) as refused:
        load_settings(config)
    errors = refused.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [(("max_chat_chars_typo",), "extra_forbidden")]


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


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    key = settings.resolved_secret_key()
    assert len(key) >= 48
    path = tmp_path / "data" / "secret.key"
    assert path.read_text() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_settings(data_dir=tmp_path / "data").resolved_secret_key() == key
    assert load_settings(data_dir=tmp_path / "data", secret_key="given").resolved_secret_key() == "given"


def test_event_loop_and_collector_defaults_and_limits() -> None:
    settings = load_settings()
    assert settings.event_loop == "uvloop"
    assert settings.loop_monitor_interval_seconds == 0.01
    assert settings.loop_stall_warning_seconds == 0.1
    assert settings.gc_freeze_on_start is True
    assert settings.gc_freeze_interval_seconds == 0.25
    assert settings.gc_thaw_interval_seconds == 3600
    assert settings.gc_thresholds == []
    assert load_settings(gc_thresholds=[10000, 50, 100]).gc_thresholds == [10000, 50, 100]
    for wrong in ([700, 10], [0, 10, 10], [700, -1, 10]):
        with pytest.raises(ValidationError, match="gc_thresholds"):
            load_settings(gc_thresholds=wrong)
    with pytest.raises(ValidationError, match="event_loop"):
        load_settings(event_loop="trio")
    with pytest.raises(ValidationError, match="loop_stall_warning_seconds"):
        load_settings(loop_stall_warning_seconds=0)


def test_outbox_defaults_and_limits() -> None:
    settings = load_settings()
    assert (settings.pos_webhook_attempts, settings.pos_webhook_backoff_seconds) == (5, 1.0)
    assert settings.outbox_backoff_cap_seconds == 30
    assert settings.outbox_poll_seconds == 2
    assert settings.outbox_attempt_timeout_seconds == 5
    assert settings.outbox_lease_seconds == 60
    assert load_settings(pos_webhook_attempts=50).pos_webhook_attempts == 50
    with pytest.raises(ValidationError, match="pos_webhook_attempts"):
        load_settings(pos_webhook_attempts=51)
    with pytest.raises(ValidationError, match="pos_webhook_attempts"):
        load_settings(pos_webhook_attempts=0)
    for name in ("outbox_backoff_cap_seconds", "outbox_poll_seconds", "outbox_lease_seconds",
                 "outbox_attempt_timeout_seconds"):
        with pytest.raises(ValidationError, match=name):
            load_settings(**{name: 0})
    # a claim must outlast an attempt: just longer is accepted, as long is refused
    assert load_settings(outbox_lease_seconds=5.001).outbox_lease_seconds == 5.001
    with pytest.raises(ValidationError, match="outbox_lease_seconds must exceed"):
        load_settings(outbox_lease_seconds=5)
def test_restart_and_http_database_timeout_defaults_and_limits() -> None:
    settings = load_settings()
    assert settings.restart_retry_after_ms == 1500
    assert settings.restart_notice_seconds == 0.5
    assert settings.http_database_timeout_seconds == 3.0
    at_the_limits = load_settings(restart_retry_after_ms=60_000, restart_notice_seconds=10,
                                  http_database_timeout_seconds=60)
    assert (at_the_limits.restart_retry_after_ms, at_the_limits.restart_notice_seconds,
            at_the_limits.http_database_timeout_seconds) == (60_000, 10, 60)
    assert load_settings(restart_retry_after_ms=0, restart_notice_seconds=0).restart_notice_seconds == 0
    for name, past in (("restart_retry_after_ms", 60_001), ("restart_retry_after_ms", -1),
                       ("restart_notice_seconds", 10.01), ("restart_notice_seconds", -0.01),
                       ("http_database_timeout_seconds", 60.01),
                       ("http_database_timeout_seconds", 0)):
        with pytest.raises(ValidationError, match=name):
            load_settings(**{name: past})


def test_commit_linger_default_and_limits() -> None:
    assert load_settings().durability.commit_linger_seconds == 0.005
    assert load_settings(durability={"commit_linger_seconds": 1}).durability.commit_linger_seconds == 1
    assert load_settings(durability={"commit_linger_seconds": 0}).durability.commit_linger_seconds == 0
    for past in (1.001, -0.001):
        with pytest.raises(ValidationError, match="commit_linger_seconds"):
            load_settings(durability={"commit_linger_seconds": past})
