"""Everything a handler may use, passed in explicitly (no module-level state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.engine import CaseEngine
from ..security.tokens import TokenSigner
from ..settings import Settings
from ..store import AgentRepository, CaseRepository, Database
from .hub import Hub
from .persister import Persister

if TYPE_CHECKING:
    from ..media.sessions import MediaSessions


@dataclass
class Services:
    settings: Settings
    database: Database
    cases: CaseRepository
    agents: AgentRepository
    engine: CaseEngine
    hub: Hub
    persister: Persister
    signer: TokenSigner
    #: voice and video (server/media); None until the app has started it
    media: MediaSessions | None = None
