"""Session progress: which shop sessions reached the payment step (payment-step abandonment).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_progress",
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "step", name="pk_session_progress"),
    )
    op.create_index("ix_session_progress_at", "session_progress", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_session_progress_at", table_name="session_progress")
    op.drop_table("session_progress")
