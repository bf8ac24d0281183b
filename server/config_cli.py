"""`python -m server config` and `config check FILE`: the settings an operator can read.

`config` prints every effective setting, section by section, with where it came from (the file,
the environment or the default), secrets redacted. `config check FILE` validates a TOML file and
reports problems as FILE:LINE: the TOML parser's own line for syntax errors, the key's line for
invalid values. Both warn about the flat names of the previous release (settings/renamed.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource

from .settings import Settings, load_settings
from .settings.renamed import Renamed, RenamedSource, collecting, new_name

ENV_PREFIX = "HELPWIRE_"
#: setting names that hold credentials: printed as "<redacted>" when set
SECRET = re.compile(r"secret|password|token|(^|_)key$", re.IGNORECASE)
REDACTED = "<redacted>"


def _flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in values.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def _file_keys(config_file: Path | None) -> set[str]:
    if config_file is None:
        return set()
    with config_file.open("rb") as handle:
        return {new_name(key) for key, _ in _flatten(tomllib.load(handle))}


def _env_keys() -> set[str]:
    return {new_name(name[len(ENV_PREFIX):].lower().replace("__", ".")) for name in os.environ
            if name.startswith(ENV_PREFIX)}


def warning_text(renamed: Renamed) -> str:
    """What an operator reads about one old name: old → new, as a file key and a variable."""
    if renamed.source == "environment":
        return (f"warning: {renamed.old_env} is deprecated and will stop working in the next"
                f" release; use {renamed.new_env}")
    return (f"warning: {renamed.old} is deprecated and will stop working in the next release;"
            f" use {renamed.new} (section [{renamed.new.split('.')[0]}])")


def _source(key: str, from_file: set[str], from_env: set[str]) -> str:
    """Environment beats file beats default (the settings' precedence); a section counts too."""
    parts = key.split(".")
    prefixes = {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
    if prefixes & from_env:
        return "environment"
    if key in from_file or any(k.startswith(key + ".") for k in from_file):
        return "file"
    return "default"


def effective(settings: Settings, config_file: Path | None) -> list[tuple[str, str, str]]:
    """(setting, value as JSON, source) for every setting, secrets redacted."""
    from_file, from_env = _file_keys(config_file), _env_keys()
    values = settings.model_dump(mode="json")
    rows = []
    for name, value in values.items():
        field = getattr(settings, name)
        items = (list(_flatten(value, f"{name}.")) if isinstance(field, BaseModel)
                 else [(name, value)])
        for key, item in items:
            shown = REDACTED if SECRET.search(key.rsplit(".", 1)[-1]) and item else item
            rows.append((key, json.dumps(shown, ensure_ascii=False), _source(key, from_file, from_env)))
    return rows


def _line_of(text: str, location: tuple[int | str, ...]) -> int | None:
    """The line where the setting at ``location`` (section, key) is written, if it is."""
    names = [str(part) for part in location if isinstance(part, str)]
    if not names:
        return None
    lines = text.splitlines()
    section = ""
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if header := re.match(r"^\[([^\]]+)\]", stripped):
            section = header.group(1).strip()
            if names == [section]:
                return number
            continue
        key = re.match(r"^([A-Za-z0-9_.\"-]+)\s*=", stripped)
        if key is None:
            continue
        full = ".".join(p for p in (section, key.group(1).strip('"')) if p)
        if full == ".".join(names) or full == names[0] or new_name(full) == ".".join(names[:2]):
            return number
    return None


def _file_only(path: Path) -> type[Settings]:
    """Settings read from ``path`` alone: the checker's verdict must not depend on the
    environment of whoever runs it."""

    class FileOnly(Settings):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, RenamedSource(
                settings_cls, TomlConfigSettingsSource(settings_cls, toml_file=path), "file")

    return FileOnly


def check_file(path: Path, warnings: list[str] | None = None) -> list[str]:
    """Problems with a settings file, each as ``FILE:LINE: message`` (empty when it is valid);
    old names it still uses are added to ``warnings`` the same way."""
    text = path.read_text(encoding="utf-8")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line = found.group(1) if found else "1"
        return [f"{path}:{line}: {str(error).split(' (at line')[0]}"]
    problems: list[str] = []
    with collecting() as met:
        try:
            _file_only(path)()
        except ValidationError as error:
            for detail in error.errors():
                line = _line_of(text, tuple(detail["loc"]))
                where = ".".join(str(p) for p in detail["loc"]) or "(file)"
                problems.append(f"{path}:{line or 1}: {where}: {detail['msg']}")
    if warnings is not None:
        for renamed in dict.fromkeys(met):
            line = _line_of(text, (renamed.old,))
            warnings.append(f"{path}:{line or 1}: {renamed.old}: {warning_text(renamed)}")
    return problems


def _config(args: argparse.Namespace) -> int:
    if args.action == "check":
        target: Path | None = args.file or args.config
        if target is None:
            print("helpwire: give the file to check: config check FILE", file=sys.stderr)
            return 2
        if not target.is_file():
            print(f"helpwire: {target} does not exist", file=sys.stderr)
            return 2
        warnings: list[str] = []
        problems = check_file(target, warnings)
        for problem in [*warnings, *problems]:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print(f"{target}: valid")
        return 0
    settings = load_settings(args.config)
    for renamed in settings.renamed:
        print(f"helpwire: {warning_text(renamed)}", file=sys.stderr)
    rows = effective(settings, args.config)
    width = max(len(key) for key, _, _ in rows)
    for key, value, source in rows:
        print(f"{key:<{width}}  {value}  ({source})")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `config` (print) and `config check FILE` on the main parser."""
    config = commands.add_parser(
        "config", help="print the effective settings and their sources, or check a settings file")
    config.add_argument("action", nargs="?", choices=["show", "check"], default="show",
                        help="show (default): every setting with its source; check: validate FILE")
    config.add_argument("file", nargs="?", type=Path, help="the TOML file to check")
    config.set_defaults(func=_config)
