"""Throwaway databases for the benchmarks that build a store of their own: a SQLite file in a
temporary directory, or a schema of its own on a PostgreSQL server, dropped afterwards."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from digests.store import normalise_database_url


@contextmanager
def sqlite_database() -> Iterator[str]:
    """The URL of a new SQLite file, removed afterwards."""
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """The URL of a new, empty schema on ``server`` (its search path), dropped afterwards."""
    url = normalise_database_url(server)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as db:
        db.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as db:
            db.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
