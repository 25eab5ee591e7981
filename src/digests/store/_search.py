"""Full-text search over stored articles and positions, on each backend's own index.

SQLite answers from the FTS5 tables of migration 0005 (ranked by bm25), PostgreSQL from the GIN
indexes over the English tsvector of the same columns (ranked by ts_rank). A query is words, as
a person types them: every word must occur (in any form the stemmer joins: "sanction" finds
"sanctions"); quotes, operators and punctuation in it are dropped, never read as syntax.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from digests.model import Article, Position
from digests.store._store import Store, _article, _position
from digests.store._tables import articles, feeds, positions

#: The tables migration 0005 adds on SQLite (FTS5 and its shadow tables); they are not in the
#: metadata of ``_tables.py``.
SEARCH_TABLE_PREFIXES = ("articles_fts", "positions_fts")
_WORD = re.compile(r"\w+")
#: What each table's index covers (the same expression as the PostgreSQL index of 0005).
_DOCUMENTS = {
    "articles": "articles.title || ' ' || articles.\"text\"",
    "positions": "positions.claim || ' ' || positions.evidence",
}


@dataclass(frozen=True, slots=True)
class ArticleHit:
    article: Article
    feed_title: str | None


@dataclass(frozen=True, slots=True)
class PositionHit:
    position: Position
    article: Article
    feed_title: str | None


def query_words(query: str) -> list[str]:
    """The words of a typed query, lower case; what is not a word is dropped."""
    return [word.lower() for word in _WORD.findall(query)]


def search_articles(store: Store, query: str, since: dt.datetime, limit: int) -> list[ArticleHit]:
    """Articles first seen at ``since`` or later that hold every word of ``query``, best
    first."""
    words = query_words(query)
    if not words:
        return []
    ranked = _ranked(store, articles, words).where(articles.c.first_seen_at >= since)
    ids = [row.id for row in _rows(store, ranked.limit(limit))]
    found = _articles(store, ids)
    return [ArticleHit(*found[i]) for i in ids if i in found]


def search_positions(store: Store, query: str, since: dt.datetime, limit: int) -> list[PositionHit]:
    """Positions from articles first seen at ``since`` or later whose claim or evidence holds
    every word of ``query``, best first."""
    words = query_words(query)
    if not words:
        return []
    ranked = (
        _ranked(store, positions, words)
        .join(articles, articles.c.id == positions.c.article_id)
        .where(articles.c.first_seen_at >= since)
    )
    ids = [row.id for row in _rows(store, ranked.limit(limit))]
    rows = {
        r.id: _position(r) for r in _rows(store, positions.select().where(positions.c.id.in_(ids)))
    }
    found = _articles(store, [p.article_id for p in rows.values()])
    return [
        PositionHit(rows[i], *found[rows[i].article_id])
        for i in ids
        if i in rows and rows[i].article_id in found
    ]


def _ranked(store: Store, table: sa.Table, words: list[str]) -> sa.Select[tuple[int]]:
    """The ids of ``table``'s rows that hold every word, best first."""
    if store.engine.dialect.name == "sqlite":
        fts = sa.table(f"{table.name}_fts", sa.column("rowid"), sa.column("rank"))
        phrase = " ".join(f'"{word}"' for word in words)  # words only: no FTS5 syntax
        match = sa.text(f"{table.name}_fts MATCH :phrase").bindparams(phrase=phrase)
        return (
            sa.select(table.c.id)
            .join(fts, fts.c.rowid == table.c.id)
            .where(match)
            .order_by(fts.c.rank, table.c.id.desc())  # bm25: lower is better
        )
    vector = f"to_tsvector('english', {_DOCUMENTS[table.name]})"
    query = "plainto_tsquery('english', :phrase)"
    phrase = " ".join(words)
    return (
        sa.select(table.c.id)
        .where(sa.text(f"{vector} @@ {query}").bindparams(phrase=phrase))
        .order_by(
            sa.text(f"ts_rank({vector}, {query}) DESC").bindparams(phrase=phrase),
            table.c.id.desc(),
        )
    )


def _rows(
    store: Store, select: sa.Select[tuple[int]] | sa.Select[object]
) -> Sequence[sa.Row[object]]:
    with store._begin(write=False) as db:
        return db.execute(select).all()


def _articles(store: Store, ids: Sequence[int]) -> dict[int, tuple[Article, str | None]]:
    """Articles by id, with their feed's title."""
    found = [_article(row) for row in _rows(store, articles.select().where(articles.c.id.in_(ids)))]
    feed_ids = {article.feed_id for article in found}
    titles = {
        row.id: row.title
        for row in _rows(
            store, sa.select(feeds.c.id, feeds.c.title).where(feeds.c.id.in_(feed_ids))
        )
    }
    return {article.id: (article, titles.get(article.feed_id)) for article in found if article.id}
