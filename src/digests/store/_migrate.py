"""Alembic migrations, run from code: on start, by `newsdigest db upgrade`, and by tests.

Alembic is imported only when a migration runs or its scripts are read: a start on a database
that is at :data:`HEAD` already (every start but the first after an upgrade) reads the
revision with one query and skips about 0.3 s of imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "digests.store:migrations"
#: The newest revision in migrations/versions; a test checks that the scripts agree.
HEAD = "0011"
_VERSION_TABLE = "alembic_version"


def _config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config  # noqa: PLC0415 - see the module's docstring

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision of the migration scripts (read from the scripts themselves)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see the module's docstring

    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in digests.store.migrations")
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(_VERSION_TABLE):
            return None
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        return versions.scalar()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    from alembic import command  # noqa: PLC0415 - see the module's docstring

    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` ("base" removes every table)."""
    from alembic import command  # noqa: PLC0415 - see the module's docstring

    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)
