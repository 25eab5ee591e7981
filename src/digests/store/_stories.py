"""The store's queries for story clustering and story listings (digests.compose._stories).

Plain functions taking the ``Store``: the stories table and ``Store.add_story`` /
``update_story`` / ``get_story`` / ``story_articles`` live in ``_store.py``; what only the
clustering and the listings need lives here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from digests.model import Article, Position, Story
from digests.store._store import Store, _article, _position, _story
from digests.store._tables import (
    actor_mentions,
    articles,
    feeds,
    positions,
    stories,
    topic_mentions,
)


@dataclass(frozen=True, slots=True)
class AnalysedArticle:
    """An analysed article with the keys of the actors and topics the analysis found in it."""

    article: Article
    actors: frozenset[str]
    topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class SourcedArticle:
    """A story's article with its feed's title and URL (the outlet)."""

    article: Article
    feed_title: str | None
    feed_url: str


def analysed_articles_since(store: Store, since: dt.datetime) -> list[AnalysedArticle]:
    """Articles first seen at ``since`` or later whose analysis succeeded, with their actors and
    topics, oldest first (by first sight, then id)."""
    wanted = (
        sa.select(articles)
        .where(
            articles.c.first_seen_at >= since,
            articles.c.analysed_at.is_not(None),
            articles.c.analysis_error.is_(None),
        )
        .order_by(articles.c.first_seen_at, articles.c.id)
    )
    ids = wanted.with_only_columns(articles.c.id).order_by(None)
    actor_keys: dict[int, set[str]] = defaultdict(set)
    topic_keys: dict[int, set[str]] = defaultdict(set)
    with store._begin(write=False) as db:
        found = [_article(row) for row in db.execute(wanted)]
        if not found:
            return []
        actors_query = sa.select(actor_mentions.c.article_id, actor_mentions.c.actor_key)
        for article_id, key in db.execute(actors_query.where(actor_mentions.c.article_id.in_(ids))):
            actor_keys[article_id].add(key)
        topics_query = sa.select(topic_mentions.c.article_id, topic_mentions.c.topic_key)
        for article_id, key in db.execute(topics_query.where(topic_mentions.c.article_id.in_(ids))):
            topic_keys[article_id].add(key)
    return [
        AnalysedArticle(
            article,
            frozenset(actor_keys.get(_id(article), ())),
            frozenset(topic_keys.get(_id(article), ())),
        )
        for article in found
    ]


def stories_updated_since(
    store: Store, since: dt.datetime | None = None, *, limit: int | None = None
) -> list[Story]:
    """Stories with a report at ``since`` or later, newest first (by their latest report)."""
    query = sa.select(stories).order_by(stories.c.updated_at.desc(), stories.c.id.desc())
    if since is not None:
        query = query.where(stories.c.updated_at >= since)
    if limit is not None:
        query = query.limit(limit)
    return store._all(query, _story)


def stories_sources(store: Store, story_ids: Sequence[int]) -> dict[int, list[SourcedArticle]]:
    """Each story's articles with their feeds, earliest first (by first sight, then id)."""
    found: dict[int, list[SourcedArticle]] = defaultdict(list)
    if not story_ids:
        return found
    query = (
        sa.select(articles)
        .where(articles.c.story_id.in_(list(story_ids)))
        .order_by(articles.c.first_seen_at, articles.c.id)
    )
    with store._begin(write=False) as db:
        members = [_article(row) for row in db.execute(query)]
        feed_ids = {article.feed_id for article in members}
        outlets = {
            row.id: (row.title, row.url)
            for row in db.execute(
                sa.select(feeds.c.id, feeds.c.title, feeds.c.url).where(feeds.c.id.in_(feed_ids))
            )
        }
    for article in members:
        assert article.story_id is not None
        title, url = outlets[article.feed_id]
        found[article.story_id].append(SourcedArticle(article, title, url))
    return found


def stories_mentions(
    store: Store, story_ids: Sequence[int]
) -> tuple[dict[int, list[tuple[str, int]]], dict[int, list[tuple[str, int]]]]:
    """Each story's actors and topics with the number of its articles mentioning each, most
    mentioned first (then by key)."""
    result: list[dict[int, list[tuple[str, int]]]] = []
    for table, column in (
        (actor_mentions, actor_mentions.c.actor_key),
        (topic_mentions, topic_mentions.c.topic_key),
    ):
        articles_of = sa.func.count(table.c.article_id).label("articles_")
        query = (
            sa.select(articles.c.story_id, column, articles_of)
            .join(articles, articles.c.id == table.c.article_id)
            .where(articles.c.story_id.in_(list(story_ids)))
            .group_by(articles.c.story_id, column)
            .order_by(articles.c.story_id, articles_of.desc(), column)
        )
        counted: dict[int, list[tuple[str, int]]] = defaultdict(list)
        if story_ids:
            with store._begin(write=False) as db:
                for story_id, key, count in db.execute(query):
                    counted[story_id].append((key, int(count)))
        result.append(counted)
    return result[0], result[1]


def stories_positions(store: Store, story_ids: Sequence[int]) -> dict[int, list[Position]]:
    """Each story's positions (those of all its articles), in the order they were stored."""
    found: dict[int, list[Position]] = defaultdict(list)
    if not story_ids:
        return found
    members = sa.select(articles.c.id, articles.c.story_id).where(
        articles.c.story_id.in_(list(story_ids))
    )
    with store._begin(write=False) as db:
        story_of = {row.id: row.story_id for row in db.execute(members)}
        query = (
            sa.select(positions)
            .where(positions.c.article_id.in_(members.with_only_columns(articles.c.id)))
            .order_by(positions.c.id)
        )
        for row in db.execute(query):
            position = _position(row)
            found[story_of[position.article_id]].append(position)
    return found


def _id(article: Article) -> int:
    assert article.id is not None
    return article.id
