"""Digests: ranking by independent sources, filters, topic groups, positions of the day, the
failed and stale feeds footer, the empty window, the window since the last delivered digest
(across a restart), the views through every renderer, and the CLI.

Feeds, articles, mentions, positions and stories are stored directly (no spaCy model). Every
test that stores something runs on SQLite and on PostgreSQL. Texts are our own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.views import DigestView, StoryView, View, digest_view, story_view
from bot.views.render_console import render_markdown, render_text
from bot.views.render_json import render_json
from digests.compose import (
    Digest,
    DigestSnapshot,
    FeedTrouble,
    UnknownActorError,
    UnknownFeedError,
    UnknownTopicError,
    compose_digest,
    compose_digests,
    digest_window,
)
from digests.model import (
    ActorMention,
    Article,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Feed,
    Platform,
    Position,
    Stance,
    Story,
    Subscription,
    SubscriptionFilters,
    TopicMention,
    utc_now,
)
from digests.settings import DigestSettings
from digests.store import Store
from digests.vocab import Vocabulary, load_vocabulary

NOW = utc_now().replace(microsecond=0)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
SETTINGS = DigestSettings()

PositionSpec = tuple[str, Stance, str, str | None]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def feed(store: Store, title: str, **changes: object) -> int:
    """A feed that polled fine a moment ago, unless ``changes`` say otherwise."""
    stored = store.add_feed(
        Feed(url=f"https://{title.lower().replace(' ', '')}.example/rss", added_at=NOW - DAY)
    )
    values: dict[str, object] = {"title": title, "last_success_at": NOW - HOUR / 4}
    values.update(changes)
    store.update_feed(dataclasses.replace(stored, **values))  # type: ignore[arg-type]
    assert stored.id is not None
    return stored.id


def article(
    store: Store,
    feed_id: int,
    title: str,
    *,
    at: dt.datetime,
    actors: Sequence[str] = (),
    topics: Sequence[str] = (),
    positions: Sequence[PositionSpec] = (),
) -> Article:
    slug = f"{feed_id}-{abs(hash((title, at))) % 10**8}"
    stored = store.add_article(
        Article(
            feed_id=feed_id,
            key=slug,
            url=f"https://news.example/{slug}",
            title=title,
            text=f"{title}. More words follow.",
            published_at=at,
            first_seen_at=at,
            content_hash=slug,
        )
    )
    assert stored.id is not None
    store.replace_analysis(
        stored.id,
        actors=[ActorMention(article_id=stored.id, actor_key=key) for key in actors],
        topics=[TopicMention(article_id=stored.id, topic_key=key) for key in topics],
        found=[
            Position(
                article_id=stored.id,
                actor_key=actor,
                stance=stance,
                claim=claim,
                evidence=claim,
                topic_key=topic,
                stated_at=at,
            )
            for actor, stance, claim, topic in positions
        ],
        summary=(f"{title}.",),
        analysed_at=at,
    )
    return store.get_article(stored.id)


def story(
    store: Store,
    headline: str,
    feed_ids: Sequence[int],
    *,
    at: dt.datetime = NOW - HOUR,
    actors: Sequence[str] = ("russia", "ukraine"),
    topics: Sequence[str] = ("conflict",),
    positions: Sequence[PositionSpec] = (),
    summary: str = "",
) -> int:
    """A story reported once by each feed (the last report at ``at``); positions in each."""
    members = [
        article(
            store,
            feed_id,
            headline if index == 0 else f"{headline} ({index})",
            at=at - index * HOUR / 6,
            actors=actors,
            topics=topics,
            positions=positions,
        )
        for index, feed_id in enumerate(feed_ids)
    ]
    saved = store.add_story(
        Story(
            headline=headline,
            summary=summary or f"What happened: {headline.lower()}.",
            first_seen_at=min(item.first_seen_at for item in members),
            updated_at=at,
        ),
        [item.id for item in members if item.id is not None],
    )
    assert saved.id is not None
    return saved.id


def compose(
    store: Store,
    vocabulary: Vocabulary,
    *,
    since: dt.timedelta = DAY,
    settings: DigestSettings = SETTINGS,
    **filters: tuple[str, ...],
) -> Digest:
    return compose_digest(
        store,
        vocabulary,
        SubscriptionFilters(**filters),
        NOW - since,
        NOW,
        settings=settings,
    )


def headlines(digest: Digest) -> list[str]:
    return [item.headline for item in digest.stories]


def test_stories_rank_by_independent_sources_then_recency(
    store: Store, vocabulary: Vocabulary
) -> None:
    a, b, c = feed(store, "Alpha"), feed(store, "Beta"), feed(store, "Gamma")
    story(store, "Three outlets, older", [a, b, c], at=NOW - 20 * HOUR)
    story(store, "One outlet, newest", [a], at=NOW - HOUR)
    story(store, "Two outlets", [a, b], at=NOW - 10 * HOUR)
    story(store, "One outlet, older", [b], at=NOW - 5 * HOUR)
    # Two reports from one feed are one independent source.
    story(store, "One outlet twice", [c, c], at=NOW - 2 * HOUR)
    story(store, "Before the window", [a, b, c], at=NOW - 30 * HOUR)

    digest = compose(store, vocabulary)
    assert headlines(digest) == [
        "Three outlets, older",
        "Two outlets",
        "One outlet, newest",
        "One outlet twice",
        "One outlet, older",
    ]
    assert [item.independent_sources for item in digest.stories] == [3, 2, 1, 1, 1]
    assert digest.matching_stories == 5
    first = digest.stories[0]
    assert [source.outlet for source in first.sources] == ["Gamma", "Beta", "Alpha"]
    assert all(source.url and source.published for source in first.sources)

    fewer = compose(store, vocabulary, settings=DigestSettings(max_stories=2))
    assert headlines(fewer) == ["Three outlets, older", "Two outlets"]
    assert fewer.matching_stories == 5


def test_filters_by_actor_topic_feed_and_keywords(store: Store, vocabulary: Vocabulary) -> None:
    a, b = feed(store, "Alpha"), feed(store, "Beta Wire")
    story(store, "Ceasefire talks resume in Geneva", [a], topics=("ceasefire",))
    story(
        store,
        "Sanctions on Iranian oil widen",
        [b],
        actors=("iran", "united-states"),
        topics=("sanctions",),
    )
    story(
        store,
        "Kremlin spokesman warns Baltic states",
        [a, b],
        actors=("estonia",),
        topics=("security",),
        positions=[("dmitry-peskov", Stance.WARN, "the Baltic states face consequences", None)],
    )

    everything = compose(store, vocabulary)
    assert len(everything.stories) == 3
    # An actor: mentioned, or stating a position through one who speaks for it (Peskov).
    assert set(headlines(compose(store, vocabulary, actors=("Russia",)))) == {
        "Ceasefire talks resume in Geneva",
        "Kremlin spokesman warns Baltic states",
    }
    assert headlines(compose(store, vocabulary, actors=("iran", "estonia"))) == [
        "Kremlin spokesman warns Baltic states",
        "Sanctions on Iranian oil widen",
    ]
    # A topic takes its sub-topics: ceasefire is part of conflict.
    assert headlines(compose(store, vocabulary, topics=("conflict",))) == [
        "Ceasefire talks resume in Geneva"
    ]
    assert headlines(compose(store, vocabulary, topics=("Sanctions",))) == [
        "Sanctions on Iranian oil widen"
    ]
    # A feed by title, host or a part of either.
    by_feed = compose(store, vocabulary, feeds=("beta wire",))
    assert set(headlines(by_feed)) == {
        "Sanctions on Iranian oil widen",
        "Kremlin spokesman warns Baltic states",
    }
    assert by_feed.feeds == ("Beta Wire",)
    assert len(compose(store, vocabulary, feeds=("alpha.example",)).stories) == 2
    # Keywords: whole words, any case; excluded ones drop a story whatever else matches.
    assert set(headlines(compose(store, vocabulary, keywords=("GENEVA", "iranian oil")))) == {
        "Ceasefire talks resume in Geneva",
        "Sanctions on Iranian oil widen",
    }
    assert headlines(compose(store, vocabulary, keywords=("gene",))) == []
    assert set(headlines(compose(store, vocabulary, exclude_keywords=("kremlin", "oil")))) == {
        "Ceasefire talks resume in Geneva"
    }
    # Kinds of filter combine: Russia and the feed Alpha and not "geneva".
    assert headlines(
        compose(
            store, vocabulary, actors=("russia",), feeds=("Alpha",), exclude_keywords=("geneva",)
        )
    ) == ["Kremlin spokesman warns Baltic states"]

    with pytest.raises(UnknownActorError):
        compose(store, vocabulary, actors=("nowhereland",))
    with pytest.raises(UnknownTopicError):
        compose(store, vocabulary, topics=("sanktions",))
    with pytest.raises(UnknownFeedError) as unknown:
        compose(store, vocabulary, feeds=("Alfa",))
    assert "Alpha" in unknown.value.suggestions


def test_stories_are_grouped_by_their_main_topic(store: Store, vocabulary: Vocabulary) -> None:
    a, b, c = feed(store, "Alpha"), feed(store, "Beta"), feed(store, "Gamma")
    story(store, "Energy one", [a, b, c], topics=("energy",))
    story(store, "Conflict one", [a, b], topics=("conflict",))
    story(store, "Untopical", [a, b], topics=())
    story(store, "Energy two", [a], topics=("energy", "trade"))

    digest = compose(store, vocabulary)
    assert [
        (section.topic.key if section.topic else None, [s.headline for s in section.stories])
        for section in digest.sections
    ] == [
        ("energy", ["Energy one", "Energy two"]),
        ("conflict", ["Conflict one"]),
        (None, ["Untopical"]),
    ]


def test_key_positions_and_positions_of_the_day(store: Store, vocabulary: Vocabulary) -> None:
    a, b, c = feed(store, "Alpha"), feed(store, "Beta"), feed(store, "Gamma")
    demand = ("ukraine", Stance.DEMAND, "Russia must withdraw its troops", "ceasefire")
    claim = ("russia", Stance.CLAIM, "The talks will continue next week", "peace-talks")
    reject = ("russia", Stance.REJECT, "Russia rejects the ceasefire proposal", "ceasefire")
    warn = ("nato", Stance.WARN, "Further escalation would be dangerous", None)
    story(store, "Talks stall", [a, b, c], positions=[claim, demand, reject])
    story(store, "Alliance meets", [a], positions=[warn], at=NOW - 2 * HOUR)
    # The same demand, reported in another story by another outlet: one statement.
    story(store, "Front line", [b], positions=[demand], at=NOW - 3 * HOUR)

    digest = compose(store, vocabulary, settings=DigestSettings(max_positions_per_story=2))
    talks = digest.stories[0]
    assert talks.headline == "Talks stall"
    # Stances other than plain claims first; at most two.
    assert [item.stance for item in talks.positions] == [Stance.DEMAND, Stance.REJECT]
    assert [len(item.sources) for item in talks.positions] == [3, 3]
    assert talks.positions[0].actor_name == "Ukraine"
    assert talks.positions[0].topic_name == "Ceasefire"

    day = digest.positions_of_the_day
    assert [item.claim for item in day] == [
        "Russia must withdraw its troops",
        "Russia rejects the ceasefire proposal",
        "Further escalation would be dangerous",
    ]
    assert len(day[0].sources) == 4  # three from one story, one from the other
    assert Stance.CLAIM not in {item.stance for item in day}
    assert compose(store, vocabulary, settings=DigestSettings(positions_of_the_day=0)) != digest
    assert not compose(
        store, vocabulary, settings=DigestSettings(positions_of_the_day=0)
    ).positions_of_the_day


def test_many_digests_from_one_read_are_those_composed_one_by_one(
    store: Store, vocabulary: Vocabulary
) -> None:
    a, b = feed(store, "Alpha"), feed(store, "Beta Wire", failure_count=2, last_error="503")
    c = feed(store, "Gamma", last_success_at=NOW - 9 * HOUR)
    demand = ("ukraine", Stance.DEMAND, "Russia must withdraw its troops", "ceasefire")
    reject = ("russia", Stance.REJECT, "Russia rejects the ceasefire proposal", "ceasefire")
    warn = ("dmitry-peskov", Stance.WARN, "the Baltic states face consequences", None)
    story(
        store,
        "Ceasefire talks resume in Geneva",
        [a, b],
        topics=("ceasefire",),
        positions=[demand, reject],
    )
    story(
        store,
        "Sanctions on Iranian oil widen",
        [b],
        actors=("iran", "united-states"),
        topics=("sanctions",),
        at=NOW - 5 * HOUR,
    )
    story(
        store,
        "Kremlin spokesman warns Baltic states",
        [a, b, c],
        actors=("estonia",),
        topics=("security",),
        positions=[warn],
        at=NOW - 30 * HOUR,
    )
    story(store, "Front line moves", [c], positions=[demand], at=NOW - 2 * HOUR)
    story(store, "Old news", [a], at=NOW - 3 * DAY)
    cases = [
        SubscriptionFilters(),
        SubscriptionFilters(actors=("Russia",)),
        SubscriptionFilters(actors=("iran", "estonia"), topics=("security", "sanctions")),
        SubscriptionFilters(topics=("conflict",)),
        SubscriptionFilters(feeds=("beta wire",)),
        SubscriptionFilters(feeds=("gamma",), actors=("ukraine",)),
        SubscriptionFilters(keywords=("GENEVA", "iranian oil")),
        SubscriptionFilters(exclude_keywords=("kremlin", "oil")),
        SubscriptionFilters(actors=("russia",), feeds=("Alpha",), exclude_keywords=("geneva",)),
        SubscriptionFilters(keywords=("gene",)),
    ]
    windows = [(NOW - DAY, NOW), (NOW - 2 * DAY, NOW), (NOW - 6 * HOUR, NOW - HOUR)]
    requests = [(filters, start, end) for filters in cases for start, end in windows]
    settings = DigestSettings(max_stories=3, max_positions_per_story=1)
    one_by_one = [
        compose_digest(store, vocabulary, filters, start, end, settings=settings)
        for filters, start, end in requests
    ]
    assert compose_digests(store, vocabulary, requests, settings=settings) == one_by_one
    assert len({d.matching_stories for d in one_by_one}) > 2  # the filters do differ
    assert any(d.positions_of_the_day for d in one_by_one)
    assert any(d.feed_notices for d in one_by_one)
    snapshot = DigestSnapshot.read(store, vocabulary, NOW - 2 * DAY, NOW)
    with pytest.raises(UnknownActorError):
        snapshot.compose(
            SubscriptionFilters(actors=("nowhereland",)), NOW - DAY, NOW, settings=settings
        )
    with pytest.raises(ValueError, match="within"):
        snapshot.compose(SubscriptionFilters(), NOW - 3 * DAY, NOW, settings=settings)
    assert compose_digests(store, vocabulary, [], settings=settings) == []


def test_the_footer_names_failing_disabled_and_stale_feeds(
    store: Store, vocabulary: Vocabulary
) -> None:
    healthy = feed(store, "Healthy")
    feed(store, "Failing", failure_count=2, last_error="HTTP 503", last_success_at=NOW - DAY)
    feed(store, "Gone", enabled=False, disabled_reason="410 Gone", failure_count=1)
    feed(store, "Paused", enabled=False)  # switched off by someone: not news
    feed(store, "Quiet", last_success_at=NOW - 10 * HOUR)
    feed(store, "Never", last_success_at=None)
    story(store, "Something happened", [healthy])

    notices = compose(store, vocabulary).feed_notices
    assert [(n.outlet, n.trouble, n.error) for n in notices] == [
        ("Failing", FeedTrouble.FAILING, "HTTP 503"),
        ("Gone", FeedTrouble.DISABLED, "410 Gone"),
        ("Never", FeedTrouble.STALE, None),
        ("Quiet", FeedTrouble.STALE, None),
    ]
    assert notices[0].last_success_at == NOW - DAY
    # With a feed filter, only those feeds are named.
    only = compose(store, vocabulary, feeds=("Failing", "Healthy")).feed_notices
    assert [n.outlet for n in only] == ["Failing"]
    text = render_text(digest_view(compose(store, vocabulary)))
    assert "Feeds that may be missing news" in text
    assert "- Failing: its last poll failed, last success" in text
    assert "HTTP 503" in text


def test_an_empty_window_says_nothing_new_since(store: Store, vocabulary: Vocabulary) -> None:
    alpha = feed(store, "Alpha")
    story(store, "Old news", [alpha], at=NOW - 3 * DAY)
    digest = compose(store, vocabulary)
    assert digest.empty
    assert digest.matching_stories == 0
    view = digest_view(digest)
    since = (NOW - DAY).strftime("%Y-%m-%d %H:%M UTC")
    assert f"Nothing new since {since}." in render_text(view)
    assert f"Nothing new since {since}" in render_markdown(view)
    data = json.loads(render_json(view))
    assert (data["view"], data["empty"], data["sections"]) == ("digest", True, [])
    # Nothing that matches, said so, with the filter.
    story(store, "Fresh news", [alpha])
    filtered = render_text(digest_view(compose(store, vocabulary, keywords=("volcano",))))
    assert "For keywords: volcano" in filtered
    assert f"Nothing new since {since} that matches." in filtered


def test_the_window_runs_from_the_last_delivered_digest_capped_and_survives_a_restart(
    database_url: str,
) -> None:
    settings = DigestSettings(max_window_hours=48)
    with Store.open(database_url) as store:
        subscription = store.save_subscription(
            Subscription(platform=Platform.CONSOLE, workspace_id="", channel_id="main")
        )[0]
        assert subscription.id is not None
        first = digest_window(store, subscription.id, settings, now=NOW)
        # Never delivered: the maximum.
        assert (first.start, first.end, first.capped) == (NOW - 48 * HOUR, NOW, True)
        assert first.last_delivered_at is None
        # Delivered long ago: still the maximum.
        old = store.add_delivery(
            Delivery(subscription_id=subscription.id, kind=DeliveryKind.DIGEST, period="old")
        )
        store.update_delivery(
            dataclasses.replace(old, status=DeliveryStatus.SENT, sent_at=NOW - 5 * DAY)
        )
        assert digest_window(store, subscription.id, settings, now=NOW).start == NOW - 48 * HOUR
        # Delivered this morning: since then. A failed or pending one or an alert counts not.
        sent = store.add_delivery(
            Delivery(subscription_id=subscription.id, kind=DeliveryKind.DIGEST, period="today")
        )
        store.update_delivery(
            dataclasses.replace(sent, status=DeliveryStatus.SENT, sent_at=NOW - 7 * HOUR)
        )
        store.add_delivery(
            Delivery(subscription_id=subscription.id, kind=DeliveryKind.DIGEST, period="pending")
        )
        alert = store.add_delivery(
            Delivery(subscription_id=subscription.id, kind=DeliveryKind.WATCH_ALERT, period="x")
        )
        store.update_delivery(
            dataclasses.replace(alert, status=DeliveryStatus.SENT, sent_at=NOW - HOUR)
        )
        before = digest_window(store, subscription.id, settings, now=NOW)
        assert (before.start, before.capped) == (NOW - 7 * HOUR, False)
        assert before.last_delivered_at == NOW - 7 * HOUR
    # A restart: a new store object on the same database gives the same window.
    with Store.open(database_url) as reopened:
        assert digest_window(reopened, subscription.id, settings, now=NOW) == before
        # The subscription's own mark counts too, when it is later.
        reopened.save_subscription(
            dataclasses.replace(subscription, last_delivered_at=NOW - 2 * HOUR)
        )
        assert digest_window(reopened, subscription.id, settings, now=NOW).start == NOW - 2 * HOUR


def _views(store: Store, vocabulary: Vocabulary) -> list[View]:
    alpha = feed(store, "Alpha *wire*")
    beta = feed(store, "Beta [news](x)", failure_count=1, last_error="timed out <after> 30 s")
    story(
        store,
        "Strikes on *power* plants_ [link](http://evil.example)",
        [alpha, beta],
        topics=("energy",),
        positions=[("ukraine", Stance.ACCUSE, "Russia targets # civilians", "energy")],
        summary="Dozens of drones hit plants; *repairs* under way.",
    )
    digest = compose(store, vocabulary, actors=("ukraine",), keywords=("power",))
    return [digest_view(digest), story_view(digest.stories[0])]


def test_every_digest_view_renders_through_text_markdown_and_json(
    store: Store, vocabulary: Vocabulary
) -> None:
    digest, story_only = _views(store, vocabulary)
    assert isinstance(digest, DigestView)
    assert isinstance(story_only, StoryView)
    for view in (digest, story_only):
        text = render_text(view)
        assert "Strikes on *power* plants_ [link](http://evil.example)" in text
        assert "2 outlets: " in text
        assert "Ukraine accuses [Energy]: “Russia targets # civilians”" in text
        markdown = render_markdown(view)
        assert r"Strikes on \*power\* plants\_ \[link\]\(http://evil\.example\)" in markdown
        assert "[link](http" not in markdown
        assert r"[Alpha \*wire\*](https://news.example/" in markdown
        assert r"Dozens of drones hit plants; \*repairs\* under way\." in markdown
        assert "*repairs*" not in markdown
        data = json.loads(render_json(view))
        assert data["view"] in {"digest", "story"}
    text = render_text(digest)
    assert text.startswith("News digest, since ")
    assert "For actors: Ukraine; keywords: power" in text
    assert "\nEnergy\n" in text
    assert "Positions of the day" in text
    assert "Beta [news](x): its last poll failed" in text
    markdown = render_markdown(digest)
    assert "\n## Energy\n" in markdown
    assert "\n### Strikes on" in markdown
    assert r"timed out \<after\> 30 s" in markdown
    data = json.loads(render_json(digest))
    assert data["empty"] is False
    assert data["actors"] == ["Ukraine"]
    [section] = data["sections"]
    assert section["topic_id"] == "energy"
    [item] = section["stories"]
    assert item["independent_sources"] == 2
    assert item["sources"][0]["url"].startswith("https://news.example/")
    assert item["positions"][0]["stance"] == "accuse"
    assert data["feed_notices"][0]["trouble"] == "failing"
    assert data["positions_of_the_day"][0]["claim"] == "Russia targets # civilians"


def invoke(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["digest", *args], env={"NEWSDIGEST_DATABASE_URL": database_url})


def test_the_cli_prints_digests_in_every_format(database_url: str) -> None:
    with Store.open(database_url) as store:
        alpha, beta = feed(store, "Alpha"), feed(store, "Beta")
        story(store, "Ceasefire talks resume", [alpha, beta], topics=("ceasefire",))
        story(store, "Oil sanctions widen", [beta], actors=("iran",), topics=("sanctions",))
        story(store, "Last week's news", [alpha], at=NOW - 3 * DAY)
        deliveries = store.counts()["deliveries"]

    text = invoke(database_url)
    assert text.exit_code == 0, text.output
    assert "Ceasefire talks resume" in text.output
    assert "Oil sanctions widen" in text.output
    assert "Last week's news" not in text.output
    week = invoke(database_url, "--since", "7d", "--format", "markdown")
    assert week.exit_code == 0, week.output
    assert week.output.startswith("# News digest, since ")
    assert "Last week" in week.output
    filtered = invoke(
        database_url,
        "--actors",
        "rusia, ukraine",
        "--topics",
        "conflict",
        "--feeds",
        "alpha",
        "--exclude",
        "oil",
        "--format",
        "json",
    )
    assert filtered.exit_code == 0, filtered.output
    data = json.loads(filtered.output)
    assert data["view"] == "digest"
    assert data["actors"] == ["Russia", "Ukraine"]
    assert data["topics"] == ["Conflict, war and peace"]
    assert data["feeds"] == ["Alpha"]
    assert data["exclude_keywords"] == ["oil"]
    assert [s["headline"] for sec in data["sections"] for s in sec["stories"]] == [
        "Ceasefire talks resume"
    ]
    nothing = invoke(database_url, "--keywords", "volcano")
    assert nothing.exit_code == 0
    assert "Nothing new since" in nothing.output
    # Ad hoc: no delivery is recorded.
    with Store.open(database_url) as store:
        assert store.counts()["deliveries"] == deliveries


def test_the_cli_refuses_bad_input_in_one_line(database_url: str) -> None:
    with Store.open(database_url) as store:
        feed(store, "Alpha")
    actor = invoke(database_url, "--actors", "russia,nowherelandia")
    assert actor.exit_code == 2
    assert "no actor called 'nowherelandia'" in actor.output
    assert len(actor.output.strip().splitlines()) == 1
    close = invoke(database_url, "--actors", "zelenskyyy and putinn")
    assert close.exit_code == 2
    topic = invoke(database_url, "--topics", "sanktions")
    assert topic.exit_code == 2
    assert "no topic called 'sanktions'; did you mean: sanctions?" in topic.output
    feed_error = invoke(database_url, "--feeds", "alfa", "--format", "json")
    assert feed_error.exit_code == 2
    assert '"view": "error"' in feed_error.output
    assert "did you mean: Alpha?" in feed_error.output
    duration = invoke(database_url, "--since", "yesterday")
    assert duration.exit_code == 2
    assert "--since: not a duration: 'yesterday'; give a whole number and a unit" in (
        duration.output
    )
