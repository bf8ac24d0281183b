"""Reports: purchases and shop-session exposures for conversion and the A/B test; agent roles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purchases",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("session_id", sa.String(length=200), nullable=True),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_purchases"),
    )
    op.create_index("ix_purchases_session_id", "purchases", ["session_id"], unique=False)
    op.create_index("ix_purchases_at", "purchases", ["at"], unique=False)
    op.create_table(
        "session_exposures",
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("store", sa.String(length=200), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_session_exposures"),
    )
    op.create_index("ix_session_exposures_at", "session_exposures", ["at"], unique=False)
    op.add_column(
        "agents",
        sa.Column("roles", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("roles")
    op.drop_index("ix_session_exposures_at", table_name="session_exposures")
    op.drop_table("session_exposures")
    op.drop_index("ix_purchases_at", table_name="purchases")
    op.drop_index("ix_purchases_session_id", table_name="purchases")
    op.drop_table("purchases")
