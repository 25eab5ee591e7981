"""Digest and story views built from digests.compose's records."""

from __future__ import annotations

from bot.views._types import (
    DigestSectionView,
    DigestView,
    FeedNoticeView,
    SourceView,
    StoryView,
)
from bot.views.positions import position_item_views
from digests.compose import Digest, DigestStory


def digest_view(digest: Digest) -> DigestView:
    filters = digest.filters
    return DigestView(
        since=digest.since,
        until=digest.until,
        actors=tuple(actor.name for actor in digest.actors),
        topics=tuple(topic.name for topic in digest.topics),
        feeds=digest.feeds,
        keywords=filters.keywords,
        exclude_keywords=filters.exclude_keywords,
        sections=tuple(
            DigestSectionView(
                topic=section.topic.name if section.topic is not None else None,
                topic_id=section.topic.key if section.topic is not None else None,
                stories=tuple(story_view(story) for story in section.stories),
            )
            for section in digest.sections
        ),
        positions_of_the_day=position_item_views(digest.positions_of_the_day),
        feed_notices=tuple(
            FeedNoticeView(
                outlet=notice.outlet,
                url=notice.url,
                trouble=str(notice.trouble),
                error=notice.error,
                last_success_at=notice.last_success_at,
            )
            for notice in digest.feed_notices
        ),
        matching_stories=digest.matching_stories,
    )


def story_view(story: DigestStory) -> StoryView:
    return StoryView(
        story_id=story.story_id,
        headline=story.headline,
        summary=story.summary,
        topic=story.topic.name if story.topic is not None else None,
        topic_id=story.topic.key if story.topic is not None else None,
        actors=tuple(actor.name for actor in story.actors),
        sources=tuple(
            SourceView(outlet=source.outlet, url=source.url, published=source.published)
            for source in story.sources
        ),
        independent_sources=story.independent_sources,
        updated_at=story.updated_at,
        positions=position_item_views(story.positions),
    )
