"""Every table round-trips through the repository, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from digests.errors import (
    AlreadyExistsError,
    ArticleNotFoundError,
    DeliveryExistsError,
    FeedExistsError,
    FeedNotFoundError,
    StoreError,
    StoreNotMigratedError,
    SubscriptionNotFoundError,
)
from digests.model import (
    UTC,
    ActorMention,
    Article,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Feed,
    FullText,
    Platform,
    Position,
    Stance,
    Story,
    Subscription,
    SubscriptionFilters,
    TextSource,
    TopicMention,
)
from digests.store import Store

# Microseconds on purpose: both backends must give back exactly what went in.
T0 = dt.datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)
T1 = T0 + dt.timedelta(hours=3, microseconds=1)


def full_feed(url: str = "https://example.org/feed.xml") -> Feed:
    """A feed with every field set to something other than its default."""
    return Feed(
        url=url,
        title="Example World",
        site_url="https://example.org/",
        full_text=FullText.ALWAYS,
        enabled=False,
        disabled_reason="410 Gone",
        added_at=T0,
        etag='W/"abc"',
        last_modified="Sun, 29 Mar 2026 00:59:59 GMT",
        last_fetched_at=T1,
        last_success_at=T0,
        next_check_at=T1,
        failure_count=4,
        last_error="HTTP 503",
    )


def full_article(feed_id: int, key: str = "urn:example:1") -> Article:
    return Article(
        feed_id=feed_id,
        key=key,
        title="Russian official demands Ukraine's neutrality",
        url="https://example.org/a/1",
        summary="A short summary.",
        text="Full text. Ünïcödé — “quotes” too.",
        text_source=TextSource.PAGE,
        author="A. Reporter",
        published_at=T0,
        updated_at=T1,
        first_seen_at=T1,
        content_hash="f" * 64,
        seen_on_first_poll=True,
        analysed_at=None,
        analysis_summary=("A lead sentence.", "Another one."),
        analysis_error="RuntimeError: an earlier failure",
    )


def full_subscription(channel: str = "C1") -> Subscription:
    return Subscription(
        platform=Platform.SLACK,
        workspace_id="T1",
        channel_id=channel,
        filters=SubscriptionFilters(
            actors=("russia", "ukraine"),
            topics=("ceasefire",),
            feeds=("https://example.org/feed.xml",),
            keywords=("Kursk",),
            exclude_keywords=("football",),
        ),
        local_time=dt.time(6, 45),
        timezone="Europe/Berlin",
        days=frozenset({0, 2, 4, 6}),
        enabled=False,
        created_by="U42",
        created_at=T0,
        updated_at=T0,
        last_delivered_at=T1,
    )


# -- feeds ------------------------------------------------------------------------------------


def test_feed_round_trips_every_field(store: Store) -> None:
    feed = full_feed()
    stored = store.add_feed(feed)
    assert stored.id is not None
    assert store.get_feed(stored.id) == stored
    assert stored == dataclasses.replace(feed, id=stored.id)
    assert store.find_feed(feed.url) == stored


def test_feed_update_writes_fetch_state_and_new_url(store: Store) -> None:
    stored = store.add_feed(Feed(url="https://example.org/old", added_at=T0))
    moved = dataclasses.replace(
        stored, url="https://example.org/new", etag='"v2"', failure_count=0, next_check_at=T1
    )
    store.update_feed(moved)
    assert store.get_feed(moved.id or 0) == moved
    assert store.find_feed("https://example.org/old") is None


def test_adding_a_feed_twice_is_refused_with_its_url_and_cause(store: Store) -> None:
    store.add_feed(Feed(url="https://example.org/feed"))
    with pytest.raises(FeedExistsError) as caught:
        store.add_feed(Feed(url="https://example.org/feed", title="again"))
    assert caught.value.url == "https://example.org/feed"
    assert isinstance(caught.value.__cause__, IntegrityError)
    assert len(store.list_feeds()) == 1


def test_list_feeds_in_order_and_filtered(store: Store) -> None:
    first = store.add_feed(Feed(url="https://a.example/f"))
    second = store.add_feed(Feed(url="https://b.example/f", enabled=False))
    assert store.list_feeds() == [first, second]
    assert store.list_feeds(enabled_only=True) == [first]


def test_removing_a_feed_removes_its_articles(store: Store) -> None:
    feed = store.add_feed(Feed(url="https://example.org/feed"))
    article = store.add_article(full_article(feed.id or 0))
    store.remove_feed(feed.id or 0)
    with pytest.raises(ArticleNotFoundError):
        store.get_article(article.id or 0)
    with pytest.raises(FeedNotFoundError) as caught:
        store.remove_feed(feed.id or 0)
    assert isinstance(caught.value, LookupError)


# -- articles ---------------------------------------------------------------------------------


def test_article_round_trips_every_field(store: Store) -> None:
    feed = store.add_feed(Feed(url="https://example.org/feed"))
    article = full_article(feed.id or 0)
    stored = store.add_article(article)
    assert store.get_article(stored.id or 0) == stored == dataclasses.replace(article, id=stored.id)
    assert store.find_article(feed.id or 0, article.key) == stored
    assert store.find_article(feed.id or 0, "other") is None


def test_article_identity_is_unique_per_feed_only(store: Store) -> None:
    one = store.add_feed(Feed(url="https://one.example/feed"))
    two = store.add_feed(Feed(url="https://two.example/feed"))
    store.add_article(full_article(one.id or 0, key="same"))
    store.add_article(full_article(two.id or 0, key="same"))  # another feed: fine
    with pytest.raises(AlreadyExistsError) as caught:
        store.add_article(full_article(one.id or 0, key="same"))
    assert caught.value.key == (one.id, "same")


def test_article_of_an_unknown_feed_is_refused(store: Store) -> None:
    with pytest.raises(FeedNotFoundError):
        store.add_article(full_article(feed_id=999))


def test_article_update_and_listing(store: Store) -> None:
    feed = store.add_feed(Feed(url="https://example.org/feed"))
    older = store.add_article(
        dataclasses.replace(full_article(feed.id or 0, "a"), first_seen_at=T0)
    )
    newer = store.add_article(
        dataclasses.replace(full_article(feed.id or 0, "b"), first_seen_at=T1)
    )
    assert store.list_articles() == [newer, older]
    assert store.list_articles(since=T1) == [newer]
    assert store.list_articles(limit=1) == [newer]
    edited = dataclasses.replace(older, title="Edited", content_hash="0" * 64)
    store.update_article(edited)
    assert store.get_article(older.id or 0) == edited


# -- what the analysis found ------------------------------------------------------------------


def test_analysis_round_trips_and_is_replaced_whole(store: Store) -> None:
    feed = store.add_feed(Feed(url="https://example.org/feed"))
    article = store.add_article(full_article(feed.id or 0))
    article_id = article.id or 0
    position = Position(
        article_id=article_id,
        actor_key="russia",
        stance=Stance.DEMAND,
        claim="Ukraine must stay out of NATO",
        evidence="Grushko stated that any peace deal should guarantee Ukraine's neutral status.",
        speaker="Alexander Grushko",
        speaker_role="Deputy Foreign Minister",
        topic_key="nato",
        target_key="ukraine",
        channel="Izvestia",
        stated_at=T0,
    )
    stored = store.replace_analysis(
        article_id,
        actors=[ActorMention(article_id=article_id, actor_key="russia", count=5)],
        topics=[TopicMention(article_id=article_id, topic_key="nato", score=0.75)],
        found=[position],
        analysed_at=T1,
    )
    assert stored == [dataclasses.replace(position, id=stored[0].id)]
    assert store.positions_of_article(article_id) == stored
    assert store.actor_mentions(article_id) == [
        ActorMention(article_id=article_id, actor_key="russia", count=5)
    ]
    assert store.topic_mentions(article_id) == [
        TopicMention(article_id=article_id, topic_key="nato", score=0.75)
    ]
    assert store.get_article(article_id).analysed_at == T1

    store.replace_analysis(article_id, actors=[], topics=[], found=[], analysed_at=T1)
    assert store.positions_of_article(article_id) == []
    assert store.actor_mentions(article_id) == []
    assert store.topic_mentions(article_id) == []


def test_analysis_keeps_the_summary_and_error_and_an_edit_requeues(store: Store) -> None:
    feed = store.add_feed(Feed(url="https://example.org/feed"))
    article = store.add_article(full_article(feed.id or 0))
    article_id = article.id or 0
    store.replace_analysis(
        article_id,
        actors=[],
        topics=[],
        found=[],
        summary=["First sentence.", "Second."],
        analysed_at=T1,
        content_hash=article.content_hash,
    )
    analysed = store.get_article(article_id)
    assert analysed.analysed_at == T1
    assert (analysed.analysis_summary, analysed.analysis_error) == (
        ("First sentence.", "Second."),
        None,
    )

    edited = dataclasses.replace(article, text="Edited.", content_hash="e" * 64)
    assert store.save_entries(feed.id or 0, [edited]).updated == [article_id]
    requeued = store.get_article(article_id)
    assert requeued.analysed_at is None  # queued again; the last results stay until replaced
    assert requeued.analysis_summary == analysed.analysis_summary

    store.replace_analysis(  # results for the content before the edit: it stays queued
        article_id,
        actors=[],
        topics=[],
        found=[],
        error="RuntimeError: boom",
        analysed_at=T1,
        content_hash=article.content_hash,
    )
    stale = store.get_article(article_id)
    assert (stale.analysed_at, stale.analysis_summary, stale.analysis_error) == (
        None,
        (),
        "RuntimeError: boom",
    )
    assert [queued.id for queued in store.analysis_queue()] == [article_id]


def test_analysis_of_a_missing_article_writes_nothing(store: Store) -> None:
    with pytest.raises(ArticleNotFoundError):
        store.replace_analysis(
            404,
            actors=[ActorMention(article_id=404, actor_key="russia")],
            topics=[],
            found=[],
            analysed_at=T1,
        )


# -- stories ----------------------------------------------------------------------------------


def test_story_round_trips_with_its_articles(store: Store) -> None:
    feed = store.add_feed(Feed(url="https://example.org/feed"))
    first = store.add_article(full_article(feed.id or 0, "a"))
    second = store.add_article(full_article(feed.id or 0, "b"))
    story = Story(
        headline="Russia demands neutrality", summary="...", first_seen_at=T0, updated_at=T1
    )
    stored = store.add_story(story, [first.id or 0])
    assert store.get_story(stored.id or 0) == dataclasses.replace(story, id=stored.id)
    assert [a.id for a in store.story_articles(stored.id or 0)] == [first.id]

    grown = dataclasses.replace(stored, summary="Two outlets now.", updated_at=T1)
    store.update_story(grown, add_articles=[second.id or 0])
    assert store.get_story(stored.id or 0) == grown
    assert [a.id for a in store.story_articles(stored.id or 0)] == [first.id, second.id]
    assert store.get_article(second.id or 0).story_id == stored.id


# -- subscriptions ----------------------------------------------------------------------------


def test_subscription_round_trips_every_field(store: Store) -> None:
    subscription = full_subscription()
    stored = store.save_subscription(subscription)[0]
    assert store.get_subscription(stored.id or 0) == stored
    assert stored == dataclasses.replace(subscription, id=stored.id)
    assert store.find_subscription(Platform.SLACK, "T1", "C1") == stored
    assert store.find_subscription(Platform.DISCORD, "T1", "C1") is None


def test_saving_a_channels_subscription_again_edits_it(store: Store) -> None:
    stored = store.save_subscription(full_subscription())[0]
    again = Subscription(
        platform=Platform.SLACK,
        workspace_id="T1",
        channel_id="C1",
        local_time=dt.time(8, 0),
        timezone="Asia/Tokyo",
        created_at=T1,
        updated_at=T1,
    )
    edited, created = store.save_subscription(again)
    assert not created
    assert edited.id == stored.id
    assert edited.created_at == stored.created_at  # created once, edited since
    assert edited.local_time == dt.time(8, 0)
    assert edited.filters == SubscriptionFilters()
    assert len(store.list_subscriptions()) == 1


def test_subscriptions_listed_by_platform_and_workspace(store: Store) -> None:
    slack = store.save_subscription(full_subscription("C1"))[0]
    discord = store.save_subscription(
        Subscription(platform=Platform.DISCORD, workspace_id="G1", channel_id="42")
    )[0]
    assert store.list_subscriptions() == [slack, discord]
    assert store.list_subscriptions(platform=Platform.DISCORD) == [discord]
    assert store.list_subscriptions(workspace_id="T1") == [slack]
    store.remove_subscription(slack.id or 0)
    with pytest.raises(SubscriptionNotFoundError):
        store.get_subscription(slack.id or 0)


# -- deliveries -------------------------------------------------------------------------------


def test_delivery_round_trips_and_is_unique_per_period(store: Store) -> None:
    subscription = store.save_subscription(full_subscription())[0]
    delivery = Delivery(
        subscription_id=subscription.id or 0,
        kind=DeliveryKind.DIGEST,
        period="2026-03-29",
        nonce="d-1-2026-03-29",
        created_at=T0,
    )
    stored = store.add_delivery(delivery)
    assert store.get_delivery(stored.id or 0) == dataclasses.replace(delivery, id=stored.id)

    with pytest.raises(DeliveryExistsError) as caught:
        store.add_delivery(dataclasses.replace(delivery, nonce="other"))
    assert caught.value.key == (subscription.id, "digest", "2026-03-29")
    assert isinstance(caught.value.__cause__, IntegrityError)
    # Another kind or another period is another delivery.
    store.add_delivery(dataclasses.replace(delivery, kind=DeliveryKind.WATCH_ALERT))
    store.add_delivery(dataclasses.replace(delivery, period="2026-03-30"))

    sent = dataclasses.replace(
        stored, status=DeliveryStatus.SENT, attempts=2, sent_at=T1, message_ids=("m1", "m2")
    )
    store.update_delivery(sent)
    assert store.get_delivery(stored.id or 0) == sent
    assert store.list_deliveries(status=DeliveryStatus.SENT) == [sent]
    assert len(store.list_deliveries(subscription_id=subscription.id)) == 3


def test_delivery_for_an_unknown_subscription_is_refused(store: Store) -> None:
    with pytest.raises(SubscriptionNotFoundError):
        store.add_delivery(Delivery(subscription_id=7, kind=DeliveryKind.DIGEST, period="p"))


# -- meta and opening -------------------------------------------------------------------------


def test_meta_values_are_set_and_replaced(store: Store) -> None:
    assert store.get_meta("k") is None
    store.set_meta("k", "1")
    store.set_meta("k", "2")
    assert store.get_meta("k") == "2"


def test_an_unmigrated_database_is_refused_without_migrate(database_url: str) -> None:
    with pytest.raises(StoreNotMigratedError) as caught:
        Store.open(database_url, migrate=False)
    assert "newsdigest db upgrade" in str(caught.value)
    with Store.open(database_url):  # migrates
        pass
    with Store.open(database_url, migrate=False) as store:
        assert store.counts()["feeds"] == 0


def test_an_unreachable_database_is_one_clear_error() -> None:
    url = "postgresql+psycopg://someone:hunter2@127.0.0.1:1/nothing?connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert message.startswith("cannot open database postgresql+psycopg://someone:***@")
    assert "hunter2" not in message
    assert "\n" not in message
    assert caught.value.__cause__ is not None


def test_only_utc_datetimes_are_stored(store: Store) -> None:
    # The model refuses them first; the column type is the second guard, for a record built
    # around the model's checks.
    feed = store.add_feed(Feed(url="https://example.org/feed"))
    sneaky = object.__new__(Feed)
    for item in dataclasses.fields(Feed):
        object.__setattr__(sneaky, item.name, getattr(feed, item.name))
    object.__setattr__(sneaky, "next_check_at", dt.datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(StatementError, match="timezone-aware"):
        store.update_feed(sneaky)
    assert store.get_feed(feed.id or 0) == feed


# -- watches ----------------------------------------------------------------------------------


def test_a_watch_is_stored_once_per_channel_actor_and_topic(store: Store) -> None:
    from digests.errors import WatchNotFoundError
    from digests.model import Platform, Watch

    def watch(channel: str = "c1", topic: str | None = None) -> Watch:
        return Watch(
            platform=Platform.DISCORD,
            workspace_id="g1",
            channel_id=channel,
            actor_key="russia",
            topic_key=topic,
        )

    first, new = store.save_watch(watch())
    again, new_again = store.save_watch(watch())
    on_topic, _ = store.save_watch(watch(topic="ceasefire"))
    store.save_watch(watch(channel="c2"))

    assert (new, new_again) == (True, False)
    assert again.id == first.id
    assert on_topic.id != first.id
    assert [w.topic_key for w in store.list_watches(channel_id="c1")] == [None, "ceasefire"]
    assert store.remove_watch(watch()).id == first.id
    assert [w.topic_key for w in store.list_watches(channel_id="c1")] == ["ceasefire"]
    with pytest.raises(WatchNotFoundError):
        store.remove_watch(watch())
    assert len(store.list_watches(platform=Platform.DISCORD, workspace_id="g1")) == 2
