"""A trickled candidate line is checked field by field before aiortc parses it."""

from __future__ import annotations

import pytest

from server.media.candidates import parse_candidate

GOOD = "842163049 1 udp 1677729535 192.0.2.10 54400 typ srflx raddr 10.0.0.5 rport 54400"


def test_a_browser_candidate_is_parsed() -> None:
    parsed = parse_candidate(GOOD)
    assert (parsed.ip, parsed.port, parsed.type, parsed.relatedPort) == ("192.0.2.10", 54400,
                                                                       "srflx", 54400)
    assert parse_candidate("1 1 UDP 2122260223 3f1c0e4a-5b6d.local 51234 typ host").type == "host"


@pytest.mark.parametrize("line", [
    "0",  # found by the fuzz suite: aiortc asserted on it (internal_error)
    "1 1 udp 1 1.2.3.4 5 typ",
    "1 x udp 1 1.2.3.4 5 typ host",
    "1 1 sctp 1 1.2.3.4 5 typ host",
    "1 1 udp 99999999999999999999 1.2.3.4 5 typ host",
    "1 1 udp 1 1.2.3.4 65536 typ host",
    "1 1 udp 1 1.2.3.4 -1 typ host",
    "1 1 udp 1 not-an-address 5 typ host",
    "1 1 udp 1 1.2.3.4 5 kind host",
    "1 1 udp 1 1.2.3.4 5 typ magic",
    "1 1 udp 1 1.2.3.4 5 typ srflx raddr 10.0.0.5 rport",
    "1 1 udp 1 1.2.3.4 5 typ srflx raddr 10.0.0.5 rport 70000",
    "1 1 udp 1 1.2.3.4 5 typ srflx raddr nowhere rport 1",
    "1 1 udp 1 1.2.3.4 ٥ typ host",  # a digit, but not an ASCII one
])
def test_a_line_that_is_not_a_candidate_is_refused_with_value_error(line: str) -> None:
    with pytest.raises(ValueError):
        parse_candidate(line)
