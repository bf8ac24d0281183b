"""Where Socket.IO messages go: the namespaces of each role and the rooms inside them."""

from __future__ import annotations

CUSTOMER_NS = "/customer"
KIOSK_NS = "/kiosk"
AGENT_NS = "/agent"
#: every signed-in agent console (queue overviews)
AGENTS_ROOM = "agents"


def case_room(case_id: str) -> str:
    """The customer's sockets of a case (a customer may have two tabs)."""
    return f"case:{case_id}"


def agent_room(agent_id: str) -> str:
    """Every console socket of one agent."""
    return f"agent:{agent_id}"
