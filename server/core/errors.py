"""The domain's error hierarchy. Every error carries a stable code that clients may branch on."""

from __future__ import annotations


class HelpwireError(Exception):
    """Base of every error a client can be told about."""

    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransition(HelpwireError):
    code = "invalid_transition"

    def __init__(self, case_id: str, current: str, wanted: str) -> None:
        super().__init__(
            f"case {case_id} is {current}; it cannot go to {wanted} from there"
        )
        self.current = current
        self.wanted = wanted


class UnknownHistoryEvent(ValueError):
    """A stored case event this version cannot read: a type (or legacy kind) outside the closed
    set of ``history.py``, or a history that does not start with the case being opened. Not a
    client's error: it stops the rehydration that meets it, loudly."""


class CaseNotFound(HelpwireError):
    code = "case_not_found"


class NotYourCase(HelpwireError):
    code = "not_your_case"


class OfferNotFound(HelpwireError):
    code = "offer_not_found"


class AgentNotFound(HelpwireError):
    code = "agent_not_found"


class UnknownLabel(HelpwireError):
    code = "unknown_label"


class QueueFull(HelpwireError):
    code = "queue_full"


class NoService(HelpwireError):
    """Nobody can answer this queue now (no agent online and no fallback)."""

    code = "no_service"


class FeedbackNotAllowed(HelpwireError):
    code = "feedback_not_allowed"


class StorageUnavailable(HelpwireError):
    """The store cannot be written now: nothing was changed; send the event again shortly."""

    code = "storage_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"case changes cannot be stored right now ({reason}); nothing was changed,"
            " send it again in a few seconds"
        )
        self.reason = reason


class ClusterUnavailable(HelpwireError):
    """The state the nodes share cannot be reached for long: this node serves the cases it
    holds, but takes no new case (nor transfer) until it can; try again shortly."""

    code = "cluster_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "the state this server shares with the others cannot be reached right now; the"
            " conversations already under way go on, new requests can be made again shortly"
        )


class CaseMoving(HelpwireError):
    """The case is open but hosted by another node, or being taken over by this one after its
    node stopped: nothing was changed; ask again in a moment (the widget and console do)."""

    code = "case_moving"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "this conversation is moving to another server after its own stopped; nothing was"
            " lost, try again in a moment"
        )
        #: seconds, at most one lease of the node membership
        self.retry_after = retry_after


class CaseMoved(HelpwireError):
    """A node's write of a case another node adopted meanwhile (this one lost its lease): it
    was not stored, and this node no longer hosts the case; reconnect to carry on."""

    code = "case_moving"

    def __init__(self) -> None:
        super().__init__(
            "this conversation is now served by another server; reconnect to carry on"
        )
        self.retry_after = 1


class TransferTargetUnavailable(HelpwireError):
    """The colleague named is not available to take the case now (signed out, busy, away, at
    capacity, already ringing, lacking the skill or language), or nobody else serves the queue."""

    code = "transfer_target_unavailable"


class UnknownQueue(HelpwireError):
    code = "unknown_queue"


class OriginNotAllowed(HelpwireError):
    """A page on an origin the server does not allow (not its own, not in cors_allowed_origins)
    asked for the widget's status: the shop owner is told which setting to change."""

    code = "origin_not_allowed"


class PhotoRefused(HelpwireError):
    """A photo the server will not take; the code says why (docs/photos.md)."""

    code = "photo_refused"


class PhotoTooLarge(PhotoRefused):
    code = "photo_too_large"


class PhotoTooManyPixels(PhotoRefused):
    code = "photo_too_many_pixels"


class PhotoTypeRefused(PhotoRefused):
    code = "photo_type_refused"


class PhotoUnreadable(PhotoRefused):
    code = "photo_unreadable"


class PhotoNeedsAgent(PhotoRefused):
    """Photos go to the case's agent: there must be one (the case is active)."""

    code = "photo_needs_agent"


class PhotoCaseBudgetFull(PhotoRefused):
    code = "photo_case_budget_full"


class PhotoMemoryFull(PhotoRefused):
    """The server's photo memory is full for now: try again shortly."""

    code = "photo_memory_full"


class PhotoNotFound(HelpwireError):
    """No such photo for this agent: never sent, its case is over, or not their case."""

    code = "photo_not_found"


class NodeDraining(HelpwireError):
    """This node is about to stop (it is draining): it takes no new case; connect again, through
    the load balancer, to another node and press Help there."""

    code = "node_draining"

    def __init__(self) -> None:
        super().__init__(
            "this server is about to stop and takes no new requests; connect again (another"
            " server will answer) and try once more"
        )
