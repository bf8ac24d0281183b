"""Everything a handler may use, passed in explicitly (no module-level state): the composition
root's record of the running components, so that none of them needs to import another's package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import socketio

from .cluster.feed import FeedFollower
from .cluster.membership import Membership
from .cluster.replica import WriteThroughDispatchState
from .core.engine import CaseEngine
from .runtime.hub import Hub
from .runtime.persister import Persister
from .security.guard import Guard
from .security.tokens import TokenSigner
from .settings import Settings
from .signalling.emitter import SocketEmitter
from .signalling.pings import PingSchedule
from .store import AgentRepository, AnalyticsRepository, CaseRepository, Database

if TYPE_CHECKING:
    from .admin.live import LiveConfig
    from .admin.service import AdminService
    from .media.sessions import MediaSessions
    from .photos.service import PhotoService
    from .privacy.operations import PrivacyOperations
    from .runtime.drain import Drain
    from .runtime.outbox import OutboxWorker


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
    #: purchases, shop-session exposures and the reads of the KPI reports
    analytics: AnalyticsRepository
    sio: socketio.AsyncServer
    #: sends the hub's batches to the sockets; its observers see every message sent
    emitter: SocketEmitter
    #: voice and video (server/media)
    media: MediaSessions
    #: delivers the outbox (POS webhooks, the weekly report)
    outbox: OutboxWorker
    #: erasure, export and the access log (server/privacy)
    privacy: PrivacyOperations
    #: rate limits and login protection (server/security/guard.py)
    guard: Guard
    #: how often each socket is pinged (the handlers say which sockets matter)
    pings: PingSchedule
    #: photos customers send, cleaned and held in memory while their case is open (server/photos)
    photos: PhotoService
    #: what /admin changes while the server runs: quick replies, labels, store hours, queues
    live: LiveConfig
    #: the admin changes themselves: validated, stored, audited, made live (server/admin)
    admin: AdminService
    #: whether this node is draining, and the drain itself (server/runtime/drain.py)
    drain: Drain
    #: the node's view of the dispatch state shared through Redis ([cluster] redis_url), if any
    shared_dispatch: WriteThroughDispatchState | None = None
    #: the task that feeds the other nodes' changes into that view
    feed: FeedFollower | None = None
    #: the node's lease and the adoption of stopped nodes' cases (with [cluster] redis_url)
    membership: Membership | None = None
    #: told the code of every error answered to a Socket.IO client (the metrics count them)
    error_observers: list[Callable[[str], None]] = field(default_factory=list)
