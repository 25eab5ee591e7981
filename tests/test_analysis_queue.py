"""The analysis of stored articles: the queue drained into mentions and positions, edits
analysed again, failures contained; `ingest` and `analyse --pending` as a user runs them.

Every test that stores something runs on SQLite and on PostgreSQL. Texts are our own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import EXIT_CONFIG, cli
from digests.analysis import (
    Analysis,
    Analyzer,
    ArticleDone,
    ArticleText,
    Outcome,
    analyse_queue,
    load_analyzer,
)
from digests.model import UTC, Article, Feed, Stance
from digests.settings import AnalysisSettings
from digests.store import Store
from tests.feeds import Item, rss
from tests.feedserver import FeedServer

PUBLISHED = dt.datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
PESKOV = (
    "Kremlin spokesman Dmitry Peskov said on Monday that Russia rejects any foreign monitors "
    "in Ukraine."
)
ZELENSKY = (
    "Ukrainian President Volodymyr Zelensky has accused Vladimir Putin of undermining "
    "diplomatic efforts to secure a ceasefire."
)
LAVROV = (
    "Russian Foreign Minister Sergey Lavrov met his Turkish counterpart in Ankara. He said "
    "that Ukraine must remain outside any military bloc."
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    """Loaded once for the module: the model takes a second or two."""
    return load_analyzer(AnalysisSettings())


def store_articles(store: Store, texts: dict[str, str]) -> list[int]:
    """One feed with an article per (title, text), stored as a poll stores them: queued."""
    feed = store.add_feed(Feed(url="https://news.example/feed.xml"))
    entries = [
        Article(
            feed_id=feed.id or 0,
            key=f"urn:test:{title}",
            title=title,
            text=text,
            published_at=PUBLISHED,
            content_hash=digest(text),
        )
        for title, text in texts.items()
    ]
    return store.save_entries(feed.id or 0, entries).added


def edit(store: Store, article_id: int, text: str) -> None:
    """Store an edit of the article, as a poll that finds it changed does."""
    stored = store.get_article(article_id)
    edited = dataclasses.replace(stored, text=text, content_hash=digest(text))
    assert store.save_entries(stored.feed_id, [edited]).updated == [article_id]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def actors_of_positions(store: Store, article_id: int) -> list[tuple[str, Stance]]:
    return [(p.actor_key, p.stance) for p in store.positions_of_article(article_id)]


def failing_for(title: str, analyzer: Analyzer) -> Callable[..., list[Analysis]]:
    """The analyzer's own analyse_many, except that it fails on the article titled ``title``."""
    analyse_many = analyzer.analyse_many

    def wrapped(articles: Sequence[ArticleText]) -> list[Analysis]:
        if any(article.title == title for article in articles):
            raise RuntimeError("the parser fell over")
        return analyse_many(articles)

    return wrapped


# -- the library --------------------------------------------------------------------------------


def test_the_queue_is_drained_into_mentions_positions_and_summaries(
    store: Store, analyzer: Analyzer
) -> None:
    ids = store_articles(
        store, {"Kremlin rejects": PESKOV, "Lavrov in Ankara": LAVROV, "Zelensky accuses": ZELENSKY}
    )
    seen: list[ArticleDone] = []

    run = analyse_queue(store, analyzer, batch_size=2, progress=seen.append)

    assert (run.analysed, run.failed, run.removed) == (3, 0, 0)
    assert [done.article_id for done in seen] == ids
    assert store.count_queued() == 0
    peskov, lavrov, zelensky = ids
    assert ("russia", Stance.REJECT) in actors_of_positions(store, peskov)
    assert ("russia", Stance.DEMAND) in actors_of_positions(store, lavrov)
    assert ("ukraine", Stance.ACCUSE) in actors_of_positions(store, zelensky)
    assert run.positions == sum(len(store.positions_of_article(i)) for i in ids)
    (accusation,) = store.positions_of_article(zelensky)
    assert (accusation.target_key, accusation.stated_at) == ("russia", PUBLISHED)
    assert accusation.confidence is not None
    assert 0 < accusation.confidence <= 1
    assert accusation.evidence == ZELENSKY
    assert {"ukraine", "russia"} <= {m.actor_key for m in store.actor_mentions(zelensky)}
    analysed = store.get_article(zelensky)
    assert analysed.analysed_at is not None
    assert analysed.analysis_summary == (ZELENSKY,)
    assert analysed.analysis_error is None


def test_a_position_of_an_undated_article_is_dated_by_its_first_sighting(
    store: Store, analyzer: Analyzer
) -> None:
    feed = store.add_feed(Feed(url="https://news.example/feed.xml"))
    seen = dt.datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    undated = Article(
        feed_id=feed.id or 0,
        key="urn:test:undated",
        title="Zelensky accuses",
        text=ZELENSKY,
        first_seen_at=seen,
        content_hash=digest(ZELENSKY),
    )
    (article_id,) = store.save_entries(feed.id or 0, [undated]).added

    analyse_queue(store, analyzer)

    (accusation,) = store.positions_of_article(article_id)
    assert accusation.stated_at == seen  # a lookup of that day finds it
    found = store.reported_positions(
        start=seen - dt.timedelta(days=1), end=seen + dt.timedelta(days=1), actor_keys=["ukraine"]
    )
    assert [report.position.article_id for report in found] == [article_id]


def test_an_edited_article_is_analysed_again_and_its_results_replaced(
    store: Store, analyzer: Analyzer
) -> None:
    (article_id,) = store_articles(store, {"Monitors": PESKOV})
    analyse_queue(store, analyzer)
    assert ("russia", Stance.REJECT) in actors_of_positions(store, article_id)

    edit(store, article_id, ZELENSKY)
    assert store.count_queued() == 1

    run = analyse_queue(store, analyzer)
    assert (run.analysed, store.count_queued()) == (1, 0)
    assert actors_of_positions(store, article_id) == [("ukraine", Stance.ACCUSE)]  # replaced
    assert store.get_article(article_id).analysis_summary == (ZELENSKY,)


def test_one_failing_article_does_not_stop_the_others(
    store: Store,
    analyzer: Analyzer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = store_articles(store, {"First": PESKOV, "Broken": LAVROV, "Third": ZELENSKY})
    monkeypatch.setattr(analyzer, "analyse_many", failing_for("Broken", analyzer))

    with caplog.at_level(logging.ERROR, logger="digests.analysis"):
        run = analyse_queue(store, analyzer, batch_size=1)

    assert (run.analysed, run.failed, store.count_queued()) == (2, 1, 0)
    first, broken, third = ids
    assert store.positions_of_article(first)
    assert store.positions_of_article(third)
    failed = store.get_article(broken)
    assert failed.analysed_at is not None  # not retried on every run
    assert failed.analysis_error == "RuntimeError: the parser fell over"
    assert store.positions_of_article(broken) == []
    assert f"the analysis of article {broken} failed" in caplog.text
    assert "the parser fell over" in caplog.text  # the traceback is in the log
    assert analyse_queue(store, analyzer).analysed == 0

    monkeypatch.undo()  # fixed; an edit queues the article again
    edit(store, broken, PESKOV)
    assert analyse_queue(store, analyzer).analysed == 1
    assert store.get_article(broken).analysis_error is None
    assert store.positions_of_article(broken)


def test_an_article_edited_while_it_is_analysed_is_analysed_again(
    store: Store, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (article_id,) = store_articles(store, {"Monitors": PESKOV})
    analyse_many = analyzer.analyse_many
    texts: list[str] = []

    def edit_meanwhile(articles: Sequence[ArticleText]) -> list[Analysis]:
        texts.extend(article.text for article in articles)
        if len(texts) == 1:  # a poll stores an edit while the first analysis runs
            edit(store, article_id, ZELENSKY)
        return analyse_many(articles)

    monkeypatch.setattr(analyzer, "analyse_many", edit_meanwhile)
    run = analyse_queue(store, analyzer)

    assert texts == [PESKOV, ZELENSKY]
    assert (run.analysed, store.count_queued()) == (2, 0)
    assert actors_of_positions(store, article_id) == [("ukraine", Stance.ACCUSE)]


def test_a_limit_and_an_article_removed_while_it_is_analysed(
    store: Store, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_articles(store, {"One": PESKOV, "Two": LAVROV, "Three": ZELENSKY})
    assert analyse_queue(store, analyzer, limit=1).analysed == 1
    assert store.count_queued() == 2

    analyse_many = analyzer.analyse_many

    def remove_feed(articles: Sequence[ArticleText]) -> list[Analysis]:
        for feed in store.list_feeds():  # the feed goes, with its articles
            store.remove_feed(feed.id or 0)
        return analyse_many(articles)

    monkeypatch.setattr(analyzer, "analyse_many", remove_feed)
    seen: list[ArticleDone] = []
    run = analyse_queue(store, analyzer, progress=seen.append)
    assert (run.analysed, run.failed, run.removed) == (0, 0, 2)
    assert [done.outcome for done in seen] == [Outcome.REMOVED, Outcome.REMOVED]


# -- the command line ---------------------------------------------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="newsdigest")


@pytest.fixture
def feed_url(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, feed_server: FeedServer
) -> str:
    """The CLI on this backend (no starting feeds, loopback allowed) with a feed added when it
    held one article; it holds three now."""
    empty = tmp_path / "none.toml"
    empty.write_text("feeds = []\n")
    monkeypatch.setenv("NEWSDIGEST_FEEDS_FILE", str(empty))
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", database_url)
    monkeypatch.setenv("NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS", "true")
    url = feed_server.serve("/world.xml", rss(NEWS[:1]))
    added = invoke("feeds", "add", url, "--full-text", "never")
    assert added.exit_code == 0, added.output
    feed_server.serve("/world.xml", rss(NEWS))
    return url


NEWS = [
    Item(title="Kremlin rejects monitors", guid="urn:test:1", description=PESKOV),
    Item(title="Zelensky accuses Putin", guid="urn:test:2", description=ZELENSKY),
    Item(title="Lavrov in Ankara", guid="urn:test:3", description=LAVROV),
]


def stored_positions(database_url: str) -> set[tuple[str, str]]:
    with Store.open(database_url) as store:
        assert store.count_queued() == 0
        articles = store.list_articles()
        found = [p for a in articles for p in store.positions_of_article(a.id or 0)]
    return {(position.actor_key, position.stance.value) for position in found}


def queued(database_url: str) -> int:
    with Store.open(database_url) as store:
        return store.count_queued()


def test_ingest_polls_then_analyses_the_queue(feed_url: str, database_url: str) -> None:
    result = invoke("ingest", feed_url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-2].startswith("1 feeds: 2 new articles")
    assert lines[-2].endswith(" 3 articles wait for analysis.")  # polled and stored first
    assert lines[-1].startswith("Analysed 3 articles: ")
    assert lines[-1].endswith(" positions found, 0 failed, 0 still queued.")
    assert {("russia", "reject"), ("ukraine", "accuse")} <= stored_positions(database_url)


def test_ingest_json_prints_only_its_json_and_still_analyses(
    feed_url: str, database_url: str
) -> None:
    result = invoke("ingest", feed_url, "--json")
    assert result.exit_code == 0, result.output
    (only,) = json.loads(result.stdout)
    assert only["new"] == 2
    assert ("russia", "reject") in stored_positions(database_url)


def test_ingest_no_analysis_leaves_the_queue_to_analyse_pending(
    feed_url: str, database_url: str
) -> None:
    polled = invoke("ingest", feed_url, "--no-analysis")
    assert polled.exit_code == 0, polled.output
    assert polled.stdout.endswith(
        " 3 articles wait for analysis (`newsdigest analyse --pending` analyses them).\n"
    )
    assert queued(database_url) == 3

    some = invoke("analyse", "--pending", "--limit", "2")
    assert some.exit_code == 0, some.output
    assert some.stdout.startswith("Analysed 2 articles: ")
    assert some.stdout.endswith(" positions found, 0 failed, 1 still queued.\n")

    rest = invoke("analyse", "--pending")
    assert rest.exit_code == 0, rest.output
    assert rest.stdout.startswith("Analysed 1 articles: ")
    assert rest.stdout.endswith(" 0 failed, 0 still queued.\n")
    assert {("russia", "reject"), ("ukraine", "accuse")} <= stored_positions(database_url)

    again = invoke("analyse", "--pending")
    assert again.stdout == "Analysed 0 articles: 0 positions found, 0 failed, 0 still queued.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give the articles to analyse (INPUT files, or - for standard input), or --pending"),
        (["--pending", "article.txt"], "give INPUT files or --pending, not both"),
        (["--pending", "--json"], "--json is for INPUT files"),
        (["--limit", "2", "article.txt"], "--limit goes with --pending"),
        (["--pending", "--limit", "0"], "0 is not in the range x>=1"),
    ],
)
def test_analyse_usage_errors(args: list[str], message: str) -> None:
    result = invoke("analyse", *args)
    assert result.exit_code == EXIT_CONFIG  # click's bad usage: 2
    assert message in result.stderr


def test_a_model_that_cannot_load_stops_only_the_analysis(
    feed_url: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDIGEST_ANALYSIS__SPACY_MODEL", "no_such_spacy_model")
    result = invoke("ingest", feed_url)
    assert result.exit_code == EXIT_CONFIG
    assert "1 feeds: 2 new articles" in result.stdout  # polled and stored first
    assert "analysis.spacy_model" in result.stderr.strip().splitlines()[-1]
    assert queued(database_url) == 3
