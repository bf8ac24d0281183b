"""What /admin changes, as the running server reads it: quick replies, labels, opening hours per
store and the queues. One object, replaced section by section; readers always see a whole value.

Seeded on start-up: each section the database lacks is taken from the settings and rules files
(docs/operations.md "Admin"); from then on the database's value wins. Queues the rules file
defines and the database lacks (a queue added to the file later) are added, so every rule's queue
exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.display import DisplayRules
from ..core.engine import CaseEngine
from ..core.routing import QueueDef, RuleSet
from ..settings import Label, QuickReply, Settings, labels_of
from ..store.live_settings import LiveSettingsRepository
from .models import QueueConfig, StoreHours, check_queues, queue_config

SECTIONS = ("quick_replies", "labels", "store_hours", "queues")


@dataclass
class LiveConfig:
    """The current values. ``apply_*`` replace one section and tell the engine."""

    settings: Settings
    engine: CaseEngine
    quick_replies: tuple[QuickReply, ...] = ()
    labels: tuple[Label, ...] = ()
    #: store → its own opening hours (stores not listed use settings.display)
    store_hours: dict[str, StoreHours] = field(default_factory=dict)
    _display: dict[str, DisplayRules] = field(default_factory=dict)

    @classmethod
    def from_files(cls, settings: Settings, engine: CaseEngine) -> LiveConfig:
        live = cls(settings, engine)
        live.quick_replies = tuple(settings.quick_replies)
        live.labels = tuple(labels_of(settings.labels))
        return live

    # ------------------------------------------------------------------ reads

    def quick_reply(self, reply_id: str) -> QuickReply | None:
        return next((r for r in self.quick_replies if r.id == reply_id), None)

    def display_for(self, store: str | None) -> DisplayRules:
        """The display rules of a store: the settings file's, with the store's own opening hours."""
        if store is not None and store in self._display:
            return self._display[store]
        return self.settings.display

    def queues(self) -> dict[str, QueueConfig]:
        return {name: queue_config(q) for name, q in self.engine.rules.queues.items()}

    def sections(self) -> dict[str, Any]:
        """Every section as JSON (what the database keeps)."""
        return {
            "quick_replies": [r.model_dump() for r in self.quick_replies],
            "labels": [label.model_dump() for label in self.labels],
            "store_hours": {s: h.model_dump() for s, h in sorted(self.store_hours.items())},
            "queues": {n: q.model_dump() for n, q in self.queues().items()},
        }

    # ------------------------------------------------------------------ changes

    def apply_quick_replies(self, replies: list[QuickReply]) -> None:
        self.quick_replies = tuple(replies)

    def apply_labels(self, labels: list[Label]) -> None:
        self.labels = tuple(labels)
        self.engine.set_labels(tuple(label.id for label in labels))

    def apply_store_hours(self, hours: Mapping[str, StoreHours]) -> None:
        self.store_hours = dict(hours)
        base = self.settings.display.model_dump()
        self._display = {
            store: DisplayRules.model_validate({**base, "opening_hours": h.opening_hours,
                                                "timezone": h.timezone})
            for store, h in hours.items()
        }

    def rules_with(self, queues: Mapping[str, QueueConfig]) -> RuleSet:
        """The running rules with these queue definitions (checked: fallbacks, rules' queues)."""
        rules = self.engine.rules
        check_queues(queues, rules)
        return RuleSet(
            default_queue=rules.default_queue,
            queues={n: QueueDef(name=n, title_sv=q.title_sv, title_en=q.title_en,
                                skills=frozenset(q.skills), fallback=q.fallback,
                                always_open=q.always_open) for n, q in queues.items()},
            rules=rules.rules,
        )

    # ------------------------------------------------------------------ start-up

    async def load(self, repository: LiveSettingsRepository, now: float) -> list[str]:
        """Seed the sections the database lacks, then apply what it holds; returns the seeded."""
        seeded = [section for section, value in self.sections().items()
                  if await repository.seed(section, value, now)]
        self.engine.set_rules(self.apply_stored(await repository.all()))
        return seeded

    def apply_stored(self, stored: Mapping[str, Any]) -> RuleSet:
        """Apply the database's sections; returns the rules with its queues, for the caller to
        hand to the engine (``set_rules`` returns what to announce)."""
        self.apply_quick_replies([QuickReply.model_validate(r) for r in stored["quick_replies"]])
        self.apply_labels([Label.model_validate(label) for label in stored["labels"]])
        self.apply_store_hours({s: StoreHours.model_validate(h)
                                for s, h in stored["store_hours"].items()})
        queues = {n: QueueConfig.model_validate(q) for n, q in stored["queues"].items()}
        for name, queue in self.queues().items():  # a queue the rules file has gained since
            queues.setdefault(name, queue)
        return self.rules_with(queues)
