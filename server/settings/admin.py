"""The settings section of admin in the browser (``[admin]``, docs/operations.md "Admin").

The limits every admin change is checked against, each with its default: how many quick replies
and labels there may be, how long a label may be, how many cases one agent may take at once, how
many audit-log rows one request returns, and how soon other nodes see a change.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AdminSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: most quick replies the console offers (one more is refused with invalid_setting)
    max_quick_replies: int = Field(50, ge=1, le=500)
    #: most wrap-up labels
    max_labels: int = Field(50, ge=1, le=500)
    #: longest label text (its id and each language's name), in characters; the case table keeps
    #: at most 200
    max_label_chars: int = Field(100, ge=1, le=200)
    #: the highest capacity (cases at once) an agent may be given
    max_concurrent_cases_limit: int = Field(20, ge=1, le=1000)
    #: most audit-log rows one GET /api/admin/audit-log returns
    max_audit_rows: int = Field(500, ge=1, le=5000)
    #: with several nodes ([cluster] redis_url): how often each looks for an admin change made on
    #: another node (server/admin/watch.py); a single node's own changes are live at once
    reload_seconds: float = Field(5.0, gt=0, le=300)
