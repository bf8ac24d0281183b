"""Changes an admin makes while cases run (server/admin): labels, queues, an agent's profile.

Each takes effect at the next decision: a new label may close the next case, a queue's new
fallback applies to the next overflow, an agent's new capacity to the next offer. Nothing already
decided is undone: a case keeps its queue, an agent keeps the cases they have.
"""

from __future__ import annotations

from dataclasses import replace

from ..agents import AgentProfile
from ..routing import RuleSet
from .base import EngineBase, Outcome


class LiveChanges(EngineBase):
    def set_labels(self, labels: tuple[str, ...]) -> None:
        """The wrap-up labels a case may be closed with from now on."""
        self.config = replace(self.config, labels=labels)

    def set_rules(self, rules: RuleSet) -> list[Outcome]:
        """New queue definitions (titles, skills, fallback, always open): the next routing,
        overflow and offer use them; the queues are announced again."""
        live = (case for case in self.cases.values() if not case.is_finished)
        missing = {case.queue for case in live} - set(rules.queues)
        if missing:
            raise ValueError(f"live cases wait in queues the new rules lack: {sorted(missing)}")
        self.rules = rules
        self._overview = None
        self._dispatch()
        return self._flush()

    def agent_profile_changed(self, profile: AgentProfile) -> list[Outcome]:
        """An online agent's new skills, languages or capacity apply to the next offer (an
        offline one brings the new profile when they sign in)."""
        status = self.state.agent(profile.id)
        if status is None or not status.online:
            return []
        self.state.connect_agent(profile, self.clock.now())  # an online agent keeps everything else
        self._overview = None
        self._dispatch()
        return self._flush()
