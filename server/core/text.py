"""Text types every client-supplied string goes through: no control characters, real currencies.

JSON lets a client send any code point, including NUL and the other C0/C1 control characters.
None of them belongs in an id, a name or a line of chat: they corrupt logs and terminals, and NUL
is refused by PostgreSQL text columns. Chat and feedback text may keep line breaks and tabs; SDP
keeps its CRLF line ends. Currency codes are checked against ISO 4217 as published by the
Debian iso-codes data in `pycountry` (the standard library has no currency list).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator

#: every C0 and C1 control character and DEL (Unicode category Cc)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: the same, except tab and line feed (a message may have several lines)
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: the same, except carriage return and line feed (SDP lines end in CRLF)
_CONTROL_IN_SDP = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _refuse(pattern: re.Pattern[str], value: str) -> str:
    found = pattern.search(value)
    if found is not None:
        raise ValueError(
            f"control character U+{ord(found.group()):04X} at position {found.start()} is not allowed"
        )
    return value


def no_control(value: str) -> str:
    """Ids, names and single-line fields: no control character at all."""
    return _refuse(_CONTROL, value)


def text_controls(value: str) -> str:
    """Free text (chat, feedback): tab and line feed allowed, no other control character."""
    return _refuse(_CONTROL_IN_TEXT, value)


def sdp_controls(value: str) -> str:
    """SDP: CR and LF allowed (its line ends), no other control character."""
    return _refuse(_CONTROL_IN_SDP, value)


@cache
def _currencies() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def iso_currency(value: str) -> str:
    if value not in _currencies():
        raise ValueError(f"{value[:8]!r} is not an ISO 4217 currency code")
    return value


#: a single-line string: an id, a name, a label
Line = Annotated[str, AfterValidator(no_control)]
#: free text that may span lines
MultiLine = Annotated[str, AfterValidator(text_controls)]
#: a session description (RFC 8866)
SdpText = Annotated[str, AfterValidator(sdp_controls)]
#: an ISO 4217 alphabetic code, e.g. SEK
Currency = Annotated[str, AfterValidator(iso_currency)]
