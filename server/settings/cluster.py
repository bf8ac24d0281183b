"""The settings section of the state shared between nodes (``[cluster]``, docs/operations.md)."""

from __future__ import annotations

import socket
from typing import Self

from pydantic import BaseModel, Field, model_validator


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
    #: this node's name in the shared state (what it writes is stamped with it, so its next
    #: start forgets what its previous run left); empty (the default): the host name. Every
    #: node of one installation needs its own (set it when two run on one host)
    node_id: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")
    #: the change feed's length (a Redis stream, trimmed approximately): a node that fell
    #: further behind than this reloads the whole state instead of replaying the feed
    feed_max_entries: int = Field(10_000, ge=100, le=1_000_000)
    #: how long one read of the feed waits for a change; while it is quiet, the node checks
    #: this often whether Redis lost its state (at most half of redis_timeout_seconds is used,
    #: so a quiet feed never counts as a failed command)
    feed_block_seconds: float = Field(1.0, gt=0, le=30)
    #: how long Redis remembers a command's id and reply: a retry within it (after a lost
    #: reply) answers the first result instead of applying the command again
    applied_ttl_seconds: int = Field(300, ge=10, le=86_400)

    #: how many dispatch commands a node keeps while Redis cannot be reached; one more and
    #: it drops them (its view is the record, written back whole when Redis answers) and
    #: refuses what needs the shared state (a new Help press, a transfer) with
    #: cluster_unavailable until then; the cases it hosts go on being served
    max_journal: int = Field(10_000, ge=1, le=1_000_000)

    #: how long a node's lease in Redis lasts without being renewed: a node whose lease ran
    #: out (it died, or cannot reach Redis) has its live cases adopted by a surviving node,
    #: which happens within about lease_seconds + heartbeat_seconds of its last renewal
    lease_seconds: float = Field(5.0, ge=1, le=300)
    #: how often a node renews its lease and looks for nodes whose lease ran out; at most a
    #: third of lease_seconds, so one late renewal never costs a live node its cases
    heartbeat_seconds: float = Field(1.0, gt=0, le=100)

    @model_validator(mode="after")
    def _heartbeat_well_below_lease(self) -> Self:
        if self.heartbeat_seconds * 3 > self.lease_seconds:
            raise ValueError(
                f"[cluster] heartbeat_seconds ({self.heartbeat_seconds}) must be at most a third"
                f" of lease_seconds ({self.lease_seconds}), so a late renewal never lets a live"
                " node's lease run out")
        return self

    #: on SIGTERM a node of a cluster drains before it shuts down: /healthz answers 503
    #: draining, new connections and Help presses are refused with node_draining, sockets with
    #: no live case here are closed (they reconnect through the load balancer to another node);
    #: then it waits at most this long for the live cases it hosts to end (what is still open
    #: then is left to the other nodes' adoption). 0: no wait; a second SIGTERM ends it at once
    drain_seconds: float = Field(30.0, ge=0, le=3600)
    #: the server_restarting.retry_after_ms that a draining node tells the sockets it closes:
    #: another node is up already, so they come back soon (plus the clients' 0-100 % jitter)
    drain_retry_after_ms: int = Field(250, ge=0, le=60_000)

    @property
    def resolved_node_id(self) -> str:
        return self.node_id or socket.gethostname()
