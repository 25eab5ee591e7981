"""Positions are looked up by actor, or by the actor they aim at, in a window of time: the
single-column indexes on actor_key and target_key become (key, stated_at) indexes, and an
actor's newest position on a topic is one seek in (actor_key, topic_key, stated_at).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_actor_key")
        batch_op.drop_index("ix_positions_target_key")
        batch_op.create_index("ix_positions_actor_key_stated_at", ["actor_key", "stated_at"])
        batch_op.create_index(
            "ix_positions_actor_key_topic_key_stated_at", ["actor_key", "topic_key", "stated_at"]
        )
        batch_op.create_index("ix_positions_target_key_stated_at", ["target_key", "stated_at"])


def downgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_target_key_stated_at")
        batch_op.drop_index("ix_positions_actor_key_topic_key_stated_at")
        batch_op.drop_index("ix_positions_actor_key_stated_at")
        batch_op.create_index("ix_positions_target_key", ["target_key"])
        batch_op.create_index("ix_positions_actor_key", ["actor_key"])
