"""Migrations: empty database -> head -> base -> head, and head equals the tables in code."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from digests.store import Store, _migrate, head_revision
from digests.store._search import SEARCH_TABLE_PREFIXES
from digests.store._tables import metadata


def _tables(store: Store) -> set[str]:
    """The database's tables but Alembic's own and the full-text search tables (SQLite's FTS5
    tables of migration 0005, which the metadata in code does not describe)."""
    names = set(sa.inspect(store.engine).get_table_names()) - {"alembic_version"}
    return {name for name in names if not name.startswith(SEARCH_TABLE_PREFIXES)}


def _described(name: str | None, kind: str, _parents: object) -> bool:
    """What the metadata in code describes: not the search tables nor the search indexes."""
    if kind == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIXES):
        return False
    return not (kind == "index" and name is not None and name.endswith("_search"))


def test_upgrade_from_empty_to_head_and_back(database_url: str) -> None:
    with Store.connect(database_url) as store:
        assert store.revision() is None
        assert _tables(store) == set()

        store.upgrade()
        assert store.revision() == head_revision()
        assert _tables(store) == set(metadata.tables)

        store.downgrade("base")
        assert store.revision() is None
        assert _tables(store) == set()

        store.upgrade()  # and up again, from a database that had been downgraded
        assert store.revision() == head_revision()


def test_migrated_schema_matches_the_tables_in_code(database_url: str) -> None:
    with Store.open(database_url) as store, store.engine.connect() as connection:
        opts = {"compare_type": True, "include_name": _described}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_opening_a_migrated_store_keeps_its_data(database_url: str) -> None:
    from digests.model import Feed

    with Store.open(database_url) as store:
        store.add_feed(Feed(url="https://example.org/feed"))
    with Store.open(database_url) as store:  # a second start migrates nothing, loses nothing
        assert store.revision() == head_revision()
        assert [feed.url for feed in store.list_feeds()] == ["https://example.org/feed"]


def test_the_head_revision_in_code_is_the_newest_migration_script() -> None:
    # Starting skips Alembic when the database is at _migrate.HEAD: it must be the real head.
    assert head_revision() == _migrate.HEAD


def test_0006_dates_the_positions_of_undated_articles(database_url: str) -> None:
    from digests.model import UTC, Article, Position, Stance
    from digests.store._tables import feeds

    seen = dt.datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    published = dt.datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    with Store.connect(database_url) as store:
        store.upgrade("0005")  # 0006 changes no table: the store's methods work on 0005 ...
        with store.engine.begin() as db:  # ... but for feeds, which 0011 gives a column
            feed_row = feeds.insert().values(
                url="https://news.example/feed.xml",
                full_text="auto",
                enabled=True,
                added_at=seen,
                failure_count=0,
            )
            feed_id = db.execute(feed_row).inserted_primary_key[0]
        articles = [
            Article(feed_id=feed_id, key=key, title=key, published_at=date, first_seen_at=seen)
            for key, date in (("undated", None), ("dated", published))
        ]
        ids = store.save_entries(feed_id, articles).added
        for article_id in ids:
            position = Position(
                article_id=article_id,
                actor_key="russia",
                stance=Stance.REJECT,
                claim="c",
                evidence="e",
            )
            store.replace_analysis(
                article_id, actors=[], topics=[], found=[position], analysed_at=seen
            )
        store.upgrade()
        dates = [store.positions_of_article(article_id)[0].stated_at for article_id in ids]
    assert dates == [seen, published]
