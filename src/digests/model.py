"""The domain types: frozen, typed records that every layer passes around.

Rules that hold for every type here:

- Records are immutable; change one with :func:`dataclasses.replace`.
- Every datetime is timezone-aware and in UTC. Construction fails otherwise, so a naive or
  local datetime can never reach the store or a renderer.
- ``id`` is ``None`` until the store has saved the record, then the store's integer key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC


def utc_now() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(UTC)


def require_utc(value: dt.datetime, name: str = "datetime") -> dt.datetime:
    """Return ``value`` if it is aware and in UTC; raise ``ValueError`` otherwise."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    if offset != dt.timedelta(0):
        raise ValueError(f"{name} must be in UTC, got offset {offset} in {value.isoformat()}")
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(record_type: type) -> tuple[str, ...]:
    """The field names of a dataclass type, looked up once (``dataclasses.fields`` is slow)."""
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = tuple(item.name for item in dataclasses.fields(record_type))
        _FIELD_NAMES[record_type] = names
    return names


def _check_datetimes(record: object) -> None:
    """Validate every datetime field of a dataclass record (used by ``__post_init__``)."""
    for name in field_names(type(record)):
        value = getattr(record, name)
        if isinstance(value, dt.datetime):
            require_utc(value, f"{type(record).__name__}.{name}")


class Platform(enum.StrEnum):
    """Where a channel lives."""

    DISCORD = "discord"
    SLACK = "slack"
    CONSOLE = "console"


class FullText(enum.StrEnum):
    """Whether to fetch an article's page for its full text."""

    AUTO = "auto"  # only when the feed's text is short
    ALWAYS = "always"
    NEVER = "never"


class TextSource(enum.StrEnum):
    """Where an article's text came from."""

    FEED = "feed"
    PAGE = "page"


class ActorKind(enum.StrEnum):
    """What sort of actor speaks."""

    COUNTRY = "country"
    ORGANISATION = "organisation"
    ARMED_GROUP = "armed_group"
    POLITICAL_GROUP = "political_group"
    PERSON = "person"


class Stance(enum.StrEnum):
    """What an actor did with a claim: exactly these seven (the `analyse --json` contract)."""

    CLAIM = "claim"  # states, announces, asserts, says
    DEMAND = "demand"  # demands, urges, calls for, insists on, sets conditions
    ACCUSE = "accuse"  # accuses, condemns, criticises, blames, denounces
    REJECT = "reject"  # rejects, denies, refuses, opposes
    WARN = "warn"  # warns, threatens, voices concern
    PROPOSE = "propose"  # proposes, offers, suggests
    SUPPORT = "support"  # supports, welcomes, backs, pledges, agrees


class DeliveryKind(enum.StrEnum):
    """What a delivery carries."""

    DIGEST = "digest"
    WATCH_ALERT = "watch_alert"
    FEED_NOTICE = "feed_notice"


class DeliveryStatus(enum.StrEnum):
    """Where a delivery is in the outbox."""

    PENDING = "pending"  # written before sending; not yet confirmed
    SENT = "sent"
    FAILED = "failed"  # gave up after retries
    SKIPPED = "skipped"  # missed beyond the grace window, or nothing to send


@dataclass(frozen=True, slots=True, kw_only=True)
class Feed:
    """A feed we poll, with what we remember about fetching it."""

    url: str
    id: int | None = None
    title: str | None = None
    #: The site the feed belongs to, as the feed says.
    site_url: str | None = None
    #: ISO 639-1 code of the feed's language, and a region such as "europe", if known.
    language: str | None = None
    region: str | None = None
    full_text: FullText = FullText.AUTO
    enabled: bool = True
    #: Why polling stopped (410 Gone, too many failures), if it did.
    disabled_reason: str | None = None
    added_at: dt.datetime = field(default_factory=utc_now)
    #: Opaque validators for conditional GET.
    etag: str | None = None
    last_modified: str | None = None
    last_fetched_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    #: Earliest time to poll again (interval, Retry-After, Cache-Control, backoff).
    next_check_at: dt.datetime | None = None
    #: Consecutive failed polls; reset by a successful one.
    failure_count: int = 0
    last_error: str | None = None
    #: Items the last successful poll left unread: beyond the cap on items per poll.
    items_skipped: int = 0

    def __post_init__(self) -> None:
        _check_datetimes(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One entry of one feed, identified within the feed by ``key``."""

    feed_id: int
    #: Stable identity within the feed: guid/id, else link, else a hash of title and date.
    key: str
    title: str
    url: str | None = None
    id: int | None = None
    summary: str = ""
    text: str = ""
    text_source: TextSource = TextSource.FEED
    author: str | None = None
    published_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    first_seen_at: dt.datetime = field(default_factory=utc_now)
    #: Hash of the content that matters; a change means the article was edited.
    content_hash: str = ""
    #: Stored on a feed's first poll: known, never announced as new.
    seen_on_first_poll: bool = False
    #: When the analysis last ran on this content (None: not analysed yet).
    analysed_at: dt.datetime | None = None
    #: The analysis's summary: the lead's sentences (empty until analysed).
    analysis_summary: tuple[str, ...] = ()
    #: Why the last analysis failed, if it did; a failed article is not analysed again until
    #: its content changes.
    analysis_error: str | None = None
    story_id: int | None = None

    def __post_init__(self) -> None:
        _check_datetimes(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """A country, organisation, group or person from the actor vocabulary."""

    key: str
    name: str
    kind: ActorKind
    #: The actor this one speaks for: a minister's country, an agency's state. None for states.
    speaks_for: str | None = None
    role: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Topic:
    """A topic of the taxonomy, mapped to an IPTC Media Topic code."""

    key: str
    name: str
    iptc_code: str | None = None
    parent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorMention:
    """An actor named in an article."""

    article_id: int
    actor_key: str
    count: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicMention:
    """A topic an article is about, with how strongly (0 to 1)."""

    article_id: int
    topic_key: str
    score: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """An attributed statement: who stated, demanded, accused ... what, on which topic."""

    article_id: int
    #: The actor the statement is attributed to (a state for its minister).
    actor_key: str
    stance: Stance
    claim: str
    #: The sentence the position was read from.
    evidence: str
    id: int | None = None
    #: The person who spoke, if one did.
    speaker: str | None = None
    speaker_role: str | None = None
    topic_key: str | None = None
    #: The actor the statement is aimed at, if any.
    target_key: str | None = None
    #: The outlet that relayed the statement (a channel, never the speaker).
    channel: str | None = None
    #: When it was stated: its article's publication date, else when the article was first
    #: seen (None only for a position not stored from an article).
    stated_at: dt.datetime | None = None
    #: How sure the analysis is of the attribution, from 0 to 1.
    confidence: float | None = None

    def __post_init__(self) -> None:
        _check_datetimes(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    """Reports of the same event from one or more outlets; articles point to it."""

    headline: str
    id: int | None = None
    summary: str = ""
    first_seen_at: dt.datetime = field(default_factory=utc_now)
    updated_at: dt.datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        _check_datetimes(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionFilters:
    """What a subscription wants; empty means everything."""

    actors: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()


WEEKDAYS = frozenset(range(5))
#: Discord's limit on a message nonce; the outbox uses one nonce format for every platform.
MAX_NONCE_LENGTH = 25
EVERY_DAY = frozenset(range(7))
#: Weekday names as Subscription.days numbers them, Monday = 0.
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """A channel's morning digest: where, what, and when in local time."""

    platform: Platform
    #: Discord guild or Slack workspace (team) id; "" for the console.
    workspace_id: str
    channel_id: str
    id: int | None = None
    filters: SubscriptionFilters = field(default_factory=SubscriptionFilters)
    local_time: dt.time = dt.time(7, 30)
    #: An IANA timezone name, such as "Europe/Berlin".
    timezone: str = "UTC"
    #: Weekdays to deliver on, Monday = 0.
    days: frozenset[int] = WEEKDAYS
    enabled: bool = True
    created_by: str | None = None
    created_at: dt.datetime = field(default_factory=utc_now)
    updated_at: dt.datetime = field(default_factory=utc_now)
    last_delivered_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        _check_datetimes(self)
        if self.local_time.tzinfo is not None:
            raise ValueError("Subscription.local_time is a wall-clock time: give no tzinfo")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {self.timezone!r}") from error
        if not self.days or not self.days <= EVERY_DAY:
            raise ValueError(f"days must be weekday numbers 0-6, got {sorted(self.days)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Watch:
    """A channel asked to hear when an actor states something new (on a topic, if given)."""

    platform: Platform
    workspace_id: str
    channel_id: str
    actor_key: str
    #: Only statements on this topic; None: any topic.
    topic_key: str | None = None
    id: int | None = None
    created_by: str | None = None
    created_at: dt.datetime = field(default_factory=utc_now)
    #: Positions up to this id were looked at: alerts are for newer ones only.
    seen_position_id: int = 0

    def __post_init__(self) -> None:
        _check_datetimes(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchAlert:
    """A watch's alert in the outbox: written before it is sent and marked after, unique per
    (watch, period); the period names the statement (its first position's id)."""

    watch_id: int
    period: str
    nonce: str
    id: int | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    created_at: dt.datetime = field(default_factory=utc_now)
    sent_at: dt.datetime | None = None
    message_ids: tuple[str, ...] = ()
    error: str | None = None
    #: The statement told: its (actor, speaker, stance, topic), and its claim normalised.
    bucket: str | None = None
    claim: str | None = None

    def __post_init__(self) -> None:
        _check_datetimes(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One message (a digest, an alert, a notice) in the outbox.

    Unique per (subscription, kind, period): the row is written before sending and marked after,
    so a restart neither posts twice nor skips.
    """

    subscription_id: int
    kind: DeliveryKind
    #: What the delivery covers: a local date for a digest, an event key for an alert.
    period: str
    id: int | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    #: Sent with the message so that a retried send cannot post twice (Discord: <= 25 chars).
    nonce: str | None = None
    attempts: int = 0
    created_at: dt.datetime = field(default_factory=utc_now)
    sent_at: dt.datetime | None = None
    #: The platform's ids of the messages that carried it.
    message_ids: tuple[str, ...] = ()
    error: str | None = None

    def __post_init__(self) -> None:
        _check_datetimes(self)
        if self.nonce is not None and len(self.nonce) > MAX_NONCE_LENGTH:
            raise ValueError("Delivery.nonce must be at most 25 characters (Discord's limit)")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportedPosition:
    """A position with where it was reported: the outlet (feed) and the article."""

    position: Position
    #: The feed's title, else its URL.
    outlet: str
    #: The article's link, if it has one.
    url: str | None = None
    #: When the article was published, else when we first saw it.
    published_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        _check_datetimes(self)
