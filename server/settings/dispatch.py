"""The settings section of queues and the promise (``[dispatch]``, docs/operations.md).

The case engine's timing and limits: the promise under the Help button, the ETA estimate,
offers, grace periods and the timers' tick. The engine's own configuration (EngineConfig) is
derived from this section (server/app.py), so the defaults live here only.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class DispatchSettings(BaseModel):
    """How cases are queued, offered and kept (server/core/engine, server/runtime/hub.py)."""

    model_config = {"extra": "forbid"}

    #: the promise under the button: a human answers within this many seconds
    promise_seconds: float = Field(60.0, gt=0)
    #: act (overflow, or offer a callback) this long before the promise would be broken, at
    #: most; never more than a quarter of promise_seconds
    promise_guard_max_seconds: float = Field(10.0, ge=0)
    #: the first ETA guess of a queue before it has seen any answers
    eta_prior_seconds: float = Field(20.0, gt=0)
    #: weight of the newest observed wait in the queue's moving average (0 < alpha ≤ 1)
    eta_alpha: float = Field(0.3, gt=0, le=1)
    #: how long an offer waits for the agent before it goes to the next one
    offer_timeout_seconds: float = Field(20.0, gt=0)
    #: most cases waiting in one queue; one more is refused with queue_full
    max_queue_length: int = Field(200, ge=1)
    #: how long a disconnected customer keeps their case before it counts as abandoned
    customer_grace_seconds: float = Field(30.0, ge=0)
    #: how long a disconnected agent keeps their cases before they are re-queued
    agent_grace_seconds: float = Field(10.0, ge=0)
    #: how long the customer's feedback question stays open after the agent resolves the case
    feedback_seconds: int = Field(10, ge=1, le=600)
    #: how long a finished case stays in memory after its last event, so its page can resume to
    #: show the outcome and take feedback (about 16 KB per case; the database keeps it regardless)
    finished_case_memory_seconds: float = Field(3600.0, ge=60)
    #: how long the cart snapshot of a callback request is kept (the customer is told so)
    cart_hold_seconds: float = Field(300.0, gt=0)
    #: how often the server checks timers (offer timeouts, overflow, grace periods)
    tick_seconds: float = Field(0.25, gt=0)
    #: how often finished cases past finished_case_memory_seconds and expired carts are cleared
    housekeeping_seconds: float = Field(30.0, gt=0, le=3600)
