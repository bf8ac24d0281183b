"""Photos a customer sends to their agent: checked, cleaned off the loop, held in memory while
the case is open, announced to the agent only after the history records that one was sent.

The order matters: the cheap refusals first (no agent, rate, room), then the decode in a thread
pool of ``decode_workers`` threads, then the room check again with the real size, then the
history event committed and ``photo_shared`` sent. A case that is over (``ForgetCase``) takes its
photos with it.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..core.clock import Clock
from ..core.effects import ForgetCase
from ..core.engine import CaseEngine
from ..core.errors import PhotoNotFound
from ..core.events import PhotoShared
from ..logs import get_logger
from ..runtime.hub import Hub
from ..security.ratelimit import TokenBucket
from ..settings.photos import PhotoSettings
from .memory import HeldPhoto, PhotoMemory
from .sanitise import CleanPhoto, PhotoLimits, sanitise

log = get_logger("helpwire.photos")


@dataclass(frozen=True)
class SharedPhoto:
    """What the customer is told about the photo they sent."""

    photo_id: str
    case_id: str
    at: float
    width: int
    height: int
    size_bytes: int
    media_type: str

    def as_payload(self) -> dict[str, Any]:
        return {"photo_id": self.photo_id, "case_id": self.case_id, "at": self.at,
                "width": self.width, "height": self.height, "bytes": self.size_bytes,
                "media_type": self.media_type}


class PhotoService:
    def __init__(self, settings: PhotoSettings, engine: CaseEngine, hub: Hub, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.hub = hub
        self.limits = PhotoLimits.of(settings.max_bytes, settings.max_pixels, settings.max_side,
                                     settings.types, settings.jpeg_quality)
        self.memory = PhotoMemory(settings.case_budget_bytes, settings.memory_budget_bytes)
        self.per_case = TokenBucket(settings.per_case.burst, settings.per_case.per_seconds, clock,
                                    what="photos in this conversation")
        self._pool: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ lifetime

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self.settings.decode_workers,
                                        thread_name_prefix="helpwire-photo")

    async def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.memory = PhotoMemory(self.settings.case_budget_bytes, self.settings.memory_budget_bytes)

    async def after_effects(self, batch: list[Any]) -> None:
        """A hub observer: a case that is over drops its photos."""
        for item in batch:
            if isinstance(item, ForgetCase):
                dropped = self.memory.drop_case(item.case_id)
                if dropped:
                    log.info("photos_dropped", case_id=item.case_id, count=dropped)

    # ------------------------------------------------------------------ sending

    def precheck(self, case_id: str) -> None:
        """Refuse before the upload is even read: no agent to send to, or too many photos."""
        self.engine.photo_agent(case_id)
        self.per_case.take(case_id)
        self.memory.check_room(case_id, 0)

    async def share(self, case_id: str, data: bytes) -> SharedPhoto:
        """Clean the upload and send it to the case's agent (``precheck`` was passed)."""
        self.memory.reserve(len(data))
        try:
            clean = await self._clean(data)
        finally:
            self.memory.release(len(data))
        del data
        self.engine.photo_agent(case_id)  # the case may have moved on while it was cleaned
        self.memory.check_room(case_id, len(clean.data))  # before the history says it was sent
        photo_id = uuid.uuid4().hex
        outcomes = self.engine.photo(case_id, photo_id, clean.width, clean.height,
                                     len(clean.data), clean.source_type, clean.media_type)
        now = next(o.at for o in outcomes if isinstance(o, PhotoShared))
        self.memory.keep(HeldPhoto(photo_id, case_id, now, clean))  # fits: nothing awaited since
        try:
            await self.hub.run(outcomes)
        except BaseException:
            self.memory.forget(photo_id)
            raise
        log.info("photo_shared", case_id=case_id, photo_id=photo_id, bytes=len(clean.data),
                 width=clean.width, height=clean.height, source_type=clean.source_type)
        return SharedPhoto(photo_id, case_id, now, clean.width, clean.height, len(clean.data),
                           clean.media_type)

    async def _clean(self, data: bytes) -> CleanPhoto:
        if self._pool is None:
            raise RuntimeError("the photo service is not running")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, sanitise, data, self.limits)

    # ------------------------------------------------------------------ fetching

    def for_agent(self, photo_id: str, agent_id: str) -> HeldPhoto:
        """The photo, if it is of a case this agent has now; otherwise PhotoNotFound (the same
        answer whether it never existed, its case is over, or it is someone else's)."""
        held = self.memory.get(photo_id)
        case = self.engine.cases.get(held.case_id) if held is not None else None
        if held is None or case is None or case.agent_id != agent_id or case.is_finished:
            raise PhotoNotFound("no such photo: its case is over, or it is not yours")
        return held
