"""Slack installations: the OAuth v2 installs of the app (multi-workspace HTTP mode), and the
OAuth states issued with install links.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("enterprise_id", sa.String(64)),
        sa.Column("team_id", sa.String(64)),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
    )
    op.create_index(
        "ix_slack_installations_team_installed_at",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "installed_at"],
    )
    op.create_index(
        "ix_slack_installations_team_user_installed_at",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_slack_oauth_states")),
    )
    op.create_index(op.f("ix_slack_oauth_states_expires_at"), "slack_oauth_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_oauth_states_expires_at", table_name="slack_oauth_states")
    op.drop_table("slack_oauth_states")
    op.drop_index("ix_slack_installations_team_user_installed_at", table_name="slack_installations")
    op.drop_index("ix_slack_installations_team_installed_at", table_name="slack_installations")
    op.drop_table("slack_installations")
