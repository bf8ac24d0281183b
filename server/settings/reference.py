"""The settings reference of docs/operations.md, from the section classes themselves.

Each row names a setting as the TOML file spells it (``section.field``), its default, its
environment variable and the flat name of the previous release, if it had one. The docs test
checks the document against these rows, so the reference cannot drift from the code.
Print the tables with ``python -m server.settings.reference``.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import Settings
from .renamed import ENV_PREFIX, RENAMED

PACKAGE = Path(__file__).resolve().parents[1]
_OLD_OF = {new: old for old, new in RENAMED.items()}
_COMMENT = re.compile(r"^\s*#: ?(.*)$")
_FIELD = re.compile(r"^\s*(\w+)\s*:")


@dataclass(frozen=True)
class Row:
    key: str
    default: str
    env: str
    old: str
    meaning: str

    def markdown(self) -> str:
        old = f"`{self.old}`" if self.old else ""
        return f"| `{self.key}` | `{self.default}` | `{self.env}` | {old} | {self.meaning} |"


def _comments(model: type[BaseModel]) -> dict[str, str]:
    """Each field's ``#:`` comment in the class source, joined into one line."""
    found: dict[str, str] = {}
    pending: list[str] = []
    for line in inspect.getsource(model).splitlines():
        if comment := _COMMENT.match(line):
            pending.append(comment.group(1).strip())
        elif field := _FIELD.match(line):
            if pending:
                found[field.group(1)] = " ".join(pending).replace("|", "\\|")
            pending = []
        elif line.strip():
            pending = []
    return found


def _default(info: FieldInfo) -> str:
    value: Any = info.get_default(call_default_factory=True)
    if isinstance(value, Path) and value.is_absolute():
        return value.relative_to(PACKAGE.parent).as_posix()  # shipped with the package
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
        value = [getattr(item, "id", "…") for item in value]  # a list of records: their ids
    return json.dumps(value, ensure_ascii=False, default=str)


def sections() -> Iterator[tuple[str, type[BaseModel]]]:
    """(name, class) of every section, in the order of Settings."""
    for name, info in Settings.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel) and name != "display":
            yield name, kind


def rows(section: str | None) -> list[Row]:
    """The rows of one section, or (None) of the top-level settings that are no section."""
    if section is None:
        names = dict(sections())
        model: type[BaseModel] = Settings
        fields = {n: i for n, i in Settings.model_fields.items() if n not in names}
        prefix = ""
    else:
        model = dict(sections())[section]
        fields = dict(model.model_fields)
        prefix = f"{section}."
    meaning = _comments(model)
    result = []
    for name, info in fields.items():
        key = prefix + name
        result.append(Row(key, _default(info), ENV_PREFIX + key.upper().replace(".", "__"),
                          _OLD_OF.get(key, ""), meaning.get(name, "")))
    return result


HEADER = "| setting | default | environment | old name | meaning |\n|---|---|---|---|---|"


def markdown() -> str:
    parts = ["#### Top level\n", HEADER, *(r.markdown() for r in rows(None))]
    for name, _ in sections():
        parts += ["", f"#### `[{name}]`\n", HEADER, *(r.markdown() for r in rows(name))]
    return "\n".join(parts)


if __name__ == "__main__":
    print(markdown())
