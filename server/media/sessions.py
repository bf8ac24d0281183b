"""Per-case media: creates, renegotiates and closes the peers; frees everything when a call ends.

`MediaSessions` is the adapter between the pure `MediaDesk` (server/core/media.py) and aiortc.
It keeps, per case with a call, the case's relay and one `Peer` per participant. A call ends and
every media object of the case is released on hang-up, on failure (ICE/DTLS failed, consent lost,
a participant's socket gone, no media from a participant for `media_inactivity_seconds`), and
when the conversation ends (wrap-up, close, agent lost). The hub tells it about every batch of
engine effects so it notices those case changes.

Nothing here records media: there is no recorder, no file sink, and no setting to add one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from consent import EndReason

from ..core.case import Case, CaseState
from ..core.engine import CaseEngine
from ..core.events import AgentJoined, CustomerConnection, case_of
from ..core.media import Channel, MediaDesk, MediaNotAllowed, MediaPolicy, other
from ..core.media_events import MediaMuted, MediaProposed, MediaStateChanged, with_ice
from ..logs import get_logger
from ..runtime.hub import Hub, Outgoing
from ..settings.consent import ConsentSettings
from ..settings.media import MediaSettings
from . import aioice_compat
from .consent import ConsentService
from .ice import IceConfig
from .peer import Peer, ice_ufrag
from .relay import CaseRelay

log = get_logger("helpwire.media")


@dataclass
class CaseMedia:
    relay: CaseRelay
    peers: dict[str, Peer] = field(default_factory=dict)


class MediaSessions:
    def __init__(self, settings: MediaSettings, consent: ConsentSettings, tick_seconds: float,
                 engine: CaseEngine, hub: Hub) -> None:
        aioice_compat.install()
        self.settings = settings
        self._tick_seconds = tick_seconds
        self.engine = engine
        self.hub = hub
        self.ice = IceConfig.from_settings(settings)
        self.desk = MediaDesk(MediaPolicy(
            voice_hint_after_seconds=settings.voice_hint_after_seconds,
            video_hint_marks=frozenset(settings.video_hint_marks),
        ))
        self.cases: dict[str, CaseMedia] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._role_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._hints: asyncio.Task[None] | None = None
        #: consented tracks (kiosk screen share, age-check camera) and their grants
        self.consent = ConsentService(consent, engine, hub, self._relay_of)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._hints = asyncio.create_task(self._hint_loop(), name="helpwire-media-hints")
        self.consent.start()

    async def stop(self) -> None:
        if self._hints is not None:
            self._hints.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._hints
            self._hints = None
        await self.consent.stop()
        for case_id in list(self.cases):
            await self._release(case_id)
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    async def _hint_loop(self) -> None:
        """The media tick: hints to the agent, and the inactivity watchdog of every call."""
        while True:
            await asyncio.sleep(self._tick_seconds)
            try:
                self._watch_inactivity(time.monotonic())
                await self.run(self.desk.tick(self.engine.live_cases(), self._now()))
            except Exception:
                log.exception("media_hints_failed")

    def _watch_inactivity(self, now: float) -> list[Peer]:
        """Fail the call of every participant whose media stopped (a frozen or cut-off device):
        ICE consent freshness would take 30 s to say so, the socket heartbeat up to
        ping_interval + ping_timeout + a tick. Returns the peers found silent (each once)."""
        limit = self.settings.inactivity_seconds
        silent: list[Peer] = []
        for case_id, media in list(self.cases.items()):
            call = self.desk.calls.get(case_id)
            if call is None or not call.live:
                continue  # a consented track outside a call ends with its grant or its peer
            for role, quiet in media.relay.silent(now, limit):
                media.relay.last_heard.pop(role, None)  # fire once per silence
                peer = media.peers.get(role)
                if peer is None or peer.closed:
                    continue
                log.info("media_inactive", case_id=case_id, role=role,
                         silent_seconds=round(quiet, 2))
                silent.append(peer)
                self._spawn(self._peer_failed(peer, "media_inactive"))
        return silent

    def _now(self) -> float:
        return self.engine.clock.now()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _lock(self, case_id: str) -> asyncio.Lock:
        return self._locks.setdefault(case_id, asyncio.Lock())

    def _role_lock(self, case_id: str, role: str) -> asyncio.Lock:
        """Orders one participant's offers (taken before the case's lock, never after it)."""
        return self._role_locks.setdefault((case_id, role), asyncio.Lock())

    def _relay_of(self, case_id: str) -> CaseRelay | None:
        media = self.cases.get(case_id)
        return media.relay if media is not None else None

    def _path(self, case_id: str, role: str, kind: str, path: str, codec_in: str,
              codec_out: str) -> None:
        case = self.engine.cases.get(case_id)
        if case is not None:
            self._spawn(self.run(self.desk.relay_path(case, role, kind, path, codec_in, codec_out,
                                                      self._now())))

    def _end_consent(self, case_id: str, reason: EndReason) -> None:
        """The case's media went away: its consented tracks went with it (told to both sides)."""
        if any(grant.live for grant in self.consent.ledger.of_case(case_id)):
            self._spawn(self.consent.end_case(case_id, reason))

    # ------------------------------------------------------------------ ICE for clients

    def ice_servers(self, user_id: str) -> list[dict[str, Any]]:
        return self.ice.for_client(user_id, self._now())

    def _decorate(self, item: Outgoing) -> Outgoing:
        """Hand fresh ICE servers to a participant exactly when they are about to need them."""
        if not isinstance(item, (MediaStateChanged, MediaProposed)) or not item.wants_ice:
            return item
        roles = [item.to_role] if isinstance(item, MediaProposed) else ["customer", "agent"]
        ice = {}
        for role in roles:
            if role == "customer":
                ice[role] = self.ice_servers(f"case-{item.case_id}")
            elif item.agent_id is not None:
                ice[role] = self.ice_servers(item.agent_id)
        return with_ice(item, ice)

    async def run(self, items: Iterable[Outgoing]) -> None:
        await self.hub.run([self._decorate(e) for e in items])

    # ------------------------------------------------------------------ the policy

    def _active_case(self, case_id: str) -> Case:
        return self.engine.case(case_id)

    async def propose(self, case_id: str, role: str, channel: str) -> dict[str, Any]:
        case = self._active_case(case_id)
        await self.run(self.desk.propose(case, role, Channel(channel), self._now()))
        return self.desk.view(case_id)

    async def accept(self, case_id: str, role: str) -> dict[str, Any]:
        case = self._active_case(case_id)
        await self.run(self.desk.accept(case, role, self._now()))
        return self.desk.view(case_id)

    async def decline(self, case_id: str, role: str) -> dict[str, Any]:
        case = self._active_case(case_id)
        await self.run(self.desk.decline(case, role, self._now()))
        return self.desk.view(case_id)

    async def hangup(self, case_id: str, role: str) -> dict[str, Any]:
        case = self._active_case(case_id)
        async with self._lock(case_id):
            effects = self.desk.hangup(case, role, self._now())
            await self._release(case_id)
            self._end_consent(case_id, EndReason.ENDED_BY_AGENT if role == "agent"
                              else EndReason.REVOKED_BY_CUSTOMER)
        await self.run(effects)
        return self.desk.view(case_id)

    async def mark(self, case_id: str, mark: str) -> dict[str, Any]:
        case = self._active_case(case_id)
        await self.run(self.desk.mark(case, mark, self._now()))
        return self.desk.view(case_id)

    async def mute(self, case_id: str, role: str, audio: bool | None, video: bool | None) -> None:
        case = self._active_case(case_id)
        await self.run([MediaMuted(case_id, case.agent_id, other(role), role, audio, video)])

    # ------------------------------------------------------------------ negotiation

    async def offer(self, case_id: str, role: str, sid: str, sdp: str,
                    labels: Mapping[str, str] | None = None) -> dict[str, str]:
        case = self._active_case(case_id)
        if labels:
            self.consent.can_label(case_id, role, labels)
        # one offer of a participant at a time; the two participants' offers are answered at
        # once (the case's lock is held only to pick and register the peer, not while aiortc
        # answers): lock order participant → case, and nothing holding the case's lock waits
        # for a participant's
        async with self._role_lock(case_id, role):
            return await self._offer(case, role, sid, sdp, labels)

    async def _offer(self, case: Case, role: str, sid: str, sdp: str,
                     labels: Mapping[str, str] | None) -> dict[str, str]:
        case_id = case.id
        async with self._lock(case_id):
            media = self.cases.get(case_id)
            peer = media.peers.get(role) if media else None
            new = (
                peer is None or peer.closed or peer.sid != sid or peer.ufrag != ice_ufrag(sdp)
                or peer.pc.connectionState in ("failed", "closed")
            )
            try:
                effects = self.desk.negotiate(case, role, self._now(), new_connection=new)
            except MediaNotAllowed:
                # no call, but a granted consent (a screen share from a kiosk in chat): the peer
                # carries only the consented track
                if not self.consent.granted(case_id):
                    raise
                effects = []
            if media is None:
                media = CaseMedia(CaseRelay(case_id, on_path=functools.partial(self._path, case_id)))
                self.cases[case_id] = media
            if new:
                if peer is not None:
                    await peer.close()  # replaced by the participant's new connection
                peer = Peer(case_id, role, sid, self.ice, self._now(), media.relay,
                            self._peer_state, close_seconds=self.settings.peer_close_seconds,
                            gate=lambda label: self.consent.allows(case_id, label))
                media.peers[role] = peer
            assert peer is not None
        try:
            answer = await peer.answer(sdp, labels)
        except Exception as error:
            log.info("media_offer_refused", case_id=case_id, role=role, error=str(error)[:200])
            if new:
                async with self._lock(case_id):
                    current = self.cases.get(case_id)
                    if current is not None and current.peers.get(role) is peer:
                        current.peers.pop(role, None)
                await peer.close()
            raise MediaNotAllowed(f"the offer could not be applied: {str(error)[:200]}") from None
        if not new and peer.pc.connectionState == "connected":
            # a call started on a connection that is already up (it carried a screen share)
            effects += self.desk.peer_connected(case, role, self._now())
        await self.run(effects)
        return {"sdp": answer.sdp, "type": answer.type}

    async def candidate(self, case_id: str, role: str, sid: str, candidate: str,
                        mid: str | None, index: int | None) -> None:
        media = self.cases.get(case_id)
        peer = media.peers.get(role) if media else None
        if peer is None or peer.sid != sid or peer.closed:
            return  # a late candidate for a connection that is gone: harmless
        try:
            await peer.add_candidate(candidate, mid, index)
        except ValueError as error:
            raise MediaNotAllowed(f"the candidate could not be parsed: {str(error)[:200]}") from None

    # ------------------------------------------------------------------ peers' fate

    def _peer_state(self, peer: Peer, state: str) -> None:
        log.info("media_peer_state", case_id=peer.case_id, role=peer.role, state=state)
        if state == "connected":
            self._spawn(self._peer_connected(peer))
        elif state in ("failed", "closed"):
            self._spawn(self._peer_failed(peer, "ice_failed" if state == "failed" else "peer_closed"))

    async def _peer_connected(self, peer: Peer) -> None:
        case = self.engine.cases.get(peer.case_id)
        if case is None or peer.closed:
            return
        await self.run(self.desk.peer_connected(case, peer.role, self._now()))

    async def _peer_failed(self, peer: Peer, reason: str) -> None:
        async with self._lock(peer.case_id):
            media = self.cases.get(peer.case_id)
            if media is None or media.peers.get(peer.role) is not peer:
                return
            case = self.engine.cases.get(peer.case_id)
            effects = self.desk.peer_failed(case, peer.role, reason, self._now()) if case else []
            await self._release(peer.case_id)
            self._end_consent(peer.case_id, EndReason.CONNECTION_LOST)
        log.info("media_failed", case_id=peer.case_id, role=peer.role, reason=reason)
        await self.run(effects)

    async def participant_gone(self, case_id: str, role: str, reason: str = "peer_lost") -> None:
        """A participant's last socket closed: their media cannot go on; the case goes on in chat."""
        async with self._lock(case_id):
            case = self.engine.cases.get(case_id)
            call = self.desk.calls.get(case_id)
            if case is None or call is None or not call.live:
                if case_id in self.cases:  # peers that carried only a consented track
                    await self._release(case_id)
                    self._end_consent(case_id, EndReason.CONNECTION_LOST)
                return
            effects = self.desk.peer_failed(case, role, reason, self._now())
            await self._release(case_id)
            self._end_consent(case_id, EndReason.CONNECTION_LOST)
        log.info("media_failed", case_id=case_id, role=role, reason=reason)
        await self.run(effects)

    async def socket_gone(self, sid: str) -> None:
        for case_id, media in list(self.cases.items()):
            for role, peer in list(media.peers.items()):
                if peer.sid == sid:
                    await self.participant_gone(case_id, role)

    async def agent_gone(self, agent_id: str) -> None:
        for case_id, call in list(self.desk.calls.items()):
            case = self.engine.cases.get(case_id)
            if call.live and case is not None and case.agent_id == agent_id:
                await self.participant_gone(case_id, "agent")

    async def _release(self, case_id: str) -> None:
        """Close every peer of the case and drop its relay: no media object of it is left."""
        media = self.cases.pop(case_id, None)
        if media is None:
            return
        for peer in list(media.peers.values()):
            await peer.close()
        media.peers.clear()
        await media.relay.close()

    # ------------------------------------------------------------------ case changes

    async def after_effects(self, batch: list[Outgoing]) -> None:
        """Called by the hub after each batch: follow the case's life (typed events, not wire)."""
        try:
            await self._follow(batch)
        except Exception:
            log.exception("media_follow_failed")

    async def _follow(self, batch: list[Outgoing]) -> None:
        touched: list[str] = []
        voice_first: list[str] = []
        lost: list[str] = []
        for item in batch:
            case_id = case_of(item)
            if case_id is not None:
                touched.append(case_id)
            if isinstance(item, AgentJoined) and item.first_channel == Channel.VOICE.value:
                voice_first.append(item.case_id)
            if isinstance(item, CustomerConnection) and not item.connected:
                lost.append(item.case_id)
        for case_id in lost:
            await self.participant_gone(case_id, "customer")
        for case_id in dict.fromkeys(touched):
            case = self.engine.cases.get(case_id)
            if case is not None and case.state is not CaseState.ACTIVE and (
                case_id in self.desk.calls or case_id in self.cases
            ):
                async with self._lock(case_id):
                    out = self.desk.case_over(case, self._now())
                    await self._release(case_id)
                await self.run(out)
            if case is None or case.state is not CaseState.ACTIVE:
                self._end_consent(case_id, EndReason.CASE_CLOSED)
            if case is None or case.is_finished:
                self._locks.pop(case_id, None)
                for key in [k for k in self._role_locks if k[0] == case_id]:
                    self._role_locks.pop(key, None)
                self.consent.forget(case_id)
        for case_id in voice_first:
            case = self.engine.cases.get(case_id)
            if case is not None and case.state is CaseState.ACTIVE:
                await self.run(self.desk.start_voice_first(case, self._now()))

    # ------------------------------------------------------------------ introspection

    def view(self, case_id: str) -> dict[str, Any]:
        return self.desk.view(case_id)
