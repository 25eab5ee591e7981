"""The positions lookup: what an actor said lately, by topic, with sources; what others said
about it; and where its stance changed.

Who counts as the actor:

- a country, organisation or group: its own statements, which include its officials' (the
  analysis attributes a minister's words to the state: ``positions.actor_key``);
- a person: the statements they made themselves (``positions.speaker`` is their name, for the
  actor they spoke for).

"About" are the statements of others aimed at the actor (``positions.target_key``): at the actor
itself, at one of its people, or, for a person, at the actor they speak for with their name in
the claim (the analysis stores "Zelensky accused Putin" with the target "russia").

One statement reported by several outlets is one item with several sources: same actor,
speaker, stance and topic, and a claim equal once normalised, or nearly so (a rapidfuzz ratio of
at least 90).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from digests.compose._resolve import ActorMatch, ActorResolver, resolve_topic
from digests.model import Actor, ActorKind, ReportedPosition, Stance, Topic, utc_now
from digests.store import Store
from digests.vocab import Vocabulary

DEFAULT_SINCE = dt.timedelta(days=7)
#: Items (statements) per part of the answer, unless told otherwise.
DEFAULT_LIMIT = 30
#: Reports read per item asked for: duplicates across outlets merge into one item.
_READ_PER_ITEM = 8
#: Two claims of one speaker, stance and topic this similar (rapidfuzz ratio) are one statement.
SAME_CLAIM = 90.0


@dataclass(frozen=True, slots=True)
class Source:
    """Where a statement was reported."""

    #: The feed's title (else its URL).
    outlet: str
    url: str | None
    #: When the article was published (else first seen).
    published: dt.datetime | None
    article_id: int


@dataclass(frozen=True, slots=True)
class PositionItem:
    """One statement, with every outlet that reported it, newest first."""

    stance: Stance
    claim: str
    #: Who the statement is attributed to (a state for its minister), key and name.
    actor_key: str
    actor_name: str
    speaker: str | None
    speaker_role: str | None
    topic_key: str | None
    #: The topic's label.
    topic_name: str | None
    target_key: str | None
    target_name: str | None
    #: When it was stated: the newest report's date.
    stated_at: dt.datetime
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class TopicSection:
    """The actor's statements on one topic (``topic`` None: no topic was found)."""

    topic: Topic | None
    items: tuple[PositionItem, ...]


@dataclass(frozen=True, slots=True)
class StanceChange:
    """On ``topic``, the actor's newest stance differs from its newest in the window before."""

    topic: Topic
    before: Stance
    before_at: dt.datetime
    before_claim: str
    now: Stance
    now_at: dt.datetime
    now_claim: str


@dataclass(frozen=True, slots=True)
class PositionsResult:
    """The answer to `positions ACTOR`: structure only, no wording."""

    match: ActorMatch
    topic: Topic | None
    #: The window: ``[since, until)``; "what changed" compares with the same length before.
    since: dt.datetime
    until: dt.datetime
    #: By topic, the topic with the newest statement first; statements without a topic last.
    sections: tuple[TopicSection, ...]
    #: Statements by others aimed at the actor, newest first.
    about: tuple[PositionItem, ...]
    changes: tuple[StanceChange, ...]
    #: More statements were stored in the window than the answer holds.
    truncated: bool = False

    @property
    def actor(self) -> Actor:
        return self.match.actor

    @property
    def empty(self) -> bool:
        return not self.sections and not self.about


@dataclass(frozen=True, slots=True)
class _Scope:
    """Which stored positions are the actor's, and which are about it."""

    actor_keys: tuple[str, ...]
    speakers: tuple[str, ...] | None
    target_keys: tuple[str, ...]
    named_targets: tuple[str, ...]
    names: tuple[str, ...]


def lookup_positions(
    store: Store,
    resolver: ActorResolver,
    actor: str | ActorMatch,
    *,
    topic: str | None = None,
    since: dt.timedelta = DEFAULT_SINCE,
    limit: int = DEFAULT_LIMIT,
    now: dt.datetime | None = None,
) -> PositionsResult:
    """An actor's positions of the last ``since``, by topic, with the statements about it and
    the stances that changed since the window before.

    ``actor`` is what a person typed (resolved here: raises ``UnknownActorError`` with
    suggestions) or a match already made; ``topic`` a topic id or label (raises
    ``UnknownTopicError``). ``limit`` caps the statements of each part of the answer.
    """
    if since <= dt.timedelta(0):
        raise ValueError("since must be a positive duration")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    vocabulary = resolver.vocabulary
    match = actor if isinstance(actor, ActorMatch) else resolver.resolve(actor)
    wanted = resolve_topic(vocabulary, topic) if topic is not None else None
    until = now or utc_now()
    start = until - since
    scope = _scope(vocabulary, match.actor)
    with store.reading():  # one connection and one state of the database for every query
        return _lookup(
            store, vocabulary, match, wanted, scope, start=start, until=until, limit=limit
        )


def _lookup(
    store: Store,
    vocabulary: Vocabulary,
    match: ActorMatch,
    wanted: Topic | None,
    scope: _Scope,
    *,
    start: dt.datetime,
    until: dt.datetime,
    limit: int,
) -> PositionsResult:
    topic_key = wanted.key if wanted is not None else None
    read = limit * _READ_PER_ITEM
    own = store.reported_positions(
        start=start,
        end=until,
        actor_keys=scope.actor_keys,
        speakers=scope.speakers,
        topic=topic_key,
        limit=read,
    )
    about = store.reported_positions(
        start=start,
        end=until,
        target_keys=scope.target_keys,
        named_targets=scope.named_targets,
        names=scope.names,
        exclude_actor_keys=scope.actor_keys,
        exclude_speakers=scope.speakers,
        topic=topic_key,
        limit=read,
    )
    own_items = merge_reports(own, vocabulary)
    about_items = merge_reports(about, vocabulary)
    sections = _sections(own_items[:limit], vocabulary)
    changes = _changes(store, scope, sections, start=start, until=until)
    return PositionsResult(
        match=match,
        topic=wanted,
        since=start,
        until=until,
        sections=sections,
        about=tuple(about_items[:limit]),
        changes=changes,
        truncated=len(own_items) > limit
        or len(about_items) > limit
        or len(own) == read
        or len(about) == read,
    )


def _scope(vocabulary: Vocabulary, actor: Actor) -> _Scope:
    if actor.kind is ActorKind.PERSON:
        affiliations = tuple(
            dict.fromkeys(office.affiliation for office in vocabulary.offices.get(actor.key, ()))
        )
        names = tuple(dict.fromkeys((actor.name, *actor.aliases)))
        surname = actor.name.split()[-1]
        return _Scope(
            actor_keys=affiliations,
            speakers=names,
            target_keys=(actor.key,),
            named_targets=affiliations,
            names=(*names, surname) if surname not in names else names,
        )
    speaking = tuple(
        key
        for key, other in vocabulary.actors.items()
        if other.speaks_for == actor.key and other.kind is not ActorKind.PERSON
    )
    people = tuple(
        key
        for key, other in vocabulary.actors.items()
        if other.kind is ActorKind.PERSON and other.speaks_for == actor.key
    )
    return _Scope(
        actor_keys=(actor.key, *speaking),
        speakers=None,
        target_keys=(actor.key, *speaking, *people),
        named_targets=(),
        names=(),
    )


_NOT_WORD = re.compile(r"[^\w]+")


def normalise_claim(text: str) -> str:
    """A claim as compared: lower case, no accents, punctuation or repeated spaces."""
    plain = text
    if not text.isascii():  # most claims are: skip the decomposition, a loop over characters
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", plain.casefold()).split())


@functools.lru_cache(maxsize=1024)
def _speaker_key(speaker: str | None) -> str:
    """A speaker's name as compared (a few hundred names recur in every lookup)."""
    return normalise_claim(speaker or "")


def merge_reports(
    reports: Sequence[ReportedPosition], vocabulary: Vocabulary
) -> list[PositionItem]:
    """Reports (newest first) as statements: one item per statement, with every source."""
    groups: list[list[ReportedPosition]] = []
    # Claims are compared only within one (actor, speaker, stance, topic).
    buckets: dict[tuple[str, str, Stance, str], list[tuple[str, list[ReportedPosition]]]] = {}
    for report in reports:
        position = report.position
        key = (
            position.actor_key,
            _speaker_key(position.speaker),
            position.stance,
            position.topic_key or "",
        )
        claim = normalise_claim(position.claim)
        bucket = buckets.setdefault(key, [])
        for group_claim, members in bucket:
            if claim == group_claim or fuzz.ratio(claim, group_claim, score_cutoff=SAME_CLAIM):
                members.append(report)
                break
        else:
            members = [report]
            bucket.append((claim, members))
            groups.append(members)
    return [_item(members, vocabulary) for members in groups]


def _item(reports: Sequence[ReportedPosition], vocabulary: Vocabulary) -> PositionItem:
    newest = reports[0].position
    sources: dict[int, Source] = {}
    for report in reports:
        article_id = report.position.article_id
        if article_id not in sources:
            sources[article_id] = Source(
                outlet=report.outlet,
                url=report.url,
                published=report.published_at,
                article_id=article_id,
            )
    assert newest.stated_at is not None  # the store finds dated positions only
    return PositionItem(
        stance=newest.stance,
        claim=newest.claim,
        actor_key=newest.actor_key,
        actor_name=_name(vocabulary, newest.actor_key) or newest.actor_key,
        speaker=newest.speaker,
        speaker_role=next(
            (r.position.speaker_role for r in reports if r.position.speaker_role), None
        ),
        topic_key=newest.topic_key,
        topic_name=_topic(vocabulary, newest.topic_key).name if newest.topic_key else None,
        target_key=newest.target_key,
        target_name=_name(vocabulary, newest.target_key),
        stated_at=newest.stated_at,
        sources=tuple(sources.values()),
    )


def _name(vocabulary: Vocabulary, key: str | None) -> str | None:
    if key is None:
        return None
    actor = vocabulary.actors.get(key)
    return actor.name if actor is not None else key


def _topic(vocabulary: Vocabulary, key: str) -> Topic:
    entry = vocabulary.topics.get(key)
    return entry.topic if entry is not None else Topic(key=key, name=key)


def _sections(items: Iterable[PositionItem], vocabulary: Vocabulary) -> tuple[TopicSection, ...]:
    by_topic: dict[str | None, list[PositionItem]] = {}
    for item in items:  # newest first, so each topic's first item is its newest
        by_topic.setdefault(item.topic_key, []).append(item)
    order = sorted(by_topic, key=lambda key: (key is None, -by_topic[key][0].stated_at.timestamp()))
    return tuple(
        TopicSection(
            topic=_topic(vocabulary, key) if key is not None else None,
            items=tuple(by_topic[key]),
        )
        for key in order
    )


def _changes(
    store: Store,
    scope: _Scope,
    sections: Sequence[TopicSection],
    *,
    start: dt.datetime,
    until: dt.datetime,
) -> tuple[StanceChange, ...]:
    """For each topic of the answer: its newest stance (the section's first item) against the
    newest of the window of the same length before ``start``."""
    newest = {
        section.topic.key: (section.topic, section.items[0])
        for section in sections
        if section.topic is not None
    }
    before = store.latest_stances(
        start=start - (until - start),
        end=start,
        actor_keys=scope.actor_keys,
        speakers=scope.speakers,
        topics=list(newest),
    )
    changes = []
    for key, (topic, latest) in newest.items():
        earlier = before.get(key)
        if earlier is None or earlier.stance == latest.stance:
            continue
        assert earlier.stated_at is not None
        changes.append(
            StanceChange(
                topic=topic,
                before=earlier.stance,
                before_at=earlier.stated_at,
                before_claim=earlier.claim,
                now=latest.stance,
                now_at=latest.stated_at,
                now_claim=latest.claim,
            )
        )
    changes.sort(key=lambda change: change.now_at, reverse=True)
    return tuple(changes)


#: Far enough back and ahead to hold every stored position.
_ALL_TIME = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 1, 1, tzinfo=dt.UTC))
#: How far back "changed its stance" looks for the earlier stance.
CHANGE_WINDOW = dt.timedelta(days=30)
#: New positions a watch reads at a time (the newest): a flood is not a hundred alerts.
WATCH_READ = 200


@dataclass(frozen=True, slots=True)
class WatchedStatement:
    """A new statement of a watched actor, and its change of stance if it is one."""

    item: PositionItem
    #: The statement's identity (actor, speaker, stance, topic and claim): one alert each,
    #: however many outlets report it, and whenever they do.
    key: str
    change: StanceChange | None

    @property
    def bucket(self) -> str:
        """Its actor, speaker, stance and topic: claims are compared within one bucket."""
        item = self.item
        speaker = normalise_claim(item.speaker or "")
        return f"{item.actor_key}|{speaker}|{item.stance}|{item.topic_key or ''}"

    @property
    def claim(self) -> str:
        return normalise_claim(self.item.claim)

    def same_claim(self, other: str) -> bool:
        """Whether ``other`` (a normalised claim) says the same (rapidfuzz ratio of 90)."""
        return bool(self.claim == other or fuzz.ratio(self.claim, other, score_cutoff=SAME_CLAIM))


@dataclass(frozen=True, slots=True)
class WatchNews:
    statements: tuple[WatchedStatement, ...]
    #: The newest position looked at (the watch's new mark).
    newest_id: int


def watch_news(
    store: Store, resolver: ActorResolver, actor_key: str, topic_key: str | None, after_id: int
) -> WatchNews:
    """The statements of the actor (on the topic) stored after position ``after_id``, newest
    first, each with its change of stance against the actor's previous on the topic."""
    vocabulary = resolver.vocabulary
    actor = vocabulary.actors.get(actor_key)
    if actor is None:  # gone from the vocabulary
        return WatchNews((), after_id)
    scope = _scope(vocabulary, actor)
    with store.reading():
        # The oldest new positions first, at most WATCH_READ of them: the mark moves past what
        # was read, and the next pass goes on from there.
        read = store.reported_positions(
            start=_ALL_TIME[0], end=_ALL_TIME[1], actor_keys=scope.actor_keys,
            speakers=scope.speakers, topic=topic_key, after_id=after_id, limit=WATCH_READ,
        )  # fmt: skip
        reports = sorted(read, key=_newest_first)
        statements = tuple(
            WatchedStatement(
                item=item, key=_statement_key(item), change=_change(store, scope, item)
            )
            for item in merge_reports(reports, vocabulary)
        )
    newest = max((report.position.id or 0 for report in read), default=after_id)
    return WatchNews(statements, max(newest, after_id))


def _newest_first(report: ReportedPosition) -> tuple[float, int]:
    position = report.position
    stated = position.stated_at.timestamp() if position.stated_at else 0.0
    return (-stated, -(position.id or 0))


def _statement_key(item: PositionItem) -> str:
    text = "|".join(
        (item.actor_key, normalise_claim(item.speaker or ""), str(item.stance),
         item.topic_key or "", normalise_claim(item.claim))
    )  # fmt: skip
    return hashlib.blake2s(text.encode(), digest_size=10).hexdigest()


def _change(store: Store, scope: _Scope, item: PositionItem) -> StanceChange | None:
    if item.topic_key is None:
        return None
    before = store.latest_stances(
        start=item.stated_at - CHANGE_WINDOW,
        end=item.stated_at,
        actor_keys=scope.actor_keys,
        speakers=scope.speakers,
        topics=[item.topic_key],
    ).get(item.topic_key)
    if before is None or before.stance == item.stance or before.stated_at is None:
        return None
    return StanceChange(
        topic=Topic(key=item.topic_key, name=item.topic_name or item.topic_key),
        before=before.stance,
        before_at=before.stated_at,
        before_claim=before.claim,
        now=item.stance,
        now_at=item.stated_at,
        now_claim=item.claim,
    )
