"""Alembic migrations, run from code: on start, by `newsdigest db upgrade`, and by tests.

Alembic is imported only when a migration runs or its scripts are read: a start on a database
that is at :data:`HEAD` already (every start but the first after an upgrade) reads the
revision with one query and skips about 0.3 s of imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from digests.errors import StoreError

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


@contextmanager
def _reaching(engine: sa.Engine) -> Iterator[None]:
    """A database that cannot be reached or written is a :class:`StoreError` saying so in one
    line (the driver's words), not the driver's exception."""
    try:
        yield
    except SQLAlchemyError as error:
        where = engine.url.render_as_string(hide_password=True)
        reason = " ".join(str(getattr(error, "orig", None) or error).split())
        raise StoreError(f"cannot open database {where}: {reason}") from error


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    with _reaching(engine), engine.connect() as connection:
        if not sa.inspect(connection).has_table(_VERSION_TABLE):
            return None
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        return versions.scalar()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    from alembic import command  # noqa: PLC0415 - see the module's docstring

    _migrate(engine, command.upgrade, revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` ("base" removes every table)."""
    from alembic import command  # noqa: PLC0415 - see the module's docstring

    _migrate(engine, command.downgrade, revision)


def _migrate(engine: sa.Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """Run an Alembic command in one transaction; a revision Alembic does not know (or cannot
    go to from here) is a :class:`StoreError` naming the revisions there are."""
    from alembic.util import CommandError  # noqa: PLC0415 - see the module's docstring

    with _reaching(engine), engine.begin() as connection:
        try:
            step(_config(connection), revision)
        except CommandError as error:
            reason = " ".join(str(error).split())
            raise StoreError(
                f"cannot migrate to revision {revision!r}: {reason} "
                f"(the revisions: base, {', '.join(_revisions())}, head)"
            ) from error


def _revisions() -> list[str]:
    """Every revision of the migration scripts, oldest first."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see the module's docstring

    scripts = ScriptDirectory.from_config(_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]
