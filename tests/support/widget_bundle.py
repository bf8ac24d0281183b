"""The Help widget's bundle (web_client/widget/build.mjs): rebuilt when its sources are newer.

`make` builds it; a test run straight from pytest after an edit of web_client/widget/src would
otherwise serve the stale bundle, so the suite rebuilds it first (esbuild takes well under a
second). Without esbuild it fails saying how to get it, never testing an old build.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WIDGET = REPO / "web_client" / "widget"
BUILD_SCRIPT = WIDGET / "build.mjs"
#: the one script a shop embeds, and its lazily imported chunks
BUNDLE = WIDGET / "helpwire.js"
CHUNKS = WIDGET / "chunks"


def _sources() -> list[Path]:
    return [BUILD_SCRIPT, REPO / "package-lock.json", *(WIDGET / "src").iterdir()]


def stale() -> bool:
    """True when the bundle is missing or older than a source."""
    if not BUNDLE.is_file():
        return True
    built = BUNDLE.stat().st_mtime
    return any(source.stat().st_mtime > built for source in _sources())


def build() -> None:
    """Run the build script (what `make widget` does)."""
    if not (REPO / "node_modules" / "esbuild").is_dir():
        pytest.fail("esbuild is not installed: run `make install` (or `npm ci`) to build the widget",
                    pytrace=False)
    subprocess.run(["node", str(BUILD_SCRIPT)], check=True, cwd=REPO)


def ensure_built() -> None:
    if stale():
        build()
