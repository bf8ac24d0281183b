"""The installed-package tests drive the same headless Chromium as tests/browser."""

from tests.browser.conftest import browser, contexts  # noqa: F401  (fixtures)
