"""The flat setting names of earlier releases, still read for one release (docs/operations.md).

A file key, an environment variable (HELPWIRE_PORT) or a keyword of an old name is moved to its
section (network.port, HELPWIRE_NETWORK__PORT) and recorded, so that the server can log a
``setting_renamed`` warning naming old → new. The new name wins when both are given.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

#: old flat name → its section and name now
RENAMED: dict[str, str] = {
    # network
    "host": "network.host",
    "port": "network.port",
    "cors_allowed_origins": "network.cors_allowed_origins",
    "ping_interval_seconds": "network.ping_interval_seconds",
    "idle_ping_interval_seconds": "network.idle_ping_interval_seconds",
    "ping_timeout_seconds": "network.ping_timeout_seconds",
    "max_transport_bytes": "network.max_transport_bytes",
    "restart_retry_after_ms": "network.restart_retry_after_ms",
    "restart_notice_seconds": "network.restart_notice_seconds",
    # storage
    "data_dir": "storage.data_dir",
    "database_url": "storage.database_url",
    "transcript_retention": "storage.transcript_retention",
    "http_database_timeout_seconds": "storage.http_database_timeout_seconds",
    # security
    "secret_key": "security.secret_key",
    "agent_token_ttl_seconds": "security.agent_token_ttl_seconds",
    # dispatch: queues and the promise
    "promise_seconds": "dispatch.promise_seconds",
    "eta_prior_seconds": "dispatch.eta_prior_seconds",
    "eta_alpha": "dispatch.eta_alpha",
    "offer_timeout_seconds": "dispatch.offer_timeout_seconds",
    "max_queue_length": "dispatch.max_queue_length",
    "customer_grace_seconds": "dispatch.customer_grace_seconds",
    "agent_grace_seconds": "dispatch.agent_grace_seconds",
    "finished_case_memory_seconds": "dispatch.finished_case_memory_seconds",
    "cart_hold_seconds": "dispatch.cart_hold_seconds",
    "tick_seconds": "dispatch.tick_seconds",
    # limits
    "max_event_bytes": "limits.max_event_bytes",
    "max_json_depth": "limits.max_json_depth",
    "max_chat_chars": "limits.max_chat_chars",
    "max_note_chars": "limits.max_note_chars",
    "earlier_cases_limit": "limits.earlier_cases_limit",
    "max_feedback_chars": "limits.max_feedback_chars",
    "max_cart_lines": "limits.max_cart_lines",
    # media
    "ice_stun_urls": "media.ice_stun_urls",
    "ice_turn_urls": "media.ice_turn_urls",
    "ice_turn_secret": "media.ice_turn_secret",
    "ice_turn_ttl_seconds": "media.ice_turn_ttl_seconds",
    "media_host_addresses": "media.host_addresses",
    "media_inactivity_seconds": "media.inactivity_seconds",
    "max_sdp_bytes": "media.max_sdp_bytes",
    "voice_hint_after_seconds": "media.voice_hint_after_seconds",
    "video_hint_marks": "media.video_hint_marks",
    # consent
    "screen_share_seconds": "consent.screen_share_seconds",
    "consent_answer_seconds": "consent.answer_seconds",
    "age_check_seconds": "consent.age_check_seconds",
    "pos_webhook_url": "consent.pos_webhook_url",
    "pos_webhook_secret": "consent.pos_webhook_secret",
    # outbox
    "pos_webhook_attempts": "outbox.attempts",
    "pos_webhook_backoff_seconds": "outbox.backoff_seconds",
    "outbox_backoff_cap_seconds": "outbox.backoff_cap_seconds",
    "outbox_poll_seconds": "outbox.poll_seconds",
    "outbox_attempt_timeout_seconds": "outbox.attempt_timeout_seconds",
    "outbox_lease_seconds": "outbox.lease_seconds",
    # runtime tuning
    "event_loop": "runtime.event_loop",
    "loop_monitor_interval_seconds": "runtime.loop_monitor_interval_seconds",
    "loop_stall_warning_seconds": "runtime.loop_stall_warning_seconds",
    "gc_freeze_on_start": "runtime.gc_freeze_on_start",
    "gc_freeze_interval_seconds": "runtime.gc_freeze_interval_seconds",
    "gc_thaw_interval_seconds": "runtime.gc_thaw_interval_seconds",
    "gc_thresholds": "runtime.gc_thresholds",
    # log
    "log_level": "log.level",
    "log_json": "log.json_lines",
    "refusal_log_window_seconds": "log.refusal_window_seconds",
}

ENV_PREFIX = "HELPWIRE_"


@dataclass(frozen=True)
class Renamed:
    """One old name met while reading the settings: where, and what it is called now."""

    old: str
    new: str
    #: "file", "environment" or "argument"
    source: str

    @property
    def old_env(self) -> str:
        return ENV_PREFIX + self.old.upper()

    @property
    def new_env(self) -> str:
        return ENV_PREFIX + self.new.upper().replace(".", "__")


#: the old names met by the settings being read now (load_settings collects them)
_met: ContextVar[list[Renamed] | None] = ContextVar("helpwire_renamed_settings", default=None)


@contextmanager
def collecting() -> Iterator[list[Renamed]]:
    """Collect the old names met while the block reads settings, into the list given."""
    found: list[Renamed] = []
    token = _met.set(found)
    try:
        yield found
    finally:
        _met.reset(token)


def new_name(key: str) -> str:
    """A dotted key as it is called now (old flat names moved to their section)."""
    return RENAMED.get(key, key)


def moved(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``data`` with old flat names moved into their sections; a new name given too wins."""
    result: dict[str, Any] = {k: v for k, v in data.items() if k not in RENAMED}
    met = _met.get()
    for old, value in data.items():
        if old not in RENAMED:
            continue
        new = RENAMED[old]
        if met is not None:
            met.append(Renamed(old, new, source))
        section, name = new.split(".")
        target = result.get(section)
        if target is None:
            target = result[section] = {}
        elif not isinstance(target, dict):
            continue  # a whole section object given: it says everything
        else:
            target = result[section] = dict(target)
        target.setdefault(name, value)
    return result


class RenamedSource(PydanticBaseSettingsSource):
    """Another source (the TOML file, the keyword arguments) read with old names moved."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource,
                 source: str) -> None:
        super().__init__(settings_cls)
        self.inner = inner
        self.source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # not used: __call__ reads the inner source whole

    def __call__(self) -> dict[str, Any]:
        return moved(self.inner(), self.source)


class OldEnvironmentSource(PydanticBaseSettingsSource):
    """HELPWIRE_<OLD NAME> variables, below the new names and above the file."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # not used: __call__ reads the environment whole

    def __call__(self) -> dict[str, Any]:
        environ = {name.upper(): value for name, value in os.environ.items()}
        found: dict[str, Any] = {}
        for old, new in RENAMED.items():
            raw = environ.get(ENV_PREFIX + old.upper())
            if raw is None:
                continue
            section, name = new.split(".")
            field = self.settings_cls.model_fields[section].annotation
            inner = getattr(field, "model_fields", {}).get(name)
            if inner is not None and self.field_is_complex(inner):
                found[old] = self.decode_complex_value(name, inner, raw)
            else:
                found[old] = raw
        return moved(found, "environment")
