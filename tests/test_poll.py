"""Polling into the store over a loopback server: identity, first poll, conditional GET."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from digests.fetch import Fetcher, Poller, PollStatus
from digests.model import Feed, FullText, TextSource
from digests.settings import FetchSettings
from digests.store import Store
from tests.feeds import Item, items, rss
from tests.feedserver import FeedServer

LOOPBACK = FetchSettings(allow_private_networks=True, timeout_seconds=5)


@pytest.fixture
async def poller(store: Store) -> AsyncIterator[Poller]:
    workers = ThreadPoolExecutor(1)
    async with Fetcher(LOOPBACK) as fetcher:
        poller = Poller(store, LOOPBACK, fetcher, workers)
        yield poller
        poller.close()
    workers.shutdown()


async def test_first_poll_floods_nothing_and_the_second_gets_304(
    poller: Poller, store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(5)), etag='"v1"', last_modified=True)
    first = await poller.add(Feed(url=url))
    assert first.status is PollStatus.FIRST_POLL
    assert (first.new, first.seen) == (0, 5)
    stored = store.list_articles(feed_id=first.feed_id)
    assert len(stored) == 5
    assert all(article.seen_on_first_poll for article in stored)
    feed = store.get_feed(first.feed_id or 0)
    assert feed.title == "Test World News"
    assert feed.etag == '"v1"'

    second = await poller.poll_one(feed)
    assert second.status is PollStatus.NOT_MODIFIED
    conditional = feed_server.requests_to("/feed.xml")[-1].headers
    assert conditional["If-None-Match"] == '"v1"'
    assert conditional["If-Modified-Since"] == feed.last_modified
    assert len(store.list_articles()) == 5
    assert store.get_feed(feed.id or 0).failure_count == 0


async def test_a_new_item_is_new_and_an_edited_one_is_updated_not_new(
    poller: Poller, store: Store, feed_server: FeedServer
) -> None:
    entries = items(3)
    url = feed_server.serve("/feed.xml", rss(entries))
    added = await poller.add(Feed(url=url))
    edited = [dataclasses.replace(entries[0], title="Edited headline"), *entries[1:], *items(4)[3:]]
    feed_server.serve("/feed.xml", rss(edited))
    result = await poller.poll_one(store.get_feed(added.feed_id or 0))
    assert (result.status, result.new, result.updated, result.unchanged) == (
        PollStatus.NEW,
        1,
        1,
        2,
    )
    articles = store.list_articles(feed_id=added.feed_id)
    assert len(articles) == 4
    titles = {article.key: article.title for article in articles}
    assert titles["urn:test:item:0"] == "Edited headline"
    fresh = [a for a in articles if not a.seen_on_first_poll]
    assert [a.key for a in fresh] == ["urn:test:item:3"]


ARTICLE_PAGE = """<html><head><title>Talks</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Envoys meet in Geneva</h1>
<p>The foreign ministers of both countries met in Geneva on Tuesday to discuss a ceasefire,
according to officials familiar with the talks, which lasted more than six hours.</p>
<p>The deputy foreign minister said any agreement must include guarantees of neutrality and
demanded that monitoring be carried out by a neutral body acceptable to both sides.</p>
<p>Officials on the other side rejected the demand, saying that security guarantees could not
be dictated and that the question of alliances was for the country alone to decide.</p>
<p>Both delegations agreed to meet again next week, a spokesperson for the mediators said,
adding that humanitarian corridors would be discussed at that meeting as well.</p>
</article><footer>Copyright News Example</footer></body></html>"""


@pytest.mark.parametrize(("mode", "fetched"), [("auto", True), ("always", True), ("never", False)])
async def test_short_teasers_get_the_article_pages_text(
    poller: Poller, store: Store, feed_server: FeedServer, mode: str, fetched: bool
) -> None:
    page = feed_server.serve("/articles/1", ARTICLE_PAGE, content_type="text/html")
    entries = items(1)
    url = feed_server.serve("/feed.xml", rss(entries))
    added = await poller.add(Feed(url=url, full_text=FullText(mode)))
    assert feed_server.requests_to("/articles/1") == []  # the first poll is history

    teaser = Item(title="Envoys meet", guid="urn:new", link=page, description="Envoys met.")
    feed_server.serve("/feed.xml", rss([*entries, teaser]))
    await poller.poll_one(store.get_feed(added.feed_id or 0))
    article = store.find_article(added.feed_id or 0, "urn:new")
    assert article is not None
    assert len(feed_server.requests_to("/articles/1")) == int(fetched)
    if fetched:
        assert article.text_source is TextSource.PAGE
        assert "demanded that monitoring be carried out" in article.text
        assert "Copyright" not in article.text
        assert article.summary == "Envoys met."
    else:
        assert (article.text_source, article.text) == (TextSource.FEED, "Envoys met.")


async def test_a_failed_page_fetch_keeps_the_feeds_text(
    poller: Poller, store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss([]))
    added = await poller.add(Feed(url=url))
    missing = feed_server.url("/articles/gone")  # answers 404
    teaser = Item(title="t", guid="urn:t", link=missing, description="Only a teaser.")
    feed_server.serve("/feed.xml", rss([teaser]))
    result = await poller.poll_one(store.get_feed(added.feed_id or 0))
    assert result.status is PollStatus.NEW
    article = store.find_article(added.feed_id or 0, "urn:t")
    assert article is not None
    assert (article.text_source, article.text) == (TextSource.FEED, "Only a teaser.")


async def test_fetching_never_runs_far_ahead_of_recording(
    store: Store, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetched body waits in memory until its feed is recorded: at most twice the fetch
    concurrency of them at once, however many feeds a poll has."""
    settings = LOOPBACK.model_copy(update={"concurrency": 2, "per_host_concurrency": 2})
    urls = [feed_server.serve(f"/feed{n}.xml", rss(items(2, prefix=str(n)))) for n in range(12)]
    waiting, most = 0, 0
    workers = ThreadPoolExecutor(1)
    async with Fetcher(settings) as fetcher:
        poller = Poller(store, settings, fetcher, workers)
        fetch, record = poller._attempt, poller._record

        async def counted_fetch(feed: Feed) -> object:
            nonlocal waiting, most
            attempt = await fetch(feed)
            waiting += 1
            most = max(most, waiting)
            return attempt

        async def counted_record(feed: Feed, attempt: object) -> object:
            nonlocal waiting
            result = await record(feed, attempt)  # type: ignore[arg-type]
            waiting -= 1
            return result

        monkeypatch.setattr(poller, "_attempt", counted_fetch)
        monkeypatch.setattr(poller, "_record", counted_record)
        results = await asyncio.gather(*(poller.add(Feed(url=url)) for url in urls))
        poller.close()
    workers.shutdown()
    assert [r.status for r in results] == [PollStatus.FIRST_POLL] * 12
    assert 1 <= most <= 4
