"""Build step that puts the browser side into the package (everything else is in pyproject.toml).

The wheel must serve every page with no checkout and no npm, so building it first builds the
widget's bundle with esbuild (web_client/widget/build.mjs, as `make` does), then copies
``web_client/**`` (pages, the built widget, console) and the vendored browser libraries from
``node_modules`` into ``server/assets/``, where ``server/web/assets.py`` finds them through
``importlib.resources``; the widget's ES module sources stay behind. An sdist carries the built
widget and the vendored files in ``vendor/``, so a wheel built from it needs no npm either.
"""

from __future__ import annotations

import shutil
import subprocess
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


#: the widget's build script, its ES module sources and the bundle it writes (docs/widget.md)
WIDGET = HERE / "web_client" / "widget"
WIDGET_BUNDLE = WIDGET / "helpwire.js"


def _build_widget() -> None:
    """Build the widget's bundle where esbuild is installed; else the one already built (an sdist)."""
    if (HERE / "node_modules" / "esbuild").is_dir():
        subprocess.run(["node", str(WIDGET / "build.mjs")], check=True, cwd=HERE)
    elif not WIDGET_BUNDLE.is_file():
        raise SystemExit("cannot build helpwire: the widget's bundle is missing; run `npm ci` first")


def _not_packaged(folder: str, names: list[str]) -> set[str]:
    """Hidden files, source maps and the widget's sources (the wheel carries the built bundle)."""
    left_out = set(shutil.ignore_patterns(".*", "*.map")(folder, names))
    if Path(folder) == WIDGET:
        left_out |= {"src", "build.mjs"} & set(names)
    return left_out


class BuildWithAssets(build_py):
    """The usual build, plus web_client/ and the vendored libraries under server/assets/."""

    def run(self) -> None:
        super().run()
        _build_widget()
        target = Path(self.build_lib) / "server" / "assets"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(HERE / "web_client", target / "web_client", ignore=_not_packaged)
        (target / "vendor").mkdir(parents=True)
        for name in VENDOR_FILES:
            shutil.copy2(_vendor_source(name), target / "vendor" / name)


class SdistWithVendor(sdist):
    """The sdist also carries the vendored libraries, so building a wheel from it needs no npm."""

    def run(self) -> None:
        _build_widget()  # before the file list is made, so `graft web_client` takes the bundle
        super().run()

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        vendor = Path(base_dir) / "vendor"
        vendor.mkdir(exist_ok=True)
        for name in VENDOR_FILES:
            shutil.copy2(_vendor_source(name), vendor / name)


setup(cmdclass={"build_py": BuildWithAssets, "sdist": SdistWithVendor})
