"""Errors that only the wire knows about (bad payloads, wrong role, unknown events)."""

from __future__ import annotations

from typing import Any

from ..core.errors import HelpwireError


class UnknownEvent(HelpwireError):
    code = "unknown_event"


class PayloadTooLarge(HelpwireError):
    code = "payload_too_large"


class PayloadTooDeep(HelpwireError):
    code = "payload_too_deep"


class InvalidPayload(HelpwireError):
    code = "invalid_payload"

    def __init__(self, message: str, fields: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or []


class NotAuthenticated(HelpwireError):
    code = "not_authenticated"


class NotReady(HelpwireError):
    code = "not_ready"


class NoOpenCase(HelpwireError):
    code = "no_open_case"


class CaseAlreadyOpen(HelpwireError):
    code = "case_already_open"


class InvalidCredentials(HelpwireError):
    code = "invalid_credentials"


def error_payload(error: HelpwireError, event: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if event is not None:
        body["event"] = event
    if isinstance(error, InvalidPayload) and error.fields:
        body["fields"] = error.fields
    retry_after = getattr(error, "retry_after", None)  # rate_limited, login_locked
    if isinstance(retry_after, int):
        body["retry_after"] = retry_after
    return body
