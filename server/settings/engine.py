"""The case engine's configuration, derived from the settings sections it draws on.

The engine (pure core) takes a plain EngineConfig; the defaults live in the sections only.
"""

from __future__ import annotations

from ..core.engine import EngineConfig
from ..i18n import AUTO_GREETING
from . import Settings

#: a call that failed this close to the chat link's loss failed with it, at least
MIN_CALL_LOSS_WINDOW_SECONDS = 5.0


def engine_config(settings: Settings) -> EngineConfig:
    dispatch = settings.dispatch
    return EngineConfig(
        promise_seconds=dispatch.promise_seconds,
        promise_guard_seconds=min(dispatch.promise_guard_max_seconds, dispatch.promise_seconds / 4),
        offer_timeout_seconds=dispatch.offer_timeout_seconds,
        max_queue_length=dispatch.max_queue_length,
        customer_grace_seconds=dispatch.customer_grace_seconds,
        agent_grace_seconds=dispatch.agent_grace_seconds,
        cart_hold_seconds=dispatch.cart_hold_seconds,
        eta_prior_seconds=dispatch.eta_prior_seconds,
        eta_alpha=dispatch.eta_alpha,
        labels=tuple(settings.labels),
        transcript_retention=settings.storage.transcript_retention,
        feedback_seconds=dispatch.feedback_seconds,
        call_loss_window_seconds=call_loss_window(settings),
        max_note_chars=settings.limits.max_note_chars,
        greeting=dict(AUTO_GREETING) if settings.auto_greeting else None,
    )


def call_loss_window(settings: Settings) -> float:
    """How far apart a failed call and the lost chat link may be and still count as one loss:
    a frozen device's media is noticed first (media.inactivity_seconds), its socket at most
    interval + timeout + one tick after it froze (server/signalling/heartbeat.py)."""
    network = settings.network
    return max(MIN_CALL_LOSS_WINDOW_SECONDS, network.ping_interval_seconds
               + network.ping_timeout_seconds + settings.dispatch.tick_seconds)
