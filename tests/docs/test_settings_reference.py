"""docs/operations.md's settings reference lists every setting of the code, as the code has it:
its section and name, default, environment variable and the flat name of the previous release."""

from __future__ import annotations

import re
from pathlib import Path

from server.settings.reference import rows, sections

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
ROW = re.compile(r"^\| `([a-z_.]+)` \| `(.*?)` \| `(HELPWIRE_[A-Z_]+)` \| (?:`([a-z_]+)`)? \|", re.M)


def documented() -> dict[str, tuple[str, str, str]]:
    text = OPERATIONS.read_text(encoding="utf-8")
    return {key: (default, env, old or "") for key, default, env, old in ROW.findall(text)}


def test_every_setting_is_in_the_reference_with_its_default_environment_name_and_old_name() -> None:
    docs = documented()
    expected = [row for section in (None, *(name for name, _ in sections())) for row in rows(section)]
    for row in expected:
        assert row.key in docs, f"{row.key} is missing from docs/operations.md"
        assert docs[row.key] == (row.default, row.env, row.old), row.key


def test_the_reference_lists_no_setting_the_code_does_not_have() -> None:
    known = {row.key for section in (None, *(name for name, _ in sections())) for row in rows(section)}
    assert set(documented()) - known == set()
