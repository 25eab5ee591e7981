"""Digests: the top stories of a window for a subscription's filters, grouped by topic, with
their key positions, the positions of the day, and the feeds that failed or went stale.

**Window.** A subscription's digest covers ``[its last delivered digest, now)``, never more than
``DigestSettings.max_window_hours`` (:func:`digest_window`); the last delivery is read from the
store, so a restart changes nothing. An ad hoc digest (the CLI's) takes any window.

**Which stories.** Those with a report in the window (``stories.updated_at``) that pass the
filters. Within a kind of filter any value matches; across kinds all must: an actor (the actor,
or one who speaks for it, mentioned or stating a position in the story), a topic (or one of its
sub-topics), a feed (one of the story's reports comes from it), a keyword (a whole word or
phrase of the headline, summary or a report's title); no excluded keyword may occur there.

**Ranking.** ``independent sources + 0.5 x recency + 0.5 x match``: the distinct feeds that
reported the story, then how late in the window its latest report is (0 to 1), then the share
of the filter's actors, topics and keywords it matches (0 to 1). One more independent source
outweighs both. The best ``max_stories`` are grouped by their main topic (the one most of their
articles have), groups in the order of their best story.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from digests.compose._positions import SAME_CLAIM, PositionItem, Source, normalise_claim
from digests.compose._resolve import MAX_SUGGESTIONS, ActorResolver, resolve_topic
from digests.compose._stories import StoryPosition, article_time, merge_positions
from digests.errors import NotFoundError
from digests.model import (
    Actor,
    ActorKind,
    Feed,
    Position,
    Stance,
    Story,
    SubscriptionFilters,
    Topic,
    utc_now,
)
from digests.settings import DigestSettings
from digests.store import Store
from digests.store._digests import last_digest_delivered_at
from digests.store._stories import (
    SourcedArticle,
    stories_mentions,
    stories_positions,
    stories_sources,
    stories_updated_since,
)
from digests.vocab import Vocabulary

#: Weights of the ranking: one more independent source outweighs both of these together.
RECENCY_WEIGHT = 0.5
MATCH_WEIGHT = 0.5
#: A feed's outlet is suggested for a typed name scoring at least this (rapidfuzz WRatio).
_SUGGEST_FEED = 60.0


class UnknownFeedError(NotFoundError):
    """No stored feed answers to what was typed; ``suggestions`` are the closest outlets."""

    def __init__(self, typed: str, suggestions: Iterable[str]) -> None:
        self.suggestions = tuple(suggestions)
        close = f"did you mean: {', '.join(self.suggestions)}? " if self.suggestions else ""
        super().__init__(typed, f"unknown feed; {close}give a feed's title, URL or host")

    def __str__(self) -> str:
        return f"{self.key!r}: {self.message}"


class FeedTrouble(enum.StrEnum):
    """Why a feed may have been silent."""

    FAILING = "failing"  # its last poll failed
    DISABLED = "disabled"  # polling stopped (410 Gone, too many failures)
    STALE = "stale"  # no successful poll for ``stale_after_hours``


@dataclass(frozen=True, slots=True)
class FeedNotice:
    """A feed that failed or went stale: its news may be missing from the digest."""

    outlet: str
    url: str
    trouble: FeedTrouble
    error: str | None
    last_success_at: dt.datetime | None
    failure_count: int


@dataclass(frozen=True, slots=True)
class DigestStory:
    """One story of a digest."""

    story_id: int
    headline: str
    summary: str
    #: Its main topic (None: no topic found), and all its topics, most reported first.
    topic: Topic | None
    topics: tuple[Topic, ...]
    actors: tuple[Actor, ...]
    #: Every report: outlet, link, date; earliest first.
    sources: tuple[Source, ...]
    #: Distinct feeds that reported it.
    independent_sources: int
    first_seen_at: dt.datetime
    updated_at: dt.datetime
    #: Its key statements: stances other than plain claims first, then the most reported.
    positions: tuple[PositionItem, ...]
    score: float


@dataclass(frozen=True, slots=True)
class DigestSection:
    """The digest's stories whose main topic is ``topic`` (None: no topic found)."""

    topic: Topic | None
    stories: tuple[DigestStory, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """A digest: structure only, no wording."""

    since: dt.datetime
    until: dt.datetime
    filters: SubscriptionFilters
    #: The filters as resolved: the actors and topics named, the feeds' outlets.
    actors: tuple[Actor, ...]
    topics: tuple[Topic, ...]
    feeds: tuple[str, ...]
    sections: tuple[DigestSection, ...]
    positions_of_the_day: tuple[PositionItem, ...]
    feed_notices: tuple[FeedNotice, ...]
    #: Stories of the window that passed the filters (the digest holds the best of them).
    matching_stories: int

    @property
    def stories(self) -> tuple[DigestStory, ...]:
        return tuple(story for section in self.sections for story in section.stories)

    @property
    def empty(self) -> bool:
        return not self.sections


@dataclass(frozen=True, slots=True)
class DigestWindow:
    """The window a subscription's next digest covers: ``[start, end)``."""

    start: dt.datetime
    end: dt.datetime
    #: When its last digest was delivered (None: never).
    last_delivered_at: dt.datetime | None
    #: The window was cut to the maximum (never delivered, or delivered long ago).
    capped: bool


def digest_window(
    store: Store,
    subscription_id: int,
    settings: DigestSettings,
    *,
    now: dt.datetime | None = None,
) -> DigestWindow:
    """Since the subscription's last delivered digest (as stored), at most
    ``settings.max_window_hours``."""
    end = now or utc_now()
    longest = end - dt.timedelta(hours=settings.max_window_hours)
    last = last_digest_delivered_at(store, subscription_id)
    capped = last is None or last < longest
    start = longest if last is None or capped else last
    return DigestWindow(start=start, end=end, last_delivered_at=last, capped=capped)


def resolve_feeds(feeds: Sequence[Feed], typed: str) -> list[Feed]:
    """The stored feeds ``typed`` names: by id, title or URL exactly, else every feed whose
    title or host contains it; raise :class:`UnknownFeedError` with the closest outlets."""
    query = typed.strip().casefold()
    exact = [
        feed
        for feed in feeds
        if query in {str(feed.id), (feed.title or "").casefold(), feed.url.casefold()}
    ]
    if exact:
        return exact
    found = [
        feed
        for feed in feeds
        if query and (query in (feed.title or "").casefold() or query in _host(feed.url))
    ]
    if found:
        return found
    names = {_outlet(feed): feed for feed in feeds}
    close = process.extract(
        query,
        list(names),
        scorer=fuzz.WRatio,
        processor=str.casefold,
        limit=MAX_SUGGESTIONS,
    )
    raise UnknownFeedError(
        typed.strip(), [name for name, score, _ in close if score >= _SUGGEST_FEED]
    )


def compose_digest(
    store: Store,
    vocabulary: Vocabulary,
    filters: SubscriptionFilters,
    window_start: dt.datetime,
    window_end: dt.datetime,
    *,
    settings: DigestSettings,
    resolver: ActorResolver | None = None,
) -> Digest:
    """The digest of ``[window_start, window_end)`` for ``filters``.

    Actors, topics and feeds of the filters are resolved here (raising ``UnknownActorError``,
    ``UnknownTopicError`` or :class:`UnknownFeedError`); pass a ``resolver`` to reuse one.
    """
    if window_end <= window_start:
        raise ValueError("the window must end after it starts")
    snapshot = DigestSnapshot.read(store, vocabulary, window_start, window_end)
    return snapshot.compose(filters, window_start, window_end, settings=settings, resolver=resolver)


def compose_digests(
    store: Store,
    vocabulary: Vocabulary,
    requests: Sequence[tuple[SubscriptionFilters, dt.datetime, dt.datetime]],
    *,
    settings: DigestSettings,
    resolver: ActorResolver | None = None,
) -> list[Digest]:
    """The digests of many ``(filters, window_start, window_end)``, in order, each the same as
    :func:`compose_digest` would give, from one read of the store (:class:`DigestSnapshot`).

    The first filter that fails to resolve raises, as in :func:`compose_digest`; to go on past
    one, read a snapshot and call :meth:`DigestSnapshot.compose` for each.
    """
    if not requests:
        return []
    for _filters, start, end in requests:
        if end <= start:
            raise ValueError("the window must end after it starts")
    snapshot = DigestSnapshot.read(
        store,
        vocabulary,
        min(start for _f, start, _e in requests),
        max(end for _f, _s, end in requests),
    )
    resolver = resolver or ActorResolver(vocabulary)
    return [
        snapshot.compose(filters, start, end, settings=settings, resolver=resolver)
        for filters, start, end in requests
    ]


class DigestSnapshot:
    """The stories of a span of time as the store holds them (their reports and outlets,
    actors, topics and positions) and the feeds, read once, to compose many digests of windows
    within ``[start, end)`` (:meth:`compose`). Digests composed from it are those
    :func:`compose_digest` gives while the store does not change."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        start: dt.datetime,
        end: dt.datetime,
        *,
        stories: Sequence[Story],
        sources: Mapping[int, list[SourcedArticle]],
        mentioned_actors: Mapping[int, Sequence[tuple[str, int]]],
        mentioned_topics: Mapping[int, Sequence[tuple[str, int]]],
        said: Mapping[int, Sequence[Position]],
        feeds: Sequence[Feed],
    ) -> None:
        self.vocabulary = vocabulary
        self.start = start
        self.end = end
        self.feeds = list(feeds)
        #: Newest first (by latest report, then id), as the store lists them.
        self._candidates = [
            _Candidate(
                story=story,
                sources=sources.get(_story_id(story), []),
                actors=[key for key, _count in mentioned_actors.get(_story_id(story), ())],
                topics=[key for key, _count in mentioned_topics.get(_story_id(story), ())],
                positions=merge_positions(said.get(_story_id(story), ())),
            )
            for story in stories
        ]
        # Which candidates (by index) have an actor, a topic, a feed: to find quickly the few a
        # filter can match; the filter itself (_Match.share) still decides.
        self._by_actor: dict[str, set[int]] = defaultdict(set)
        self._by_topic: dict[str, set[int]] = defaultdict(set)
        self._by_feed: dict[int, set[int]] = defaultdict(set)
        for index, candidate in enumerate(self._candidates):
            for key in candidate.actor_keys:
                self._by_actor[key].add(index)
            for key in candidate.topic_keys:
                self._by_topic[key].add(index)
            for feed_id in candidate.feed_ids:
                self._by_feed[feed_id].add(index)
        self._speakers: dict[str, frozenset[str]] = {}
        self._subtopics: dict[str, frozenset[str]] = {}
        self._windows: dict[tuple[dt.datetime, dt.datetime], list[int]] = {}
        self._of_the_day: dict[tuple[object, ...], tuple[PositionItem, ...]] = {}
        self._notices: dict[tuple[object, ...], tuple[FeedNotice, ...]] = {}

    @classmethod
    def read(
        cls, store: Store, vocabulary: Vocabulary, start: dt.datetime, end: dt.datetime
    ) -> DigestSnapshot:
        """The stories with a report in ``[start, end)``, and the feeds."""
        if end <= start:
            raise ValueError("the window must end after it starts")
        found = [story for story in stories_updated_since(store, start) if story.updated_at < end]
        ids = [_story_id(story) for story in found]
        mentioned_actors, mentioned_topics = stories_mentions(store, ids)
        return cls(
            vocabulary,
            start,
            end,
            stories=found,
            sources=stories_sources(store, ids),
            mentioned_actors=mentioned_actors,
            mentioned_topics=mentioned_topics,
            said=stories_positions(store, ids),
            feeds=store.list_feeds(),
        )

    def compose(
        self,
        filters: SubscriptionFilters,
        window_start: dt.datetime,
        window_end: dt.datetime,
        *,
        settings: DigestSettings,
        resolver: ActorResolver | None = None,
    ) -> Digest:
        """The digest of ``[window_start, window_end)`` (within the snapshot's span) for
        ``filters``, as :func:`compose_digest` composes it."""
        if window_end <= window_start:
            raise ValueError("the window must end after it starts")
        if window_start < self.start or window_end > self.end:
            raise ValueError("the window must lie within the snapshot's")
        vocabulary = self.vocabulary
        actors = _actors(vocabulary, resolver, filters.actors)
        topics = tuple(dict.fromkeys(resolve_topic(vocabulary, typed) for typed in filters.topics))
        wanted_feeds = {
            feed.id: feed for typed in filters.feeds for feed in resolve_feeds(self.feeds, typed)
        }
        match = _Match(
            actor_groups=tuple(self._speakers_for(actor) for actor in actors),
            topic_groups=tuple(self._subtopics_of(topic) for topic in topics),
            feed_ids=frozenset(key for key in wanted_feeds if key is not None),
            keywords=tuple(_phrase(word) for word in filters.keywords if word.strip()),
            excluded=tuple(_phrase(word) for word in filters.exclude_keywords if word.strip()),
        )
        span = window_end - window_start
        scored: list[tuple[float, _Candidate]] = []
        for index in self._may_match(match, window_start, window_end):
            candidate = self._candidates[index]
            share = match.share(candidate)
            if share is None:
                continue
            recency = (candidate.story.updated_at - window_start) / span
            score = (
                candidate.independent
                + RECENCY_WEIGHT * min(max(recency, 0.0), 1.0)
                + MATCH_WEIGHT * share
            )
            scored.append((score, candidate))
        scored.sort(key=lambda pair: (-pair[0], -pair[1].timestamp, -pair[1].story_id))
        favoured = frozenset(key for group in match.actor_groups for key in group)
        chosen = [
            _digest_story(candidate, score, vocabulary, settings.max_positions_per_story, favoured)
            for score, candidate in scored[: settings.max_stories]
        ]
        matching = [candidate for _score, candidate in scored]
        day_key = (
            window_start,
            window_end,
            settings.positions_of_the_day,
            tuple(candidate.story_id for candidate in matching),
        )
        of_the_day = self._of_the_day.get(day_key)
        if of_the_day is None:
            of_the_day = _positions_of_the_day(
                matching, vocabulary, window_start, window_end, settings.positions_of_the_day
            )
            self._of_the_day[day_key] = of_the_day
        notices_key = (window_end, settings.stale_after_hours, tuple(wanted_feeds))
        notices = self._notices.get(notices_key)
        if notices is None:
            notices = _feed_notices(
                list(wanted_feeds.values()) if wanted_feeds else self.feeds,
                window_end,
                dt.timedelta(hours=settings.stale_after_hours),
            )
            self._notices[notices_key] = notices
        return Digest(
            since=window_start,
            until=window_end,
            filters=filters,
            actors=actors,
            topics=topics,
            feeds=tuple(_outlet(feed) for feed in wanted_feeds.values()),
            sections=_sections(chosen),
            positions_of_the_day=of_the_day,
            feed_notices=notices,
            matching_stories=len(scored),
        )

    def _may_match(self, match: _Match, start: dt.datetime, end: dt.datetime) -> list[int]:
        """The candidates of the window (by index, in the store's order) that have one of the
        filter's feeds, actors and topics, for each kind the filter names: a superset of those
        that pass it."""
        window = self._windows.get((start, end))
        if window is None:
            window = [
                index
                for index, candidate in enumerate(self._candidates)
                if start <= candidate.story.updated_at < end
            ]
            self._windows[(start, end)] = window
        narrowed: set[int] | None = None
        needs: list[set[int]] = []
        if match.feed_ids:
            needs.append(set().union(*(self._by_feed.get(key, ()) for key in match.feed_ids)))
        for groups, index in (
            (match.actor_groups, self._by_actor),
            (match.topic_groups, self._by_topic),
        ):
            if groups:
                keys = {key for group in groups for key in group}
                needs.append(set().union(*(index.get(key, ()) for key in keys)))
        for need in needs:
            narrowed = need if narrowed is None else narrowed & need
        if narrowed is None:
            return window
        return [index for index in window if index in narrowed]

    def _speakers_for(self, actor: Actor) -> frozenset[str]:
        found = self._speakers.get(actor.key)
        if found is None:
            found = self._speakers[actor.key] = _speakers_for(self.vocabulary, actor)
        return found

    def _subtopics_of(self, topic: Topic) -> frozenset[str]:
        found = self._subtopics.get(topic.key)
        if found is None:
            found = self._subtopics[topic.key] = _subtopics(self.vocabulary, topic)
        return found


# -- filters ----------------------------------------------------------------------------------


class _Candidate:
    """A story of the window with what it is made of, while digests are composed; what the
    filters test is worked out once."""

    __slots__ = (
        "_items",
        "_text",
        "actor_keys",
        "actors",
        "feed_ids",
        "independent",
        "positions",
        "sources",
        "story",
        "story_id",
        "timestamp",
        "topic_keys",
        "topics",
    )

    def __init__(
        self,
        *,
        story: Story,
        sources: list[SourcedArticle],
        actors: list[str],
        topics: list[str],
        positions: tuple[StoryPosition, ...],
    ) -> None:
        self.story = story
        self.story_id = _story_id(story)
        self.timestamp = story.updated_at.timestamp()
        self.sources = sources
        self.actors = actors
        self.topics = topics
        self.positions = positions
        self.feed_ids = frozenset(item.article.feed_id for item in sources)
        self.independent = len(self.feed_ids)
        #: The actors mentioned or stating a position; the topics mentioned or of a position.
        self.actor_keys = frozenset((*actors, *(item.position.actor_key for item in positions)))
        self.topic_keys = frozenset(
            (*topics, *(item.position.topic_key or "" for item in positions))
        )
        self._text: str | None = None
        self._items: tuple[PositionItem, ...] | None = None

    def text(self) -> str:
        if self._text is None:
            titles = " ".join(item.article.title for item in self.sources)
            self._text = f"{self.story.headline} {self.story.summary} {titles}"
        return self._text

    def sources_by_article(self) -> dict[int | None, Source]:
        return {item.article.id: _source(item) for item in self.sources}

    def items(self, vocabulary: Vocabulary) -> tuple[PositionItem, ...]:
        """Its positions as items (with their sources), in the order of ``positions``."""
        if self._items is None:
            sources = self.sources_by_article()
            self._items = tuple(
                _item(merged, vocabulary, sources, self.story.updated_at)
                for merged in self.positions
            )
        return self._items


@dataclass(frozen=True, slots=True)
class _Match:
    #: Per actor of the filter: its key and those of the actors speaking for it.
    actor_groups: tuple[frozenset[str], ...]
    #: Per topic of the filter: its key and its sub-topics'.
    topic_groups: tuple[frozenset[str], ...]
    feed_ids: frozenset[int]
    keywords: tuple[re.Pattern[str], ...]
    excluded: tuple[re.Pattern[str], ...]

    def share(self, candidate: _Candidate) -> float | None:
        """None if the story fails the filters; else the share of the filter's actors, topics
        and keywords it matches (0 when the filter names none)."""
        if self.feed_ids and self.feed_ids.isdisjoint(candidate.feed_ids):
            return None
        text = candidate.text() if self.keywords or self.excluded else ""
        if any(pattern.search(text) for pattern in self.excluded):
            return None
        actors = candidate.actor_keys
        topics = candidate.topic_keys
        hits = [not group.isdisjoint(actors) for group in self.actor_groups]
        topic_hits = [not group.isdisjoint(topics) for group in self.topic_groups]
        word_hits = [bool(pattern.search(text)) for pattern in self.keywords]
        for kind in (hits, topic_hits, word_hits):
            if kind and not any(kind):
                return None
        every = hits + topic_hits + word_hits
        return sum(every) / len(every) if every else 0.0


def _actors(
    vocabulary: Vocabulary, resolver: ActorResolver | None, typed: Sequence[str]
) -> tuple[Actor, ...]:
    found: list[Actor] = []
    for name in typed:
        if name in vocabulary.actors:
            found.append(vocabulary.actors[name])
            continue
        resolver = resolver or ActorResolver(vocabulary)
        found.append(resolver.resolve(name).actor)
    return tuple(dict.fromkeys(found))


def _speakers_for(vocabulary: Vocabulary, actor: Actor) -> frozenset[str]:
    if actor.kind is ActorKind.PERSON:
        return frozenset((actor.key,))
    return frozenset(
        (
            actor.key,
            *(key for key, other in vocabulary.actors.items() if other.speaks_for == actor.key),
        )
    )


def _subtopics(vocabulary: Vocabulary, topic: Topic) -> frozenset[str]:
    keys = {topic.key}
    grew = True
    while grew:
        grew = False
        for key, entry in vocabulary.topics.items():
            if entry.topic.parent in keys and key not in keys:
                keys.add(key)
                grew = True
    return frozenset(keys)


def _phrase(word: str) -> re.Pattern[str]:
    """A keyword as a whole word or phrase, without regard to case or spacing."""
    parts = [re.escape(part) for part in word.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


# -- stories and positions --------------------------------------------------------------------


def _digest_story(
    candidate: _Candidate,
    score: float,
    vocabulary: Vocabulary,
    max_positions: int,
    favoured: frozenset[str],
) -> DigestStory:
    story = candidate.story
    sources = candidate.sources_by_article()
    feeds_of = {item.article.id: item.article.feed_id for item in candidate.sources}
    ranked = sorted(
        enumerate(candidate.positions),
        key=lambda pair: (
            pair[1].position.stance is Stance.CLAIM,
            bool(favoured) and pair[1].position.actor_key not in favoured,
            -len({feeds_of.get(article) for article in pair[1].article_ids}),
            pair[0],
        ),
    )
    items = candidate.items(vocabulary)
    topics = tuple(_topic(vocabulary, key) for key in candidate.topics)
    return DigestStory(
        story_id=candidate.story_id,
        headline=story.headline,
        summary=story.summary,
        topic=topics[0] if topics else None,
        topics=topics,
        actors=tuple(
            vocabulary.actors[key] for key in candidate.actors if key in vocabulary.actors
        ),
        sources=tuple(sources.values()),
        independent_sources=candidate.independent,
        first_seen_at=story.first_seen_at,
        updated_at=story.updated_at,
        positions=tuple(items[index] for index, _item in ranked[:max_positions]),
        score=round(score, 4),
    )


def _sections(chosen: Sequence[DigestStory]) -> tuple[DigestSection, ...]:
    by_topic: dict[str | None, list[DigestStory]] = {}
    topics: dict[str | None, Topic | None] = {}
    for story in chosen:  # best first, so the groups come in the order of their best story
        key = story.topic.key if story.topic is not None else None
        by_topic.setdefault(key, []).append(story)
        topics[key] = story.topic
    order = sorted(by_topic, key=lambda key: key is None)  # stable: no topic last
    return tuple(DigestSection(topic=topics[key], stories=tuple(by_topic[key])) for key in order)


def _positions_of_the_day(
    candidates: Sequence[_Candidate],
    vocabulary: Vocabulary,
    start: dt.datetime,
    end: dt.datetime,
    limit: int,
) -> tuple[PositionItem, ...]:
    """The window's statements other than plain claims, across the matching stories, those
    reported by the most feeds first (then the newest); one statement in two stories is one."""
    if limit <= 0:
        return ()
    groups: list[tuple[tuple[object, ...], str, PositionItem, set[int]]] = []
    #: The groups (by index, oldest first) of each key: a statement joins the first that fits.
    by_key: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for candidate in candidates:
        feeds_of = {item.article.id: item.article.feed_id for item in candidate.sources}
        items = candidate.items(vocabulary)
        for merged, item in zip(candidate.positions, items, strict=True):
            position = merged.position
            if position.stance is Stance.CLAIM:
                continue
            if not start <= item.stated_at < end:
                continue
            key = (
                position.actor_key,
                (position.speaker or "").casefold(),
                position.stance,
                position.topic_key,
                position.target_key,
            )
            claim = normalise_claim(position.claim)
            feeds = {feeds_of[article] for article in merged.article_ids if article in feeds_of}
            for index in by_key[key]:
                _other_key, other_claim, other, other_feeds = groups[index]
                if claim == other_claim or fuzz.ratio(claim, other_claim) >= SAME_CLAIM:
                    known = {source.article_id for source in other.sources}
                    extra = tuple(s for s in item.sources if s.article_id not in known)
                    groups[index] = (
                        key,
                        other_claim,
                        _with_sources(other, extra),
                        other_feeds | feeds,
                    )
                    break
            else:
                by_key[key].append(len(groups))
                groups.append((key, claim, item, feeds))
    groups.sort(key=lambda group: (-len(group[3]), -group[2].stated_at.timestamp()))
    return tuple(item for _key, _claim, item, _feeds in groups[:limit])


def _with_sources(item: PositionItem, extra: tuple[Source, ...]) -> PositionItem:
    if not extra:
        return item
    newest = max((item.stated_at, *(s.published for s in extra if s.published)))
    return PositionItem(
        stance=item.stance,
        claim=item.claim,
        actor_key=item.actor_key,
        actor_name=item.actor_name,
        speaker=item.speaker,
        speaker_role=item.speaker_role,
        topic_key=item.topic_key,
        topic_name=item.topic_name,
        target_key=item.target_key,
        target_name=item.target_name,
        stated_at=newest,
        sources=item.sources + extra,
    )


def _item(
    merged: StoryPosition,
    vocabulary: Vocabulary,
    sources: Mapping[int | None, Source],
    fallback: dt.datetime,
) -> PositionItem:
    position = merged.position
    reported = tuple(sources[article] for article in merged.article_ids if article in sources)
    return PositionItem(
        stance=position.stance,
        claim=position.claim,
        actor_key=position.actor_key,
        actor_name=_name(vocabulary, position.actor_key) or position.actor_key,
        speaker=position.speaker,
        speaker_role=position.speaker_role,
        topic_key=position.topic_key,
        topic_name=_topic(vocabulary, position.topic_key).name if position.topic_key else None,
        target_key=position.target_key,
        target_name=_name(vocabulary, position.target_key),
        stated_at=position.stated_at or fallback,
        sources=reported,
    )


def _source(item: SourcedArticle) -> Source:
    article = item.article
    assert article.id is not None
    return Source(
        outlet=item.feed_title or item.feed_url,
        url=article.url,
        published=article_time(article),
        article_id=article.id,
    )


# -- feeds ------------------------------------------------------------------------------------


def _feed_notices(
    feeds: Iterable[Feed], until: dt.datetime, stale_after: dt.timedelta
) -> tuple[FeedNotice, ...]:
    """Feeds whose silence may be theirs: disabled by failures, failing, or without a
    successful poll for ``stale_after``; a feed switched off without a reason is not named."""
    notices = []
    for feed in feeds:
        if not feed.enabled:
            trouble = FeedTrouble.DISABLED if feed.disabled_reason else None
        elif feed.failure_count > 0:
            trouble = FeedTrouble.FAILING
        elif (feed.last_success_at or feed.added_at) < until - stale_after:
            trouble = FeedTrouble.STALE
        else:
            trouble = None
        if trouble is None:
            continue
        notices.append(
            FeedNotice(
                outlet=_outlet(feed),
                url=feed.url,
                trouble=trouble,
                error=feed.disabled_reason if trouble is FeedTrouble.DISABLED else feed.last_error,
                last_success_at=feed.last_success_at,
                failure_count=feed.failure_count,
            )
        )
    notices.sort(key=lambda notice: (list(FeedTrouble).index(notice.trouble), notice.outlet))
    return tuple(notices)


def _outlet(feed: Feed) -> str:
    return feed.title or feed.url


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").casefold()


def _name(vocabulary: Vocabulary, key: str | None) -> str | None:
    if key is None:
        return None
    actor = vocabulary.actors.get(key)
    return actor.name if actor is not None else key


def _topic(vocabulary: Vocabulary, key: str) -> Topic:
    entry = vocabulary.topics.get(key)
    return entry.topic if entry is not None else Topic(key=key, name=key)


def _story_id(story: Story) -> int:
    assert story.id is not None
    return story.id
