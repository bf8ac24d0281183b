"""Sending a produced report: e-mail over SMTP (stdlib smtplib in a worker thread) and/or a webhook."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path

import aiohttp

from ..logs import get_logger
from ..settings.reports import ReportSettings
from .render import plain_summary
from .run import Produced

log = get_logger("helpwire.report.deliver")


def email_message(produced: Produced, config: ReportSettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"Helpwire weekly report {produced.report.period.label}"
    message["From"] = config.email_from
    message["To"] = ", ".join(config.email_to)
    message.set_content(plain_summary(produced.report))
    message.add_alternative(produced.paths["html"].read_text(encoding="utf-8"), subtype="html")
    for kind, subtype in (("csv", "csv"), ("json", "json")):
        path: Path = produced.paths[kind]
        maintype = "text" if kind == "csv" else "application"
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                               filename=path.name)
    return message


def _send(message: EmailMessage, config: ReportSettings) -> None:
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password)
        smtp.send_message(message)


async def deliver(produced: Produced, config: ReportSettings) -> list[str]:
    """Send where configured; returns what succeeded (``email``, ``webhook``). Failures are logged."""
    done: list[str] = []
    if config.email_to:
        try:
            await asyncio.to_thread(_send, email_message(produced, config), config)
            done.append("email")
        except (OSError, smtplib.SMTPException) as error:
            log.warning("report_email_failed", error=str(error))
    if config.webhook_url:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
                async with http.post(config.webhook_url, json={
                    "event": "weekly_report",
                    "report": produced.report.as_dict(),
                    "files": {kind: path.name for kind, path in produced.paths.items()},
                }) as response:
                    response.raise_for_status()
            done.append("webhook")
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("report_webhook_failed", error=str(error))
    return done
