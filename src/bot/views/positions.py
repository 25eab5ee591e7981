"""Views built from the library's answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.views._types import (
    ALERT_STATEMENTS_SHOWN,
    AlertView,
    ErrorView,
    PositionItemView,
    PositionsView,
    SourceView,
    StanceChangeView,
    TopicSectionView,
)
from digests.compose import (
    PositionItem,
    PositionsResult,
    UnknownActorError,
    UnknownFeedError,
    UnknownTopicError,
    WatchedStatement,
)


def positions_view(result: PositionsResult) -> PositionsView:
    actor = result.actor
    return PositionsView(
        actor=actor.name,
        actor_id=actor.key,
        actor_kind=str(actor.kind),
        resolved_from=result.match.typed,
        approximate=not result.match.exact,
        topic=result.topic.name if result.topic is not None else None,
        since=result.since,
        until=result.until,
        sections=tuple(
            TopicSectionView(
                topic=section.topic.name if section.topic is not None else None,
                topic_id=section.topic.key if section.topic is not None else None,
                items=position_item_views(section.items),
            )
            for section in result.sections
        ),
        about=position_item_views(result.about),
        changes=tuple(
            StanceChangeView(
                topic=change.topic.name,
                topic_id=change.topic.key,
                before=str(change.before),
                before_at=change.before_at,
                now=str(change.now),
                now_at=change.now_at,
                claim=change.now_claim,
            )
            for change in result.changes
        ),
        truncated=result.truncated,
    )


def alert_view(
    statements: Sequence[WatchedStatement], actor_name: str, actor_id: str, *, articles: int = 1
) -> AlertView:
    """A watched actor's new statements (one or more, oldest first) as one alert: a change of
    stance leads, at most :data:`ALERT_STATEMENTS_SHOWN` are listed and the rest counted."""
    assert statements, "an alert tells at least one statement"
    ordered = sorted(statements, key=lambda statement: statement.change is None)  # stable
    shown = ordered[:ALERT_STATEMENTS_SHOWN]
    items = position_item_views(statement.item for statement in shown)
    change = shown[0].change
    return AlertView(
        actor=actor_name,
        actor_id=actor_id,
        item=items[0],
        change=None
        if change is None
        else StanceChangeView(
            topic=change.topic.name,
            topic_id=change.topic.key,
            before=str(change.before),
            before_at=change.before_at,
            now=str(change.now),
            now_at=change.now_at,
            claim=change.now_claim,
        ),
        others=items[1:],
        more=len(ordered) - len(shown),
        articles=articles,
    )


def position_item_views(items: Iterable[PositionItem]) -> tuple[PositionItemView, ...]:
    """Statements as views (the positions lookup's and a digest's)."""
    return tuple(
        PositionItemView(
            stance=str(item.stance),
            claim=item.claim,
            actor=item.actor_name,
            speaker=item.speaker,
            speaker_role=item.speaker_role,
            target=item.target_name,
            topic=item.topic_name,
            stated_at=item.stated_at,
            sources=tuple(
                SourceView(outlet=source.outlet, url=source.url, published=source.published)
                for source in item.sources
            ),
        )
        for item in items
    )


def error_view(error: UnknownActorError | UnknownTopicError | UnknownFeedError) -> ErrorView:
    """An unknown actor, topic or feed, with what might have been meant."""
    if isinstance(error, UnknownActorError):
        return ErrorView(
            message=f"no actor called {error.key!r}",
            suggestions=tuple(actor.name for actor in error.suggestions),
            hint="give a country, organisation, group or person by name, alias, demonym "
            "or ISO code (russia, US, Russian, zelensky)",
        )
    if isinstance(error, UnknownFeedError):
        return ErrorView(
            message=f"no feed called {error.key!r}",
            suggestions=error.suggestions,
            hint="give a feed's title, URL or host (`newsdigest feeds list` shows them)",
        )
    return ErrorView(
        message=f"no topic called {error.key!r}",
        suggestions=error.suggestions,
        hint="give a topic id of config/topics.toml (ceasefire, sanctions, nuclear, ...)",
    )
