"""The settings section of the state shared between nodes (``[cluster]``, docs/operations.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClusterSettings(BaseModel):
    """Where the dispatch state (queues, presence, offers) lives: in this process, or in Redis."""

    model_config = {"extra": "forbid"}

    #: the Redis that holds the dispatch state shared by the nodes, e.g.
    #: redis://127.0.0.1:6379/0; empty (the default): in memory, one process, no Redis needed
    redis_url: str = ""
    #: every key of this installation's shared state starts with this (as a Redis hash tag), so
    #: several installations (or tests) can share one Redis
    key_prefix: str = Field("helpwire", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    #: how long one Redis command may take before it counts as failed (connect and reply)
    redis_timeout_seconds: float = Field(2.0, gt=0, le=60)
    #: while Redis cannot be reached, how often a node tries again to write its pending
    #: dispatch commands through (in between it serves its own cases without waiting)
    retry_seconds: float = Field(1.0, gt=0, le=60)
