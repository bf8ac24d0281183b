"""The ONE place where Helpwire reaches into aioice internals (ICE). Keep it small.

(aiortc's media path has its own adapter, `aiortc_compat`.)

**Host-candidate addresses.** aioice gathers host candidates from every interface except loopback
(`aioice.ice.get_host_addresses` skips 127.0.0.1 and ::1) and offers no option to choose them. On a
single host, in tests, or in a network namespace with only `lo`, nothing can connect. `install()`
replaces that module-level function with one that returns the addresses chosen with
`host_addresses([...])` for the current asyncio context (a ContextVar, so two servers or a server
and test clients in one process do not disturb each other) and falls back to aioice's own choice
otherwise. aiortc gathers inside `setLocalDescription`, in the caller's task, so wrapping that call
is enough.

`check()` verifies every internal this module relies on and raises `IncompatibleAiortc` with a
clear message if aiortc/aioice changed; `media_tests/test_media_protocol.py` runs it.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar

import aioice.ice

_addresses: ContextVar[tuple[str, ...] | None] = ContextVar("helpwire_host_addresses", default=None)
_original: Callable[..., list[str]] | None = None


class IncompatibleAiortc(RuntimeError):
    pass


def check() -> None:
    """Fail loudly if the internals this module patches or calls are not what it expects."""
    function = _original or aioice.ice.get_host_addresses
    params = list(inspect.signature(function).parameters)
    if params != ["use_ipv4", "use_ipv6"]:
        raise IncompatibleAiortc(
            f"aioice.ice.get_host_addresses now takes {params}; update server/media/aioice_compat.py"
        )
    gather = inspect.getsource(aioice.ice.Connection.gather_candidates)
    if "get_host_addresses(" not in gather:
        raise IncompatibleAiortc(
            "aioice.ice.Connection.gather_candidates no longer calls get_host_addresses;"
            " loopback candidates cannot be chosen any more: update server/media/aioice_compat.py"
        )


def _patched(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    chosen = _addresses.get()
    if chosen is None:
        assert _original is not None
        return _original(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


def install() -> None:
    """Idempotent. Called when the media layer is created."""
    global _original
    if _original is not None:
        return
    check()
    _original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = _patched


def installed() -> bool:
    return aioice.ice.get_host_addresses is _patched


@contextlib.contextmanager
def host_addresses(addresses: Sequence[str] | None) -> Iterator[None]:
    """Within this block, peer connections offer exactly these host addresses (None: aioice's)."""
    install()
    token = _addresses.set(tuple(addresses) if addresses else None)
    try:
        yield
    finally:
        _addresses.reset(token)
