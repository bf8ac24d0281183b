"""The wire form of the engine's domain events: every event has one, and only signalling has it."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from server.core.consent_events import CONSENT_EVENT_TYPES
from server.core.effects import STORED_TYPES, Stored
from server.core.events import DOMAIN_EVENT_TYPES
from server.core.media_events import MEDIA_EVENT_TYPES
from server.signalling.wire import messages

CORE = Path(__file__).resolve().parent.parent / "server" / "core"


def test_every_domain_event_has_a_wire_form() -> None:
    for event_type in (*DOMAIN_EVENT_TYPES, *MEDIA_EVENT_TYPES, *CONSENT_EVENT_TYPES):
        assert event_type in messages.registry, f"{event_type.__name__} has no wire form"


def test_the_core_builds_no_wire_messages() -> None:
    """The engine and the media desk say what happened; names and payloads live in wire.py."""
    for path in [*sorted((CORE / "engine").glob("*.py")), CORE / "media.py"]:
        tree = ast.parse(path.read_text())
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        assert not names & {"ToCustomer", "ToAgent", "ToAllAgents"}, path.name


def test_the_writes_tuple_names_exactly_the_stored_kinds() -> None:
    assert set(STORED_TYPES) == set(get_args(Stored))
