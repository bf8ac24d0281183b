"""One typed settings object, read from an optional TOML file and HELPWIRE_* environment variables.

Precedence, highest first: explicit keyword arguments, environment, the TOML file, defaults.
Every limit the server enforces is a field here with its documented default.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ..core.display import DisplayRules
from .admin import AdminSettings
from .cluster import ClusterSettings
from .durability import DurabilitySettings
from .photos import PhotoSettings
from .privacy import PrivacySettings
from .reports import AbTestSettings, ReportSettings
from .security import SecuritySettings

DEFAULT_RULES = Path(__file__).parent.parent / "defaults" / "rules.toml"


class QuickReply(BaseModel):
    """A canned answer in both languages (``{cart}`` becomes the cart total)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    sv: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


class Label(BaseModel):
    """A wrap-up label: the id recorded on the case (and in the reports), its name in each language."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=200)]
    sv: Annotated[str, Field(min_length=1, max_length=200)]
    en: Annotated[str, Field(min_length=1, max_length=200)]


#: the English names of the default labels (a label from the settings file is named by its id)
DEFAULT_LABEL_NAMES_EN = {
    "betalningsfråga": "payment question",
    "produkt saknas": "product missing",
    "tekniskt fel": "technical fault",
}


def labels_of(ids: list[str]) -> list[Label]:
    """The settings file's labels (ids) as named labels: the seed of the database's."""
    return [Label(id=i, sv=i, en=DEFAULT_LABEL_NAMES_EN.get(i, i)) for i in ids]


DEFAULT_QUICK_REPLIES = [
    QuickReply(
        id="greeting_cart",
        sv="Hej! Jag ser din korg ({cart}). Hur kan jag hjälpa?",
        en="Hi! I can see your cart ({cart}). How can I help?",
    ),
    QuickReply(id="greeting", sv="Hej! Hur kan jag hjälpa?", en="Hi! How can I help?"),
    QuickReply(
        id="one_moment",
        sv="Ett ögonblick, jag kollar det åt dig.",
        en="One moment, I'll check that for you.",
    ),
    QuickReply(
        id="unlocked",
        sv="Klart, nu är det upplåst. Fortsätt gärna till betalningen.",
        en="Done, it is unlocked now. Please continue to payment.",
    ),
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELPWIRE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    # --- network -----------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    #: extra origins allowed to open Socket.IO connections and call the widget's HTTP endpoints (the
    #: widget embedded on a shop domain); the server's own origin is always allowed (web/origins.py)
    cors_allowed_origins: list[str] = Field(default_factory=list)
    #: Engine.IO heartbeat: the server pings every socket whose liveness matters this often (a
    #: customer or kiosk with an open case, every agent console); with ping_timeout_seconds it
    #: bounds how long such a silent socket (frozen process, network gone without a FIN) goes
    #: unnoticed: at most interval + timeout + one tick_seconds (whole seconds)
    ping_interval_seconds: int = Field(5, ge=1)
    #: how often an idle socket (a kiosk or widget with no open case) is pinged; the handshake
    #: announces this one, the longest, so clients never give up on the server early. At least
    #: ping_interval_seconds; pressing Help moves the socket to the short interval at once
    idle_ping_interval_seconds: int = Field(25, ge=1)
    #: how long the server waits for a client's pong before it closes the socket as gone
    ping_timeout_seconds: float = Field(3.0, gt=0)

    # --- storage -----------------------------------------------------------
    data_dir: Path = Path("var")
    #: SQLAlchemy URL; empty means the embedded SQLite file <data_dir>/helpwire.sqlite3
    database_url: str = ""
    #: keep chat text in the database after the case ends (off: the text of an open case is
    #: kept only until the case finishes, so the conversation survives a restart)
    transcript_retention: bool = False
    durability: DurabilitySettings = Field(default_factory=DurabilitySettings)
    #: the dispatch state shared between nodes (server/cluster/): empty redis_url = in memory
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    #: how long each kind of personal data is kept (docs/privacy.md)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    # --- secrets -----------------------------------------------------------
    #: signs case and agent tokens; empty means one is generated and kept in <data_dir>/secret.key
    secret_key: str = ""
    agent_token_ttl_seconds: int = Field(12 * 3600, ge=60)
    #: rate limits, login protection, trusted proxies (docs/security.md)
    security: SecuritySettings = Field(default_factory=SecuritySettings)

    # --- routing and queues --------------------------------------------------
    rules_file: Path = DEFAULT_RULES
    #: the promise under the button: a human answers within this many seconds
    promise_seconds: float = Field(60.0, gt=0)
    #: the first ETA guess of a queue before it has seen any answers
    eta_prior_seconds: float = Field(20.0, gt=0)
    #: weight of the newest observed wait in the queue's moving average (0 < alpha ≤ 1)
    eta_alpha: float = Field(0.3, gt=0, le=1)
    #: how long an offer waits for the agent before it goes to the next one
    offer_timeout_seconds: float = Field(20.0, gt=0)
    #: most cases waiting in one queue; one more is refused with queue_full
    max_queue_length: int = Field(200, ge=1)
    #: how long a disconnected customer keeps their case before it counts as abandoned
    customer_grace_seconds: float = Field(30.0, ge=0)
    #: how long a disconnected agent keeps their cases before they are re-queued
    agent_grace_seconds: float = Field(10.0, ge=0)
    #: how long a finished case stays in memory after its last event, so its page can resume to
    #: show the outcome and take feedback (about 16 KB per case; the database keeps it regardless)
    finished_case_memory_seconds: float = Field(3600.0, ge=60)
    #: how long the cart snapshot of a callback request is kept ("Din korg sparas i 5 min")
    cart_hold_seconds: float = Field(300.0, gt=0)
    #: how often the server checks timers (offer timeouts, overflow, grace periods)
    tick_seconds: float = Field(0.25, gt=0)
    default_max_concurrent_cases: int = Field(3, ge=1)

    # --- the Help button's display rules (server/core/display.py, docs/widget.md) ---------
    #: defaults: every page and channel, everyone, always open; closed or nobody online →
    #: an honest text and a callback request instead of the promise
    display: DisplayRules = Field(default_factory=DisplayRules)

    # --- wrap-up -------------------------------------------------------------
    labels: list[str] = Field(
        default_factory=lambda: ["betalningsfråga", "produkt saknas", "tekniskt fel"]
    )
    quick_replies: list[QuickReply] = Field(default_factory=lambda: list(DEFAULT_QUICK_REPLIES))
    #: the moment an agent accepts, say a greeting for them in the customer's language ("Hej, jag
    #: heter Lisa. Vad kan jag hjälpa dig med?", server/i18n.py), stored as the agent's own line
    auto_greeting: bool = False
    currency: str = "SEK"
    #: admin in the browser: its limits (server/settings/admin.py). Quick replies, labels,
    #: opening hours per store and the queues above only seed the database on first start; after
    #: that /admin changes them (docs/operations.md "Admin")
    admin: AdminSettings = Field(default_factory=AdminSettings)

    # --- input limits --------------------------------------------------------
    #: largest accepted Socket.IO event payload, in bytes of JSON
    max_event_bytes: int = Field(16 * 1024, ge=256)
    #: deepest accepted nesting of objects and arrays in an event payload
    max_json_depth: int = Field(8, ge=2)
    max_chat_chars: int = Field(2000, ge=1)
    #: longest agent's note (internal, transfer, wrap-up), in characters
    max_note_chars: int = Field(1000, ge=1)
    #: most earlier cases of the same kiosk or shop session shown beside a case
    earlier_cases_limit: int = Field(10, ge=1, le=100)
    max_feedback_chars: int = Field(500, ge=1)
    max_cart_lines: int = Field(100, ge=1)
    #: frames larger than this are refused by the transport itself (connection closed)
    max_transport_bytes: int = Field(2 * 1024 * 1024, ge=1024)

    # --- media: voice and video beside the chat (never recorded; docs/media.md) --
    #: STUN servers handed to clients and used by the server's peers, e.g. ["stun:turn.example.com:3478"]
    ice_stun_urls: list[str] = Field(default_factory=list)
    #: TURN servers, e.g. ["turn:turn.example.com:3478?transport=udp"]; need ice_turn_secret
    ice_turn_urls: list[str] = Field(default_factory=list)
    #: coturn's static-auth-secret (use-auth-secret): TURN credentials are derived from it
    ice_turn_secret: str = ""
    #: how long derived TURN credentials stay valid (minted when a call starts)
    ice_turn_ttl_seconds: int = Field(4 * 3600, ge=60)
    #: host-candidate addresses the server's peers offer; empty = every interface but loopback
    #: (aioice's choice). Set ["127.0.0.1"] for single-host installs and tests.
    media_host_addresses: list[str] = Field(default_factory=list)
    #: a call participant from whom no RTP packet (on any of their tracks) arrived for this long
    #: is lost: the call fails for both with reason media_inactive and goes back to chat. Audio
    #: keeps flowing while muted (silence or DTX, ≥ 2.5 packets/s), so a frozen or cut-off device
    #: is told apart from a camera turned off (docs/media.md "Inactivity watchdog")
    media_inactivity_seconds: float = Field(3.0, gt=0)
    #: largest accepted SDP in media_offer, in bytes
    max_sdp_bytes: int = Field(64 * 1024, ge=1024)
    #: suggest voice to the agent after this long in chat without resolution
    voice_hint_after_seconds: float = Field(60.0, gt=0)
    #: agent marks (media_mark) that make the console suggest video
    video_hint_marks: list[str] = Field(
        default_factory=lambda: ["needs_verification", "visual_fault"]
    )

    # --- photos a customer sends: cleaned, kept in memory only while the case is open ------
    #: limits, formats and memory budgets (docs/photos.md)
    photos: PhotoSettings = Field(default_factory=PhotoSettings)

    # --- consented media: kiosk screen share, video age check (consent/, docs/media.md) --
    #: how long a kiosk's screen share lasts after one tap; at most 300 (refused above)
    screen_share_seconds: float = Field(300.0, gt=0)
    #: how long a consent prompt waits for an answer before it counts as declined
    consent_answer_seconds: float = Field(30.0, gt=0)
    #: how long the camera of a video age check may be seen by the agent; at most 180
    age_check_seconds: float = Field(180.0, gt=0)
    #: where approved age checks are announced (signed POST); empty = no webhook
    pos_webhook_url: str = ""
    #: the HMAC-SHA256 secret shared with the POS (needed when pos_webhook_url is set)
    pos_webhook_secret: str = ""
    #: delivery attempts per outbox row (POS webhook, weekly report), and the first wait between
    #: them, doubling each time up to `outbox_backoff_cap_seconds` (server/runtime/outbox.py)
    pos_webhook_attempts: int = Field(5, ge=1, le=50)
    pos_webhook_backoff_seconds: float = Field(1.0, gt=0)

    # --- the outbox: deliveries that survive a restart (server/runtime/outbox.py) -----------
    #: the longest wait between two attempts of one delivery
    outbox_backoff_cap_seconds: float = Field(30.0, gt=0)
    #: how often the worker looks for due rows it was not woken for (other nodes' rows, a
    #: lease that ran out); a commit that queues a row wakes it at once
    outbox_poll_seconds: float = Field(2.0, gt=0)
    #: how long one attempt may take: the POST's total timeout, the SMTP socket timeout
    outbox_attempt_timeout_seconds: float = Field(5.0, gt=0)
    #: how long a claimed row is this node's alone; must exceed the attempt timeout. A node that
    #: dies mid-attempt leaves its rows to the others (or to itself after a restart) this long
    outbox_lease_seconds: float = Field(60.0, gt=0)

    # --- reports, purchases and the A/B test (server/report, docs/operations.md "Reports") --
    #: Bearer keys a shop or POS uses for POST /api/purchases and /api/sessions/exposure
    ingest_api_keys: list[str] = Field(default_factory=list)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    ab_test: AbTestSettings = Field(default_factory=AbTestSettings)
    #: set by `serve --demo` only: a per-process ingest key the demo shop may fetch
    demo: bool = False
    #: how often the supervisor view is refreshed while someone watches it
    supervisor_refresh_seconds: float = Field(2.0, gt=0)

    # --- event loop and garbage collector (server/runtime/loop_monitor.py, docs/performance.md) --
    #: the event loop of `python -m server serve`: "uvloop" (libuv; per forwarded RTP packet and per
    #: Socket.IO message it costs a fraction of the standard loop, see docs/performance.md) or
    #: "asyncio" (the standard library's)
    event_loop: Literal["asyncio", "uvloop"] = "uvloop"
    #: how often the loop monitor samples event-loop lag (helpwire_event_loop_lag_seconds)
    loop_monitor_interval_seconds: float = Field(0.01, gt=0, le=10)
    #: a lag sample longer than this is logged as event_loop_stalled
    loop_stall_warning_seconds: float = Field(0.1, gt=0)
    #: move everything alive after start-up out of the collector's sight (gc.freeze)
    gc_freeze_on_start: bool = True
    #: also freeze what is alive this often (long-lived connection state); 0 = only at start-up.
    #: Short, so that under connection churn few young connection objects are alive when a young
    #: collection runs (1 s made 25-45 ms pauses, 0.25 s 12-16 ms; docs/performance.md)
    gc_freeze_interval_seconds: float = Field(0.25, ge=0)
    #: with periodic freezing: unfreeze and collect in full this often (one pause of about 0.1 ms
    #: per connection), so reference cycles frozen in the meantime do not pile up
    gc_thaw_interval_seconds: float = Field(3600.0, gt=0)
    #: the collector's thresholds (gen0, gen1, gen2); empty = Python's own (700, 10, 10)
    gc_thresholds: list[int] = Field(default_factory=list)

    # --- restarts and HTTP robustness (docs/operations.md "What a restart means") ---------
    #: `server_restarting.retry_after_ms`: how long clients wait before reconnecting after a
    #: graceful shutdown; they add a random 0–100 % of it as jitter so they do not return at once
    restart_retry_after_ms: int = Field(1500, ge=0, le=60_000)
    #: how long a graceful shutdown waits for `server_restarting` to be written to every socket
    #: before it closes them
    restart_notice_seconds: float = Field(0.5, ge=0, le=10)
    #: longest an HTTP request waits for the database; past it the answer is 503 storage_timeout
    http_database_timeout_seconds: float = Field(3.0, gt=0, le=60)

    # --- logging -------------------------------------------------------------
    log_level: str = "INFO"
    log_json: bool = True
    #: a client's refused events are logged once, then summarised once per window with a count
    refusal_log_window_seconds: float = Field(60.0, gt=0)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("gc_thresholds")
    @classmethod
    def _thresholds(cls, value: list[int]) -> list[int]:
        if value and (len(value) != 3 or value[0] < 1 or min(value) < 0):
            raise ValueError("gc_thresholds must be empty or three numbers [gen0 ≥ 1, gen1, gen2]")
        return value

    @model_validator(mode="after")
    def _consent_limits(self) -> Settings:
        # the consent package owns the caps (5 min screen share, 3 min age check)
        from consent import ConsentError, ConsentPolicy

        try:
            ConsentPolicy(screen_share_seconds=self.screen_share_seconds,
                          age_check_seconds=self.age_check_seconds,
                          answer_timeout_seconds=self.consent_answer_seconds)
        except ConsentError as error:
            raise ValueError(error.message) from None
        if self.idle_ping_interval_seconds < self.ping_interval_seconds:
            raise ValueError("idle_ping_interval_seconds must be at least ping_interval_seconds"
                             " (the handshake announces the longer one)")
        if self.pos_webhook_url and not self.pos_webhook_secret:
            raise ValueError("pos_webhook_url needs pos_webhook_secret (the HMAC key)")
        if self.photos.case_budget_bytes > self.photos.memory_budget_bytes:
            raise ValueError("photos.case_budget_bytes cannot exceed photos.memory_budget_bytes")
        if self.outbox_lease_seconds <= self.outbox_attempt_timeout_seconds:
            raise ValueError("outbox_lease_seconds must exceed outbox_attempt_timeout_seconds,"
                             " or a slow attempt could be made twice at once")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file_from(init_settings)
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    # --- derived -------------------------------------------------------------
    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpwire.sqlite3').as_posix()}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


_CONFIG_FILE_KEY = "_config_file"


def _config_file_from(init_settings: PydanticBaseSettingsSource) -> Path | None:
    data: dict[str, Any] = init_settings()
    value = data.pop(_CONFIG_FILE_KEY, None)
    return Path(value) if value else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from a TOML file (if given), the environment and explicit overrides."""
    if config_file is not None and not config_file.is_file():
        raise FileNotFoundError(f"config file {config_file} does not exist")
    if config_file is not None:
        overrides[_CONFIG_FILE_KEY] = str(config_file)
    return Settings(**overrides)
