/*
 * Helpwire voice and video: one RTCPeerConnection to Helpwire per call (docs/media.md).
 *
 * Shared by the Help widget (customer, kiosk; a chunk it imports when a call starts) and the agent
 * console (helpwire-call.js, built from agent-call.js, defines the global HelpwireCall there).
 * Loading it defines the test and diagnostics hook window.__helpwireMedia (never on first load).
 *
 * The browser is always the offerer: every change of what is sent (microphone at the start,
 * camera for video, no camera back in voice) is a new offer on the SAME connection, sent with
 * `media_offer` and answered in its acknowledgement. The microphone (and camera) are asked for at
 * the start and the offer goes out meanwhile: their tracks join the m-lines with replaceTrack.
 * Local candidates are trickled with
 * `media_candidate`; the server's candidates are all in its answer. Nothing here records.
 *
 *   const call = HelpwireCall.create({
 *     caseId, iceServers,
 *     emit: (event, payload) => Promise<ack>,   // the caller adds case_id where it must
 *     sendVideo: () => true,                    // false: receive the other's video, send none
 *     onChange: (call) => {},                   // redraw: state, tracks, mute…
 *     onError: (call, error) => {},             // the camera/microphone or the offer failed
 *   });
 *   await call.setChannel("voice" | "video");
 *   call.setMuted(true); call.setCameraOff(true); call.close();
 *
 * Consented tracks (a kiosk's screen share, an age-check camera; docs/protocol.md "Consent") ride
 * on the same connection as their own transceiver, named in `media_offer` by `labels`:
 *   await call.addConsented("screen_share", screenTrack);   // customer/kiosk: send it
 *   await call.addConsented("screen_share", null);          // agent: receive it
 *   call.consentedStream("screen_share");                   // what arrived (agent)
 *   await call.removeConsented("screen_share");
 * `create` for a case that already has an open call returns that call (one connection per case).
 */
const registry = new Map(); // case id → open call (for the test hook)

class Call {
  constructor(options) {
    this.options = options;
    this.caseId = options.caseId;
    this.iceServers = Array.isArray(options.iceServers) ? options.iceServers : [];
    this.pc = null;
    this.channel = null;        // the channel the connection is set up for
    this.wanted = null;         // the channel asked for last
    this.audioTrack = null;
    this.videoTrack = null;
    this.audioTransceiver = null;
    this.videoTransceiver = null;
    this.localStream = new MediaStream();   // the self-view (video only: never played aloud)
    this.remoteAudio = new MediaStream();
    this.remoteVideo = new MediaStream();
    this.muted = false;
    this.cameraOff = false;
    this.remoteVideoLive = false;  // frames are arriving on the other side's video
    this.closed = false;
    this.error = null;
    this.offerSent = false;
    this.pendingCandidates = [];
    this.queue = Promise.resolve();
    this.consented = new Map(); // consent scope → {transceiver, track, stream}
    this.listeners = new Set();
    registry.set(this.caseId, this);
  }

  /** The connection's state as the browser sees it: new, connecting, connected, failed, … */
  get connectionState() {
    return this.pc ? this.pc.connectionState : "new";
  }

  changed() {
    if (this.closed) return;
    for (const listener of [this.options.onChange, ...this.listeners]) {
      try {
        if (listener) listener(this);
      } catch (error) {
        console.warn("Helpwire: a call listener failed", error);
      }
    }
  }

  /** Make the connection carry `channel` (voice: microphone; video: + camera) and negotiate. */
  setChannel(channel) {
    this.wanted = channel;
    const step = this.queue.then(() => this.apply());
    // one negotiation at a time; a failure is reported, the next request may still succeed
    this.queue = step.catch((error) => this.fail(error));
    return this.queue;
  }

  /** Apply a change of `sendVideo()` (the agent's audio-only choice) to a running call. */
  refresh() {
    if (this.wanted) return this.setChannel(this.wanted);
    return this.queue;
  }

  fail(error) {
    if (this.closed) return;
    this.error = error;
    console.warn("Helpwire: call set-up failed", error);
    if (this.options.onError) this.options.onError(this, error);
    this.changed();
  }

  createPeer() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    pc.addEventListener("icecandidate", (event) => this.onCandidate(event.candidate));
    pc.addEventListener("connectionstatechange", () => this.changed());
    pc.addEventListener("track", (event) => this.onTrack(event.track, event.transceiver));
  }

  onCandidate(candidate) {
    if (this.closed) return;
    // null (or an empty candidate) ends the list: sent as ""
    const payload = candidate && candidate.candidate
      ? {
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid,
        sdpMLineIndex: candidate.sdpMLineIndex,
        usernameFragment: candidate.usernameFragment || null,
      }
      : { candidate: "", sdpMid: candidate ? candidate.sdpMid : null,
        sdpMLineIndex: candidate ? candidate.sdpMLineIndex : null };
    if (this.offerSent) this.sendCandidate(payload);
    else this.pendingCandidates.push(payload);
  }

  sendCandidate(payload) {
    // fire and forget: a refused candidate is not worth stopping the call for
    Promise.resolve(this.options.emit("media_candidate", payload)).catch(() => {});
  }

  onTrack(track, transceiver) {
    for (const entry of this.consented.values()) {
      if (entry.transceiver === transceiver) {
        // a consented track (the kiosk's screen, the age-check camera): never the call's video
        for (const old of entry.stream.getTracks()) entry.stream.removeTrack(old);
        entry.stream.addTrack(track);
        this.changed();
        return;
      }
    }
    if (track.kind === "audio") {
      for (const old of this.remoteAudio.getTracks()) this.remoteAudio.removeTrack(old);
      this.remoteAudio.addTrack(track);
    } else {
      for (const old of this.remoteVideo.getTracks()) this.remoteVideo.removeTrack(old);
      this.remoteVideo.addTrack(track);
      // the other side may send audio only or turn its camera off: show video only with frames
      const live = () => { this.remoteVideoLive = !track.muted && track.readyState === "live"; this.changed(); };
      track.addEventListener("mute", live);
      track.addEventListener("unmute", live);
      track.addEventListener("ended", live);
      live();
    }
    this.changed();
  }

  async media(constraints) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const error = new Error("this browser cannot capture a microphone or camera");
      error.name = "NotSupportedError";
      throw error;
    }
    return navigator.mediaDevices.getUserMedia(constraints);
  }

  /** The m-lines `channel` needs; true when the connection's offer must change for them. */
  addTransceivers(channel) {
    const pc = this.pc;
    const video = channel === "video";
    const sendVideo = video && !this.cameraOff && (!this.options.sendVideo || this.options.sendVideo());
    let structural = false;
    if (!this.audioTransceiver) {
      // the microphone joins with replaceTrack when it is there: no second offer for it
      this.audioTransceiver = pc.addTransceiver(this.audioTrack || "audio", { direction: "sendrecv" });
      structural = true;
    }
    if (video) {
      const direction = sendVideo ? "sendrecv" : "recvonly";
      if (!this.videoTransceiver) {
        this.videoTransceiver = pc.addTransceiver((sendVideo && this.videoTrack) || "video", { direction });
        structural = true;
      } else if (this.videoTransceiver.direction !== direction) {
        this.videoTransceiver.direction = direction;
        structural = true;
      }
    } else if (this.videoTransceiver && this.videoTransceiver.direction !== "inactive") {
      // back to voice: no camera either way
      this.videoTransceiver.direction = "inactive";
      structural = true;
    }
    return structural;
  }

  /** Open what is missing of the microphone and camera (one prompt); false if closed meanwhile. */
  async capture(wantAudio, wantCamera) {
    const stream = await this.media({
      audio: wantAudio ? { echoCancellation: true, noiseSuppression: true } : false,
      video: wantCamera ? { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15 } } : false,
    });
    if (this.closed) {
      for (const track of stream.getTracks()) track.stop();
      return false;
    }
    for (const track of stream.getTracks()) {
      if (track.kind === "audio") {
        this.audioTrack = track;
        track.enabled = !this.muted;
      } else {
        this.videoTrack = track;
        this.localStream.addTrack(track);
      }
    }
    return true;
  }

  async apply() {
    if (this.closed) return;
    const channel = this.wanted;
    if (!this.pc) this.createPeer();
    const video = channel === "video";
    const sendVideo = video && !this.cameraOff && (!this.options.sendVideo || this.options.sendVideo());

    // the devices are asked for first (one permission prompt for what is missing); a microphone
    // alone is not waited for: the connection is negotiated while it starts and its track joins
    // the m-line with replaceTrack. A camera is in the offer (the first frame came no sooner
    // without it)
    const wantAudio = !this.audioTrack;
    const wantCamera = sendVideo && !this.videoTrack;
    const capturing = wantAudio || wantCamera ? this.capture(wantAudio, wantCamera) : Promise.resolve(true);
    if (wantCamera && !(await capturing)) return;
    const structural = this.addTransceivers(channel);
    const negotiating = structural || !this.channel ? this.negotiate() : Promise.resolve();
    // each track joins its m-line as soon as it is there, answered or not
    const attaching = capturing.then(async (live) => {
      if (!live || this.closed) return false;
      if (this.audioTransceiver.sender.track !== this.audioTrack) {
        await this.audioTransceiver.sender.replaceTrack(this.audioTrack);
      }
      if (this.videoTransceiver) {
        const track = video && sendVideo ? this.videoTrack : null;
        if (this.videoTransceiver.sender.track !== track) await this.videoTransceiver.sender.replaceTrack(track);
      }
      return true;
    });
    const [live] = await Promise.all([attaching, negotiating]);
    if (!live || this.closed) return;
    if (!sendVideo) this.stopCamera();
    this.channel = channel;
    this.error = null;
    this.changed();
  }

  /** Send an offer and apply the answer. */
  async negotiate() {
    const pc = this.pc;
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (this.closed) return;
    const payload = { sdp: pc.localDescription.sdp, type: "offer" };
    const labels = {};
    for (const [label, entry] of this.consented) {
      if (entry.transceiver.mid !== null) labels[entry.transceiver.mid] = label;
    }
    if (Object.keys(labels).length) payload.labels = labels;
    const answered = this.options.emit("media_offer", payload);
    if (!this.offerSent) {
      // candidates found before the first offer follow it, in order, on the same socket
      this.offerSent = true;
      const pending = this.pendingCandidates;
      this.pendingCandidates = [];
      for (const payload of pending) this.sendCandidate(payload);
    }
    const ack = await answered;
    if (this.closed) return;
    if (!ack || !ack.ok || !ack.answer) {
      const error = new Error((ack && ack.error && ack.error.message) || "the offer was refused");
      error.code = (ack && ack.error && ack.error.code) || "offer_refused";
      throw error;
    }
    await pc.setRemoteDescription(ack.answer);
  }

  /** Send (track) or receive (null) a consented track on its own transceiver; renegotiates. */
  addConsented(label, track) {
    const step = this.queue.then(async () => {
      if (this.closed) return;
      if (!this.pc) this.createPeer();
      const old = this.consented.get(label);
      if (old) this.dropConsented(label, old);
      const transceiver = this.pc.addTransceiver(track || "video", { direction: track ? "sendonly" : "recvonly" });
      this.consented.set(label, { transceiver, track, stream: new MediaStream() });
      await this.negotiate();
      this.changed();
    });
    this.queue = step.catch((error) => this.fail(error));
    return step;
  }

  consentedStream(label) {
    const entry = this.consented.get(label);
    return entry ? entry.stream : null;
  }

  dropConsented(label, entry) {
    this.consented.delete(label);
    if (entry.track) entry.track.stop();
    for (const track of entry.stream.getTracks()) entry.stream.removeTrack(track);
    try {
      entry.transceiver.direction = "inactive";
      entry.transceiver.sender.replaceTrack(null);
    } catch (e) { /* the connection is closing */ }
  }

  /** Stop a consented track (its capture too) and tell the server with a new offer. */
  removeConsented(label) {
    const entry = this.consented.get(label);
    if (!entry) return this.queue;
    this.dropConsented(label, entry);
    this.changed();
    const step = this.queue.then(() => (this.closed || !this.pc ? null : this.negotiate()));
    this.queue = step.catch(() => { /* the grant is over either way */ });
    return this.queue;
  }

  /** True when the connection carries nothing but consented tracks (no voice/video call). */
  get consentOnly() {
    return !this.channel && !this.wanted;
  }

  stopCamera() {
    const track = this.videoTrack;
    if (!track) return;
    this.videoTrack = null;
    this.localStream.removeTrack(track);
    track.stop(); // the camera light goes off
  }

  /** Mute is local (the track sends silence); the caller tells the other side (media_mute). */
  setMuted(muted) {
    this.muted = Boolean(muted);
    if (this.audioTrack) this.audioTrack.enabled = !this.muted;
    this.changed();
  }

  /** Camera off stops the camera (light off) and sends nothing; camera on asks for it again. */
  setCameraOff(off) {
    this.cameraOff = Boolean(off);
    if (this.cameraOff && this.videoTransceiver && this.videoTransceiver.direction === "sendrecv") {
      // same m-line, no renegotiation: the sender just stops sending
      this.queue = this.queue
        .then(() => this.videoTransceiver.sender.replaceTrack(null))
        .then(() => { this.stopCamera(); this.changed(); })
        .catch((error) => this.fail(error));
      return this.queue;
    }
    return this.refresh();
  }

  /** Stop every track and close the connection. Idempotent. */
  close() {
    if (this.closed) return;
    this.closed = true;
    if (registry.get(this.caseId) === this) registry.delete(this.caseId);
    const tracks = [this.audioTrack, this.videoTrack];
    for (const entry of this.consented.values()) tracks.push(entry.track);
    this.consented.clear();
    if (this.pc) {
      for (const sender of this.pc.getSenders()) tracks.push(sender.track);
      for (const receiver of this.pc.getReceivers()) tracks.push(receiver.track);
    }
    for (const track of tracks) {
      if (track) {
        try { track.stop(); } catch (e) { /* already stopped */ }
      }
    }
    this.audioTrack = null;
    this.videoTrack = null;
    for (const stream of [this.localStream, this.remoteAudio, this.remoteVideo]) {
      for (const track of stream.getTracks()) stream.removeTrack(track);
    }
    if (this.pc) {
      try { this.pc.close(); } catch (e) { /* already closed */ }
    }
    if (this.options.onClose) this.options.onClose(this);
  }
}

/** Attach a stream to a media element once (re-attaching restarts playback). */
function attach(element, stream) {
  if (!element) return;
  if (element.srcObject !== stream) element.srcObject = stream;
  if (stream && element.paused) {
    const playing = element.play();
    if (playing && playing.catch) playing.catch(() => { /* autoplay refused: controls show */ });
  }
}

function detach(element) {
  if (element && element.srcObject) {
    element.pause();
    element.srcObject = null;
  }
}

const closeAll = () => { for (const call of Array.from(registry.values())) call.close(); };
// a closed tab or a navigation ends every call: no camera or microphone left running
window.addEventListener("pagehide", closeAll);

/** One connection per case: a call that carries a consented track also carries voice/video. */
function create(options) {
  const open = registry.get(options.caseId);
  if (open && !open.closed) {
    open.options = { ...open.options, ...options };
    if (Array.isArray(options.iceServers)) open.iceServers = options.iceServers;
    return open;
  }
  return new Call(options);
}

export { registry as calls };

export const HelpwireCall = Object.freeze({
  /** The open call of a case, or null. */
  open: (caseId) => registry.get(caseId) || null,
  create,
  attach,
  detach,
  closeAll,
});

// for tests and diagnostics: the open calls' RTCPeerConnections (getStats)
window.__helpwireMedia = Object.freeze({
  calls: registry,
  /** The newest open call's peer connection (the widget has at most one). */
  get pc() {
    const calls = Array.from(registry.values());
    return calls.length ? calls[calls.length - 1].pc : null;
  },
  pcOf: (caseId) => (registry.get(caseId) ? registry.get(caseId).pc : null),
  /** The receiver (agent) or sender (customer) of a consented track: getStats() of it alone. */
  consentedOf: (caseId, label) => {
    const call = registry.get(caseId);
    const entry = call ? call.consented.get(label) : null;
    return entry ? entry.transceiver : null;
  },
});
