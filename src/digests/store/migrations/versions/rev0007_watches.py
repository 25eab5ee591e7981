"""Watches: a channel asks to hear when an actor (on a topic, or on any) states something new.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("actor_key", sa.String(120), nullable=False),
        sa.Column("topic_key", sa.String(120), nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
        sa.UniqueConstraint(
            "platform",
            "workspace_id",
            "channel_id",
            "actor_key",
            "topic_key",
            name="uq_watches_channel_actor_topic",
        ),
    )
    op.create_index(op.f("ix_watches_actor_key"), "watches", ["actor_key"])


def downgrade() -> None:
    op.drop_index("ix_watches_actor_key", table_name="watches")
    op.drop_table("watches")
