"""Signing the POS webhook: HMAC-SHA256 over "<timestamp>.<body>" with a shared secret.

Pure. The server signs every delivery attempt afresh (a new timestamp, the same delivery id);
the POS recomputes the signature, refuses stale timestamps (replay protection) and may also
remember delivery ids it has seen. docs/protocol.md has the POS side's verification code, which
`verify` mirrors.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Helpwire-Signature"
TIMESTAMP_HEADER = "X-Helpwire-Timestamp"
DELIVERY_HEADER = "X-Helpwire-Delivery"
#: how far a timestamp may be from the receiver's clock before the delivery is refused
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, timestamp + "." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: float, delivery_id: str) -> dict[str, str]:
    timestamp = str(int(now))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        DELIVERY_HEADER: delivery_id,
    }


def verify(secret: str, timestamp: str, body: bytes, received: str, now: float,
           tolerance: float = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """True if `received` is the signature of this body and timestamp, and the timestamp is fresh."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), received)


def backoff_delays(attempts: int, first: float, cap: float = 30.0) -> list[float]:
    """The waits between `attempts` tries: first, 2·first, 4·first, … each at most `cap`."""
    return [min(cap, first * 2**i) for i in range(max(0, attempts - 1))]
