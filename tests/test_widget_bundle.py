"""The Help widget ships as one minified bundle with a size budget (docs/widget.md, "The bundle").

The first load is what a shop's page fetches before the button is drawn: helpwire.js alone (its
CSS and texts are inside). Socket.io, calls, consent prompts and photos are chunks imported on
demand. Rebuilt first when a source is newer, so the budget is checked against the sources as
they are.
"""

from __future__ import annotations

import gzip
import re

from tests.support import widget_bundle

#: the first load's budget, gzipped (issue 16)
FIRST_LOAD_BUDGET_BYTES = 25 * 1024
#: what must never be in the first load (each is its own chunk)
LAZY_CHUNKS = ("socket", "call", "consent", "photo")


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def test_the_first_load_is_one_minified_file_within_25_kb_gzipped() -> None:
    widget_bundle.ensure_built()
    first = widget_bundle.BUNDLE.read_bytes()
    figures = {"helpwire.js": (len(first), gzipped(first))}
    for chunk in sorted(widget_bundle.CHUNKS.glob("*.js")):
        data = chunk.read_bytes()
        figures[f"chunks/{chunk.name}"] = (len(data), gzipped(data))
    for name, (raw, packed) in figures.items():
        print(f"widget bundle: {name}: {raw} bytes, {packed} bytes gzipped")
    assert figures["helpwire.js"][1] <= FIRST_LOAD_BUDGET_BYTES, figures["helpwire.js"]
    # minified: no comment blocks and long lines, not the sources' layout
    assert first.count(b"\n") < 20, "the bundle is not minified"


def test_calls_consent_photos_and_socketio_are_chunks_loaded_on_demand() -> None:
    widget_bundle.ensure_built()
    first = widget_bundle.BUNDLE.read_text(encoding="utf-8")
    for name in LAZY_CHUNKS:
        assert (widget_bundle.CHUNKS / f"{name}.js").is_file(), name
        assert f"chunks/{name}.js" in first or "chunks/${" in first, name
    # socket.io's code is in its chunk, not in the first load
    assert "engine.io" not in first and "EIO=" not in first
    assert "EIO" in (widget_bundle.CHUNKS / "socket.js").read_text(encoding="utf-8")


def test_the_bundle_touches_no_window_property_but_its_config_and_its_one_global() -> None:
    widget_bundle.ensure_built()
    first = widget_bundle.BUNDLE.read_text(encoding="utf-8")
    assert set(re.findall(r"window\.(\w+)", first)) == {
        "Helpwire", "HelpwireConfig", "addEventListener", "innerWidth"}
    for chunk in widget_bundle.CHUNKS.glob("*.js"):
        used = set(re.findall(r"window\.(\w+)", chunk.read_text(encoding="utf-8")))
        # the call chunk's test and diagnostics hook, defined only once a call starts
        assert used <= {"addEventListener", "dispatchEvent", "__helpwireMedia"}, (chunk.name, used)
