"""Settings of the KPI reports, the weekly schedule and its delivery, and the Help-button A/B test.

They live in ``Settings.reports`` and ``Settings.ab_test`` (TOML tables ``[reports]`` and
``[ab_test]``; environment ``HELPWIRE_REPORTS__SCHEDULE_ENABLED=true`` and so on).
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Targets(BaseModel):
    """The weekly targets of seed 000 ("KPI:er du bör följa varje vecka")."""

    model_config = ConfigDict(extra="forbid")

    asa_seconds: float = Field(30.0, gt=0)
    fcr: float = Field(0.80, ge=0, le=1)
    abandonment: float = Field(0.05, ge=0, le=1)
    csat: float = Field(4.5, ge=1, le=5)


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: the time zone of report days and weeks and of the Monday schedule
    timezone: str = "Europe/Stockholm"
    #: a new case from the same session or kiosk within this many hours undoes "resolved first time"
    fcr_window_hours: float = Field(24.0, gt=0)
    targets: Targets = Field(default_factory=Targets)
    #: produce the previous week's report every Monday at `schedule_time` (off by default)
    schedule_enabled: bool = False
    schedule_weekday: int = Field(0, ge=0, le=6)  # 0 = Monday
    schedule_time: str = "08:00"
    #: where scheduled reports are written; empty = <data_dir>/reports
    out_dir: Path | None = None
    #: e-mail delivery (stdlib smtplib in a worker thread); empty list = no e-mail
    email_to: list[str] = Field(default_factory=list)
    email_from: str = "helpwire@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    #: webhook delivery: the report's JSON figures are POSTed here; empty = no webhook
    webhook_url: str = ""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Europe/Stockholm") from None
        return value

    @field_validator("schedule_time")
    @classmethod
    def _time(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("schedule_time must be HH:MM, e.g. 08:00")
        return f"{int(hours):02d}:{int(minutes):02d}"


class AbTestSettings(BaseModel):
    """Variant A: the small button without a promise; B: visible, with "Svar <60 s"."""

    model_config = ConfigDict(extra="forbid")

    #: run the test: the widget shows each visitor its variant. Off (the default): everyone sees
    #: B, and GET /api/ab/assignment answers {"variant": "B", "enabled": false}
    enabled: bool = False
    #: mixed into the visitor hash; change it to start a new experiment with new assignments
    salt: str = "helpwire-help-button-1"
    #: share of visitors who get variant B
    split_b: float = Field(0.5, ge=0, le=1)
    #: the smallest absolute difference in conversion worth detecting (0.02 = 2 percentage points)
    min_detectable_effect: float = Field(0.02, gt=0, lt=1)
    alpha: float = Field(0.05, gt=0, lt=0.5)
    power: float = Field(0.8, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _sane(self) -> AbTestSettings:
        if not self.salt:
            raise ValueError("ab_test.salt must not be empty")
        return self
