"""Consent rules, pure and without I/O: what a customer or kiosk agreed to, for how long, and how it ended.

The server asks this package before it forwards any consented media (a kiosk's screen, a customer's
camera for an age check) and enforces the end it computes.
"""

from .grants import (
    ConsentError,
    ConsentGrant,
    ConsentLedger,
    ConsentPolicy,
    EndReason,
    GrantState,
    Scope,
)

__all__ = [
    "ConsentError",
    "ConsentGrant",
    "ConsentLedger",
    "ConsentPolicy",
    "EndReason",
    "GrantState",
    "Scope",
]
