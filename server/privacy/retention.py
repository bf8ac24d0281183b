"""When each kind of personal data is past its retention: pure, from the settings and a time."""

from __future__ import annotations

from ..settings.privacy import PrivacySettings
from ..store.privacy import Cutoffs

DAY_SECONDS = 86_400.0


def cutoffs(settings: PrivacySettings, now: float) -> Cutoffs:
    """Rows created before each cutoff are purged; a row exactly ``days`` old is kept."""

    def before(days: int) -> float:
        return now - days * DAY_SECONDS

    return Cutoffs(
        case_metadata=before(settings.case_metadata_days),
        callback_contact=before(settings.callback_contact_days),
        feedback_text=before(settings.feedback_text_days),
        transcripts=before(settings.transcript_days),
        purchases_and_exposures=before(settings.purchases_and_exposures_days),
        access_log=before(settings.access_log_days),
    )
