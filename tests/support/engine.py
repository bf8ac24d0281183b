"""The engine's configuration for tests that drive the pure core: the shipped defaults (taken
from the settings sections, which own them) with the changes a test names."""

from __future__ import annotations

import dataclasses
from typing import Any

from server.core.engine import EngineConfig
from server.settings import Settings
from server.settings.engine import engine_config


def default_engine_config(**changes: Any) -> EngineConfig:
    """EngineConfig of the default settings (no file, no environment), with ``changes``."""
    return dataclasses.replace(engine_config(Settings.model_construct()), **changes)
