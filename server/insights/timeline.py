"""A case's timeline for the supervisor's drill-down, read from its stored typed history.

Only what a supervisor needs to follow the case: state changes, queues, channel changes, calls,
consents and age checks, the outcome. Each event type has an allow-list of the fields shown, so
a field added to a history event later is not shown until it is listed here. Never media (no
frames exist anywhere; the media path is an operator's detail), never the context's cart or ids,
never chat text: a chat line is shown as "a message from …" only. The transcript (its text) is
added only when the operator keeps transcripts (``transcript_retention = true``,
docs/privacy.md); otherwise no chat text is stored after the case ends, and an open case's text
is not the supervisor's to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core import history as h
from ..core.case import Case

#: the fields shown per event type (the rest of an event is never sent)
SHOWN: dict[type[h.HistoryEvent], tuple[str, ...]] = {
    h.CaseOpened: ("queue", "channel", "store", "language", "first_channel", "rule"),
    h.Queued: ("queue", "reason"),
    h.Offered: ("agent_id",),
    h.Answered: ("agent_id", "agent_name"),
    h.WrapUp: ("by",),
    h.Closed: ("label", "resolved", "by", "reason"),
    h.Abandoned: ("reason",),
    h.CallbackRequested: ("reason",),
    h.Overflowed: ("from_queue", "to_queue", "reason"),
    h.CallbackSuggested: ("reason",),
    h.ChatLineSent: ("sender", "quick_reply"),
    h.CustomerEndedChat: (),
    h.CustomerDropped: (),
    h.FeedbackReceived: ("rating",),
    h.ChannelChanged: ("from_channel", "to_channel", "by", "reason"),
    h.CallProposed: ("channel", "by"),
    h.CallDeclined: ("channel", "by"),
    h.CallConnected: ("channel",),
    h.CallFailed: ("channel", "role", "reason"),
    h.Marked: ("mark",),
    h.ConsentRecorded: ("scope", "event", "by", "sku", "duration"),
    h.AgeChecked: ("sku", "outcome", "method", "agent"),
}
#: event types left out of the timeline altogether
HIDDEN: frozenset[type[h.HistoryEvent]] = frozenset({h.MediaPathChosen, h.ChatLineDelivered})


def entries(events: Sequence[h.HistoryEvent]) -> list[dict[str, Any]]:
    """The timeline's entries, oldest first: ``{at, type, from_state?, to_state?, detail}``."""
    out: list[dict[str, Any]] = []
    for event in events:
        cls = type(event)
        if cls in HIDDEN:
            continue
        detail = {name: value for name in SHOWN[cls]
                  if (value := getattr(event, name)) is not None}
        entry: dict[str, Any] = {"at": event.at, "type": event.TYPE, "detail": detail}
        if event.to_state is not None:
            entry["to_state"] = event.to_state.value
            entry["from_state"] = event.from_state.value if event.from_state is not None else None
        out.append(entry)
    return out


def outcome(row: dict[str, Any], case: Case | None) -> dict[str, Any]:
    """How the case ended (or where it stands): state, label, resolved, rating."""
    if case is not None:
        return {"state": case.state.value, "label": case.label, "resolved": case.resolved,
                "rating": case.rating, "customer_dropped": case.customer_dropped}
    return {"state": row["state"], "label": row.get("label"), "resolved": row.get("resolved"),
            "rating": row.get("rating"), "customer_dropped": bool(row.get("customer_dropped"))}


def summary(row: dict[str, Any], events: Sequence[h.HistoryEvent]) -> dict[str, Any]:
    """The case's headline: where it came from and who served it (no context, no ids of people)."""
    opened = next((e for e in events if isinstance(e, h.CaseOpened)), None)
    answered = [e for e in events if isinstance(e, h.Answered)]
    return {
        "id": row["id"], "store": row["store"], "channel": row["channel"],
        "queue": row["queue"], "first_queue": opened.queue if opened is not None else row["queue"],
        "language": row["language"], "created_at": row["created_at"], "closed_at": row["closed_at"],
        "agent_name": answered[-1].agent_name if answered else None,
    }
