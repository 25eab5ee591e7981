"""Column types shared by the tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from digests.model import UTC, require_utc


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp that goes in aware-UTC and comes out aware-UTC on every backend.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no time zones, so it is stored as naive
    UTC text and made aware again on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        require_utc(value, "stored datetime")
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: JSON on SQLite, JSONB on PostgreSQL.
JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
