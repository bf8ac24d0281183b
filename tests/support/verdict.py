"""Soft assertions for fault tests: every broken promise is listed at once, with the figures.

A fault test measures several things (acked vs stored, resumed %, health answers); stopping at
the first failed assert would hide the rest. Figures are printed as they are measured, so CI logs
show them whether the test passes or fails.
"""

from __future__ import annotations

#: every figure measured in this test run, (title, text), for the terminal summary
FIGURES: list[tuple[str, str]] = []


class Verdict:
    def __init__(self, title: str) -> None:
        self.title = title
        self.figures: list[str] = []
        self.failures: list[str] = []

    def figure(self, text: str) -> None:
        self.figures.append(text)
        FIGURES.append((self.title, text))
        print(f"[{self.title}] {text}", flush=True)

    def check(self, holds: bool, failure: str) -> bool:
        if not holds:
            self.failures.append(failure)
        return holds

    def conclude(self) -> None:
        if self.failures:
            lines = [f"{self.title}: {len(self.failures)} promise(s) broken"]
            lines += [f"  FAIL {failure}" for failure in self.failures]
            lines += ["measured:"] + [f"  {figure}" for figure in self.figures]
            raise AssertionError("\n".join(lines))
