"""The application service: the one object the CLI, the chat commands and the scheduler call.

It owns the store and the library's settings; later issues add fetching, analysis and
composition behind the same face.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Self

from digests.errors import FeedError, FeedExistsError, FeedNotFoundError
from digests.fetch import (
    FeedDisabled,
    FeedResult,
    Fetcher,
    Poller,
    PollStatus,
    check_url,
    gather_results,
)
from digests.model import Feed, FullText, utc_now
from digests.settings import FetchSettings
from digests.store import Store

log = logging.getLogger(__name__)

_DEFAULT_FEEDS_ADDED = "default_feeds_added"
#: Batches this small are parsed in a thread: starting processes would cost more.
_INLINE_JOBS = 2


class Service:
    """newsdigest's use cases over one store."""

    def __init__(self, store: Store, *, fetch: FetchSettings) -> None:
        self.store = store
        self.fetch_settings = fetch

    @classmethod
    def open(
        cls,
        database_url: str,
        *,
        fetch: FetchSettings,
        default_feeds: Sequence[Feed] = (),
    ) -> Self:
        """Open and migrate the store; on the very first start, add the default feeds."""
        service = cls(Store.open(database_url), fetch=fetch)
        service.add_default_feeds(default_feeds)
        return service

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def add_default_feeds(self, default_feeds: Sequence[Feed]) -> list[Feed]:
        """Add the starting feeds once in the life of a database, never again.

        A user who removes a default feed does not get it back on the next start.
        """
        if self.store.get_meta(_DEFAULT_FEEDS_ADDED) is not None:
            return []
        added = []
        for feed in default_feeds:
            try:
                added.append(self.store.add_feed(feed))
            except FeedExistsError:
                log.debug("default feed %s is already stored", feed.url)
        self.store.set_meta(_DEFAULT_FEEDS_ADDED, str(len(added)))
        if added:
            log.info("added %d default feeds", len(added))
        return added

    def list_feeds(self) -> list[Feed]:
        return self.store.list_feeds()

    # -- feed intake --------------------------------------------------------------------------

    def _workers(self, jobs: int) -> Executor:
        """Processes for parsing many feeds (both cores); a thread for a handful."""
        if jobs <= _INLINE_JOBS:
            return ThreadPoolExecutor(1, thread_name_prefix="newsdigest-parse")
        count = self.fetch_settings.parse_workers or os.cpu_count() or 1
        return ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("forkserver"))

    @asynccontextmanager
    async def poller(
        self,
        jobs: int,
        *,
        on_event: Callable[[FeedDisabled], None] | None = None,
    ) -> AsyncIterator[Poller]:
        """A poller with its fetcher and workers, for one batch of ``jobs`` feeds."""
        workers = self._workers(jobs)
        try:
            async with Fetcher(self.fetch_settings) as fetcher:
                poller = Poller(
                    self.store, self.fetch_settings, fetcher, workers, on_event=on_event
                )
                try:
                    yield poller
                finally:
                    poller.close()
        finally:
            workers.shutdown(wait=True, cancel_futures=True)

    def check_feed_url(self, url: str) -> str:
        """The URL if the fetcher may try it (scheme and address checked, no I/O)."""
        return check_url(url, allow_private=self.fetch_settings.allow_private_networks)

    async def ingest(
        self,
        targets: Sequence[Feed] | None = None,
        *,
        progress: Callable[[FeedResult], None] | None = None,
        on_event: Callable[[FeedDisabled], None] | None = None,
    ) -> list[FeedResult]:
        """Poll once: the due feeds, or the given ones now (new ones are added first).

        Given URLs are checked before anything is fetched; one bad URL refuses the whole call.
        """
        started = time.perf_counter()
        if targets is None:
            feeds = self.store.due_feeds(utc_now())
            async with self.poller(len(feeds), on_event=on_event) as poller:
                results = await poller.poll(feeds, progress)
        else:
            for target in targets:
                self.check_feed_url(target.url)
            targets = list({target.url: target for target in targets}.values())  # each URL once
            stored = {feed.url: feed for feed in self.store.list_feeds()}
            async with self.poller(len(targets), on_event=on_event) as poller:
                jobs = (self._poll_or_add(poller, t, stored.get(t.url)) for t in targets)
                results = await gather_results(jobs, progress)
        log.info("polled %d feeds in %.2f s", len(results), time.perf_counter() - started)
        return results

    @staticmethod
    async def _poll_or_add(poller: Poller, target: Feed, stored: Feed | None) -> FeedResult:
        if stored is not None:
            return await poller.poll_one(stored)
        try:
            return await poller.add(target)
        except FeedError as error:
            return FeedResult(url=target.url, status=PollStatus.FAILED, error=error.message)
        except Exception as error:  # a bug with one feed must not stop the others
            log.exception("unexpected error adding %s", target.url)
            return FeedResult(
                url=target.url, status=PollStatus.FAILED, error=f"internal error: {error!r}"
            )

    async def add_feed(
        self, url: str, *, title: str | None = None, full_text: FullText = FullText.AUTO
    ) -> FeedResult:
        """Add a feed after checking that it answers with a feed; its entries so far are stored
        as already seen. Raises :class:`FeedError` (and stores nothing) otherwise."""
        url = self.check_feed_url(url)
        if self.store.find_feed(url) is not None:
            raise FeedExistsError(url, "feed already added")
        async with self.poller(1) as poller:
            return await poller.add(Feed(url=url, title=title, full_text=full_text))

    def remove_feed(self, url_or_id: str) -> Feed:
        """Remove a feed, named by its URL or its id, with its articles."""
        feed = self.find_feed(url_or_id)
        assert feed.id is not None
        self.store.remove_feed(feed.id)
        return feed

    def find_feed(self, url_or_id: str) -> Feed:
        text = url_or_id.strip()
        feed = self.store.get_feed(int(text)) if text.isdigit() else self.store.find_feed(text)
        if feed is None:
            raise FeedNotFoundError(text, "no such feed")
        return feed
