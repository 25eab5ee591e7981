"""Fixtures shared by the whole suite.

PostgreSQL: tests marked ``postgres`` run against the server named by
NEWSDIGEST_TEST_POSTGRES_URL (each test in a schema of its own, dropped afterwards). Without that
variable they are skipped with the reason shown in the summary; with
NEWSDIGEST_TEST_REQUIRE_POSTGRES=1 (as .ci/run sets) a missing server fails them instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from digests.store import Store, normalise_database_url
from tests.feedserver import FeedServer

POSTGRES_URL_ENV = "NEWSDIGEST_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "NEWSDIGEST_TEST_REQUIRE_POSTGRES"
# Read once, before each test's environment is scrubbed of NEWSDIGEST_ variables.
POSTGRES_URL = os.environ.get(POSTGRES_URL_ENV, "")
REQUIRE_POSTGRES = os.environ.get(REQUIRE_POSTGRES_ENV) == "1"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's settings, .env or data directory."""
    for name in list(os.environ):
        if name.startswith("NEWSDIGEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.chdir(tmp_path)


def _postgres_server() -> str:
    if not POSTGRES_URL:
        reason = f"PostgreSQL tests need {POSTGRES_URL_ENV} (see docs/development.md)"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    return normalise_database_url(POSTGRES_URL)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema of their own."""
    server = _postgres_server()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server)
    try:
        with admin.begin() as db:
            db.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        pytest.fail(f"cannot reach PostgreSQL at {POSTGRES_URL_ENV}: {error.orig}")
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as db:
            db.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'newsdigest.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store.open(database_url) as opened:
        yield opened


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A loopback feed server; see tests/feedserver.py."""
    server = FeedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
