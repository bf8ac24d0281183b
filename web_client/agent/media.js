// Voice and video in a case (docs/media.md): the console proposes, the customer taps to accept;
// a customer's request is answered here. The call itself is HelpwireCall (the widget's call
// code, a classic script); consented screen share and age check are ConsentPanel's. The views
// are scaled to fit their pane, each with a full-screen button.

import { h, setAttr, setText } from "/static/shared/dom.js";
import { announce, errorArg, literal } from "./i18n.js";
import { has } from "./messages.js";
import { send, emit } from "./session.js";
import { state } from "./state.js";
// screen share and video age check (docs/protocol.md, "Consent")
import { ConsentPanel } from "./consent.js";

export class MediaPanel {
  /** view: the CaseView (id, state, data, panel, chat); ids: the case's element ids. */
  constructor(view, ids) {
    this.view = view;
    this.media = { channel: "chat", state: "idle", proposal: null, hint: null, remoteMuted: false };
    this.call = null;
    this.audioOnly = false;
    this.iceServers = state.hello?.ice_servers ?? [];
    const button = (key, onClick, extra = {}) => {
      const node = h("button", { type: "button", class: "secondary", i18n: key, ...extra });
      node.addEventListener("click", onClick);
      return node;
    };
    this.mediaStatus = h("p", { class: "media-status", role: "status", "data-field": "media_state" });
    this.mediaHint = h("p", { class: "media-hint note", role: "status", "data-field": "media_hint", hidden: true });
    this.mediaNotice = h("p", { class: "media-notice hint", "data-field": "media_notice" });
    this.mediaError = h("p", { class: "form-error", role: "alert" });
    this.requestText = h("p", { class: "media-request-text", i18n: "media.request" });
    this.requestAccept = button("media.requestAccept", () => this.answerRequest(true), { class: "primary", dataset: { action: "media-accept" } });
    this.requestDecline = button("media.requestDecline", () => this.answerRequest(false), { dataset: { action: "media-decline" } });
    this.requestBox = h("div", { class: "media-request note", hidden: true },
      this.requestText, h("div", { class: "actions" }, this.requestAccept, this.requestDecline));
    this.proposeVoice = button("media.proposeVoice", () => this.propose("voice"), { dataset: { action: "propose-voice" } });
    this.proposeVideo = button("media.proposeVideo", () => this.propose("video"), { dataset: { action: "propose-video" } });
    this.downgrade = button("media.downgrade", () => this.propose("voice"), { dataset: { action: "downgrade" }, hidden: true });
    this.markButtons = ["needs_verification", "visual_fault"].map((mark) => button(
      `media.markButton.${mark}`, () => this.mark(mark), { dataset: { mark }, "aria-pressed": "false" }));
    this.audioOnlyBox = h("input", { type: "checkbox", id: ids.audioOnly, name: "audio_only" });
    this.audioOnlyBox.addEventListener("change", () => this.setAudioOnly(this.audioOnlyBox.checked));

    this.remoteVideo = h("video", { class: "remote-video", autoplay: true, playsinline: true, muted: true, hidden: true });
    this.remoteVideo.muted = true; // the customer's voice plays through the audio element
    setAttr(this.remoteVideo, "aria-label", "media.remoteVideo");
    this.selfVideo = h("video", { class: "self-video", autoplay: true, playsinline: true, muted: true, hidden: true });
    this.selfVideo.muted = true;
    setAttr(this.selfVideo, "aria-label", "media.selfView");
    this.remoteAudio = h("audio", { class: "remote-audio", autoplay: true });
    this.muteButton = button("media.mute", () => this.toggleMute(), { dataset: { action: "mute" }, "aria-pressed": "false" });
    this.cameraButton = button("media.camera", () => this.toggleCamera(), { dataset: { action: "camera" }, "aria-pressed": "false" });
    this.hangupButton = button("media.hangup", () => this.hangUp(), { class: "danger", dataset: { action: "hangup" } });
    this.stage = h("div", { class: "stage" }, this.remoteVideo, this.selfVideo);
    this.fullscreenButton = button("media.fullscreen", () => this.stage.requestFullscreen?.().catch(() => {}),
      { class: "secondary fullscreen-button", dataset: { action: "fullscreen" } });
    setAttr(this.fullscreenButton, "aria-label", "media.fullscreenLabel", { what: { $t: "media.fullscreenCall" } });
    this.callView = h("div", { class: "call-view", hidden: true },
      this.stage,
      this.remoteAudio,
      h("div", { class: "actions call-controls" }, this.muteButton, this.cameraButton, this.fullscreenButton, this.hangupButton));

    this.consent = new ConsentPanel(this);
    this.node = h("section", { class: "media", "aria-labelledby": ids.media, "data-field": "media" },
      h("h4", { id: ids.media, i18n: "media.title" }),
      this.mediaStatus, this.mediaHint, this.requestBox, this.callView, this.consent.node,
      h("div", { class: "actions media-actions" }, this.proposeVoice, this.proposeVideo, this.downgrade),
      h("div", { class: "actions media-marks", role: "group", "aria-labelledby": ids.marks },
        h("span", { id: ids.marks, class: "hint", i18n: "media.marks" }), ...this.markButtons),
      h("p", { class: "media-option" }, this.audioOnlyBox, " ", h("label", { for: ids.audioOnly, i18n: "media.audioOnly" })),
      this.mediaNotice, this.mediaError);
  }

  get id() {
    return this.view.id;
  }

  get state() {
    return this.view.state;
  }

  get data() {
    return this.view.data;
  }

  /** The case stopped being active: no call outlives the conversation. */
  stop() {
    this.endCall();
    this.media.proposal = null;
    if (this.callLive) Object.assign(this.media, { channel: "chat", state: "ended" });
  }

  mediaEmit(event, payload = {}) {
    return emit(event, { case_id: this.id, ...payload });
  }

  get callLive() {
    return ["negotiating", "connected"].includes(this.media.state) && this.media.channel !== "chat";
  }

  renderMedia() {
    if (!this.mediaStatus) return;
    const { channel, state: mediaState, proposal } = this.media;
    const active = this.state === "active";
    const live = this.callLive;
    if (live) {
      const connected = mediaState === "connected" && this.call?.connectionState === "connected";
      const trouble = this.call?.connectionState === "failed";
      setText(this.mediaStatus, `media.status.${channel}.${trouble ? "trouble" : connected ? "connected" : "negotiating"}`);
    } else if (proposal?.by === "agent") {
      setText(this.mediaStatus, "media.status.proposed", { channel: { $t: `media.channelName.${proposal.channel}` } });
    } else {
      setText(this.mediaStatus, "media.status.chat");
    }
    this.view.panel.dataset.mediaChannel = channel;
    this.view.panel.dataset.mediaState = mediaState;
    // the hint banner: only while it still makes sense
    const hint = this.media.hint;
    // gone with the customer, a proposal or the channel it suggested
    const present = this.view.connection === "connected";
    const hintStill = active && present && hint && !proposal
      && (hint.suggest === "voice" ? channel === "chat" : channel !== "video");
    this.mediaHint.hidden = !hintStill;
    if (hintStill) {
      if (hint.suggest === "voice") setText(this.mediaHint, "media.hint.voice", { seconds: hint.after_seconds ?? 60 });
      else setText(this.mediaHint, "media.hint.video", { mark: { $t: has(`media.mark.${hint.reason}`) ? `media.mark.${hint.reason}` : "media.mark.other" } });
    }
    this.requestBox.hidden = !(active && proposal?.by === "customer");
    const waiting = Boolean(proposal);
    this.proposeVoice.hidden = !active || !present || channel !== "chat";
    this.proposeVoice.disabled = waiting;
    this.proposeVideo.hidden = !active || !present || channel === "video";
    this.proposeVideo.disabled = waiting;
    this.downgrade.hidden = !active || channel !== "video";
    for (const node of this.markButtons) node.disabled = !active;
    this.markButtons[0].parentElement.hidden = !active;
    this.audioOnlyBox.closest(".media-option").hidden = !active;
    this.consent?.render();
    this.renderCall();
  }

  renderCall() {
    const call = this.call;
    const showing = Boolean(call) && this.callLive;
    this.callView.hidden = !showing;
    const Call = window.HelpwireCall;
    if (!showing) {
      for (const node of [this.remoteAudio, this.remoteVideo, this.selfVideo]) Call?.detach(node);
      return;
    }
    const video = this.media.channel === "video";
    Call.attach(this.remoteAudio, call.remoteAudio);
    const remote = video && call.remoteVideoLive;
    this.remoteVideo.hidden = !remote;
    this.fullscreenButton.hidden = !remote;
    if (remote) Call.attach(this.remoteVideo, call.remoteVideo);
    const self = video && Boolean(call.videoTrack);
    this.selfVideo.hidden = !self;
    if (self) Call.attach(this.selfVideo, call.localStream);
    this.muteButton.setAttribute("aria-pressed", String(call.muted));
    this.cameraButton.setAttribute("aria-pressed", String(call.cameraOff || this.audioOnly));
    this.cameraButton.hidden = !video;
    this.cameraButton.disabled = this.audioOnly;
  }

  mediaFailure(key, error) {
    setText(this.mediaError, key, { message: errorArg(error) });
  }

  async propose(channel) {
    setText(this.mediaError, null);
    const ack = await this.mediaEmit("media_propose", { channel });
    if (!ack?.ok) {
      this.mediaFailure("media.error", ack?.error);
      return;
    }
    if (ack.media) this.applyView(ack.media);
    setText(this.mediaNotice, null);
    this.renderMedia();
  }

  callOptions() {
    return {
      caseId: this.id,
      iceServers: this.iceServers,
      emit: (event, payload) => this.mediaEmit(event, payload),
      sendVideo: () => !this.audioOnly,
      onChange: () => this.renderMedia(),
      onError: (call, error) => this.onCallError(call, error),
    };
  }

  async answerRequest(accept) {
    setText(this.mediaError, null);
    const ack = await this.mediaEmit(accept ? "media_accept" : "media_decline");
    if (!ack?.ok) {
      this.mediaFailure("media.error", ack?.error);
      return;
    }
    if (ack.media) this.applyView(ack.media);
    if (!accept) setText(this.mediaNotice, "media.youDeclined");
    this.renderMedia();
    (accept ? this.muteButton : this.proposeVoice).focus();
  }

  async mark(mark) {
    setText(this.mediaError, null);
    const ack = await this.mediaEmit("media_mark", { mark });
    if (!ack?.ok) {
      this.mediaFailure("media.error", ack?.error);
      return;
    }
    this.markButtons.find((node) => node.dataset.mark === mark)?.setAttribute("aria-pressed", "true");
    this.view.chat.addSystem("media.marked", { mark: { $t: `media.mark.${mark}` } });
  }

  applyView(view) {
    this.media.channel = view.channel ?? this.media.channel;
    this.media.state = view.state ?? this.media.state;
    this.media.proposal = view.proposal ?? null;
  }

  onMediaProposed(payload) {
    if (payload.by !== "customer") return;
    if (Array.isArray(payload.ice_servers)) this.iceServers = payload.ice_servers;
    this.media.proposal = { channel: payload.channel, by: "customer" };
    setText(this.mediaNotice, null);
    this.renderMedia();
    announce("media.requestAnnounce", { store: literal(this.data.store) }, { assertive: true });
  }

  onMediaDeclined(payload) {
    this.media.proposal = null;
    const args = { channel: { $t: `media.channelName.${payload.channel}` } };
    setText(this.mediaNotice, "media.declined", args);
    this.view.chat.addSystem("media.declined", args);
    this.renderMedia();
  }

  onMediaHint(payload) {
    this.media.hint = payload;
    this.renderMedia();
    if (!this.mediaHint.hidden) announce(this.mediaHint.dataset.i18n, JSON.parse(this.mediaHint.dataset.i18nArgs ?? "null"));
  }

  onMediaMuted(payload) {
    if (typeof payload.audio === "boolean") {
      this.media.remoteMuted = payload.audio;
      setText(this.mediaNotice, payload.audio ? "media.customerMuted" : null);
    }
  }

  onMediaState(payload) {
    if (Array.isArray(payload.ice_servers)) this.iceServers = payload.ice_servers;
    const wasLive = this.callLive;
    this.media.channel = payload.channel;
    this.media.state = payload.state;
    this.media.proposal = null;
    setText(this.mediaError, null);
    if (this.callLive) {
      if (!wasLive) {
        setText(this.mediaNotice, null);
        this.view.chat.addSystem(`media.started.${payload.channel}`);
      } else if (payload.reason === "accepted" || payload.reason === "downgrade") {
        this.view.chat.addSystem(`media.switched.${payload.channel}`);
      }
      this.startCall(payload.channel);
    } else if (payload.state === "ended" || payload.state === "failed") {
      this.endCall();
      let key = "media.ended";
      const args = {};
      if (payload.state === "failed") {
        key = "media.failed";
        args.reason = { $t: has(`media.reason.${payload.reason}`) ? `media.reason.${payload.reason}` : "media.reason.other" };
      } else if (payload.by === "customer") key = "media.endedByCustomer";
      setText(this.mediaNotice, key, args);
      this.view.chat.addSystem(key, args);
      announce(key, args);
    }
    this.renderMedia();
  }

  async startCall(channel) {
    if (!this.call) this.call = window.HelpwireCall.create(this.callOptions());
    await this.call.setChannel(channel);
    this.renderMedia();
  }

  async onCallError(call, error) {
    if (call !== this.call) return;
    this.mediaFailure("media.noDevice", { message: `${error?.name ?? ""} ${error?.message ?? ""}`.trim() });
    Object.assign(this.media, { channel: "chat", state: "ended" });
    this.renderMedia();
    await this.mediaEmit("media_hangup");
    this.endCall();
  }

  endCall() {
    const call = this.call;
    this.call = null;
    call?.close();
    this.renderCall();
  }

  async hangUp() {
    // tell the server first: a connection that closes before the hang-up arrives is a failure
    this.media.state = "ended";
    this.media.channel = "chat";
    this.renderMedia();
    this.view.chat.input.focus();
    const ack = await this.mediaEmit("media_hangup");
    this.endCall();
    if (!ack?.ok && ack?.error?.code !== "invalid_media_transition") this.mediaFailure("media.error", ack?.error);
  }

  toggleMute() {
    if (!this.call) return;
    this.call.setMuted(!this.call.muted);
    send("media_mute", { case_id: this.id, audio: this.call.muted });
    this.renderCall();
  }

  toggleCamera() {
    if (!this.call) return;
    this.call.setCameraOff(!this.call.cameraOff);
    send("media_mute", { case_id: this.id, video: this.call.cameraOff });
    this.renderCall();
  }

  setAudioOnly(audioOnly) {
    this.audioOnly = audioOnly;
    if (this.call && this.media.channel === "video") this.call.refresh();
    this.renderCall();
  }
}
