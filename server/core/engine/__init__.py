"""The case engine: routing, queueing, offering, the promise, the conversation and restarts,
decided without any I/O.

Adapters call one method per incoming fact (a Help press, an accept, a tick of the clock) and
carry out what it returns: typed domain events (``..events``) and writes (``..effects``). Time
comes from the injected clock only. One module per concept; ``base`` holds what they share.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..case import Case
from .base import EngineBase, EngineConfig, Outcome, S
from .conversation import Conversation
from .dispatch import Dispatch
from .erasure import Erasure
from .live import LiveChanges
from .overruling import Overruling
from .participants import Participants
from .promise import PromiseKeeping
from .queueing import Queueing
from .restore import Restoring
from .transfer import Transfer

__all__ = ["CaseEngine", "EngineConfig", "Outcome"]


class CaseEngine(Queueing, Dispatch, PromiseKeeping, Participants, Conversation, Transfer,
                 Restoring, Erasure, LiveChanges, Overruling, EngineBase):
    def tick(self) -> list[Outcome]:
        """Apply every timer that has run out: offers, grace periods, the 60-second promise."""
        now = self.clock.now()
        self._expire_offers(now)
        self._expire_agents(now)
        self._expire_customers(now)
        for case in [c for c in self.cases.values() if c.state is S.QUEUED]:
            self._keep_promise(case, now)
        self._dispatch()
        return self._flush()

    def forget_finished(self, older_than: float) -> None:
        """Drop finished cases from memory once nobody can act on them any more."""
        for case_id, case in list(self.cases.items()):
            last = case.events[-1].at
            if case.is_finished and last < older_than:
                del self.cases[case_id]

    def live_cases(self) -> Iterable[Case]:
        return [c for c in self.cases.values() if not c.is_finished]
