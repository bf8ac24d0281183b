"""The settings section of input limits (``[limits]``, docs/protocol.md "Limits").

What one client event or text may hold; one past a limit is refused with a stable code.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class LimitSettings(BaseModel):
    """Sizes the signalling layer checks before anything reaches the engine (server/signalling)."""

    model_config = {"extra": "forbid"}

    #: largest accepted Socket.IO event payload, in bytes of JSON
    max_event_bytes: int = Field(16 * 1024, ge=256)
    #: deepest accepted nesting of objects and arrays in an event payload
    max_json_depth: int = Field(8, ge=2)
    #: longest chat line, in characters
    max_chat_chars: int = Field(2000, ge=1)
    #: longest agent's note (internal, transfer, wrap-up), in characters
    max_note_chars: int = Field(1000, ge=1)
    #: most earlier cases of the same kiosk or shop session shown beside a case
    earlier_cases_limit: int = Field(10, ge=1, le=100)
    #: longest feedback comment, in characters
    max_feedback_chars: int = Field(500, ge=1)
    #: most lines of a cart snapshot
    max_cart_lines: int = Field(100, ge=1)
    #: most rows one GET /api/admin/access-log may ask for (its `limit`)
    max_access_log_rows: int = Field(500, ge=1, le=10_000)
