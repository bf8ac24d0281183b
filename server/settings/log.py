"""The settings section of logging (``[log]``, docs/operations.md "Logs")."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class LogSettings(BaseModel):
    """How much is logged and in which shape (server/logs.py)."""

    model_config = {"extra": "forbid"}

    #: DEBUG, INFO, WARNING or ERROR (any case)
    level: str = "INFO"
    #: one JSON object per line (off: a console format for a terminal)
    json_lines: bool = True
    #: a client's refused events are logged once, then summarised once per window with a count
    refusal_window_seconds: float = Field(60.0, gt=0)

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("level must be DEBUG, INFO, WARNING or ERROR")
        return value
