"""Prometheus metrics at /metrics (prometheus-client), one registry per application.

Live gauges are read from the engine at scrape time (queue lengths, waits, agents, media
sessions); counters follow the hub's effects and the signalling errors. Only counts and
durations: no case content, no personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ..core.case import CaseState
from ..core.effects import SaveCase
from ..signalling.messages import ToAgent, ToCustomer

if TYPE_CHECKING:
    from ..runtime.hub import Outgoing
    from ..runtime.loop_monitor import LoopMonitor
    from ..services import Services
    from ..signalling.messages import Message

#: bucket bounds (seconds) for event-loop lag and collector pauses: fine below 20 ms, where the
#: targets are, and up to the half-second stalls a full collection can cause
PAUSE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5)


class LiveCollector(Collector):
    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterator[Metric]:
        engine = self._services.engine
        now = engine.clock.now()
        length = GaugeMetricFamily("helpwire_queue_length", "Cases waiting in a queue", labels=["queue"])
        longest = GaugeMetricFamily("helpwire_queue_longest_wait_seconds",
                                    "Longest current wait in a queue", labels=["queue"])
        for name in engine.rules.queues:
            waiting = engine.state.waiting(name)
            length.add_metric([name], len(waiting))
            waits = [now - (engine.cases[e.case_id].first_entered(CaseState.QUEUED) or e.enqueued_at)
                     for e in waiting if e.case_id in engine.cases]
            longest.add_metric([name], max(waits, default=0.0))
        yield length
        yield longest
        agents = GaugeMetricFamily("helpwire_agents", "Agents by presence", labels=["presence"])
        counts = {"available": 0, "busy": 0, "away": 0, "offline": 0}
        for status in engine.state.agents():
            counts["offline" if not status.online else status.presence.value] += 1
        for presence, count in counts.items():
            agents.add_metric([presence], count)
        yield agents
        states = GaugeMetricFamily("helpwire_live_cases", "Open cases by state", labels=["state"])
        by_state: dict[str, int] = {}
        for case in engine.live_cases():
            by_state[case.state.value] = by_state.get(case.state.value, 0) + 1
        for state in CaseState:
            states.add_metric([state.value], by_state.get(state.value, 0))
        yield states
        persister = self._services.persister
        yield GaugeMetricFamily("helpwire_store_pending_writes",
                                "Writes queued or being retried, not yet committed",
                                value=persister.pending)
        yield GaugeMetricFamily("helpwire_store_oldest_pending_write_seconds",
                                "Age of the oldest write not yet committed",
                                value=persister.oldest_pending_seconds())
        health = persister.health
        failed = CounterMetricFamily("helpwire_store_failed_writes",
                                     "Write attempts that failed and were retried")
        failed.add_metric([], health.failed_writes_total)
        yield failed
        rejected = CounterMetricFamily("helpwire_store_rejected_writes",
                                       "Writes the database refused for good (logged)")
        rejected.add_metric([], health.rejected_writes_total)
        yield rejected
        yield GaugeMetricFamily("helpwire_store_writable",
                                "1 when case changes can be stored, 0 while they are refused",
                                value=0 if persister.writable() else 1)
        sockets = GaugeMetricFamily("helpwire_sockets", "Connected Socket.IO sockets by namespace",
                                    labels=["namespace"])
        manager = self._services.sio.manager
        for namespace in sorted(manager.get_namespaces()):
            sockets.add_metric([namespace],
                               sum(1 for _ in manager.get_participants(namespace, None)))
        yield sockets
        yield GaugeMetricFamily("helpwire_draining",
                                "1 while this node drains before it stops, 0 otherwise",
                                value=1 if self._services.drain.draining else 0)
        yield GaugeMetricFamily("helpwire_media_sessions_active",
                                "Cases with voice or video under way",
                                value=len(self._services.media.cases))
        outbox = self._services.outbox
        # the backlog as of the worker's last round (at most outbox_poll_seconds old)
        backlog = outbox.backlog
        yield GaugeMetricFamily("helpwire_outbox_pending",
                                "Outbox deliveries not yet delivered or given up",
                                value=backlog.pending)
        oldest = backlog.oldest_created_at
        yield GaugeMetricFamily("helpwire_outbox_oldest_pending_age_seconds",
                                "Age of the oldest pending outbox delivery (0 = none)",
                                value=max(0.0, now - oldest) if oldest is not None else 0.0)
        yield CounterMetricFamily("helpwire_outbox_delivered",
                                  "Outbox deliveries delivered by this process",
                                  value=outbox.delivered)
        yield CounterMetricFamily("helpwire_outbox_failed_attempts",
                                  "Outbox delivery attempts that failed in this process",
                                  value=outbox.failed_attempts)
        yield CounterMetricFamily("helpwire_outbox_given_up",
                                  "Outbox deliveries given up by this process",
                                  value=outbox.given_up)
        shared = self._services.shared_dispatch
        if shared is not None:  # [cluster] redis_url: the dispatch state is written through
            yield GaugeMetricFamily("helpwire_dispatch_state_pending_commands",
                                    "Dispatch-state commands not yet written through to Redis",
                                    value=shared.pending)
            yield GaugeMetricFamily("helpwire_dispatch_state_available",
                                    "1 while the shared dispatch state answers, 0 while not",
                                    value=1 if shared.available else 0)
            yield CounterMetricFamily("helpwire_dispatch_state_commands",
                                      "Dispatch-state commands written through to Redis",
                                      value=shared.applied)
            yield CounterMetricFamily("helpwire_dispatch_state_conflicts",
                                      "Commands Redis answered otherwise than this node's view"
                                      " (another node was first)", value=shared.conflicts)
        membership = self._services.membership
        if membership is not None:  # node membership: leases and adoptions
            yield GaugeMetricFamily("helpwire_node_steady",
                                    "1 while this node's lease has been renewed without a break"
                                    " for a whole lease (it may adopt), 0 while not",
                                    value=1 if membership.steady else 0)
            yield CounterMetricFamily("helpwire_nodes_adopted",
                                      "Stopped nodes whose live cases this node adopted",
                                      value=membership.nodes_adopted)
            yield CounterMetricFamily("helpwire_cases_adopted",
                                      "Live cases this node adopted from stopped nodes",
                                      value=membership.cases_adopted)
            yield CounterMetricFamily("helpwire_cases_let_go",
                                      "Cases this node dropped because another adopted them",
                                      value=membership.cases_let_go)
            yield CounterMetricFamily("helpwire_node_leases_lost",
                                      "Times this node found its lease had run out",
                                      value=membership.leases_lost)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter("helpwire_events", "Socket.IO events the server emitted",
                              ["audience", "event"], registry=self.registry)
        self.case_saves = Counter("helpwire_case_saves", "Case snapshots handed to storage",
                                  registry=self.registry)
        self.errors = Counter("helpwire_errors", "Errors answered to clients, by code", ["code"],
                              registry=self.registry)
        self.reports = Counter("helpwire_reports", "Scheduled reports produced", ["outcome"],
                               registry=self.registry)
        self.loop_lag = Histogram("helpwire_event_loop_lag_seconds",
                                  "How late the event loop woke a timer (each sample)",
                                  buckets=PAUSE_BUCKETS, registry=self.registry)
        self.collector_pauses = Histogram("helpwire_gc_pause_seconds",
                                          "Garbage-collector pauses, by generation",
                                          ["generation"], buckets=PAUSE_BUCKETS,
                                          registry=self.registry)
        self.loop_stalls = Counter("helpwire_event_loop_stalls",
                                   "Lag samples longer than loop_stall_warning_seconds",
                                   registry=self.registry)

    def attach(self, services: Services) -> None:
        self.registry.register(LiveCollector(services))

    def watch(self, monitor: LoopMonitor) -> None:
        """Follow a loop monitor's lag samples, stalls and collector pauses."""
        stall = monitor.stall_seconds

        def lag(seconds: float) -> None:
            self.loop_lag.observe(seconds)
            if seconds > stall:
                self.loop_stalls.inc()

        monitor.lag_observers.append(lag)
        monitor.pause_observers.append(
            lambda generation, seconds: self.collector_pauses.labels(str(generation)).observe(seconds)
        )

    def message(self, message: Message) -> None:
        """One Socket.IO message sent by the emitter."""
        if isinstance(message, ToCustomer):
            self.events.labels("customer", message.event).inc()
        elif isinstance(message, ToAgent):
            self.events.labels("agent", message.event).inc()
        else:
            self.events.labels("all_agents", message.event).inc()

    async def observe(self, batch: list[Outgoing]) -> None:
        self.case_saves.inc(sum(1 for item in batch if isinstance(item, SaveCase)))

    def error(self, code: str) -> None:
        self.errors.labels(code).inc()

    async def handler(self, request: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
