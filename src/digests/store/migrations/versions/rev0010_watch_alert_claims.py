"""A watch alert keeps its statement's bucket (actor, speaker, stance, topic) and normalised
claim, so a later report that words the statement a little differently is known as the same.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watch_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bucket", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("claim", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_alerts", schema=None) as batch_op:
        batch_op.drop_column("claim")
        batch_op.drop_column("bucket")
