"""One attempt at a weekly-report delivery from the outbox: an e-mail over SMTP or a webhook POST.

Rows of kind ``report.weekly`` are queued by ``deliver.report_deliveries``. An e-mail row's
target is ``mailto:<address>,<address>`` and its payload names the report's files, so the
message is rebuilt from disk at every attempt and the row stays small. Any other target is a
URL that gets the payload as an unsigned JSON POST (with ``X-Helpwire-Delivery``).
Imports nothing heavy: the server loads it at start-up.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ..settings.reports import ReportSettings
from ..store.outbox import Delivery
from ..webhooks import HttpPoster

#: the outbox kind of the weekly report's deliveries (webhook and e-mail)
REPORT_WEEKLY = "report.weekly"
MAILTO = "mailto:"
#: the files attached to the e-mail, with their MIME types
ATTACHMENTS = (("csv", "text", "csv"), ("json", "application", "json"))


def build_email(payload: dict[str, Any], to: list[str], config: ReportSettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = str(payload["subject"])
    message["From"] = config.email_from
    message["To"] = ", ".join(to)
    message.set_content(str(payload["summary"]))
    files = {kind: Path(path) for kind, path in payload["files"].items()}
    message.add_alternative(files["html"].read_text(encoding="utf-8"), subtype="html")
    for kind, maintype, subtype in ATTACHMENTS:
        message.add_attachment(files[kind].read_bytes(), maintype=maintype, subtype=subtype,
                               filename=files[kind].name)
    return message


def _send(message: EmailMessage, config: ReportSettings, timeout: float) -> None:
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=timeout) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password)
        smtp.send_message(message)


class ReportSender:
    """One attempt at a ``report.weekly`` row: an e-mail (mailto: target) or an unsigned POST."""

    def __init__(self, config: ReportSettings, timeout_seconds: float) -> None:
        self.config = config
        self.timeout_seconds = timeout_seconds
        self.http = HttpPoster("", timeout_seconds)

    async def send(self, delivery: Delivery, now: float) -> str | None:
        if not delivery.target.startswith(MAILTO):
            return await self.http.send(delivery, now)
        to = [address for address in delivery.target[len(MAILTO):].split(",") if address]
        try:
            # reading the files and the SMTP conversation block: in a worker thread
            await asyncio.to_thread(self._email, delivery.payload, to)
        except (OSError, smtplib.SMTPException, KeyError) as error:
            return type(error).__name__
        return None

    def _email(self, payload: dict[str, Any], to: list[str]) -> None:
        _send(build_email(payload, to, self.config), self.config, self.timeout_seconds)

    async def close(self) -> None:
        await self.http.close()
