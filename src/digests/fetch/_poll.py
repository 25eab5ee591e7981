"""Polling: feeds in, stored articles and one result per feed out.

A poll of one feed is an *attempt* (fetch, parse, fetch pages for short teasers; no writes)
followed by a *record* (one transaction: the feed's fetch state and its entries, or its
failure). A feed that fails, in any step and for any reason, is recorded as failed and never
stops the others. Everything one feed can cost is bounded: the items read, the pages fetched,
the bytes and text of each page, and the time of the whole poll.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from digests.errors import FeedError, StoreError
from digests.fetch._entries import ParsedEntry, ParsedFeed, cut_text
from digests.fetch._fulltext import extract_main_text
from digests.fetch._http import (
    Fetcher,
    FetchError,
    Response,
    Validators,
    parse_max_age,
    parse_retry_after,
)
from digests.fetch._parse import parse_feed
from digests.fetch._writes import BatchedWrites
from digests.model import Article, Feed, FullText, TextSource, utc_now
from digests.settings import FetchSettings
from digests.store import Store

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_JITTER = 0.25  # a failing feed waits up to 25 % longer, so retries spread out


class PollStatus(enum.StrEnum):
    """What happened to one feed in one poll."""

    NEW = "new"  # new articles (and maybe updated ones)
    UPDATED = "updated"  # only changes to known articles
    UNCHANGED = "unchanged"  # fetched, nothing new
    NOT_MODIFIED = "not_modified"  # 304
    FIRST_POLL = "first_poll"  # a new feed: entries stored as already seen, none announced
    FAILED = "failed"
    DISABLED = "disabled"  # failed for the last time, or gone (410)


@dataclass(frozen=True, slots=True)
class FeedResult:
    """One feed's outcome."""

    url: str
    status: PollStatus
    feed_id: int | None = None
    title: str | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Stored on a feed's first poll as already seen: history, never announced.
    seen: int = 0
    error: str | None = None
    next_check_at: dt.datetime | None = None
    moved_to: str | None = None
    #: Ids of the new and updated articles: the analysis queue's newest work.
    article_ids: tuple[int, ...] = ()
    #: Items of the feed left unread: beyond the cap on items per poll (the oldest).
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class FeedDisabled:
    """Emitted once, when a feed stops being polled, so its channels can be told."""

    feed_id: int
    url: str
    title: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Attempt:
    response: Response
    parsed: ParsedFeed | None  # None for 304 and 410
    #: The event loop's time by which this feed's pages must be done.
    deadline: float = float("inf")


class Poller:
    """Polls feeds into a store. ``workers`` runs parsing and page extraction (processes in
    production, a thread in tests); the store is written from one thread of its own."""

    def __init__(
        self,
        store: Store,
        settings: FetchSettings,
        fetcher: Fetcher,
        workers: Executor,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        rng: random.Random | None = None,
        on_event: Callable[[FeedDisabled], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self._workers = workers
        self._writes = BatchedWrites(store)
        # Feeds between their fetch and their record: without a bound, fetching (fast) runs
        # ahead of parsing and writing (slow), and every fetched body and parsed entry waits in
        # memory. Twice the fetch concurrency keeps the parsers and the writer busy.
        self._in_flight = asyncio.Semaphore(2 * settings.concurrency)
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._on_event = on_event

    def close(self) -> None:
        self._writes.close()

    async def _in(self, executor: Executor, call: Callable[P, R], *a: P.args, **k: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, functools.partial(call, *a, **k))

    async def poll(
        self, feeds: Sequence[Feed], progress: Callable[[FeedResult], None] | None = None
    ) -> list[FeedResult]:
        """Poll every feed concurrently (within the fetcher's limits); results in input order."""
        return await gather_results((self.poll_one(feed) for feed in feeds), progress)

    async def poll_one(self, feed: Feed) -> FeedResult:
        """Poll a stored feed and record what happened, whatever happened."""
        async with self._in_flight:
            return await self._poll_one(feed)

    async def _poll_one(self, feed: Feed) -> FeedResult:
        """Attempt and record; any failure of either is this feed's failure, recorded with its
        backoff, and never raised to the poll of the others."""
        try:
            return await self._record(feed, await self._attempt(feed))
        except FeedError as error:
            failure = error
        except StoreError as error:  # a full disk, a database gone: said as the store says it
            log.warning("polling %s failed: %s", feed.url, _one_line(error))
            failure = FeedError(feed.url, " ".join(str(error).split())[:300])
        except Exception as error:  # a bug must not stop the other feeds
            log.warning("polling %s failed: %s", feed.url, _one_line(error))
            log.debug("the failure of %s in full", feed.url, exc_info=True)
            failure = FeedError(feed.url, f"internal error: {_one_line(error)}")
        try:
            return await self._record_failure(feed, failure)
        except Exception as error:  # the store is down: report it, keep polling the others
            log.warning("could not record the failure of %s: %s", feed.url, _one_line(error))
            reason = failure.message or str(failure)
            return _result(feed, PollStatus.FAILED, error=reason)

    async def add(self, feed: Feed) -> FeedResult:
        """Add a new feed if it answers with a feed: a first poll that stores nothing on failure.

        Raises :class:`FeedError` (blocked URL, fetch error, not a feed) and writes nothing then.
        """
        async with self._in_flight:
            return await self._add(feed)

    async def _add(self, feed: Feed) -> FeedResult:
        attempt = await self._attempt(feed)
        if attempt.parsed is None:
            raise FetchError(feed.url, f"HTTP {attempt.response.status}: no feed to add")
        url = attempt.response.moved_to or feed.url
        stored = await self._writes.run(self.store.add_feed, dataclasses.replace(feed, url=url))
        settled = dataclasses.replace(attempt.response, moved_to=None)  # stored at its new URL
        try:
            return await self._record(stored, dataclasses.replace(attempt, response=settled))
        except BaseException:  # not added at all rather than added without its entries
            assert stored.id is not None
            try:
                await self._writes.run(self.store.remove_feed, stored.id)
            except Exception:
                log.warning("%s was added without its entries; its next poll reads them", url)
            raise

    # -- the attempt: no writes ---------------------------------------------------------------

    async def _attempt(self, feed: Feed) -> _Attempt:
        """Fetch and parse within the poll's deadline; the pages get what is left of it."""
        limit = self.settings.poll_deadline_seconds
        deadline = asyncio.get_running_loop().time() + limit
        try:
            async with asyncio.timeout_at(deadline):
                response, parsed = await self._fetch_and_parse(feed)
        except TimeoutError:
            raise FetchError(feed.url, f"not fetched and read within {limit:g} s") from None
        return _Attempt(response, parsed, deadline)

    async def _fetch_and_parse(self, feed: Feed) -> tuple[Response, ParsedFeed | None]:
        validators = Validators(feed.etag, feed.last_modified)
        response = await self.fetcher.fetch(feed.url, validators)
        if response.not_modified or response.gone:
            return response, None
        parsed = await self._in(
            self._workers,
            parse_feed,
            response.body,
            response.headers,
            response.url,
            max_items=self.settings.max_items_per_poll,
            max_chars=self.settings.max_article_chars,
        )
        if parsed.problem:
            log.info(
                "%s is ill-formed (%s); keeping its %d usable entries",
                feed.url,
                parsed.problem,
                len(parsed.entries),
            )
        if parsed.skipped:
            log.info(
                "%s has %d items; read the newest %d and skipped %d (fetch.max_items_per_poll)",
                feed.url,
                parsed.skipped + self.settings.max_items_per_poll,
                self.settings.max_items_per_poll,
                parsed.skipped,
            )
        return response, parsed

    def _needs_page(self, entry: ParsedEntry, mode: FullText) -> bool:
        if entry.url is None or mode is FullText.NEVER:
            return False
        return mode is FullText.ALWAYS or len(entry.text) < self.settings.full_text_min_chars

    async def _full_text(self, entry: ParsedEntry, deadline: float) -> str | None:
        """The page's text, or None: a page that fails or is not done by ``deadline`` costs
        that page only (its article keeps the feed's text)."""
        assert entry.url is not None
        try:
            async with asyncio.timeout_at(deadline):
                text = await self._page_text(entry.url)
        except TimeoutError:
            log.debug("no full text for %s: the poll's deadline passed", entry.url)
            return None
        except FeedError as error:
            log.debug("no full text for %s: %s", entry.url, error)
            return None
        except Exception as error:  # a page is optional: its failure costs the page, not the feed
            log.warning("could not extract the text of %s: %s", entry.url, _one_line(error))
            return None
        return cut_text(text, self.settings.max_article_chars) if text else None

    async def _page_text(self, url: str) -> str | None:
        # Only the page's first max_page_bytes are read and extracted: the extraction's time
        # grows with the page, and a running extraction cannot be stopped from here.
        keep = self.settings.max_page_bytes
        page = await self.fetcher.fetch(url, accept=PAGE_ACCEPT, keep_bytes=keep)
        if not page.body:
            return None
        return await self._in(self._workers, extract_main_text, page.body, page.url)

    async def _articles(
        self, feed: Feed, entries: Sequence[ParsedEntry], first: bool, deadline: float
    ) -> list[Article]:
        """Entries as articles; new or changed ones with a short text get their page's text
        (at most ``max_pages_per_poll`` pages, done by ``deadline``).

        On a feed's first poll no page is fetched: those entries are history, not news.
        """
        assert feed.id is not None
        now = self._clock()
        pages: dict[str, str | None] = {}
        if not first:
            known = await self._writes.run(
                self.store.known_hashes, feed.id, [e.key for e in entries]
            )
            wanted = [
                e
                for e in entries
                if known.get(e.key) != e.content_hash and self._needs_page(e, feed.full_text)
            ][: self.settings.max_pages_per_poll]
            texts = await asyncio.gather(*(self._full_text(e, deadline) for e in wanted))
            pages = {e.key: text for e, text in zip(wanted, texts, strict=True)}
        return [_article(feed.id, entry, pages.get(entry.key), now, first) for entry in entries]

    # -- recording ----------------------------------------------------------------------------

    async def _record(self, feed: Feed, attempt: _Attempt) -> FeedResult:
        assert feed.id is not None
        now = self._clock()
        response = attempt.response
        if response.gone:
            return await self._disable(
                feed, "the feed is gone (HTTP 410)", now, failures=feed.failure_count
            )
        state = await self._healthy_state(feed, response, now, attempt.parsed)
        if attempt.parsed is None:
            await self._writes.run(self.store.update_feed, state)
            moved = _result(state, PollStatus.NOT_MODIFIED)
            return dataclasses.replace(moved, moved_to=response.moved_to)
        first = feed.last_success_at is None
        state = dataclasses.replace(state, items_skipped=attempt.parsed.skipped)
        articles = await self._articles(state, attempt.parsed.entries, first, attempt.deadline)
        saved = await self._writes.run(self.store.record_poll, state, articles, first_poll=first)
        status = (
            PollStatus.FIRST_POLL
            if first
            else PollStatus.NEW
            if saved.added
            else PollStatus.UPDATED
            if saved.updated
            else PollStatus.UNCHANGED
        )
        return dataclasses.replace(
            _result(state, status),
            new=0 if first else len(saved.added),
            seen=len(saved.added) if first else 0,
            updated=len(saved.updated),
            unchanged=saved.unchanged,
            moved_to=response.moved_to,
            article_ids=(*saved.added, *saved.updated),
            skipped=attempt.parsed.skipped,
        )

    async def _healthy_state(
        self, feed: Feed, response: Response, now: dt.datetime, parsed: ParsedFeed | None
    ) -> Feed:
        url = feed.url
        if response.moved_to and response.moved_to != feed.url:
            taken = await self._writes.run(self.store.find_feed, response.moved_to)
            if taken is None:
                log.info("%s moved permanently to %s", feed.url, response.moved_to)
                url = response.moved_to
            else:
                log.warning("%s moved to %s, which is stored already", feed.url, response.moved_to)
        validators = (
            response.validators
            if not response.not_modified
            else Validators(
                response.headers.get("etag", feed.etag),
                response.headers.get("last-modified", feed.last_modified),
            )
        )
        return dataclasses.replace(
            feed,
            url=url,
            title=feed.title or (parsed.title if parsed else None),
            site_url=feed.site_url or (parsed.site_url if parsed else None),
            enabled=True,
            disabled_reason=None,
            etag=validators.etag,
            last_modified=validators.last_modified,
            last_fetched_at=now,
            last_success_at=now,
            next_check_at=now + self._healthy_wait(response),
            failure_count=0,
            last_error=None,
        )

    def _healthy_wait(self, response: Response) -> dt.timedelta:
        interval = dt.timedelta(minutes=self.settings.poll_interval_minutes)
        max_age = parse_max_age(response.headers.get("cache-control"))
        if max_age is None:
            return interval
        return max(interval, min(max_age, dt.timedelta(hours=self.settings.max_backoff_hours)))

    def backoff(self, failures: int) -> dt.timedelta:
        """How long a feed with ``failures`` failures in a row waits: doubling, capped, jittered."""
        doubling: int = 2 ** (failures - 1)
        base = dt.timedelta(minutes=self.settings.poll_interval_minutes) * doubling
        capped = min(base, dt.timedelta(hours=self.settings.max_backoff_hours))
        return capped * (1 + _JITTER * self._rng.random())

    async def _record_failure(self, feed: Feed, error: FeedError) -> FeedResult:
        now = self._clock()
        failures = feed.failure_count + 1
        reason = error.message or str(error)
        if failures >= self.settings.max_failures:
            return await self._disable(
                feed,
                f"{failures} failed polls in a row; the last: {reason}",
                now,
                failures=failures,
            )
        wait = self.backoff(failures)
        asked = error.retry_after if isinstance(error, FetchError) else None
        retry_after = parse_retry_after(asked, now)
        if retry_after is not None:
            wait = max(wait, min(retry_after, dt.timedelta(hours=self.settings.max_backoff_hours)))
        state = dataclasses.replace(
            feed,
            failure_count=failures,
            last_error=reason,
            last_fetched_at=now,
            next_check_at=now + wait,
        )
        if feed.id is not None:
            await self._writes.run(self.store.update_feed, state)
        # DEBUG: the poll's results and `feeds status` report it; disabling is a WARNING.
        log.debug(
            "%s failed (%s); attempt %d, next in %s",
            feed.url,
            reason,
            failures,
            dt.timedelta(seconds=round(wait.total_seconds())),
        )
        return _result(state, PollStatus.FAILED, error=reason)

    async def _disable(
        self, feed: Feed, reason: str, now: dt.datetime, *, failures: int
    ) -> FeedResult:
        state = dataclasses.replace(
            feed,
            enabled=False,
            disabled_reason=reason,
            failure_count=failures,
            last_error=reason,
            last_fetched_at=now,
            next_check_at=None,
        )
        await self._writes.run(self.store.update_feed, state)
        log.warning("disabled %s: %s", feed.url, reason)
        if feed.enabled and self._on_event is not None and feed.id is not None:
            self._on_event(FeedDisabled(feed.id, feed.url, feed.title, reason))
        return _result(state, PollStatus.DISABLED, error=reason)


async def gather_results(
    jobs: Iterable[Awaitable[FeedResult]],
    progress: Callable[[FeedResult], None] | None = None,
) -> list[FeedResult]:
    """Run poll jobs concurrently; report each result as it comes; return them in input order."""

    async def one(job: Awaitable[FeedResult]) -> FeedResult:
        result = await job
        if progress is not None:
            progress(result)
        return result

    return list(await asyncio.gather(*(one(job) for job in jobs)))


def _article(
    feed_id: int, entry: ParsedEntry, page_text: str | None, now: dt.datetime, first: bool
) -> Article:
    use_page = page_text is not None and len(page_text) > len(entry.text)
    return Article(
        feed_id=feed_id,
        key=entry.key,
        title=entry.title,
        url=entry.url,
        summary=entry.summary,
        text=page_text if use_page and page_text else entry.text,
        text_source=TextSource.PAGE if use_page else TextSource.FEED,
        author=entry.author,
        published_at=entry.published_at,
        updated_at=entry.updated_at,
        first_seen_at=now,
        content_hash=entry.content_hash,
        seen_on_first_poll=first,
    )


def _one_line(error: BaseException) -> str:
    """An exception as one short line for the log and the feed's status."""
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _result(feed: Feed, status: PollStatus, *, error: str | None = None) -> FeedResult:
    return FeedResult(
        url=feed.url,
        status=status,
        feed_id=feed.id,
        title=feed.title,
        next_check_at=feed.next_check_at,
        error=error,
    )
