"""`search(query, since)`: stored articles and positions that hold every word of a query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from digests.store import Store
from digests.store._search import (
    ArticleHit,
    PositionHit,
    query_words,
    search_articles,
    search_positions,
)

#: Most articles and most positions an answer lists.
SEARCH_LIMIT = 10


class EmptyQueryError(ValueError):
    """A query with no word in it."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    since: dt.datetime
    articles: tuple[ArticleHit, ...]
    positions: tuple[PositionHit, ...]

    @property
    def empty(self) -> bool:
        return not self.articles and not self.positions


def search(store: Store, query: str, since: dt.datetime, limit: int = SEARCH_LIMIT) -> SearchResult:
    """The best articles and positions for ``query`` since ``since``; a query with no word
    in it is an :class:`EmptyQueryError`."""
    if not query_words(query):
        raise EmptyQueryError("give at least one word to search for")
    return SearchResult(
        query=query.strip(),
        since=since,
        articles=tuple(search_articles(store, query, since, limit)),
        positions=tuple(search_positions(store, query, since, limit)),
    )
