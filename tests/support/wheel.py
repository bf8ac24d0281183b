"""Build Helpwire's wheel from a copy of the source and install it into a fresh virtual environment.

The copy holds only what a release is built from (no tests, no virtual environment, no data), with
``node_modules`` linked in for the vendored browser libraries, so the wheel cannot lean on the
checkout. The new environment gets the wheel and its declared dependencies from the configured
package index (pip's cache makes reruns quicker), which also proves the dependency list complete.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: what a release is not built from
_LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "node_modules", "tests", "media_tests", "bench",
                                   "var", "test-artifacts", "dist", "build", "*.egg-info",
                                   "__pycache__", ".*_cache")


def build_wheel(work: Path) -> Path:
    """``pip wheel`` of a clean copy of the source; the path of the built wheel."""
    source = work / "source"
    shutil.copytree(REPO, source, ignore=_LEFT_OUT, symlinks=True)
    (source / "node_modules").symlink_to(REPO / "node_modules")
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
                    str(dist), str(source)], check=True, cwd=work)
    (wheel,) = dist.glob("helpwire-*.whl")
    return wheel


def install_in_new_venv(wheel: Path, venv: Path) -> Path:
    """A new virtual environment with the wheel installed; its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "--no-compile", str(wheel)], check=True, cwd=venv)
    return bin_dir
