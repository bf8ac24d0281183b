"""What an admin may send, checked by the settings file's own models and limits.

Quick replies and labels are the settings file's ``QuickReply`` and ``Label``; opening hours are
checked by ``DisplayRules`` (server/core/display.py), queues like the rules file
(server/core/routing.py: names, skills, a fallback that exists, no queue a rule needs removed).
The limits are ``[admin]`` settings (server/settings/admin.py) and ``max_chat_chars``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..core.display import DisplayRules, Weekday
from ..core.routing import QueueDef, RuleSet
from ..core.text import Line
from ..settings import Label, QuickReply, Settings

#: the roles an agent may have: supervisor opens /supervisor, admin opens /admin
ROLES = ("supervisor", "admin")
LANGUAGES = ("sv", "en")
#: names of queues and skills, as in the rules file
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Username = Annotated[Line, Field(min_length=1, max_length=64, pattern=r"^[\w.@-]+$")]
DisplayName = Annotated[Line, Field(min_length=1, max_length=200)]
#: the same rule as `python -m server create-agent`: at least 8 characters
Password = Annotated[str, Field(min_length=8, max_length=256)]
Store = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.:@/ -]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AgentCreate(Strict):
    username: Username
    display_name: DisplayName
    password: Password
    roles: list[Literal["supervisor", "admin"]] = Field(default_factory=list)
    skills: list[Name] = Field(default_factory=list, max_length=50)
    #: none means any language
    languages: list[Literal["sv", "en"]] = Field(default_factory=list)
    max_concurrent: int = Field(3, ge=1)


class AgentChange(Strict):
    """Only what is given changes."""

    display_name: DisplayName | None = None
    roles: list[Literal["supervisor", "admin"]] | None = None
    skills: list[Name] | None = Field(None, max_length=50)
    languages: list[Literal["sv", "en"]] | None = None
    max_concurrent: int | None = Field(None, ge=1)
    disabled: bool | None = None


class PasswordReset(Strict):
    password: Password


class QuickReplies(Strict):
    quick_replies: list[QuickReply]


class Labels(Strict):
    labels: list[Label]


class StoreHours(BaseModel):
    """A store's own opening hours (the settings file's ``[display]`` for the rest)."""

    model_config = ConfigDict(extra="forbid")

    #: weekday → "HH:MM-HH:MM[,HH:MM-HH:MM]" or "closed"; empty = always open
    opening_hours: dict[Weekday, str] = Field(default_factory=dict)
    timezone: str = "Europe/Stockholm"

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: dict[Weekday, str]) -> dict[Weekday, str]:
        return DisplayRules._hours(value)  # the settings file's own check of each day

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return DisplayRules._timezone(value)


class QueueConfig(Strict):
    """A queue as the rules file writes it under ``[queues.<name>]``."""

    title_sv: DisplayName
    title_en: DisplayName
    skills: list[Name] = Field(default_factory=list, max_length=50)
    fallback: Name | None = None
    always_open: bool = False


def queue_config(queue: QueueDef) -> QueueConfig:
    return QueueConfig(title_sv=queue.title_sv, title_en=queue.title_en,
                       skills=sorted(queue.skills), fallback=queue.fallback,
                       always_open=queue.always_open)


class LimitError(ValueError):
    """A value over one of the ``[admin]`` limits: answered as invalid_setting for ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class QueueError(LimitError):
    """Queues that the rules file could not have said (a missing fallback, a rule's queue gone)."""


def check_agent_limits(settings: Settings, max_concurrent: int | None) -> None:
    limit = settings.admin.max_concurrent_cases_limit
    if max_concurrent is not None and max_concurrent > limit:
        raise LimitError("max_concurrent", f"at most {limit} cases at once"
                                           " (setting admin.max_concurrent_cases_limit)")


def check_quick_replies(settings: Settings, replies: list[QuickReply]) -> None:
    limit = settings.admin.max_quick_replies
    if len(replies) > limit:
        raise LimitError("quick_replies", f"at most {limit} quick replies"
                                          " (setting admin.max_quick_replies)")
    seen: set[str] = set()
    for index, reply in enumerate(replies):
        if reply.id in seen:
            raise LimitError(f"quick_replies.{index}.id", f"the id {reply.id!r} is used twice")
        seen.add(reply.id)
        for language in LANGUAGES:
            text = getattr(reply, language)
            if len(text) > settings.limits.max_chat_chars:
                raise LimitError(f"quick_replies.{index}.{language}",
                                 f"at most {settings.limits.max_chat_chars} characters, like any chat"
                                 " message (setting limits.max_chat_chars)")


def check_labels(settings: Settings, labels: list[Label]) -> None:
    limit, chars = settings.admin.max_labels, settings.admin.max_label_chars
    if not labels:
        raise LimitError("labels", "at least one label: every case is closed with one")
    if len(labels) > limit:
        raise LimitError("labels", f"at most {limit} labels (setting admin.max_labels)")
    seen: set[str] = set()
    for index, label in enumerate(labels):
        if label.id in seen:
            raise LimitError(f"labels.{index}.id", f"the id {label.id!r} is used twice")
        seen.add(label.id)
        for name in ("id", *LANGUAGES):
            if len(getattr(label, name)) > chars:
                raise LimitError(f"labels.{index}.{name}", f"at most {chars} characters"
                                                           " (setting admin.max_label_chars)")


def check_queues(queues: Mapping[str, QueueConfig], rules: RuleSet) -> None:
    """What parse_rules checks across queues: fallbacks exist, the default and every rule's queue
    are defined."""
    for name, queue in queues.items():
        if queue.fallback is not None and queue.fallback not in queues:
            raise QueueError(f"queues.{name}.fallback",
                             f"queue {name!r} falls back to unknown queue {queue.fallback!r}")
        if queue.fallback == name:
            raise QueueError(f"queues.{name}.fallback", f"queue {name!r} cannot fall back to itself")
    needed = {rules.default_queue, *(rule.queue for rule in rules.rules)}
    for name in sorted(needed - set(queues)):
        raise QueueError(f"queues.{name}", f"queue {name!r} is used by the rules file")
