"""Typed case history: each case_events row names its event type and payload version.

Rows already stored keep version 0 (type NULL) and are decoded from their free-form kind and
detail (``core/history.decode_legacy``); new rows are written at the codec's version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("type", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                   server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("version")
        batch.drop_column("type")
