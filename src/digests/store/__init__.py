"""Persistence: the only package that knows SQL.

``Store.open(url)`` opens (and by default migrates) a SQLite or PostgreSQL database and returns
the repository the rest of the code uses.
"""

from digests.store._engine import display_url, normalise_database_url, sqlite_path
from digests.store._migrate import head_revision
from digests.store._store import SavedEntries, Store

__all__ = [
    "SavedEntries",
    "Store",
    "display_url",
    "head_revision",
    "normalise_database_url",
    "sqlite_path",
]
