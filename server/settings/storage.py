"""The settings section of where data lives (``[storage]``, docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class StorageSettings(BaseModel):
    """The data folder, the database and what of a conversation is kept in it."""

    model_config = {"extra": "forbid"}

    #: the data folder: the embedded SQLite database, the generated secret key, the serve lock
    data_dir: Path = Path("var")
    #: SQLAlchemy URL; empty means the embedded SQLite file <data_dir>/helpwire.sqlite3
    database_url: str = ""
    #: keep chat text in the database after the case ends (off: the text of an open case is
    #: kept only until the case finishes, so the conversation survives a restart)
    transcript_retention: bool = False
    #: longest an HTTP request waits for the database; past it the answer is 503 storage_timeout
    http_database_timeout_seconds: float = Field(3.0, gt=0, le=60)
    #: the Retry-After (seconds) of a 503 storage_timeout or storage_unavailable: how soon a
    #: caller may try again while the database cannot be used
    retry_after_seconds: int = Field(2, ge=1, le=3600)
    #: longest the health check's database ping waits (/healthz stays quick when the
    #: database server does not answer)
    ping_timeout_seconds: float = Field(5.0, gt=0, le=60)
    #: SQLite only: how long a connection waits for another process's write lock (a backup,
    #: the command line) before it fails with "database is locked"
    sqlite_busy_timeout_ms: int = Field(5000, ge=0, le=600_000)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpwire.sqlite3').as_posix()}"
