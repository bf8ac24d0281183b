"""Routing rules: operator-edited TOML that maps context signals to a queue, skills, channel, priority.

The first rule whose conditions all match wins, in file order; if none matches, the
default queue takes the case. A file with an error is refused with its path, line and reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from .context import (
    SIGNALS,
    CaseContext,
    ChannelKind,
    Device,
    Language,
    Network,
    PaymentStep,
    Position,
    Topic,
)

FIRST_CHANNELS = ("chat", "voice")
_CHOICES: dict[str, tuple[Any, ...]] = {
    "position": get_args(Position),
    "channel": get_args(ChannelKind),
    "payment_step": get_args(PaymentStep),
    "device": get_args(Device),
    "network": get_args(Network),
    "language": get_args(Language),
    "topic": get_args(Topic),
}
_NUMERIC = {"cart_value", "battery"}
_BOOLEAN = {"offline_mode"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class RulesError(Exception):
    """A rules file that cannot be used. The message names the file, the line and the reason."""

    code = "rules_invalid"

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"rules file {where}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Condition:
    signal: str
    equals: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def matches(self, value: object) -> bool:
        if value is None:
            return False
        if self.equals is not None:
            return value in self.equals
        assert isinstance(value, (int, float))
        if self.minimum is not None and value < self.minimum:
            return False
        return not (self.maximum is not None and value > self.maximum)


@dataclass(frozen=True)
class QueueDef:
    name: str
    title_sv: str
    title_en: str
    skills: frozenset[str]
    fallback: str | None
    always_open: bool


@dataclass(frozen=True)
class Rule:
    name: str
    conditions: tuple[Condition, ...]
    queue: str
    skills: frozenset[str]
    first_channel: str
    priority: int
    line: int

    def matches(self, context: CaseContext) -> bool:
        return all(c.matches(context.signal(c.signal)) for c in self.conditions)


@dataclass(frozen=True)
class Route:
    """Where a case goes: the decision of the rules for one context."""

    queue: str
    skills: frozenset[str]
    first_channel: str
    priority: int
    rule: str | None


@dataclass(frozen=True)
class RuleSet:
    default_queue: str
    queues: Mapping[str, QueueDef]
    rules: tuple[Rule, ...]

    def route(self, context: CaseContext) -> Route:
        for rule in self.rules:
            if rule.matches(context):
                skills = rule.skills | self.queues[rule.queue].skills
                return Route(rule.queue, skills, rule.first_channel, rule.priority, rule.name)
        queue = self.queues[self.default_queue]
        return Route(queue.name, queue.skills, "chat", 0, None)

    def fallback_chain(self, queue: str) -> list[str]:
        """The queues a waiting case may overflow to, nearest first."""
        chain: list[str] = []
        current = self.queues[queue].fallback
        while current is not None and current not in chain and current != queue:
            chain.append(current)
            current = self.queues[current].fallback
        return chain


# --- loading -------------------------------------------------------------------------------


class _Lines:
    """Finds the line of a table or key in the raw text, since tomllib keeps no positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def headers(self, header: str) -> list[int]:
        pattern = re.compile(r"^\s*" + re.escape(header) + r"\s*(#.*)?$")
        return [i + 1 for i, line in enumerate(self.lines) if pattern.match(line)]

    def key(self, key: str, start: int, end: int | None = None) -> int:
        # a key starts a line, or sits in an inline table: when = { payment_step = "payment" }
        name = re.escape(key)
        pattern = re.compile(r"(^\s*|[{,]\s*)(" + name + r"|\"" + name + r"\")\s*=")
        stop = end if end is not None else len(self.lines) + 1
        for number in range(start, stop):
            if 0 < number <= len(self.lines) and pattern.search(self.lines[number - 1]):
                return number
        return start


def load_rules(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(path, None, f"cannot be read ({exc.strerror})") from exc
    return parse_rules(text, path)


def parse_rules(text: str, path: Path | str = "<rules>") -> RuleSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise RulesError(path, int(match.group(1)) if match else None, str(exc)) from exc
    where = _Lines(text)

    def fail(line: int | None, reason: str) -> RulesError:
        return RulesError(path, line, reason)

    unknown = set(data) - {"default_queue", "queues", "rules"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(where.key(key, 1), f"unknown top-level key {key!r}")

    raw_queues = data.get("queues")
    if not isinstance(raw_queues, dict) or not raw_queues:
        raise fail(None, "at least one queue must be defined under [queues.<name>]")
    queues: dict[str, QueueDef] = {}
    for name, raw in raw_queues.items():
        found = where.headers(f"[queues.{name}]") or where.headers(f'[queues."{name}"]')
        line: int | None = found[0] if found else None
        if not _NAME.match(name):
            raise fail(line, f"queue name {name!r} must be lower-case letters, digits, - or _")
        if not isinstance(raw, dict):
            raise fail(line, f"queue {name!r} must be a table")
        extra = set(raw) - {"title_sv", "title_en", "skills", "fallback", "always_open"}
        if extra:
            key = sorted(extra)[0]
            raise fail(where.key(key, line or 1), f"queue {name!r} has unknown key {key!r}")
        skills = raw.get("skills", [])
        if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
            raise fail(where.key("skills", line or 1), "skills must be a list of strings")
        fallback = raw.get("fallback")
        if fallback is not None and not isinstance(fallback, str):
            raise fail(where.key("fallback", line or 1), "fallback must be a queue name")
        queues[name] = QueueDef(
            name=name,
            title_sv=str(raw.get("title_sv", name)),
            title_en=str(raw.get("title_en", name)),
            skills=frozenset(skills),
            fallback=fallback,
            always_open=bool(raw.get("always_open", False)),
        )
    for queue in queues.values():
        if queue.fallback is not None and queue.fallback not in queues:
            line = where.key("fallback", (where.headers(f"[queues.{queue.name}]") or [1])[0])
            raise fail(line, f"queue {queue.name!r} falls back to unknown queue {queue.fallback!r}")

    default_queue = data.get("default_queue")
    if default_queue not in queues:
        raise fail(
            where.key("default_queue", 1),
            f"default_queue must name a defined queue (got {default_queue!r})",
        )

    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise fail(where.key("rules", 1), "rules must be written as [[rules]] tables")
    headers = where.headers("[[rules]]")
    rules: list[Rule] = []
    names: set[str] = set()
    for index, raw in enumerate(raw_rules):
        line = headers[index] if index < len(headers) else 1
        end = headers[index + 1] if index + 1 < len(headers) else None
        rules.append(_rule(raw, line, end, where, queues, names, fail))
    return RuleSet(default_queue=default_queue, queues=queues, rules=tuple(rules))


def _rule(
    raw: dict[str, Any],
    line: int,
    end: int | None,
    where: _Lines,
    queues: Mapping[str, QueueDef],
    names: set[str],
    fail: Any,
) -> Rule:
    def at(key: str) -> int:
        return where.key(key, line, end)

    extra = set(raw) - {"name", "when", "queue", "skills", "first_channel", "priority"}
    if extra:
        key = sorted(extra)[0]
        raise fail(at(key), f"rule has unknown key {key!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise fail(line, "every rule needs a name")
    if name in names:
        raise fail(at("name"), f"rule name {name!r} is used twice")
    names.add(name)
    queue = raw.get("queue")
    if not isinstance(queue, str) or queue not in queues:
        raise fail(at("queue"), f"rule {name!r} sends to unknown queue {queue!r}")
    skills = raw.get("skills", [])
    if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
        raise fail(at("skills"), f"rule {name!r}: skills must be a list of strings")
    first_channel = raw.get("first_channel", "chat")
    if first_channel not in FIRST_CHANNELS:
        raise fail(at("first_channel"), f"rule {name!r}: first_channel must be chat or voice")
    priority = raw.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or not -100 <= priority <= 100:
        raise fail(at("priority"), f"rule {name!r}: priority must be a whole number from -100 to 100")
    when = raw.get("when")
    if not isinstance(when, dict) or not when:
        raise fail(at("when"), f"rule {name!r} needs a non-empty 'when' table of conditions")
    conditions = tuple(_condition(name, signal, value, at, fail) for signal, value in when.items())
    return Rule(name, conditions, queue, frozenset(skills), first_channel, priority, line)


def _condition(rule: str, signal: str, value: Any, at: Any, fail: Any) -> Condition:
    line = at(signal)
    if signal not in SIGNALS:
        raise fail(line, f"rule {rule!r}: unknown signal {signal!r} (known: {', '.join(SIGNALS)})")
    if signal in _NUMERIC:
        if isinstance(value, dict):
            extra = set(value) - {"min", "max"}
            numbers = [v for v in value.values() if isinstance(v, (int, float))]
            if extra or not value or len(numbers) != len(value) or any(
                isinstance(v, bool) for v in value.values()
            ):
                raise fail(line, f"rule {rule!r}: {signal} takes {{ min = …, max = … }} numbers")
            return Condition(signal, minimum=value.get("min"), maximum=value.get("max"))
        raise fail(line, f"rule {rule!r}: {signal} takes {{ min = …, max = … }} numbers")
    values = value if isinstance(value, list) else [value]
    if not values:
        raise fail(line, f"rule {rule!r}: {signal} needs at least one value")
    if signal in _BOOLEAN:
        if not all(isinstance(v, bool) for v in values):
            raise fail(line, f"rule {rule!r}: {signal} takes true or false")
    elif signal in _CHOICES:
        bad = [v for v in values if v not in _CHOICES[signal]]
        if bad:
            allowed = ", ".join(str(c) for c in _CHOICES[signal])
            raise fail(line, f"rule {rule!r}: {signal} cannot be {bad[0]!r} (one of: {allowed})")
    elif not all(isinstance(v, str) for v in values):
        raise fail(line, f"rule {rule!r}: {signal} takes text")
    return Condition(signal, equals=tuple(values))
