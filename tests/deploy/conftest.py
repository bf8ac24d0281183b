"""The deployment tests drive the same headless Chromium as tests/browser, trusting the test's
self-made certificate (it is nobody's CA)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.conftest import contexts as contexts  # noqa: F401  (fixture)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium`"
                    " (.ci/run installs it)", pytrace=False)
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*CHROMIUM_FLAGS, "--ignore-certificate-errors"])
        try:
            yield instance
        finally:
            await instance.close()
