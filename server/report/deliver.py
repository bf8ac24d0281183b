"""Which outbox rows a produced report becomes: one e-mail and/or one webhook, kind report.weekly.

The outbox worker delivers them with retries, also after a restart (server/runtime/outbox.py);
``sender.ReportSender`` makes each attempt.
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any

from ..core.effects import QueueWebhook
from ..settings.reports import ReportSettings
from .render import plain_summary
from .run import Produced
from .sender import MAILTO, REPORT_WEEKLY, build_email


def email_payload(produced: Produced) -> dict[str, Any]:
    """What the e-mail is built from: its subject, plain text and the report's file paths."""
    return {
        "subject": f"Helpwire weekly report {produced.report.period.label}",
        "summary": plain_summary(produced.report),
        "files": {kind: str(path) for kind, path in produced.paths.items()},
    }


def webhook_payload(produced: Produced, delivery_id: str) -> dict[str, Any]:
    return {
        "event": "weekly_report",
        "delivery_id": delivery_id,
        "report": produced.report.as_dict(),
        "files": {kind: path.name for kind, path in produced.paths.items()},
    }


def report_deliveries(produced: Produced, config: ReportSettings, now: float) -> list[QueueWebhook]:
    """The outbox rows of a produced report: where the settings say it goes."""
    jobs: list[QueueWebhook] = []
    if config.email_to:
        jobs.append(QueueWebhook(uuid.uuid4().hex, REPORT_WEEKLY, MAILTO + ",".join(config.email_to),
                                 email_payload(produced), now))
    if config.webhook_url:
        delivery_id = uuid.uuid4().hex
        jobs.append(QueueWebhook(delivery_id, REPORT_WEEKLY, config.webhook_url,
                                 webhook_payload(produced, delivery_id), now))
    return jobs


def email_message(produced: Produced, config: ReportSettings) -> EmailMessage:
    """The e-mail of a produced report, as the outbox will send it."""
    return build_email(email_payload(produced), config.email_to, config)
