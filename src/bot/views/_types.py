"""The view types. Text in them is data (feed text, names): renderers escape it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceView:
    """An outlet that reported something, with its link and date."""

    outlet: str
    url: str | None = None
    published: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionItemView:
    """One statement: who took which stance on what, and who reported it."""

    #: claim, demand, accuse, reject, warn, propose or support
    stance: str
    claim: str
    #: The actor the statement is attributed to (a state for its minister).
    actor: str
    speaker: str | None = None
    speaker_role: str | None = None
    #: The actor the statement is aimed at, if any.
    target: str | None = None
    #: The topic's label, if it has one.
    topic: str | None = None
    stated_at: dt.datetime
    sources: tuple[SourceView, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicSectionView:
    """The statements on one topic; ``topic`` None: on no topic found."""

    topic: str | None
    topic_id: str | None
    items: tuple[PositionItemView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StanceChangeView:
    """On a topic, the newest stance differs from the newest of the window before."""

    topic: str
    topic_id: str
    before: str
    before_at: dt.datetime
    now: str
    now_at: dt.datetime
    claim: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionsView:
    """The answer to `positions ACTOR`."""

    actor: str
    actor_id: str
    #: country, organisation, armed_group, political_group or person
    actor_kind: str
    #: What the person typed, and whether it was a near miss ("rusia").
    resolved_from: str
    approximate: bool
    #: Only this topic (its label), if one was asked for.
    topic: str | None
    since: dt.datetime
    until: dt.datetime
    sections: tuple[TopicSectionView, ...]
    #: Statements of others aimed at the actor.
    about: tuple[PositionItemView, ...]
    changes: tuple[StanceChangeView, ...]
    #: More was stored than the answer holds.
    truncated: bool = False

    @property
    def empty(self) -> bool:
        return not self.sections and not self.about


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryView:
    """One story: what happened, who reported it, and the key statements in it."""

    story_id: int
    headline: str
    summary: str
    #: The main topic's label and id, if it has one.
    topic: str | None = None
    topic_id: str | None = None
    #: Actors mentioned, most reported first.
    actors: tuple[str, ...] = ()
    #: Every report, earliest first.
    sources: tuple[SourceView, ...] = ()
    #: Distinct feeds that reported it.
    independent_sources: int
    updated_at: dt.datetime
    positions: tuple[PositionItemView, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestSectionView:
    """A digest's stories on one topic; ``topic`` None: on no topic found."""

    topic: str | None
    topic_id: str | None
    stories: tuple[StoryView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedNoticeView:
    """A feed that failed or went stale: silence from it is not "no news"."""

    outlet: str
    url: str
    #: failing, disabled or stale
    trouble: str
    error: str | None = None
    last_success_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestView:
    """A digest: the window's top stories by topic, the positions of the day, feed notices."""

    since: dt.datetime
    until: dt.datetime
    #: The filters, as resolved (names and labels); empty: everything.
    actors: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    sections: tuple[DigestSectionView, ...] = ()
    positions_of_the_day: tuple[PositionItemView, ...] = ()
    feed_notices: tuple[FeedNoticeView, ...] = ()
    #: Stories of the window that passed the filters; the digest shows the best of them.
    matching_stories: int = 0

    @property
    def empty(self) -> bool:
        return not self.sections

    @property
    def story_count(self) -> int:
        return sum(len(section.stories) for section in self.sections)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorView:
    """What went wrong, what might have been meant, and what is accepted."""

    message: str
    suggestions: tuple[str, ...] = ()
    hint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleHitView:
    """An article a search found."""

    title: str
    source: SourceView
    #: The analysis's summary, or the feed's teaser, if any.
    summary: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchView:
    """What a search found: articles and statements that hold every word of the query."""

    query: str
    since: dt.datetime
    articles: tuple[ArticleHitView, ...] = ()
    positions: tuple[PositionItemView, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.articles and not self.positions


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldView:
    """A named value ("Timezone: Europe/Berlin"); with ``when``, a moment that a platform may
    show its own way (Discord: relative, in the reader's timezone), ``value`` the fallback."""

    name: str
    value: str
    when: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeView:
    """A short answer: what a command did ("Subscribed") or what is so, with its settings."""

    title: str
    lines: tuple[str, ...] = ()
    fields: tuple[FieldView, ...] = ()
    #: "done" (something changed), "info" or "warning": how a platform may colour it.
    tone: str = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListItemView:
    """One entry of a list: a feed, a subscription, a watch, an actor, a topic, a command."""

    title: str
    #: What a user types to name it in another command (a feed's id, an actor's key).
    key: str | None = None
    detail: str | None = None
    url: str | None = None
    fields: tuple[FieldView, ...] = ()
    #: The entry is a channel of the platform the view is shown on (a subscription's): its
    #: renderer may show it its own way (Discord, Slack: a link to the channel).
    channel_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListView:
    """A titled list; ``empty_text`` says what no entries mean, ``footer`` what is left out."""

    title: str
    items: tuple[ListItemView, ...] = ()
    empty_text: str = "Nothing to list."
    footer: str | None = None

    @property
    def empty(self) -> bool:
        return not self.items


#: The statements one alert lists at most; the rest of its statements are counted.
ALERT_STATEMENTS_SHOWN = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertView:
    """A watched actor stated something new; ``change``: its stance on the topic changed.

    One alert tells every new statement of one article (``item`` first, then ``others``, at
    most :data:`ALERT_STATEMENTS_SHOWN` listed, ``more`` counted), or, at the end of a pass
    that reached its cap of alerts, every statement left over (``articles`` of them)."""

    actor: str
    actor_id: str
    item: PositionItemView
    change: StanceChangeView | None = None
    others: tuple[PositionItemView, ...] = ()
    #: Statements told by this alert but not listed.
    more: int = 0
    #: The articles its statements come from: more than one only in the pass's last alert.
    articles: int = 1

    @property
    def statements(self) -> int:
        """How many statements this alert tells."""
        return 1 + len(self.others) + self.more


#: Every view a renderer must handle.
View = (
    PositionsView
    | DigestView
    | StoryView
    | SearchView
    | ErrorView
    | NoticeView
    | ListView
    | AlertView
)
