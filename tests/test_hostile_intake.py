"""Hostile and oversized feeds: no store query grows with a feed, one feed's failure is its own,
and every feed costs at most the caps of FetchSettings (items, pages, page bytes, text, time)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp import web
from click.testing import CliRunner

from bot.cli import cli
from digests.fetch import Fetcher, NotAFeedError, Poller, PollStatus, parse_feed
from digests.fetch import _poll as poll_module
from digests.fetch._entries import cut_text
from digests.model import UTC, Article, Feed, TextSource
from digests.settings import FetchSettings
from digests.store import Store
from tests.feeds import Item, items, rss
from tests.feedserver import FeedServer

LOOPBACK = FetchSettings(allow_private_networks=True, timeout_seconds=20)
MANY = 70_000  # more than PostgreSQL's 65,535 bind parameters, and SQLite's 32,766
JSON_FEED = "https://jsonfeed.org/version/1.1"

PARAGRAPH = (
    "The committee met on Monday to review the harbour plan. Members asked for a second survey "
    "of the north quay before any vote. The chair said the report would come back next month."
)
PAGE = f"<html><body><article>{''.join(f'<p>{PARAGRAPH}</p>' for _ in range(6))}</article>"


def json_feed(count: int, *, dated: bool = False) -> bytes:
    """A JSON Feed of ``count`` tiny items; ``dated``: item n is n minutes after 2026-01-01,
    listed oldest first (so the newest are at the end)."""
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    listed = []
    for n in range(count):
        item: dict[str, object] = {"id": f"i{n}", "content_text": f"Note {n}."}
        if dated:
            item["date_published"] = (start + dt.timedelta(minutes=n)).isoformat()
        listed.append(item)
    return json.dumps({"version": JSON_FEED, "title": "Many", "items": listed}).encode()


def article(feed_id: int, n: int) -> Article:
    now = dt.datetime(2026, 12, 1, tzinfo=UTC)
    return Article(
        feed_id=feed_id,
        key=f"urn:many:{n}",
        title=f"Item {n}",
        url=f"https://news.example/many/{n}",
        first_seen_at=now,
        content_hash=f"h{n}",
    )


@pytest.fixture
def workers() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(2)
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
async def poller(store: Store, workers: ThreadPoolExecutor) -> AsyncIterator[Poller]:
    async with Fetcher(LOOPBACK) as fetcher:
        poller = Poller(store, LOOPBACK, fetcher, workers)
        yield poller
        poller.close()


# -- 1. no store query grows with input -------------------------------------------------------


def default_sqlite_variable_limit(store: Store) -> None:
    """SQLite's own default limit of bound variables (32,766 since 3.32) on every connection:
    Python's bundled SQLite may be built with a higher one, and the store must not rely on it."""
    if store.engine.dialect.name != "sqlite":
        return

    def limit(connection: sqlite3.Connection, _record: object) -> None:
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)

    sa.event.listen(store.engine, "connect", limit)
    store.engine.dispose()


def test_lookups_and_saves_of_a_feed_with_70000_items_work(store: Store) -> None:
    default_sqlite_variable_limit(store)
    feed = store.add_feed(Feed(url="https://news.example/many.xml"))
    assert feed.id is not None
    entries = [article(feed.id, n) for n in range(MANY)]
    first = store.record_poll(feed, entries, first_poll=True)
    assert len(first.added) == MANY

    known = store.known_hashes(feed.id, [entry.key for entry in entries])
    assert len(known) == MANY

    edited = [dataclasses.replace(entries[0], content_hash="changed"), *entries[1:]]
    more = [*edited, article(feed.id, MANY)]
    saved = store.save_entries(feed.id, more)
    assert (len(saved.added), len(saved.updated), saved.unchanged) == (1, 1, MANY - 1)


def test_a_rewritten_guid_is_matched_by_its_link_among_many(store: Store) -> None:
    feed = store.add_feed(Feed(url="https://news.example/many.xml"))
    assert feed.id is not None
    entries = [article(feed.id, n) for n in range(1200)]
    store.record_poll(feed, entries, first_poll=True)
    rewritten = [dataclasses.replace(entry, key=f"new:{entry.key}") for entry in entries]
    saved = store.save_entries(feed.id, rewritten)
    assert (len(saved.added), len(saved.updated)) == (0, 1200)


# -- 1. one feed's failure is that feed's -----------------------------------------------------


async def test_a_feed_whose_record_step_raises_fails_alone_and_backs_off(
    poller: Poller, store: Store, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = await poller.add(Feed(url=feed_server.serve("/good.xml", rss(items(2, "good")))))
    bad = await poller.add(Feed(url=feed_server.serve("/bad.xml", rss(items(2, "bad")))))
    feed_server.serve("/good.xml", rss(items(3, "good")))
    feed_server.serve("/bad.xml", rss(items(3, "bad")))
    real_known_hashes = store.known_hashes

    def known_hashes(feed_id: int, keys: list[str]) -> dict[str, str]:
        if feed_id == bad.feed_id:
            raise RuntimeError("too many SQL variables")
        return real_known_hashes(feed_id, keys)

    monkeypatch.setattr(store, "known_hashes", known_hashes)
    feeds = [store.get_feed(good.feed_id or 0), store.get_feed(bad.feed_id or 0)]
    results = await poller.poll(feeds)

    assert [r.status for r in results] == [PollStatus.NEW, PollStatus.FAILED]
    assert len(store.list_articles(feed_id=good.feed_id)) == 3
    failed = store.get_feed(bad.feed_id or 0)
    assert failed.failure_count == 1
    assert failed.last_error is not None
    assert "too many SQL variables" in failed.last_error
    assert failed.next_check_at is not None
    assert failed.next_check_at > failed.last_fetched_at  # type: ignore[operator]


async def test_a_feed_whose_failure_cannot_be_recorded_does_not_stop_the_poll(
    poller: Poller, store: Store, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = store.add_feed(Feed(url=feed_server.url("/missing.xml")))  # answers 404

    def broken(_feed: Feed) -> None:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(store, "update_feed", broken)
    (result,) = await poller.poll([feed])
    assert result.status is PollStatus.FAILED
    assert result.error == "HTTP 404"


# -- 3. a cap on items read per poll ----------------------------------------------------------


def test_a_json_feed_of_300000_items_gives_the_capped_newest() -> None:
    body = json_feed(300_000)
    parsed = parse_feed(body, {"content-type": "application/feed+json"}, "https://x.example/")
    assert len(parsed.entries) == 2000
    assert parsed.skipped == 298_000
    assert [e.key for e in parsed.entries[:2]] == ["i0", "i1"]  # undated: the document's order


def test_the_newest_dated_items_are_kept_whatever_their_place() -> None:
    parsed = parse_feed(json_feed(10, dated=True), {}, "https://x.example/", max_items=3)
    assert [e.key for e in parsed.entries] == ["i7", "i8", "i9"]
    assert parsed.skipped == 7


@pytest.mark.parametrize("fast", [True, False])
def test_rss_items_beyond_the_cap_are_skipped_on_both_parsing_paths(fast: bool) -> None:
    entries = [
        dataclasses.replace(item, pub_date=f"Tue, {1 + n:02d} Dec 2026 08:00:00 GMT")
        for n, item in enumerate(items(12))
    ]
    body = rss(entries)
    if not fast:  # a DOCTYPE sends the document to feedparser
        body = body.replace("<rss", "<!DOCTYPE rss><rss", 1)
    parsed = parse_feed(body.encode(), {}, "https://x.example/", max_items=4)
    assert [e.key for e in parsed.entries] == [f"urn:test:item:{n}" for n in (8, 9, 10, 11)]
    assert parsed.skipped == 8


def test_ingest_reports_and_feeds_status_shows_the_skipped_items(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "none.toml"
    empty.write_text("feeds = []\n")
    monkeypatch.setenv("NEWSDIGEST_FEEDS_FILE", str(empty))
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("NEWSDIGEST_FETCH__MAX_ITEMS_PER_POLL", "5")
    url = feed_server.serve("/many.json", json_feed(12), content_type="application/feed+json")
    runner = CliRunner()
    ingested = runner.invoke(cli, ["ingest", url, "--no-analysis", "--json"])
    assert ingested.exit_code == 0, ingested.output
    (result,) = json.loads(ingested.stdout)
    assert (result["seen"], result["skipped"]) == (5, 7)
    status = runner.invoke(cli, ["feeds", "status"])
    assert "skipped       7 oldest items" in status.output


# -- 4. caps on pages, page bytes, text length and time ----------------------------------------


def teasers(feed_server: FeedServer, count: int, page_path: str = "/page") -> list[Item]:
    return [
        Item(title=f"Teaser {n}", guid=f"urn:teaser:{n}", link=feed_server.url(f"{page_path}/{n}"))
        for n in range(count)
    ]


async def test_pages_fetched_per_poll_are_capped(
    store: Store, feed_server: FeedServer, workers: ThreadPoolExecutor
) -> None:
    settings = LOOPBACK.model_copy(update={"max_pages_per_poll": 2})
    for n in range(5):
        feed_server.serve(f"/page/{n}", PAGE, content_type="text/html")
    url = feed_server.serve("/feed.xml", rss([]))
    async with Fetcher(settings) as fetcher:
        poller = Poller(store, settings, fetcher, workers)
        added = await poller.add(Feed(url=url))
        feed_server.serve("/feed.xml", rss(teasers(feed_server, 5)))
        result = await poller.poll_one(store.get_feed(added.feed_id or 0))
        poller.close()
    assert result.new == 5
    assert sum(len(feed_server.requests_to(f"/page/{n}")) for n in range(5)) == 2
    sources = [a.text_source for a in store.list_articles(feed_id=added.feed_id)]
    assert sorted(sources) == sorted([TextSource.PAGE] * 2 + [TextSource.FEED] * 3)


async def test_a_page_larger_than_the_cap_is_read_in_part_and_its_text_is_cut(
    store: Store, feed_server: FeedServer, workers: ThreadPoolExecutor
) -> None:
    settings = LOOPBACK.model_copy(
        update={"max_page_bytes": 200_000, "max_article_chars": 5000, "max_bytes": 1_000_000}
    )
    paragraphs = "".join(f"<p>{PARAGRAPH} Note {n}.</p>" for n in range(6000))
    big = f"<html><body><article>{paragraphs}</article></body></html>"
    assert len(big) > settings.max_bytes  # refused whole before the cap on page bytes
    feed_server.serve("/page/0", big, content_type="text/html")
    url = feed_server.serve("/feed.xml", rss([]))
    async with Fetcher(settings) as fetcher:
        poller = Poller(store, settings, fetcher, workers)
        added = await poller.add(Feed(url=url))
        feed_server.serve("/feed.xml", rss(teasers(feed_server, 1)))
        await poller.poll_one(store.get_feed(added.feed_id or 0))
        poller.close()
    (stored,) = store.list_articles(feed_id=added.feed_id)
    assert stored.text_source is TextSource.PAGE
    assert 2500 <= len(stored.text) <= 5000
    assert stored.text.endswith(".")
    assert stored.text.startswith(PARAGRAPH)


async def test_a_page_not_done_by_the_polls_deadline_costs_that_page_only(
    store: Store,
    feed_server: FeedServer,
    workers: ThreadPoolExecutor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = LOOPBACK.model_copy(update={"poll_deadline_seconds": 1.0, "timeout_seconds": 60})
    released = threading.Event()

    async def slow_page(_request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text=PAGE, content_type="text/html")

    def stuck_extraction(_page: bytes, _url: str) -> str | None:
        released.wait(30)  # an extraction that never ends by itself
        return None

    feed_server.route("/page/0", slow_page)
    feed_server.serve("/page/1", PAGE, content_type="text/html")
    monkeypatch.setattr(poll_module, "extract_main_text", stuck_extraction)
    url = feed_server.serve("/feed.xml", rss([]))
    try:
        async with Fetcher(settings) as fetcher:
            poller = Poller(store, settings, fetcher, workers)
            added = await poller.add(Feed(url=url))
            feed_server.serve("/feed.xml", rss(teasers(feed_server, 2)))
            feed = store.get_feed(added.feed_id or 0)
            result = await asyncio.wait_for(poller.poll_one(feed), timeout=15)
            poller.close()
    finally:
        released.set()
    assert (result.status, result.new) == (PollStatus.NEW, 2)
    stored = store.list_articles(feed_id=added.feed_id)
    assert [a.text_source for a in stored] == [TextSource.FEED, TextSource.FEED]


def test_article_text_is_cut_at_a_paragraph_or_sentence_end() -> None:
    text = "\n".join([PARAGRAPH] * 40)
    cut = cut_text(text, 1000)
    assert len(cut) <= 1000
    assert cut.endswith("next month.")
    one_paragraph = " ".join([PARAGRAPH] * 40)
    assert cut_text(one_paragraph, 1000).endswith(".")
    assert cut_text("x" * 5000, 1000) == "x" * 1000


def test_a_huge_feed_text_is_stored_cut() -> None:
    content = f"<p>{PARAGRAPH}</p>" * 3000  # about 600,000 characters
    body = rss([Item(title="Long", guid="urn:long", content=content)])
    (entry,) = parse_feed(body.encode(), {}, "https://x.example/", max_chars=20_000).entries
    assert 10_000 <= len(entry.text) <= 20_000
    assert entry.text.endswith("next month.")


# -- 8. deep nesting is a clean feed failure ---------------------------------------------------


def test_json_nested_200000_deep_is_not_a_feed() -> None:
    body = b'{"version":"' + JSON_FEED.encode() + b'","items":[' + b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(NotAFeedError, match="nested too deeply"):
        parse_feed(body + b"]}", {"content-type": "application/feed+json"}, "https://x.example/")


async def test_a_deeply_nested_json_feed_fails_alone_in_a_poll(
    poller: Poller, store: Store, feed_server: FeedServer
) -> None:
    good = await poller.add(Feed(url=feed_server.serve("/good.xml", rss(items(1)))))
    deep = b'{"version":"' + JSON_FEED.encode() + b'","items":[]}'
    url = feed_server.serve("/deep.json", deep, content_type="application/feed+json")
    added = await poller.add(Feed(url=url))
    nested = deep.replace(b"[]", b"[" * 200_000 + b"]" * 200_000)
    feed_server.serve("/deep.json", nested, content_type="application/feed+json")
    feeds = [store.get_feed(good.feed_id or 0), store.get_feed(added.feed_id or 0)]
    results = await poller.poll(feeds)
    assert results[0].status is PollStatus.UNCHANGED
    assert results[1].status is PollStatus.FAILED
    assert results[1].error == "not a feed: JSON nested too deeply"


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1"])  # fast path, then feedparser
def test_xml_nested_200000_deep_is_not_a_feed(encoding: str) -> None:
    nested = "<a>" * 200_000 + "</a>" * 200_000
    body = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>x</title>'
        f"<item><title>t</title><description>{nested}</description></item></channel></rss>"
    )
    with pytest.raises(NotAFeedError, match="nested too deeply"):
        parse_feed(body.encode(), {}, "https://x.example/")
