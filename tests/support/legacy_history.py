"""A case's history in the shape stored before typed events (migration 0006): free-form rows."""

from __future__ import annotations

from typing import Any

from server.core.case import Case
from server.core.history import Answered, Overflowed


def legacy_rows(case: Case) -> list[dict[str, Any]]:
    """The case's events as the old ``_event_row`` wrote them: a kind and free-form detail, with
    nothing of the case in its first event, no agent name on an answer, no skills on an overflow."""
    rows = []
    for event in case.events:
        detail = {} if event.TYPE == "opened" else dict(event.detail)
        if isinstance(event, Answered):
            detail.pop("agent_name", None)
        if isinstance(event, Overflowed):
            detail.pop("skills", None)
        rows.append({"at": event.at, "kind": event.kind, "detail": detail,
                     "from_state": event.from_state.value if event.from_state else None,
                     "to_state": event.to_state.value if event.to_state else None})
    return rows
