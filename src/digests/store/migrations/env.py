"""Alembic environment: migrates the connection the caller passes, or the URL in alembic.ini."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from digests.store._tables import metadata


def _described(name: str | None, kind: str, _parents: object) -> bool:
    """Autogenerate leaves alone what the metadata does not describe: the full-text search
    tables (SQLite's FTS5 tables) and indexes (PostgreSQL's GIN indexes) of migration 0005."""
    if name is None:
        return True
    if kind == "table":
        return not name.startswith(("articles_fts", "positions_fts"))
    return not (kind == "index" and name.endswith("_search"))


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        include_name=_described,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url in alembic.ini or pass a connection")
    engine = sa.create_engine(url)
    with engine.begin() as own_connection:
        _run(own_connection)
    engine.dispose()


main()
