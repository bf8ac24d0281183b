"""The settings section of durable writes and restarts (``[durability]``, docs/operations.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DurabilitySettings(BaseModel):
    """How writes are made durable before they are acknowledged (server/runtime/persister.py)."""

    model_config = {"extra": "forbid"}

    #: most queued writes committed in one transaction (group commit)
    max_batch_jobs: int = Field(200, ge=1)
    #: how long the writer waits after the first queued write for more to share its commit
    #: (group commit); 0 writes at once. Chat lines reach the other side without waiting for it
    commit_linger_seconds: float = Field(0.005, ge=0, le=1)
    #: a write (one transaction) that takes longer counts as failed and is retried
    write_timeout_seconds: float = Field(5.0, gt=0)
    #: the first wait before a failed write is retried; doubled each time up to the cap
    retry_initial_seconds: float = Field(0.1, gt=0)
    retry_max_seconds: float = Field(5.0, gt=0)
    #: writes queued or being retried at most; at this many, new state-changing events are
    #: refused with storage_unavailable (memory stays bounded during a long outage)
    max_pending_writes: int = Field(10_000, ge=1)
    #: how long a graceful shutdown waits for queued writes to be committed
    shutdown_flush_seconds: float = Field(10.0, ge=0)
    #: after a restart, how long the participants of a resumed case have to reconnect
    restart_grace_seconds: float = Field(30.0, ge=0)
