"""The search view, built from the library's search result."""

from __future__ import annotations

from bot.views._types import ArticleHitView, PositionItemView, SearchView, SourceView
from digests.compose import SearchResult
from digests.store._search import ArticleHit, PositionHit
from digests.vocab import Vocabulary


def search_view(result: SearchResult, vocabulary: Vocabulary) -> SearchView:
    return SearchView(
        query=result.query,
        since=result.since,
        articles=tuple(_article(hit) for hit in result.articles),
        positions=tuple(_position(hit, vocabulary) for hit in result.positions),
    )


def _source(hit: ArticleHit | PositionHit) -> SourceView:
    article = hit.article
    return SourceView(
        outlet=hit.feed_title or "an unnamed feed",
        url=article.url,
        published=article.published_at or article.first_seen_at,
    )


def _article(hit: ArticleHit) -> ArticleHitView:
    article = hit.article
    summary = " ".join(article.analysis_summary) or article.summary or None
    return ArticleHitView(title=article.title, source=_source(hit), summary=summary)


def _position(hit: PositionHit, vocabulary: Vocabulary) -> PositionItemView:
    position = hit.position

    def name(key: str | None) -> str | None:
        if key is None:
            return None
        actor = vocabulary.actors.get(key)
        return actor.name if actor is not None else key

    topic = vocabulary.topics.get(position.topic_key) if position.topic_key else None
    return PositionItemView(
        stance=str(position.stance),
        claim=position.claim,
        actor=name(position.actor_key) or position.actor_key,
        speaker=position.speaker,
        speaker_role=position.speaker_role,
        target=name(position.target_key),
        topic=topic.label if topic is not None else None,
        stated_at=position.stated_at or hit.article.first_seen_at,
        sources=(_source(hit),),
    )
