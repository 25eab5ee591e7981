"""Opening a database: which backends we support and how each is set up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from digests.errors import ConfigError, StoreError

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_POSTGRES_DRIVER = "postgresql+psycopg"
#: The drivers we ship, by backend, as a URL may name them (psycopg2 means psycopg 3 here).
_DRIVERS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg", "psycopg2")}
_SUPPORTED = "sqlite:// (Python's sqlite3) and postgresql:// (psycopg 3)"


def normalise_database_url(url: str) -> str:
    """Check that ``url`` names a supported database and pick our driver for it.

    ``postgres://`` and ``postgresql://`` mean PostgreSQL through psycopg 3, the driver we ship.
    Raises :class:`ConfigError` (key ``database_url``) for anything else.
    """
    text = url.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text.removeprefix("postgres://")
    try:
        parsed = make_url(text)
    except ArgumentError as error:
        raise ConfigError("database_url", "not a database URL") from error
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(
            "database_url",
            f"unsupported database {backend!r} (newsdigest supports {_SUPPORTED})",
        )
    if parsed.get_driver_name() not in _DRIVERS[backend]:
        raise ConfigError(
            "database_url",
            f"unsupported driver {parsed.drivername!r} (newsdigest supports {_SUPPORTED})",
        )
    if backend == "postgresql" and parsed.drivername in ("postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername=_POSTGRES_DRIVER)
    return parsed.render_as_string(hide_password=False)


def display_url(url: str) -> str:
    """The URL with its password masked, safe to print or log."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module's own transaction handling (an implicit BEGIN before writes only) breaks
    # SAVEPOINT, which Store.batch() uses; SQLAlchemy's documented remedy: autocommit at the
    # driver, and a BEGIN of our own at the start of every transaction (_begin_sqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    # With WAL, NORMAL syncs at checkpoints rather than at every commit: a crash cannot corrupt
    # the database, a power cut can lose the last commits (a feed is then polled again).
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` (already normalised), with each backend set up for our use."""
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            problem = error.strerror or type(error).__name__
            raise StoreError(f"cannot create the database's folder {path.parent}: {problem}") from (
                error
            )
    engine = sa.create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _configure_sqlite)
        sa.event.listen(engine, "begin", _begin_sqlite)
    return engine


#: Set in a connection's ``info`` by the store: the transaction it begins will write.
IMMEDIATE = "newsdigest_immediate"


def _begin_sqlite(connection: sa.Connection) -> None:
    # A writing transaction takes the write lock at once: a deferred one that read first fails
    # with SQLITE_BUSY, without waiting, when another connection writes meanwhile.
    immediate = connection.info.get(IMMEDIATE, True)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
