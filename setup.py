"""Build step that puts the browser side into the package (everything else is in pyproject.toml).

The wheel must serve every page with no checkout and no npm, so building it copies
``web_client/**`` (pages, widget, console, and any bundle built there) and the vendored browser
libraries from ``node_modules`` into ``server/assets/``, where ``server/web/assets.py`` finds them
through ``importlib.resources``. An sdist carries the vendored files in ``vendor/``, so a wheel
built from it needs no npm either.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
#: browser libraries served under /vendor/ (the names server/web/assets.py serves)
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.esm.min.js": "socket.io-client/dist/socket.io.esm.min.js",
}


def _vendor_source(name: str) -> Path:
    """node_modules in a checkout (after `npm ci`), else vendor/ in an unpacked sdist."""
    for candidate in (HERE / "node_modules" / VENDOR_FILES[name], HERE / "vendor" / name):
        if candidate.is_file():
            return candidate
    raise SystemExit(f"cannot build helpwire: {name} is missing; run `npm ci` first")


class BuildWithAssets(build_py):
    """The usual build, plus web_client/ and the vendored libraries under server/assets/."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "server" / "assets"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(HERE / "web_client", target / "web_client",
                        ignore=shutil.ignore_patterns(".*", "*.map"))
        (target / "vendor").mkdir(parents=True)
        for name in VENDOR_FILES:
            shutil.copy2(_vendor_source(name), target / "vendor" / name)


class SdistWithVendor(sdist):
    """The sdist also carries the vendored libraries, so building a wheel from it needs no npm."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        vendor = Path(base_dir) / "vendor"
        vendor.mkdir(exist_ok=True)
        for name in VENDOR_FILES:
            shutil.copy2(_vendor_source(name), vendor / name)


setup(cmdclass={"build_py": BuildWithAssets, "sdist": SdistWithVendor})
