"""One or more built instance of every view type, for renderer tests on every platform.

``SAMPLES`` maps each view type to its samples: an ordinary one first, then the awkward ones (an
empty answer, feed text that tries markup or mentions, very long text, many items). A
meta-test checks that every type of :data:`bot.views.View` has samples here, so a new view type
cannot skip a renderer's tests. The text is our own.
"""

from __future__ import annotations

import datetime as dt

from bot.views import (
    AlertView,
    ArticleHitView,
    DigestSectionView,
    DigestView,
    ErrorView,
    FeedNoticeView,
    FieldView,
    ListItemView,
    ListView,
    NoticeView,
    PositionItemView,
    PositionsView,
    SearchView,
    SourceView,
    StanceChangeView,
    StoryView,
    TopicSectionView,
    View,
)
from digests.model import UTC

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WEEK_AGO = NOW - dt.timedelta(days=7)
#: Feed text that would ping, link or format on a chat platform if it were not escaped.
HOSTILE = "@everyone <@&123> <!channel> <@U123> <http://x.example|click> **bold** `code` #1"


def source(outlet: str = "World Wire", index: int = 0) -> SourceView:
    return SourceView(
        outlet=outlet,
        url=f"https://news.example/{index}",
        published=NOW - dt.timedelta(hours=index),
    )


def item(
    claim: str = "foreign monitors are not needed in Ukraine", **changes: object
) -> PositionItemView:
    values: dict[str, object] = {
        "stance": "reject",
        "claim": claim,
        "actor": "Russia",
        "speaker": "Dmitry Peskov",
        "speaker_role": "Kremlin spokesman",
        "topic": "Ceasefire",
        "stated_at": NOW,
        "sources": (source(), source("Daily Courier", 1)),
    }
    values.update(changes)
    return PositionItemView(**values)  # type: ignore[arg-type]


def change() -> StanceChangeView:
    return StanceChangeView(
        topic="Ceasefire",
        topic_id="ceasefire",
        before="support",
        before_at=WEEK_AGO - dt.timedelta(days=2),
        now="reject",
        now_at=NOW,
        claim="a ceasefire now would only help Kyiv regroup",
    )


def positions(count: int = 3, *, claim: str | None = None) -> PositionsView:
    items = tuple(item(claim or f"statement number {i} on the ceasefire") for i in range(count))
    return PositionsView(
        actor="Russia",
        actor_id="russia",
        actor_kind="country",
        resolved_from="rusia",
        approximate=True,
        topic=None,
        since=WEEK_AGO,
        until=NOW,
        sections=(TopicSectionView(topic="Ceasefire", topic_id="ceasefire", items=items),)
        if items
        else (),
        about=(
            item(
                "Putin undermines diplomacy",
                actor="Ukraine",
                speaker="Volodymyr Zelensky",
                speaker_role="President",
                stance="accuse",
                target="Russia",
            ),
        )
        if count
        else (),
        changes=(change(),) if count else (),
        truncated=count > 30,  # the lookup's default limit
    )


def story(summary: str = "Talks on a ceasefire resumed in Ankara.", sources: int = 2) -> StoryView:
    return StoryView(
        story_id=7,
        headline="Ceasefire talks resume in Ankara",
        summary=summary,
        topic="Ceasefire",
        topic_id="ceasefire",
        actors=("Russia", "Ukraine", "Turkey"),
        sources=tuple(source(f"Outlet {i}", i) for i in range(sources)),
        independent_sources=sources,
        updated_at=NOW,
        positions=(item(),),
    )


def digest(stories: int = 2, *, summary: str | None = None) -> DigestView:
    built = tuple(story(summary or f"Summary of story {i}.") for i in range(stories))
    return DigestView(
        since=NOW - dt.timedelta(days=1),
        until=NOW,
        actors=("Russia",),
        sections=(DigestSectionView(topic="Ceasefire", topic_id="ceasefire", stories=built),)
        if built
        else (),
        positions_of_the_day=(item(),) if built else (),
        feed_notices=(
            FeedNoticeView(
                outlet="Slow Wire",
                url="https://slow.example/feed",
                trouble="failing",
                error="HTTP 503",
                last_success_at=NOW - dt.timedelta(days=2),
            ),
        ),
        matching_stories=stories,
    )


def search() -> SearchView:
    return SearchView(
        query="sanctions",
        since=WEEK_AGO,
        articles=(
            ArticleHitView(
                title="EU agrees new sanctions", source=source(), summary="The EU agreed..."
            ),
        ),
        positions=(item(stance="demand", claim="sanctions must stay"),),
    )


def notice() -> NoticeView:
    return NoticeView(
        title="Subscribed #general to a morning digest",
        lines=("Re-run /subscribe to change it.",),
        fields=(
            FieldView(name="Time", value="07:30 Europe/Berlin, weekdays"),
            FieldView(name="Next digest", value="2026-11-23 06:30 UTC", when=NOW),
        ),
        tone="done",
    )


def listing(count: int = 3) -> ListView:
    return ListView(
        title="Feeds",
        items=tuple(
            ListItemView(
                title=f"Wire {i}",
                key=str(i),
                detail="polled every 15 minutes",
                url=f"https://wire{i}.example/feed.xml",
                fields=(FieldView(name="Last poll", value="ok", when=NOW),),
            )
            for i in range(count)
        ),
        empty_text="No feeds yet: add one with /feeds add.",
    )


def alert() -> AlertView:
    return AlertView(actor="Russia", actor_id="russia", item=item(), change=change())


def folded_alert(claim: str = "w" * 5000, *, articles: int = 1) -> AlertView:
    """An alert of 500 statements at once, each as long as feed text gets, with long names and
    many sources with long URLs: it must still be one message on every platform."""
    long_name = "N" * 400
    sources = tuple(
        SourceView(outlet=long_name, url=f"https://news.example/{'p' * 390}{i}", published=NOW)
        for i in range(30)
    )
    many = item(claim, speaker=long_name, speaker_role=long_name, target=long_name,
                topic=long_name, sources=sources)  # fmt: skip
    return AlertView(
        actor="Russia", actor_id="russia", item=many, change=change(),
        others=(many,) * 4, more=495, articles=articles,
    )  # fmt: skip


#: Every view type, with its samples: ordinary first, then the awkward ones.
SAMPLES: dict[type, tuple[View, ...]] = {
    PositionsView: (positions(), positions(0), positions(60), positions(claim=HOSTILE)),
    DigestView: (digest(), digest(0), digest(12, summary="x" * 5000)),
    StoryView: (story(), story("y" * 5000, sources=30), story(HOSTILE)),
    SearchView: (search(), SearchView(query="nothing", since=WEEK_AGO)),
    ErrorView: (
        ErrorView(message="unknown actor 'rusa'", suggestions=("Russia", "Rwanda")),
        ErrorView(message=HOSTILE, hint="try /actors"),
    ),
    NoticeView: (notice(), NoticeView(title=HOSTILE, lines=("z" * 5000,))),
    ListView: (listing(), listing(0), listing(80)),
    AlertView: (
        alert(),
        AlertView(actor="Russia", actor_id="russia", item=item(HOSTILE)),
        folded_alert(),
        folded_alert(HOSTILE * 40, articles=12),
    ),
}
