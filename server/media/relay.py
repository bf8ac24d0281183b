"""Relaying one case's media between its participants, and nobody else.

One `CaseRelay` per case. A participant's received track becomes a *source*; each participant's
outgoing track of a kind is a *consumer* fed from the source of the same kind of the OTHER
participant — never their own. Relays of different cases share nothing, so media cannot cross
cases by construction.

Each consumer holds at most one frame: when a new frame arrives before the consumer's sender took
the previous one, the older frame is dropped (counted), so a slow consumer never builds a queue
and never adds more than one frame of delay. A frame is referenced only until its consumers took
it; nothing is kept after relaying and nothing is written anywhere.

Frames are relayed decoded (aiortc decodes what it receives and encodes what it sends); issue 6
replaces that with encoded passthrough. When a consumer joins a source that is already running,
the source's sender is asked for a keyframe.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from ..logs import get_logger

log = get_logger("helpwire.media.relay")

KeyframeRequest = Callable[[], Awaitable[Any]]


class ConsumerTrack(MediaStreamTrack):
    """What the server sends to one participant: the latest frame of the other side, one slot."""

    def __init__(self, kind: str, role: str) -> None:
        super().__init__()
        self.kind = kind
        self.role = role
        self._frame: Any = None
        self._offered_at = 0.0
        self._ready = asyncio.Event()
        self.delivered = 0
        self.dropped = 0
        #: how long recent frames waited in the slot, in seconds (numbers only, never frames)
        self.holds: deque[float] = deque(maxlen=512)

    def offer(self, frame: Any) -> None:
        if self.readyState != "live":
            return
        if self._frame is not None:
            self.dropped += 1  # the consumer did not keep up: drop the oldest
        self._frame = frame
        self._offered_at = time.monotonic()
        self._ready.set()

    async def recv(self) -> Any:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._frame is not None:
                frame, self._frame = self._frame, None
                self._ready.clear()
                self.delivered += 1
                self.holds.append(time.monotonic() - self._offered_at)
                return frame
            await self._ready.wait()

    def clear(self) -> None:
        """Forget a frame not yet taken (a consent ended)."""
        self._frame = None
        self._ready.clear()

    def stop(self) -> None:
        self._frame = None
        super().stop()
        self._ready.set()  # wake a waiting recv() so it raises and the sender stops


@dataclass
class Source:
    role: str
    kind: str
    track: Any
    request_keyframe: KeyframeRequest | None
    task: asyncio.Task[None] | None = None
    frames: int = 0
    #: consented tracks (a kiosk's screen, an age-check camera): asked before EVERY frame is
    #: forwarded; False drops the frame (the track is still drained so nothing piles up)
    gate: Callable[[], bool] | None = None
    #: frames drained but not forwarded because the gate said no
    withheld: int = 0


@dataclass
class CaseRelay:
    case_id: str
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    consumers: dict[tuple[str, str], ConsumerTrack] = field(default_factory=dict)
    on_source_ended: Callable[[str, str], None] | None = None

    def consumer(self, role: str, kind: str) -> ConsumerTrack:
        """The track to send to `role` for `kind`; created once, fed by the other side's source."""
        key = (role, kind)
        track = self.consumers.get(key)
        if track is None or track.readyState != "live":
            track = ConsumerTrack(kind, role)
            self.consumers[key] = track
            for source in self._sources_for(role, kind):
                if source.frames and source.request_keyframe is not None:
                    # a late joiner: the running source sends a keyframe so decoding can start
                    asyncio.ensure_future(_quietly(source.request_keyframe()))
        return track

    def _sources_for(self, consumer_role: str, kind: str) -> list[Source]:
        return [s for (role, k), s in self.sources.items() if k == kind and role != consumer_role]

    def _consumers_for(self, source_role: str, kind: str) -> list[ConsumerTrack]:
        return [c for (role, k), c in self.consumers.items() if k == kind and role != source_role]

    def add_source(self, role: str, track: Any,
                   request_keyframe: KeyframeRequest | None = None, *,
                   kind: str | None = None, gate: Callable[[], bool] | None = None) -> None:
        """`kind` overrides the track's kind for consented tracks ("screen_share", …): such a
        source feeds only consumers of that same label, and only while `gate()` is true."""
        label = kind or track.kind
        key = (role, label)
        old = self.sources.pop(key, None)
        if old is not None and old.task is not None:
            old.task.cancel()
        source = Source(role, label, track, request_keyframe, gate=gate)
        self.sources[key] = source
        source.task = asyncio.create_task(self._pump(source),
                                          name=f"relay:{self.case_id}:{role}:{label}")

    def cut(self, kind: str) -> None:
        """A consent ended: drop any frame of `kind` not yet taken by a consumer's sender.

        The source's gate already refuses every later frame; this removes the one in the slot.
        """
        for (_, k), consumer in self.consumers.items():
            if k == kind:
                consumer.clear()

    async def _pump(self, source: Source) -> None:
        try:
            while True:
                frame = await source.track.recv()
                source.frames += 1
                if source.gate is not None and not source.gate():
                    source.withheld += 1
                    del frame
                    continue
                for consumer in self._consumers_for(source.role, source.kind):
                    consumer.offer(frame)
                del frame
                # let a waiting sender take the frame before the next one (decoded frames often
                # arrive in pairs) — a frame is dropped only when a consumer is really behind
                await asyncio.sleep(0)
        except MediaStreamError:
            if self.sources.get((source.role, source.kind)) is source:
                del self.sources[(source.role, source.kind)]
                if self.on_source_ended is not None:
                    self.on_source_ended(source.role, source.kind)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("relay_source_failed", case_id=self.case_id, role=source.role,
                          kind=source.kind)

    async def remove_role(self, role: str) -> None:
        """A participant left: stop what they sent and what was sent to them."""
        tasks = []
        for key in [k for k in self.sources if k[0] == role]:
            source = self.sources.pop(key)
            if source.task is not None:
                source.task.cancel()
                tasks.append(source.task)
        for key in [k for k in self.consumers if k[0] == role]:
            self.consumers.pop(key).stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def close(self) -> None:
        for role in {k[0] for k in (*self.sources, *self.consumers)}:
            await self.remove_role(role)


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception:
        log.debug("keyframe_request_failed")
