"""Live chat text: the lines of open cases, kept until the case finishes (restart resume).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_chat_text",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_live_chat_text_case_id_cases",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "message_id", name="pk_live_chat_text"),
    )


def downgrade() -> None:
    op.drop_table("live_chat_text")
