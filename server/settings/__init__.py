"""One typed settings object in sections, read from an optional TOML file and HELPWIRE_* variables.

Precedence, highest first: explicit keyword arguments, environment, the TOML file, defaults.
Every limit the server enforces is a field of a section (one module each) with its documented
default; a section is handed only to the component that uses it. The flat names of the
previous release are still read, with a warning (renamed.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ..core.display import DisplayRules
from .admin import AdminSettings
from .cluster import ClusterSettings
from .consent import ConsentSettings
from .dispatch import DispatchSettings
from .durability import DurabilitySettings
from .limits import LimitSettings
from .log import LogSettings
from .media import MediaSettings
from .network import NetworkSettings
from .outbox import OutboxSettings
from .photos import PhotoSettings
from .privacy import PrivacySettings
from .renamed import OldEnvironmentSource, Renamed, RenamedSource, collecting
from .reports import AbTestSettings, ReportSettings
from .runtime import RuntimeSettings
from .security import SecuritySettings
from .storage import StorageSettings

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
    """Every setting, by section; each component is handed only its own section."""

    model_config = SettingsConfigDict(
        env_prefix="HELPWIRE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    #: where the server listens, socket liveness, request and frame sizes, shutdown notice
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    #: the data folder, the database, what of a conversation is kept
    storage: StorageSettings = Field(default_factory=StorageSettings)
    durability: DurabilitySettings = Field(default_factory=DurabilitySettings)
    #: the dispatch state shared between nodes (server/cluster/): empty redis_url = in memory
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    #: how long each kind of personal data is kept (docs/privacy.md)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    #: the token secret, rate limits, login protection, trusted proxies (docs/security.md)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    #: queues and the promise: ETA, offers, grace periods, the timers' tick
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    #: what one client event or text may hold
    limits: LimitSettings = Field(default_factory=LimitSettings)
    #: voice and video beside the chat (never recorded; docs/media.md): ICE, limits, hints
    media: MediaSettings = Field(default_factory=MediaSettings)
    #: consented media: kiosk screen share, video age check, the POS webhook
    consent: ConsentSettings = Field(default_factory=ConsentSettings)
    #: deliveries that survive a restart (POS webhook, weekly report)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    #: the event loop and the garbage collector (docs/performance.md)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    # --- routing and queues --------------------------------------------------
    #: the routing rules: queues, skills, overflow (docs/rules.md)
    rules_file: Path = DEFAULT_RULES
    #: cases at once for agents created without a value
    default_max_concurrent_cases: int = Field(3, ge=1)

    # --- the Help button's display rules (server/core/display.py, docs/widget.md) ---------
    #: defaults: every page and channel, everyone, always open; closed or nobody online →
    #: an honest text and a callback request instead of the promise
    display: DisplayRules = Field(default_factory=DisplayRules)

    # --- wrap-up -------------------------------------------------------------
    #: wrap-up labels an agent picks from; seed only: after the first start /admin owns them
    labels: list[str] = Field(
        default_factory=lambda: ["betalningsfråga", "produkt saknas", "tekniskt fel"]
    )
    #: the console's quick replies, [{id, sv, en}]; {cart} becomes the cart total; seed only,
    #: like labels
    quick_replies: list[QuickReply] = Field(default_factory=lambda: list(DEFAULT_QUICK_REPLIES))
    #: the moment an agent accepts, say a greeting for them in the customer's language ("Hej, jag
    #: heter Lisa. Vad kan jag hjälpa dig med?", server/i18n.py), stored as the agent's own line
    auto_greeting: bool = False
    #: the currency when a cart does not say
    currency: str = "SEK"
    #: admin in the browser: its limits (server/settings/admin.py). Quick replies, labels,
    #: opening hours per store and the queues above only seed the database on first start; after
    #: that /admin changes them (docs/operations.md "Admin")
    admin: AdminSettings = Field(default_factory=AdminSettings)

    # --- photos a customer sends: cleaned, kept in memory only while the case is open ------
    #: limits, formats and memory budgets (docs/photos.md)
    photos: PhotoSettings = Field(default_factory=PhotoSettings)

    # --- reports, purchases and the A/B test (server/report, docs/operations.md "Reports") --
    #: Bearer keys a shop or POS uses for POST /api/purchases and /api/sessions/exposure
    ingest_api_keys: list[str] = Field(default_factory=list)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    ab_test: AbTestSettings = Field(default_factory=AbTestSettings)
    #: set by `serve --demo` only: a per-process ingest key the demo shop may fetch
    demo: bool = False
    #: how often the supervisor view is refreshed while someone watches it
    supervisor_refresh_seconds: float = Field(2.0, gt=0)

    #: the old flat names this object was read with (logged as setting_renamed at start-up)
    _renamed: tuple[Renamed, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _across_sections(self) -> Settings:
        if self.photos.case_budget_bytes > self.photos.memory_budget_bytes:
            raise ValueError("photos.case_budget_bytes cannot exceed photos.memory_budget_bytes")
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
        sources: list[PydanticBaseSettingsSource] = [
            RenamedSource(settings_cls, init_settings, "argument"),
            env_settings,
            OldEnvironmentSource(settings_cls),
        ]
        config_file = _config_file_from(init_settings)
        if config_file is not None:
            sources.append(RenamedSource(
                settings_cls, TomlConfigSettingsSource(settings_cls, toml_file=config_file), "file"))
        return tuple(sources)

    @property
    def renamed(self) -> tuple[Renamed, ...]:
        """The old flat names met while reading these settings (each once per source)."""
        return self._renamed


_CONFIG_FILE_KEY = "_config_file"


def _config_file_from(init_settings: PydanticBaseSettingsSource) -> Path | None:
    data: dict[str, Any] = init_settings()
    value = data.pop(_CONFIG_FILE_KEY, None)
    return Path(value) if value else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from a TOML file (if given), the environment and explicit overrides.

    An override names a whole section (``network={"port": 0}``) or one field of it the way the
    environment does (``network__port=0``); both may be given and are merged.
    """
    overrides = _nested(overrides)
    if config_file is not None and not config_file.is_file():
        raise FileNotFoundError(f"config file {config_file} does not exist")
    if config_file is not None:
        overrides[_CONFIG_FILE_KEY] = str(config_file)
    with collecting() as met:
        settings = Settings(**overrides)
    settings._renamed = tuple(dict.fromkeys(met))
    return settings


def _nested(overrides: dict[str, Any]) -> dict[str, Any]:
    """``section__field=value`` keywords folded into their section's dictionary."""
    result: dict[str, Any] = {}
    for key, value in overrides.items():
        if "__" not in key.strip("_"):
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                value = {**value, **result[key]}
            result[key] = value
            continue
        section, field = key.split("__", 1)
        given = result.get(section, {})
        target = result[section] = (given.model_dump(exclude_unset=True)
                                    if isinstance(given, BaseModel) else dict(given))
        target[field] = value
    return result


def log_renamed(settings: Settings, log: Any) -> None:
    """One structured warning per old name still in use: old → new (file key and variable)."""
    for renamed in settings.renamed:
        log.warning("setting_renamed", old=renamed.old, new=renamed.new, source=renamed.source,
                    old_env=renamed.old_env, new_env=renamed.new_env)
