"""Storage of case metadata (SQLite by default, PostgreSQL optionally). Never media."""

from .agents import AgentExists, AgentRepository, StoredAgent
from .analytics import AnalyticsRepository
from .cases import CaseRepository
from .database import Database, DatabaseClosed

__all__ = [
    "AgentExists",
    "AgentRepository",
    "AnalyticsRepository",
    "CaseRepository",
    "Database",
    "DatabaseClosed",
    "StoredAgent",
]
