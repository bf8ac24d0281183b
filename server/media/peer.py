"""One aiortc peer connection between Helpwire and one participant (customer/kiosk or agent).

The participant's browser is the offerer; the server answers. Tracks the participant sends are
handed to the case relay as sources (their receivers tapped, so packets are forwarded as they
arrive); each audio/video m-line's sender is attached to the relay as that participant's consumer,
i.e. it carries the other participant's media.
Trickled candidates that arrive before the offer was applied are kept (bounded) and applied after.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from ..logs import get_logger
from . import aioice_compat, aiortc_compat
from .candidates import parse_candidate
from .ice import IceConfig
from .relay import CaseRelay

log = get_logger("helpwire.media.peer")

_UFRAG = re.compile(r"^a=ice-ufrag:(\S+)", re.MULTILINE)
_MEDIA_LINE = re.compile(r"^m=(audio|video) ", re.MULTILINE)
MAX_EARLY_CANDIDATES = 64


def ice_ufrag(sdp: str) -> str | None:
    match = _UFRAG.search(sdp)
    return match.group(1) if match else None


class Peer:
    def __init__(
        self,
        case_id: str,
        role: str,
        sid: str,
        ice: IceConfig,
        now: float,
        relay: CaseRelay,
        on_state: Callable[[Peer, str], None],
        gate: Callable[[str], bool] | None = None,
        *,
        close_seconds: float,
    ) -> None:
        self.case_id = case_id
        self.role = role
        self.sid = sid
        self.relay = relay
        #: how long close() waits for the peer connection (media.peer_close_seconds)
        self.close_seconds = close_seconds
        self.host_addresses = ice.host_addresses
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=ice.for_server(now)))
        self.ufrag: str | None = None
        self.closed = False
        self._early: list[tuple[str, str | None, int | None]] = []
        self._on_state = on_state
        #: mid → consent scope ("screen_share", "age_check_video") of consented m-lines: the
        #: customer/kiosk sends that track on it, the agent receives it on its own labelled m-line
        self.labels: dict[str, str] = {}
        self._gate = gate
        self.pc.on("connectionstatechange", self._state_changed)
        self.pc.on("track", self._track)

    def _state_changed(self) -> None:
        if not self.closed:
            self._on_state(self, self.pc.connectionState)

    def _track(self, track: Any) -> None:
        transceiver = next((t for t in self.pc.getTransceivers() if t.receiver.track is track), None)
        receiver = transceiver.receiver if transceiver is not None else None
        mid = transceiver.mid if transceiver is not None else None
        label = self.labels.get(mid) if mid is not None else None
        log.info("media_track", case_id=self.case_id, role=self.role, kind=track.kind, label=label)
        if label is None:
            self.relay.add_source(self.role, track, receiver)
        elif self.role == "customer" and track.kind == "video" and self._gate is not None:
            gate = self._gate
            # a consented track: forwarded to the agent only, and only while its grant allows
            self.relay.add_source(self.role, track, receiver, kind=label, gate=lambda: gate(label))
        # an agent never sends a consented track: anything on its labelled m-line is ignored

    async def answer(self, sdp: str,
                     labels: Mapping[str, str] | None = None) -> RTCSessionDescription:
        """Apply the participant's offer (first or renegotiation) and return the server's answer.

        `labels` names the consented m-lines of this offer by mid (see `self.labels`).
        """
        if not _MEDIA_LINE.search(sdp):
            raise ValueError("the offer has no audio or video m-line")
        self.labels.update(labels or {})
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        self.ufrag = ice_ufrag(sdp)
        for transceiver in self.pc.getTransceivers():
            label = self.labels.get(transceiver.mid or "")
            if label is not None:
                if self.role == "agent" and transceiver.kind == "video" \
                        and transceiver.sender.track is None and not transceiver.stopped:
                    # the agent's labelled m-line carries the consented track, nothing else
                    self.relay.attach(self.role, label, transceiver.sender)
                    if transceiver.direction == "recvonly":
                        transceiver.direction = "sendrecv"
                continue
            if transceiver.kind in ("audio", "video") and transceiver.sender.track is None \
                    and not transceiver.stopped:
                # what this participant receives: the other participant's media of this kind
                self.relay.attach(self.role, transceiver.kind, transceiver.sender)
                if transceiver.direction == "recvonly":
                    transceiver.direction = "sendrecv"
        answer = await self.pc.createAnswer()
        with aioice_compat.host_addresses(self.host_addresses):
            await self.pc.setLocalDescription(answer)
        early, self._early = self._early, []
        for candidate, mid, index in early:
            await self.add_candidate(candidate, mid, index)
        local = self.pc.localDescription
        return RTCSessionDescription(sdp=local.sdp, type=local.type)

    async def add_candidate(self, candidate: str, mid: str | None, index: int | None) -> None:
        """Raises ValueError for a line that is not a candidate (early ones are checked too)."""
        text = candidate.strip()
        if text.startswith("candidate:"):
            text = text[len("candidate:"):]
        if text:
            parse_candidate(text)
        if self.pc.remoteDescription is None:
            if len(self._early) < MAX_EARLY_CANDIDATES:
                self._early.append((candidate, mid, index))
            return
        if not text:
            await self.pc.addIceCandidate(None)  # end of candidates
            return
        parsed = parse_candidate(text)
        parsed.sdpMid = mid
        parsed.sdpMLineIndex = index
        await self.pc.addIceCandidate(parsed)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.pc.remove_all_listeners()
        await self.relay.remove_role(self.role)
        # not wait_for: a close that ignores cancellation must not hold up the caller
        closing = asyncio.ensure_future(self.pc.close())
        done, _ = await asyncio.wait({closing}, timeout=self.close_seconds)
        if not done or closing.exception() is not None:
            log.warning("peer_close_failed", case_id=self.case_id, role=self.role)
            return
        aiortc_compat.release(self.pc)
