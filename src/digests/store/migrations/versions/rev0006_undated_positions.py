"""A position of an article without a publication date is dated by when the article was first
seen, as the analysis now stores it: before, such positions had no date and no lookup found them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE positions SET stated_at = ("
        " SELECT COALESCE(articles.published_at, articles.first_seen_at) FROM articles"
        " WHERE articles.id = positions.article_id"
        ") WHERE stated_at IS NULL"
    )


def downgrade() -> None:
    # Nothing to undo: a date given here cannot be told from one the analysis gave, and the
    # schema did not change.
    pass
