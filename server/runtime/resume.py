"""After a restart or an adoption: take back live cases a stopped process left open, from the store.

With one process (no ``[cluster] redis_url``) that is every live case; in a cluster, the cases
the store says this node hosts (``cases.host_node``), and those it adopts from a node that
stopped (server/cluster/membership.py). The stored events are the truth: each live case is their
fold (``CaseRepository.live_cases``), handed to the engine,
which gives its participants the restart grace to reconnect (customers with their case token,
agents with agent_hello), or closes it with the reason when it cannot go on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..core.agents import AgentProfile
from ..core.engine import CaseEngine
from ..logs import get_logger
from ..store import AgentRepository, CaseRepository
from .hub import Hub

log = get_logger("helpwire.resume")


async def resume_live_cases(
    cases: CaseRepository,
    agents: AgentRepository,
    engine: CaseEngine,
    hub: Hub,
    grace_seconds: float,
    host: str | None = None,
    only: Sequence[str] | None = None,
) -> Counter[str]:
    """Rebuild the live cases (with ``host``, those that node hosts; with ``only``, those of
    these ids); returns how many are in each state afterwards."""
    live, messages = await cases.live_cases(host=host, only=only)
    if not live:
        return Counter()
    profiles: dict[str, AgentProfile] = {}
    for agent_id in {c.agent_id for c in live if c.agent_id is not None}:
        stored = await agents.by_id(agent_id)
        if stored is not None:
            profiles[agent_id] = stored.profile()
    notes = await cases.notes_of([c.id for c in live])
    await hub.run(engine.restore(live, messages, profiles, grace_seconds, notes=notes))
    states = Counter(engine.case(c.id).state.value for c in live)
    log.info("cases_resumed", found=len(live), adopted=only is not None,
             **{f"now_{k}": v for k, v in sorted(states.items())})
    return states
