"""The settings section of deliveries that survive a restart (``[outbox]``, server/runtime/outbox.py).

The POS webhook and the weekly report are queued as rows and attempted until delivered.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class OutboxSettings(BaseModel):
    """How often and how long the outbox worker tries each delivery."""

    model_config = {"extra": "forbid"}

    #: delivery attempts per row (POS webhook, weekly report)
    attempts: int = Field(5, ge=1, le=50)
    #: the first wait between two attempts, doubling each time up to backoff_cap_seconds
    backoff_seconds: float = Field(1.0, gt=0)
    #: the longest wait between two attempts of one delivery
    backoff_cap_seconds: float = Field(30.0, gt=0)
    #: how often the worker looks for due rows it was not woken for (other nodes' rows, a
    #: lease that ran out); a commit that queues a row wakes it at once
    poll_seconds: float = Field(2.0, gt=0)
    #: how long one attempt may take: the POST's total timeout, the SMTP socket timeout
    attempt_timeout_seconds: float = Field(5.0, gt=0)
    #: how long a claimed row is this node's alone; must exceed the attempt timeout. A node that
    #: dies mid-attempt leaves its rows to the others (or to itself after a restart) this long
    lease_seconds: float = Field(60.0, gt=0)
    #: how long stopping waits for the attempt under way before it is cancelled (the row's
    #: lease then runs out and it is attempted again)
    stop_seconds: float = Field(5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> OutboxSettings:
        if self.lease_seconds <= self.attempt_timeout_seconds:
            raise ValueError("lease_seconds must exceed attempt_timeout_seconds,"
                             " or a slow attempt could be made twice at once")
        return self
