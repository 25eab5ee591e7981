"""Views of a channel's settings and of what the bot knows: subscriptions, watches, feeds,
actors, topics, commands. Built from the library's records; wording for people, data for
renderers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.views._types import FieldView, ListItemView, ListView, NoticeView
from digests.model import DAY_NAMES, EVERY_DAY, WEEKDAYS, Actor, Feed, Subscription, Watch
from digests.vocab import TopicEntry, Vocabulary

_DAY_WORDS = {WEEKDAYS: "weekdays", EVERY_DAY: "every day", frozenset({5, 6}): "weekends"}


def describe_days(days: frozenset[int]) -> str:
    """ "weekdays", "every day", "weekends", or "Mon, Wed, Fri"."""
    return _DAY_WORDS.get(days) or ", ".join(DAY_NAMES[day] for day in sorted(days))


def subscription_fields(
    subscription: Subscription, vocabulary: Vocabulary, next_at: dt.datetime
) -> tuple[FieldView, ...]:
    """A subscription's settings as fields: when, what, and the next delivery."""
    wanted = subscription.filters
    local = subscription.local_time.strftime("%H:%M")
    fields = [
        FieldView(
            name="When",
            value=f"{local} {subscription.timezone}, {describe_days(subscription.days)}",
        ),
        FieldView(name="Next digest", value=next_at.strftime("%Y-%m-%d %H:%M UTC"), when=next_at),
        FieldView(name="Actors", value=_names(vocabulary, wanted.actors) or "all"),
        FieldView(name="Topics", value=_topics(vocabulary, wanted.topics) or "all"),
        FieldView(name="Feeds", value=", ".join(wanted.feeds) or "all"),
    ]
    if wanted.keywords or wanted.exclude_keywords:
        words = [*wanted.keywords, *(f"-{word}" for word in wanted.exclude_keywords)]
        fields.append(FieldView(name="Keywords", value=", ".join(words)))
    return tuple(fields)


def subscription_notice(
    subscription: Subscription,
    vocabulary: Vocabulary,
    next_at: dt.datetime,
    *,
    where: str,
    new: bool,
) -> NoticeView:
    verb = "Subscribed" if new else "Updated the digest of"
    return NoticeView(
        title=f"{verb} {where}",
        lines=("Run /subscribe again to change any of these; /unsubscribe stops it.",),
        fields=subscription_fields(subscription, vocabulary, next_at),
        tone="done",
    )


def subscriptions_list(
    found: Sequence[tuple[Subscription, dt.datetime]], vocabulary: Vocabulary, *, title: str
) -> ListView:
    return ListView(
        title=title,
        items=tuple(
            ListItemView(
                title=f"Channel {subscription.channel_id}",
                channel_id=subscription.channel_id,
                fields=subscription_fields(subscription, vocabulary, next_at),
            )
            for subscription, next_at in found
        ),
        empty_text="No digest subscription here: /subscribe starts one.",
    )


def watch_title(watch: Watch, vocabulary: Vocabulary) -> str:
    actor = _names(vocabulary, (watch.actor_key,))
    topic = f" on {_topics(vocabulary, [watch.topic_key])}" if watch.topic_key else ""
    return f"{actor}{topic}"


def watches_list(
    watches: Sequence[Watch], vocabulary: Vocabulary, *, title: str = "Watches in this channel"
) -> ListView:
    return ListView(
        title=title,
        items=tuple(
            ListItemView(
                title=watch_title(watch, vocabulary),
                key=watch.actor_key if watch.topic_key is None else None,
                detail="a post here when it states something new or changes its stance",
            )
            for watch in watches
        ),
        empty_text="Nothing is watched here: /watch ACTOR starts.",
    )


def feeds_list(feeds: Sequence[Feed], *, with_status: bool) -> ListView:
    return ListView(
        title="Feed status" if with_status else "Feeds",
        items=tuple(_feed_item(feed, with_status=with_status) for feed in feeds),
        empty_text="No feeds yet: /feeds add URL adds one.",
    )


def _feed_item(feed: Feed, *, with_status: bool) -> ListItemView:
    state = "polled" if feed.enabled else f"stopped: {feed.disabled_reason or 'by a user'}"
    fields: tuple[FieldView, ...] = ()
    if with_status:
        fields = (
            FieldView(name="State", value=state),
            _moment("Last success", feed.last_success_at, "never"),
            _moment("Next poll", feed.next_check_at if feed.enabled else None, "not polled"),
        )
        if feed.last_error:
            error = f"{feed.last_error} ({feed.failure_count} in a row)"
            fields = (*fields, FieldView(name="Last error", value=error))
    return ListItemView(
        title=feed.title or feed.url,
        key=str(feed.id),
        detail=None if with_status or feed.enabled else state,
        url=feed.url,
        fields=fields,
    )


def feed_notice(feed: Feed) -> NoticeView:
    """A feed newsdigest stopped polling: its channels' digests lack its news from now on."""
    return NoticeView(
        title=f"Feed stopped: {feed.title or feed.url}",
        lines=(
            f"newsdigest stopped polling it: {feed.disabled_reason or 'it kept failing'}.",
            "Digests here lack its news until the feed is fixed or added again.",
        ),
        fields=(
            FieldView(name="Address", value=feed.url),
            _moment("Last success", feed.last_success_at, "never"),
        ),
        tone="warning",
    )


def _moment(name: str, when: dt.datetime | None, otherwise: str) -> FieldView:
    if when is None:
        return FieldView(name=name, value=otherwise)
    return FieldView(name=name, value=when.strftime("%Y-%m-%d %H:%M UTC"), when=when)


def actors_list(actors: Sequence[Actor], vocabulary: Vocabulary, *, query: str | None) -> ListView:
    return ListView(
        title=f"Actors like {query!r}" if query else "Actors",
        items=tuple(
            ListItemView(title=actor.name, key=actor.key, detail=_actor_detail(actor, vocabulary))
            for actor in actors
        ),
        empty_text=f"No actor is called anything like {query!r}."
        if query
        else "The vocabulary has no actors.",
        footer=None if query else "Give a name to search: /actors zelensky",
    )


def _actor_detail(actor: Actor, vocabulary: Vocabulary) -> str:
    kind = str(actor.kind).replace("_", " ")
    if actor.speaks_for and actor.speaks_for in vocabulary.actors:
        role = f"{actor.role} of " if actor.role else "speaks for "
        return f"{kind}, {role}{vocabulary.actors[actor.speaks_for].name}"
    return kind


def topics_list(entries: Sequence[TopicEntry]) -> ListView:
    return ListView(
        title="Topics",
        items=tuple(
            ListItemView(
                title=entry.label,
                key=entry.topic.key,
                detail=", ".join(entry.cues[:4]) if entry.cues else None,
            )
            for entry in entries
        ),
        empty_text="The vocabulary has no topics.",
    )


def _names(vocabulary: Vocabulary, keys: Sequence[str]) -> str:
    return ", ".join(
        vocabulary.actors[key].name if key in vocabulary.actors else key for key in keys
    )


def _topics(vocabulary: Vocabulary, keys: Sequence[str]) -> str:
    return ", ".join(
        vocabulary.topics[key].label if key in vocabulary.topics else key for key in keys
    )
