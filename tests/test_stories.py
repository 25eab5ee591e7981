"""Stories: copies and rewrites of one event from several outlets are one story; different
events with the same actors stay apart; clustering is incremental and survives a restart.

Articles, mentions and positions are stored directly (no spaCy model). Every test that stores
something runs on SQLite and on PostgreSQL. Texts are our own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Sequence

import pytest
from click.testing import CliRunner

from bot.cli import cli
from digests.analysis import Analysis, ArticleText, analyse_queue
from digests.compose import Reason, StoryClusterer, list_stories, merge_positions
from digests.model import (
    ActorMention,
    Article,
    Feed,
    Position,
    Stance,
    TopicMention,
    utc_now,
)
from digests.settings import StoriesSettings
from digests.store import Store

NOW = utc_now().replace(microsecond=0)
WEEK = dt.timedelta(days=7)

SWAP_TITLE = "Russia and Ukraine swap 150 prisoners of war in UAE-brokered exchange"
SWAP_TEXT = (
    "Russia and Ukraine exchanged 150 prisoners of war each on Friday in a deal brokered by the "
    "United Arab Emirates, the defence ministry in Moscow said. The freed Ukrainian soldiers "
    "were taken to Belarus before crossing the border, officials in Kyiv said. It was the "
    "fifth exchange mediated by the Gulf state this year. Families of the captured servicemen "
    "had gathered near the border since the morning, waiting for buses carrying the men home. "
    "Ukraine's human rights commissioner said more than 3,000 Ukrainians remain in Russian "
    "captivity and that talks on further exchanges would continue."
)
SWAP_SUMMARY = (
    "Russia and Ukraine exchanged 150 prisoners of war each on Friday in a deal brokered by "
    "the United Arab Emirates, the defence ministry in Moscow said.",
)
REWRITE_TITLE = "Captured soldiers return home as Kyiv and Moscow trade prisoners of war"
REWRITE_TEXT = (
    "Ukraine and Russia carried out a prisoner exchange on Friday, freeing 150 captured "
    "soldiers on each side after mediation by the United Arab Emirates. Buses carrying the "
    "freed prisoners crossed from Belarus in the afternoon, and relatives waited at the border "
    "for hours. Kyiv said thousands of Ukrainians are still held in Russian captivity."
)
REWRITE_SUMMARY = (
    "Ukraine and Russia carried out a prisoner exchange on Friday, freeing 150 captured "
    "soldiers on each side after mediation by the United Arab Emirates.",
    "Kyiv said thousands of Ukrainians are still held in Russian captivity.",
)
STRIKE_TITLE = "Russian drones strike Ukrainian power plants overnight, cutting electricity"
STRIKE_TEXT = (
    "Russia launched dozens of drones and missiles at Ukrainian energy infrastructure "
    "overnight, damaging power plants in three regions and leaving hundreds of thousands of "
    "homes without electricity, the energy ministry in Kyiv said. Air defences shot down most "
    "of the drones, the air force said. Repair crews were working to restore heating."
)
LATER_SWAP_TITLE = "Russia and Ukraine exchange prisoners of war again in UAE-mediated swap"
LATER_SWAP_TEXT = (
    "Russia and Ukraine exchanged prisoners of war on Thursday in another swap mediated by the "
    "United Arab Emirates, the defence ministry in Moscow said. Ukrainian soldiers freed in "
    "the exchange were taken to Belarus and crossed the border, Kyiv said."
)

SWAP_ACTORS = ("russia", "ukraine", "united-arab-emirates")
SWAP_TOPICS = ("humanitarian", "conflict")
STRIKE_ACTORS = ("russia", "ukraine")
STRIKE_TOPICS = ("military-action", "conflict")


def feed(store: Store, title: str) -> int:
    stored = store.add_feed(Feed(url=f"https://{title.lower().replace(' ', '')}.example/rss"))
    store.update_feed(dataclasses.replace(stored, title=title))
    assert stored.id is not None
    return stored.id


def article(
    store: Store,
    feed_id: int,
    title: str,
    text: str,
    *,
    at: dt.datetime = NOW,
    summary: Sequence[str] = (),
    actors: Sequence[str] = (),
    topics: Sequence[str] = (),
    positions: Sequence[tuple[str, Stance, str, str | None]] = (),
) -> Article:
    """An article stored as the analysis leaves it: mentions, positions, summary."""
    slug = f"{feed_id}-{abs(hash((title, text, at))) % 10**8}"
    stored = store.add_article(
        Article(
            feed_id=feed_id,
            key=slug,
            url=f"https://news.example/{slug}",
            title=title,
            text=text,
            published_at=at,
            first_seen_at=at,
            content_hash=slug,
        )
    )
    assert stored.id is not None
    found = [
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
    ]
    store.replace_analysis(
        stored.id,
        actors=[ActorMention(article_id=stored.id, actor_key=key, count=1) for key in actors],
        topics=[TopicMention(article_id=stored.id, topic_key=key, score=0.5) for key in topics],
        found=found,
        summary=summary,
        analysed_at=at,
    )
    return store.get_article(stored.id)


def place(clusterer: StoryClusterer, item: Article) -> int:
    """Cluster a stored article as the analysis hook does; its story's id."""
    assert item.id is not None
    actors = [m.actor_key for m in clusterer.store.actor_mentions(item.id)]
    topics = [m.topic_key for m in clusterer.store.topic_mentions(item.id)]
    placed = clusterer.place(item, actors, topics)
    assert clusterer.store.get_article(item.id).story_id == placed.story_id
    return placed.story_id


def swap(store: Store, feed_id: int, **changes: object) -> Article:
    values: dict[str, object] = {
        "summary": SWAP_SUMMARY,
        "actors": SWAP_ACTORS,
        "topics": SWAP_TOPICS,
    }
    values.update(changes)
    return article(store, feed_id, SWAP_TITLE, SWAP_TEXT, **values)  # type: ignore[arg-type]


def members(store: Store, story_id: int) -> list[int | None]:
    return [item.id for item in store.story_articles(story_id)]


def test_a_syndicated_copy_joins_the_story(store: Store) -> None:
    clusterer = StoryClusterer(store, StoriesSettings())
    reuters, wire = feed(store, "Reuters"), feed(store, "Wire Daily")
    first = swap(store, reuters)
    copy = swap(store, wire, at=NOW + dt.timedelta(hours=2), actors=(), topics=())
    story = place(clusterer, first)
    assert copy.id is not None
    placed = clusterer.place(copy, [], [])  # a copy needs no actors: its words are enough
    assert (placed.story_id, placed.reason) == (story, Reason.NEAR_DUPLICATE)
    assert placed.similarity is not None
    assert placed.similarity > 0.9
    assert members(store, story) == [first.id, copy.id]


def test_a_rewrite_by_another_outlet_joins_and_other_events_stay_apart(store: Store) -> None:
    clusterer = StoryClusterer(store, StoriesSettings())
    reuters, bbc, kyiv = feed(store, "Reuters"), feed(store, "BBC"), feed(store, "Kyiv Post")
    first = swap(store, reuters)
    rewrite = article(
        store,
        bbc,
        REWRITE_TITLE,
        REWRITE_TEXT,
        at=NOW + dt.timedelta(hours=5),
        summary=REWRITE_SUMMARY,
        actors=SWAP_ACTORS[:2],
        topics=SWAP_TOPICS[:1],
    )
    # Same day, same actors: a different event, in other words and on other topics.
    strike = article(
        store,
        kyiv,
        STRIKE_TITLE,
        STRIKE_TEXT,
        at=NOW + dt.timedelta(hours=3),
        actors=STRIKE_ACTORS,
        topics=STRIKE_TOPICS,
    )
    story = place(clusterer, first)
    strike_story = place(clusterer, strike)
    assert rewrite.id is not None
    placed = clusterer.place(rewrite, SWAP_ACTORS[:2], SWAP_TOPICS[:1])
    assert (placed.story_id, placed.reason) == (story, Reason.SAME_EVENT)
    assert strike_story != story
    assert members(store, story) == [first.id, rewrite.id]
    assert members(store, strike_story) == [strike.id]


def test_the_same_kind_of_event_a_week_later_is_another_story(store: Store) -> None:
    clusterer = StoryClusterer(store, StoriesSettings())
    reuters, tass = feed(store, "Reuters"), feed(store, "TASS")
    first = swap(store, reuters)
    later = article(
        store,
        tass,
        LATER_SWAP_TITLE,
        LATER_SWAP_TEXT,
        at=NOW + dt.timedelta(days=7),
        actors=SWAP_ACTORS,
        topics=SWAP_TOPICS,
    )
    # The same wording, too: only time tells them apart.
    repeat = swap(store, tass, at=NOW + dt.timedelta(days=7, hours=1))
    assert place(clusterer, first) != place(clusterer, later)
    assert place(clusterer, repeat) == place(clusterer, later)


def test_a_lone_article_or_too_few_shared_actors_starts_a_story(store: Store) -> None:
    settings = StoriesSettings(min_shared_actors=3)
    clusterer = StoryClusterer(store, settings)
    reuters, bbc = feed(store, "Reuters"), feed(store, "BBC")
    first = place(clusterer, swap(store, reuters))
    rewrite = article(
        store,
        bbc,
        REWRITE_TITLE,
        REWRITE_TEXT,
        summary=REWRITE_SUMMARY,
        actors=SWAP_ACTORS[:2],
        topics=SWAP_TOPICS,
    )
    assert place(clusterer, rewrite) != first


def test_adding_an_article_moves_no_other_article(store: Store) -> None:
    clusterer = StoryClusterer(store, StoriesSettings())
    reuters, bbc, kyiv = feed(store, "Reuters"), feed(store, "BBC"), feed(store, "Kyiv Post")
    swap_story = place(clusterer, swap(store, reuters))
    strike_story = place(
        clusterer,
        article(store, kyiv, STRIKE_TITLE, STRIKE_TEXT, actors=STRIKE_ACTORS, topics=STRIKE_TOPICS),
    )
    before = {story: members(store, story) for story in (swap_story, strike_story)}
    # An article about both events: it joins one story and moves nothing else.
    bridge = article(
        store,
        bbc,
        "Prisoners swapped as Russian drones hit Ukrainian power plants",
        f"{SWAP_TEXT} {STRIKE_TEXT}",
        at=NOW + dt.timedelta(hours=1),
        actors=SWAP_ACTORS,
        topics=(*SWAP_TOPICS, "military-action"),
    )
    joined = place(clusterer, bridge)
    for story, ids in before.items():
        assert members(store, story) == ids + ([bridge.id] if story == joined else [])
    # An article placed already keeps its story when it is analysed again.
    again = store.get_article(bridge.id or 0)
    placed = clusterer.place(again, SWAP_ACTORS, SWAP_TOPICS)
    assert (placed.story_id, placed.reason) == (joined, Reason.ALREADY_PLACED)


def test_after_a_restart_a_new_copy_joins_the_stored_story(store: Store) -> None:
    reuters, wire, bbc = feed(store, "Reuters"), feed(store, "Wire Daily"), feed(store, "BBC")
    story = place(StoryClusterer(store, StoriesSettings()), swap(store, reuters))
    # Analysed while the clustering was not running: placed when it opens.
    missed = swap(store, bbc, at=NOW + dt.timedelta(minutes=30))
    restarted = StoryClusterer.open(store, StoriesSettings(), now=NOW + dt.timedelta(hours=3))
    assert len(restarted.index) == 2
    assert store.get_article(missed.id or 0).story_id == story
    copy = swap(store, wire, at=NOW + dt.timedelta(hours=2))
    assert place(restarted, copy) == story
    # Articles older than the window are not read back.
    late = StoryClusterer.open(store, StoriesSettings(), now=NOW + dt.timedelta(days=4))
    assert len(late.index) == 0


def test_a_story_unites_its_sources_actors_topics_and_positions(store: Store) -> None:
    clusterer = StoryClusterer(store, StoriesSettings())
    reuters, wire, bbc = feed(store, "Reuters"), feed(store, "Wire Daily"), feed(store, "BBC")
    claim = "the exchange would be followed by others"
    first = swap(
        store,
        reuters,
        at=NOW + dt.timedelta(hours=1),
        positions=[("ukraine", Stance.CLAIM, claim, "humanitarian")],
    )
    copy = swap(
        store,
        wire,
        at=NOW + dt.timedelta(hours=2),
        summary=(),
        positions=[("ukraine", Stance.CLAIM, claim + ".", "humanitarian")],
    )
    # The earliest report, analysed last: its headline becomes the story's.
    rewrite = article(
        store,
        bbc,
        REWRITE_TITLE,
        REWRITE_TEXT,
        at=NOW,
        summary=REWRITE_SUMMARY,
        actors=(*SWAP_ACTORS[:2], "belarus"),
        topics=SWAP_TOPICS,
        positions=[("russia", Stance.DEMAND, "Kyiv must return all prisoners", None)],
    )
    story = {place(clusterer, item) for item in (first, copy, rewrite)}
    assert len(story) == 1
    [detail] = list_stories(store, since=NOW - dt.timedelta(hours=1))
    assert detail.story.id == story.pop()
    assert detail.story.headline == REWRITE_TITLE
    assert detail.story.summary == " ".join(REWRITE_SUMMARY)  # the longest summary
    assert detail.story.first_seen_at == NOW
    assert detail.story.updated_at == NOW + dt.timedelta(hours=2)
    assert [(s.outlet, s.url) for s in detail.sources] == [
        ("BBC", rewrite.url),
        ("Reuters", first.url),
        ("Wire Daily", copy.url),
    ]
    assert detail.outlets == ("BBC", "Reuters", "Wire Daily")
    assert detail.actors[:2] == ("russia", "ukraine")
    assert set(detail.actors) == {*SWAP_ACTORS, "belarus"}
    assert set(detail.topics) == set(SWAP_TOPICS)
    # The same claim reported twice is one position with two sources.
    assert [(p.position.actor_key, p.article_ids) for p in detail.positions] == [
        ("ukraine", (first.id, copy.id)),
        ("russia", (rewrite.id,)),
    ]
    assert list_stories(store, since=NOW + dt.timedelta(hours=3)) == []


def test_near_identical_claims_merge_and_different_ones_do_not() -> None:
    said = [
        Position(
            article_id=article_id, actor_key="ukraine", stance=stance, claim=claim, evidence=""
        )
        for article_id, stance, claim in (
            (1, Stance.CLAIM, "a b c d"),
            (2, Stance.CLAIM, "a b c d e"),
            (3, Stance.REJECT, "a b c d"),
            (4, Stance.CLAIM, "x y z"),
        )
    ]
    assert [p.article_ids for p in merge_positions(said)] == [(1, 2), (3,), (4,)]


class _FakeAnalyzer:
    """Analyses every article into its title as its summary and nothing else."""

    max_text_chars = 50_000

    def analyse_many(self, texts: Sequence[ArticleText]) -> list[Analysis]:
        return [Analysis(t.title, (t.title,), (), (), ()) for t in texts]


def test_the_analysis_queue_clusters_what_it_analysed(store: Store) -> None:
    reuters, wire = feed(store, "Reuters"), feed(store, "Wire Daily")
    for feed_id, key in ((reuters, "a"), (wire, "b")):
        store.add_article(
            Article(feed_id=feed_id, key=key, title=SWAP_TITLE, text=SWAP_TEXT, content_hash=key)
        )
    clusterer = StoryClusterer.open(store, StoriesSettings())
    run = analyse_queue(store, _FakeAnalyzer(), on_analysed=clusterer.on_analysed)  # type: ignore[arg-type]
    assert run.analysed == 2
    [detail] = list_stories(store)
    assert detail.outlets == ("Reuters", "Wire Daily")
    assert detail.story.summary == SWAP_TITLE


def test_a_failing_clustering_never_fails_the_analysis(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    reuters = feed(store, "Reuters")
    store.add_article(Article(feed_id=reuters, key="a", title=SWAP_TITLE, content_hash="a"))
    clusterer = StoryClusterer(store, StoriesSettings())

    def broken(*_args: object) -> None:
        raise RuntimeError("index broken")

    clusterer.place = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        run = analyse_queue(store, _FakeAnalyzer(), on_analysed=clusterer.on_analysed)  # type: ignore[arg-type]
    assert (run.analysed, run.failed) == (1, 0)
    assert "story clustering of article" in caplog.text
    assert store.count_queued() == 0


def test_stories_command_lists_them_newest_first(database_url: str) -> None:
    with Store.open(database_url) as store:
        clusterer = StoryClusterer(store, StoriesSettings())
        reuters, kyiv = feed(store, "Reuters"), feed(store, "Kyiv Post")
        place(clusterer, swap(store, reuters, at=NOW - dt.timedelta(hours=3)))
        strike = article(
            store, kyiv, STRIKE_TITLE, STRIKE_TEXT, actors=STRIKE_ACTORS, topics=STRIKE_TOPICS
        )
        place(clusterer, strike)
        place(clusterer, swap(store, kyiv, at=NOW - dt.timedelta(hours=2)))
        place(clusterer, article(store, kyiv, LATER_SWAP_TITLE, LATER_SWAP_TEXT, at=NOW - WEEK))
    runner = CliRunner()
    env = {"NEWSDIGEST_DATABASE_URL": database_url}
    result = runner.invoke(cli, ["stories", "--since", "24h", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [item["headline"] for item in listed] == [STRIKE_TITLE, SWAP_TITLE]
    assert listed[1]["outlets"] == ["Reuters", "Kyiv Post"]
    assert listed[1]["sources"][0]["outlet"] == "Reuters"
    assert "russia" in listed[0]["actors"]
    text = runner.invoke(cli, ["stories", "--since", "8d"], env=env)
    assert text.exit_code == 0, text.output
    assert text.output.index(STRIKE_TITLE) < text.output.index(SWAP_TITLE)
    assert text.output.index(SWAP_TITLE) < text.output.index(LATER_SWAP_TITLE)
    assert "2 sources: Reuters, Kyiv Post" in text.output
    bad = runner.invoke(cli, ["stories", "--since", "yesterday"], env=env)
    assert bad.exit_code == 2
    assert "--since: not a duration" in bad.output


def test_settings_refuse_impossible_thresholds() -> None:
    with pytest.raises(ValueError, match="near_duplicate_jaccard"):
        StoriesSettings(near_duplicate_jaccard=1.5)
    assert StoriesSettings().window_hours == 72.0
