"""The wheel runs on its own: installed into a fresh venv outside the checkout, `helpwire serve`
serves every page, the widget, the vendored browser libraries and /metrics (no checkout, no npm)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.support.wheel import REPO, build_wheel, install_in_new_venv

#: building the wheel and installing it with its dependencies takes 1-2 minutes on a loaded machine
pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

SERVING = re.compile(r"Helpwire is serving on (http://127\.0\.0\.1:\d+)/")
PAGES = ("/", "/kiosk", "/agent", "/supervisor", "/admin")


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv with the freshly built wheel installed (once per module)."""
    work = tmp_path_factory.mktemp("ship")
    started = time.monotonic()
    wheel = build_wheel(work)
    built = time.monotonic()
    bin_dir = install_in_new_venv(wheel, work / "venv")
    print(f"wheel built in {built - started:.1f} s, installed in {time.monotonic() - built:.1f} s")
    return bin_dir


@pytest.fixture
async def installed(venv_bin: Path, tmp_path: Path) -> AsyncIterator[tuple[Path, str]]:
    """(venv bin folder, base URL) of the installed package serving from a scratch data folder."""
    bin_dir, work = venv_bin, tmp_path
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HELPWIRE_") and k not in ("PYTHONPATH", "PORT", "VIRTUAL_ENV")}
    env["HELPWIRE_STORAGE__DATA_DIR"] = str(work / "data")
    process = await asyncio.create_subprocess_exec(
        str(bin_dir / "helpwire"), "serve", "--port", "0", cwd=work, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None
    output: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not (found := SERVING.search(line := (await process.stdout.readline()).decode())):
                if not line:
                    raise AssertionError("the installed server exited: " + "".join(output))
                output.append(line)
        yield bin_dir, found.group(1)
    finally:
        if process.returncode is None:
            process.terminate()
        async with asyncio.timeout(30):
            await process.wait()


def test_the_installed_server_imports_from_the_venv_not_the_checkout(
        installed: tuple[Path, str]) -> None:
    bin_dir, _ = installed
    where = subprocess.run(
        [str(bin_dir / "python"), "-c",
         "import server, server.web.assets as a; print(server.__file__); print(a.WEB_CLIENT)"],
        check=True, capture_output=True, text=True, cwd=bin_dir.parent,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}).stdout.split()
    for path in where:
        assert Path(path).is_relative_to(bin_dir.parent), path
        assert not Path(path).is_relative_to(REPO), path


async def test_every_page_and_asset_loads_in_a_browser(
        installed: tuple[Path, str], browser: Browser) -> None:
    _, base = installed
    context = await browser.new_context()
    try:
        for path in PAGES:
            page = await context.new_page()
            failed: list[str] = []
            loaded: list[str] = []
            page.on("requestfailed", lambda r, f=failed: f.append(r.url))
            page.on("response", lambda r, f=failed, ok=loaded:
                    (ok if r.status < 400 else f).append(f"{r.status} {r.url}"))
            response = await page.goto(base + path, wait_until="networkidle")
            assert response is not None and response.status == 200, path
            assert failed == [], (path, failed)
            assert any("/static/" in url for url in loaded), (path, loaded)
            await page.close()
    finally:
        await context.close()


async def test_every_packaged_file_the_vendor_libraries_and_metrics_are_served(
        installed: tuple[Path, str]) -> None:
    _, base = installed
    static = sorted(p.relative_to(REPO / "web_client").as_posix()
                    for p in (REPO / "web_client").rglob("*") if p.is_file())
    # the widget's ES module sources and build script stay behind: the wheel carries the build
    sources = [name for name in static if name.startswith("widget/src/") or name == "widget/build.mjs"]
    static = [name for name in static if name not in sources]
    assert "widget/helpwire.js" in static and "widget/chunks/socket.js" in static
    async with aiohttp.ClientSession() as http:
        for name in static:
            async with http.get(f"{base}/static/{name}") as response:
                assert response.status == 200, name
                assert await response.read() == (REPO / "web_client" / name).read_bytes(), name
        for name in sources:
            async with http.get(f"{base}/static/{name}") as response:
                assert response.status == 404, name
        for name in ("socket.io.min.js", "socket.io.esm.min.js"):
            async with http.get(f"{base}/vendor/{name}") as response:
                assert response.status == 200, name
                assert len(await response.read()) > 10_000, name
        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200
            assert "helpwire" in await response.text()
