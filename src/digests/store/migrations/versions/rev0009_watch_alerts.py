"""Watch alerts: each watch remembers the positions it has looked at, and its alerts go through
an outbox of their own (``watch_alerts``), written before sending and marked after.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seen_position_id", sa.Integer(), nullable=False, server_default="0")
        )
    # A watch that exists already alerts on what comes from now on, not on the backlog.
    op.execute("UPDATE watches SET seen_position_id = (SELECT COALESCE(MAX(id), 0) FROM positions)")
    op.create_table(
        "watch_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("nonce", sa.String(length=25), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "message_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["watches.id"],
            name=op.f("fk_watch_alerts_watch_id_watches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_alerts")),
        sa.UniqueConstraint("watch_id", "period", name="uq_watch_alerts_watch_id_period"),
    )
    op.create_index(op.f("ix_watch_alerts_status"), "watch_alerts", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_watch_alerts_status"), table_name="watch_alerts")
    op.drop_table("watch_alerts")
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.drop_column("seen_position_id")
