"""Where the browser side is: inside the installed package, else the source checkout.

A wheel carries ``web_client/`` and the vendored browser libraries under ``server/assets/``
(copied by setup.py at build time), found through ``importlib.resources`` so an installed
Helpwire needs no checkout and no npm. Running from a checkout (``make run``, the tests, an
editable install) has no ``server/assets/`` and uses ``web_client/`` and ``node_modules/``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PACKAGED = files("server") / "assets"
_CHECKOUT = Path(__file__).resolve().parents[2]
#: the names served under /vendor/, and where each lives in node_modules
VENDOR_IN_NODE_MODULES = {
    "socket.io.min.js": Path("socket.io-client") / "dist" / "socket.io.min.js",
    "socket.io.esm.min.js": Path("socket.io-client") / "dist" / "socket.io.esm.min.js",
}


def _packaged_dir() -> Path | None:
    """The package's assets folder as a real directory (aiohttp serves static files from disk)."""
    if isinstance(_PACKAGED, Path) and (_PACKAGED / "web_client").is_dir():
        return _PACKAGED
    return None


PACKAGED = _packaged_dir()
#: pages, widget, console and supervisor view
WEB_CLIENT = PACKAGED / "web_client" if PACKAGED is not None else _CHECKOUT / "web_client"
#: /vendor/NAME → the file served
VENDOR: dict[str, Path] = (
    {name: PACKAGED / "vendor" / name for name in VENDOR_IN_NODE_MODULES}
    if PACKAGED is not None
    else {name: _CHECKOUT / "node_modules" / path for name, path in VENDOR_IN_NODE_MODULES.items()}
)
