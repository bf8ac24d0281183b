"""The settings section of data retention (``[privacy]``, docs/privacy.md "Retention").

One retention per kind of personal data. The daily purge (server/privacy/purge.py) anonymises
what the KPIs need past its retention and deletes what identifies a person; 0 days means "keep
only until the next purge" for that kind. The defaults are justified in docs/privacy.md.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: longest retention accepted for any kind (ten years): a typo must not mean "forever"
MAX_RETENTION_DAYS = 3650


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: run the purge inside the server (off only when an operator purges by other means)
    purge_enabled: bool = True
    #: how often the purge runs
    purge_interval_hours: float = Field(24.0, gt=0, le=24 * 7)
    #: the first run after start-up (not at once: start-up and resuming live cases come first)
    purge_first_delay_seconds: float = Field(300.0, ge=0)
    #: what identifies a person in a case (kiosk id, shop session id, context: device, position,
    #: page, cart; history details): pseudonymised past this age, the KPI figures are kept
    case_metadata_days: int = Field(90, ge=0, le=MAX_RETENTION_DAYS)
    #: the phone number (and cart snapshot) of a callback request
    callback_contact_days: int = Field(30, ge=0, le=MAX_RETENTION_DAYS)
    #: the free text of feedback (the 1–5 rating is kept)
    feedback_text_days: int = Field(90, ge=0, le=MAX_RETENTION_DAYS)
    #: chat transcripts (only stored when transcript_retention is on)
    transcript_days: int = Field(30, ge=0, le=MAX_RETENTION_DAYS)
    #: the session and order ids of purchases, A/B exposures and purchase progress
    #: (amounts, times, stores and variants are kept)
    purchases_and_exposures_days: int = Field(90, ge=0, le=MAX_RETENTION_DAYS)
    #: rows of the access log (who opened, exported or erased what)
    access_log_days: int = Field(730, ge=0, le=MAX_RETENTION_DAYS)
