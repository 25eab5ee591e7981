"""Full-text search over articles (title and text) and positions (claim and evidence), each
backend with its own native index: on SQLite, FTS5 tables kept in step with the tables they
index by triggers (external content: the text is not stored twice); on PostgreSQL, GIN indexes
over the English tsvector of the same columns.

On SQLite a later migration that rebuilds ``articles`` or ``positions`` (batch mode copies the
table) drops these triggers with the old table and must create them again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Each searched table, its FTS5 table on SQLite, and the columns searched.
_SEARCHED = (
    ("articles", "articles_fts", ("title", "text")),
    ("positions", "positions_fts", ("claim", "evidence")),
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, fts, columns in _SEARCHED:
        for statement in (
            _sqlite_setup(table, fts, columns) if sqlite else _postgres_setup(table, columns)
        ):
            op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, fts, _columns in _SEARCHED:
        if sqlite:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
        else:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")


def _sqlite_setup(table: str, fts: str, columns: tuple[str, ...]) -> list[str]:
    """The FTS5 table, its triggers and its first fill (the names are this file's constants)."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    remove = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    add = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {remove} {add} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _postgres_setup(table: str, columns: tuple[str, ...]) -> list[str]:
    document = " || ' ' || ".join(f'"{c}"' for c in columns)
    return [
        f"CREATE INDEX ix_{table}_search ON {table} USING gin (to_tsvector('english', {document}))"
    ]
