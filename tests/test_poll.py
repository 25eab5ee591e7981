"""Polling into the store over a loopback server: identity, first poll, conditional GET."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from digests.fetch import Fetcher, Poller, PollStatus
from digests.model import Feed
from digests.settings import FetchSettings
from digests.store import Store
from tests.feeds import items, rss
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
