"""Every hazard of fetching and polling feeds, against loopback servers.

Conditional GET, redirects, 410, Retry-After, Cache-Control, backoff and disabling, size caps
(compression bombs, endless bodies, lying lengths), the deadline, the SSRF guard (address
spellings, redirects, DNS rebinding, the connect-time check), XML bombs and external entities,
entry identity, and documents that are ill-formed or no feed at all.

Nothing here contacts anything outside 127.0.0.0/8: name resolution is stubbed for every test
(only "localhost" reaches the system resolver, which answers it from /etc/hosts), feeds link to
news.example but no article page is ever fetched (``full_text_min_chars=0``), and the addresses
the guard must refuse (10.0.0.1, 169.254.169.254) are refused before any I/O. Times are a fake
clock's, so waits are asserted exactly; the jitter comes from ``random.Random(0)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import random
import re
import socket
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from digests.errors import FeedError
from digests.fetch import (
    BlockedURLError,
    FeedDisabled,
    FeedResult,
    Fetcher,
    FetchError,
    NotAFeedError,
    Poller,
    PollStatus,
    TooLargeError,
    _guard,
)
from digests.fetch._guard import GuardedResolver
from digests.model import UTC, Feed
from digests.settings import FetchSettings
from digests.store import Store
from tests.feeds import (
    Item,
    billion_laughs,
    external_entities,
    items,
    quadratic_blowup,
    rss,
)
from tests.feedserver import FeedServer

START = dt.datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)
MB = 1_000_000
#: What a poll may hold in memory at its peak while a hostile response is being refused.
MEMORY_BOUND = 20 * MB


def loopback(**changes: Any) -> FetchSettings:
    """Settings for feeds on the loopback server: the guard off (the guard's tests turn it on),
    a short deadline, and no article pages fetched."""
    values: dict[str, Any] = {
        "allow_private_networks": True,
        "timeout_seconds": 5,
        "full_text_min_chars": 0,
    }
    return FetchSettings(**(values | changes))


def guarded(**changes: Any) -> FetchSettings:
    """The same with the SSRF guard on, as it is by default."""
    return loopback(allow_private_networks=False, **changes)


# -- the harness ------------------------------------------------------------------------------


@dataclasses.dataclass
class FakeClock:
    current: dt.datetime = START

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, delta: dt.timedelta) -> None:
        self.current += delta


@dataclasses.dataclass
class Intake:
    """A poller over a store, with a fake clock and the FeedDisabled events it emitted."""

    store: Store
    poller: Poller
    clock: FakeClock
    events: list[FeedDisabled]

    async def add(self, url: str) -> Feed:
        result = await self.poller.add(Feed(url=url))
        assert result.feed_id is not None
        return self.feed(result.feed_id)

    def feed(self, feed_id: int | None) -> Feed:
        assert feed_id is not None
        return self.store.get_feed(feed_id)

    async def poll(self, feed: Feed) -> FeedResult:
        """Poll the feed as it is stored now."""
        return await self.poller.poll_one(self.feed(feed.id))


@asynccontextmanager
async def intake(store: Store, settings: FetchSettings | None = None) -> AsyncIterator[Intake]:
    settings = settings or loopback()
    clock = FakeClock()
    events: list[FeedDisabled] = []
    workers = ThreadPoolExecutor(1)
    try:
        async with Fetcher(settings) as fetcher:
            poller = Poller(
                store,
                settings,
                fetcher,
                workers,
                clock=clock.now,
                rng=random.Random(0),
                on_event=events.append,
            )
            try:
                yield Intake(store, poller, clock, events)
            finally:
                poller.close()
    finally:
        workers.shutdown()


def expected_backoffs(settings: FetchSettings, count: int) -> list[dt.timedelta]:
    """The waits after 1..count failures in a row: the interval doubling, capped, and jittered
    by up to 25 % with the draws of a twin of the poller's ``random.Random(0)``."""
    twin = random.Random(0)
    waits = []
    for failures in range(1, count + 1):
        doubled = dt.timedelta(minutes=settings.poll_interval_minutes) * 2 ** (failures - 1)
        capped = min(doubled, dt.timedelta(hours=settings.max_backoff_hours))
        waits.append(capped * (1 + 0.25 * twin.random()))
    return waits


@dataclasses.dataclass
class Peak:
    bytes: int = 0


@contextmanager
def peak_memory() -> Iterator[Peak]:
    """The peak of memory allocated (by any thread) while the block ran."""
    peak = Peak()
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def resolved(host: str, port: int, address: str) -> ResolveResult:
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": socket.AF_INET,
        "proto": 0,
        "flags": socket.AI_NUMERICHOST,
    }


_system_resolve = ThreadedResolver.resolve


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """No name leaves this machine: only "localhost" is resolved (from /etc/hosts)."""

    async def resolve(
        self: ThreadedResolver,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        if host == "localhost":
            return await _system_resolve(self, host, port, family)
        raise OSError(f"no DNS in these tests ({host})")

    monkeypatch.setattr(ThreadedResolver, "resolve", resolve)


@pytest.fixture
def public_server(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A second server on 127.0.0.2, at feed_server's port, and a guard told that 127.0.0.2 (and
    nothing else) is public: a "public" first hop on a machine without internet."""
    monkeypatch.setattr(_guard, "is_public", lambda address: str(address) == "127.0.0.2")
    server = FeedServer(host="127.0.0.2", port=feed_server.port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """SQLite only, for tests whose hazard is over before anything is stored (the XML bombs, the
    slowest test here) or that store nothing at all."""
    with Store.open(sqlite_url) as opened:
        yield opened


async def wait_for_disconnect(request: web.Request, limit: float = 10) -> None:
    """Hold a response open until the client hangs up (or ``limit`` seconds pass)."""
    for _ in range(int(limit / 0.05)):
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)


# -- 1. conditional GET ------------------------------------------------------------------------


async def test_the_second_poll_sends_the_stored_validators_and_a_304_changes_nothing(
    store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(3)), etag='"v1"', last_modified=True)
    async with intake(store) as run:
        feed = await run.add(url)
        assert feed.etag == '"v1"'
        assert feed.last_modified
        run.clock.advance(dt.timedelta(minutes=15))
        result = await run.poll(feed)
        now = run.clock.now()

    first, second = feed_server.requests_to("/feed.xml")
    assert "If-None-Match" not in first.headers
    assert "If-Modified-Since" not in first.headers
    assert second.headers["If-None-Match"] == feed.etag
    assert second.headers["If-Modified-Since"] == feed.last_modified
    assert result.status is PollStatus.NOT_MODIFIED
    assert (result.new, result.updated, result.seen, result.error) == (0, 0, 0, None)
    after = store.get_feed(result.feed_id or 0)
    assert (after.failure_count, after.last_error, after.enabled) == (0, None, True)
    assert (after.etag, after.last_modified) == (feed.etag, feed.last_modified)
    assert after.last_success_at == now
    assert after.next_check_at == now + dt.timedelta(minutes=15)
    assert len(store.list_articles(feed_id=feed.id)) == 3


# -- 2. redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
async def test_a_permanent_redirect_to_an_address_the_guard_allows_moves_the_stored_feed(
    store: Store, public_server: FeedServer, status: int
) -> None:
    old = public_server.serve("/old.xml", rss(items(2)))
    async with intake(store, guarded()) as run:
        feed = await run.add(old)
        new = public_server.serve("/new.xml", rss(items(2)))
        public_server.redirect("/old.xml", new, status=status)
        result = await run.poll(feed)

    assert result.status is PollStatus.UNCHANGED
    assert (result.moved_to, result.url) == (new, new)
    assert store.get_feed(feed.id or 0).url == new
    assert store.find_feed(old) is None
    assert len(public_server.requests_to("/new.xml")) == 1


@pytest.mark.parametrize(
    "chain",
    [[302], [307], [301, 302], [302, 301]],
    ids=lambda chain: "-".join(map(str, chain)),
)
async def test_a_redirect_that_is_not_permanent_all_the_way_keeps_the_stored_url(
    store: Store, public_server: FeedServer, chain: list[int]
) -> None:
    url = public_server.serve("/feed.xml", rss(items(2)))
    async with intake(store, guarded()) as run:
        feed = await run.add(url)
        target = public_server.serve("/elsewhere.xml", rss(items(3)))
        paths = ["/feed.xml", *(f"/hop{n}" for n in range(1, len(chain)))]
        locations = [*(public_server.url(path) for path in paths[1:]), target]
        for path, status, location in zip(paths, chain, locations, strict=True):
            public_server.redirect(path, location, status=status)
        result = await run.poll(feed)

    assert (result.status, result.new) == (PollStatus.NEW, 1)  # the body came from the target
    assert result.moved_to is None
    assert store.get_feed(feed.id or 0).url == url
    assert len(public_server.requests_to("/elsewhere.xml")) == 1


async def test_a_permanent_redirect_to_an_address_the_guard_refuses_fails_and_moves_nothing(
    store: Store, public_server: FeedServer, feed_server: FeedServer
) -> None:
    url = public_server.serve("/feed.xml", rss(items(2)))
    async with intake(store, guarded()) as run:
        feed = await run.add(url)
        inside = feed_server.serve("/inside.xml", rss(items(2)))  # 127.0.0.1: not public
        public_server.redirect("/feed.xml", inside, status=301)
        result = await run.poll(feed)

    assert result.status is PollStatus.FAILED
    assert result.error == "127.0.0.1 is not a public address"
    assert result.moved_to is None
    stored = store.get_feed(feed.id or 0)
    assert (stored.url, stored.failure_count) == (url, 1)
    assert feed_server.requests_to("/inside.xml") == []


async def test_a_redirect_loop_fails_the_poll_after_max_redirects_with_a_reason(
    store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(2)))
    async with intake(store, loopback(max_redirects=3)) as run:
        feed = await run.add(url)
        feed_server.redirect("/feed.xml", "/feed.xml", status=302)
        result = await run.poll(feed)

    assert result.status is PollStatus.FAILED
    assert result.error == "more than 3 redirects"
    assert store.get_feed(feed.id or 0).last_error == "more than 3 redirects"
    assert len(feed_server.requests_to("/feed.xml")) == 1 + 1 + 3  # add, then the first + 3


@pytest.mark.parametrize(("hops", "followed"), [(3, True), (4, False)])
async def test_a_chain_of_redirects_is_followed_up_to_max_redirects_and_no_further(
    feed_server: FeedServer, hops: int, followed: bool
) -> None:
    target = feed_server.serve("/feed.xml", rss(items(1)))
    for n in range(hops):
        following = feed_server.url(f"/hop{n + 1}") if n + 1 < hops else target
        feed_server.redirect(f"/hop{n}", following, status=307)
    async with Fetcher(loopback(max_redirects=3)) as fetcher:
        if followed:
            response = await fetcher.fetch(feed_server.url("/hop0"))
            assert (response.status, response.url) == (200, target)
        else:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(feed_server.url("/hop0"))
            assert caught.value.message == "more than 3 redirects"
    assert len(feed_server.requests_to("/feed.xml")) == (1 if followed else 0)


# -- 3. 410 Gone -------------------------------------------------------------------------------


async def test_a_feed_that_answers_410_is_disabled_at_once_and_reported_once(
    store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(2)))
    async with intake(store) as run:
        feed = await run.add(url)
        feed_server.serve("/feed.xml", "gone", status=410)
        result = await run.poll(feed)
        disabled = store.get_feed(feed.id or 0)
        again = await run.poll(feed)

    assert result.status is PollStatus.DISABLED
    assert result.error is not None
    assert "410" in result.error
    assert not disabled.enabled
    assert disabled.disabled_reason == result.error
    assert disabled.next_check_at is None
    assert disabled.failure_count == 0  # not a failure counted towards max_failures: final
    assert run.events == [FeedDisabled(disabled.id or 0, url, "Test World News", result.error)]
    assert again.status is PollStatus.DISABLED
    assert len(run.events) == 1
    assert store.due_feeds(START + dt.timedelta(days=365)) == []


# -- 4. Retry-After ----------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [120, 5], ids=["retry-after-wins", "backoff-wins"])
async def test_a_429_with_retry_after_in_seconds_waits_at_least_that_long(
    store: Store, feed_server: FeedServer, seconds: int
) -> None:
    settings = loopback(poll_interval_minutes=1)
    url = feed_server.serve("/feed.xml", rss(items(2)))
    async with intake(store, settings) as run:
        feed = await run.add(url)
        run.clock.advance(dt.timedelta(minutes=1))
        feed_server.serve(
            "/feed.xml", "slow down", status=429, headers={"Retry-After": str(seconds)}
        )
        result = await run.poll(feed)
        now = run.clock.now()

    backoff = expected_backoffs(settings, 1)[0]  # 60 to 75 s
    assert (result.status, result.error) == (PollStatus.FAILED, "HTTP 429")
    assert result.next_check_at == now + max(dt.timedelta(seconds=seconds), backoff)
    assert store.get_feed(feed.id or 0).next_check_at == result.next_check_at


async def test_a_503_with_retry_after_as_a_date_waits_until_that_date(
    store: Store, feed_server: FeedServer
) -> None:
    settings = loopback(poll_interval_minutes=1)
    url = feed_server.serve("/feed.xml", rss(items(2)))
    async with intake(store, settings) as run:
        feed = await run.add(url)
        run.clock.advance(dt.timedelta(minutes=1))
        now = run.clock.now()
        until = now + dt.timedelta(hours=2)
        feed_server.serve(
            "/feed.xml",
            "maintenance",
            status=503,
            # The server's clock agrees with the poller's, as a real server's would.
            headers={
                "Retry-After": format_datetime(until, usegmt=True),
                "Date": format_datetime(now, usegmt=True),
            },
        )
        result = await run.poll(feed)

    assert (result.status, result.error) == (PollStatus.FAILED, "HTTP 503")
    # The jittered backoff after one failure (at most 75 s) is shorter: the date decides.
    assert result.next_check_at == until
    assert store.get_feed(feed.id or 0).next_check_at == until


# -- 5. Cache-Control --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cache_control", "wait"),
    [("max-age=7200", dt.timedelta(hours=2)), ("public, max-age=60", dt.timedelta(minutes=15))],
    ids=["longer-than-the-interval", "shorter-than-the-interval"],
)
async def test_cache_control_max_age_pushes_the_next_check_but_never_pulls_it_in(
    store: Store, feed_server: FeedServer, cache_control: str, wait: dt.timedelta
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(2)), headers={"Cache-Control": cache_control})
    async with intake(store, loopback(poll_interval_minutes=15)) as run:
        result = await run.poller.add(Feed(url=url))

    assert result.status is PollStatus.FIRST_POLL
    assert result.next_check_at == START + wait
    assert store.get_feed(result.feed_id or 0).next_check_at == START + wait


# -- 6. failing for ever: backoff, disabling, isolation ------------------------------------------


async def test_a_feed_failing_for_ever_backs_off_doubling_is_disabled_once_and_spares_the_others(
    store: Store, feed_server: FeedServer
) -> None:
    settings = loopback(poll_interval_minutes=1, max_failures=4)
    bad_url = feed_server.serve("/bad.xml", rss(items(2), title="Bad News"))
    good_url = feed_server.serve("/good.xml", rss(items(2, "good")), etag='"good"')
    async with intake(store, settings) as run:
        bad = await run.add(bad_url)
        good = await run.add(good_url)
        feed_server.serve("/bad.xml", "oops", status=500)

        waits = []
        for attempt in range(1, 4):
            bad_result, good_result = await run.poller.poll([run.feed(bad.id), run.feed(good.id)])
            assert good_result.status is PollStatus.NOT_MODIFIED, attempt
            assert (bad_result.status, bad_result.error) == (PollStatus.FAILED, "HTTP 500")
            stored = run.feed(bad.id)
            assert (stored.enabled, stored.failure_count) == (True, attempt)
            assert stored.next_check_at == bad_result.next_check_at
            assert bad_result.next_check_at is not None
            waits.append(bad_result.next_check_at - run.clock.now())
            run.clock.current = bad_result.next_check_at
        assert run.events == []

        bad_result, good_result = await run.poller.poll([run.feed(bad.id), run.feed(good.id)])
        assert good_result.status is PollStatus.NOT_MODIFIED
        assert bad_result.status is PollStatus.DISABLED
        reason = bad_result.error
        assert reason == "4 failed polls in a row; the last: HTTP 500"
        assert run.events == [FeedDisabled(bad.id or 0, bad_url, "Bad News", reason)]
        disabled = run.feed(bad.id)
        assert (disabled.enabled, disabled.failure_count, disabled.next_check_at) == (
            False,
            4,
            None,
        )
        assert disabled.disabled_reason == reason

        run.clock.advance(dt.timedelta(days=1))
        bad_result, good_result = await run.poller.poll([run.feed(bad.id), run.feed(good.id)])
        assert (bad_result.status, good_result.status) == (
            PollStatus.DISABLED,
            PollStatus.NOT_MODIFIED,
        )
        assert len(run.events) == 1

    for failures, wait in enumerate(waits, start=1):
        doubled = MINUTE * 2 ** (failures - 1)
        assert doubled <= wait <= doubled * 1.25, failures
    assert waits == expected_backoffs(settings, 3)
    assert not store.get_feed(bad.id or 0).enabled
    healthy = store.get_feed(good.id or 0)
    assert (healthy.enabled, healthy.failure_count, healthy.last_error) == (True, 0, None)


async def test_the_backoff_doubles_up_to_max_backoff_hours_and_no_further(
    sqlite_store: Store,
) -> None:
    settings = loopback(poll_interval_minutes=1, max_backoff_hours=0.25)  # cap: 15 minutes
    async with intake(sqlite_store, settings) as run:
        waits = [run.poller.backoff(failures) for failures in range(1, 9)]
    for failures, wait in enumerate(waits, start=1):
        base = min(MINUTE * 2 ** (failures - 1), dt.timedelta(minutes=15))
        assert base <= wait <= base * 1.25, failures
    assert waits == expected_backoffs(settings, 8)


# -- 7. size caps --------------------------------------------------------------------------------


@cache
def compression_bomb(encoding: str, inflated: int = 64 << 20) -> bytes:
    """``inflated`` zero bytes, compressed a mebibyte at a time (64 MiB: about 64 kB)."""
    wbits = 31 if encoding == "gzip" else 15  # gzip framing, or a zlib stream for "deflate"
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(inflated >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compression_bomb_is_refused_at_max_bytes_without_being_inflated(
    feed_server: FeedServer, encoding: str
) -> None:
    bomb = compression_bomb(encoding)
    settings = loopback(max_bytes=1_000_000)
    assert len(bomb) < settings.max_bytes // 4  # only the inflated size can trip the cap
    url = feed_server.serve("/bomb.xml", bomb, headers={"Content-Encoding": encoding})
    async with Fetcher(settings) as fetcher:
        with peak_memory() as peak, pytest.raises(TooLargeError, match="larger than 1000000"):
            await fetcher.fetch(url)
    assert peak.bytes < MEMORY_BOUND  # against 64 MiB inflated
    assert len(feed_server.requests_to("/bomb.xml")) == 1


async def test_a_feed_that_turns_into_a_gzip_bomb_fails_its_poll_as_too_large(
    store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(2)))
    async with intake(store, loopback(max_bytes=1_000_000)) as run:
        feed = await run.add(url)
        feed_server.serve(
            "/feed.xml", compression_bomb("gzip"), headers={"Content-Encoding": "gzip"}
        )
        result = await run.poll(feed)

    assert result.status is PollStatus.FAILED
    assert result.error == "body larger than 1000000 bytes"
    assert store.get_feed(feed.id or 0).failure_count == 1
    assert len(store.list_articles(feed_id=feed.id)) == 2


async def test_an_endless_chunked_body_is_cut_off_at_max_bytes(feed_server: FeedServer) -> None:
    chunk = b"<item>" + b" " * (64 * 1024 - 6)

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            for _ in range(8 * 1024):  # 512 MiB: for ever, as far as a 1 MB cap is concerned
                await response.write(chunk)
        except ConnectionError:
            pass  # the client hung up, as it should
        return response

    url = feed_server.route("/endless.xml", endless)
    async with Fetcher(loopback(max_bytes=1_000_000)) as fetcher:
        with peak_memory() as peak, pytest.raises(TooLargeError, match="larger than 1000000"):
            await fetcher.fetch(url)
    assert peak.bytes < MEMORY_BOUND


async def test_a_content_length_over_max_bytes_is_refused_before_the_body_is_read(
    feed_server: FeedServer,
) -> None:
    async def lying(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.content_length = 50_000_000
        await response.prepare(request)
        await response.write(b'<rss version="2.0">')
        # The rest never comes: a fetcher that started reading would wait for its deadline.
        await wait_for_disconnect(request)
        return response

    url = feed_server.route("/lying.xml", lying)
    async with Fetcher(loopback(max_bytes=1_000_000, timeout_seconds=2)) as fetcher:
        with pytest.raises(TooLargeError, match="50000000 bytes is over the cap of 1000000"):
            await fetcher.fetch(url)


# -- 8. the deadline ---------------------------------------------------------------------------


async def test_a_body_dripping_one_byte_at_a_time_hits_the_deadline(
    feed_server: FeedServer,
) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        try:
            for _ in range(40):  # 12 s at most
                await response.write(b" ")
                await asyncio.sleep(0.3)
        except ConnectionError:
            pass
        return response

    url = feed_server.route("/drip.xml", drip)
    async with Fetcher(loopback(timeout_seconds=1)) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    assert caught.value.message == "no complete answer within 1 s"
    assert not isinstance(caught.value, TooLargeError)
    assert len(feed_server.requests_to("/drip.xml")) == 1


async def test_the_deadline_covers_the_whole_fetch_not_each_redirect_hop(
    feed_server: FeedServer,
) -> None:
    def slow_redirect(location: str) -> Any:
        async def handler(_request: web.Request) -> web.StreamResponse:
            await asyncio.sleep(0.25)  # each hop well within the deadline, all three past it
            return web.Response(status=302, headers={"Location": location})

        return handler

    target = feed_server.serve("/feed.xml", rss(items(1)))
    feed_server.route("/hop2", slow_redirect(target))
    feed_server.route("/hop1", slow_redirect(feed_server.url("/hop2")))
    url = feed_server.route("/hop0", slow_redirect(feed_server.url("/hop1")))
    async with Fetcher(loopback(timeout_seconds=0.5)) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    assert caught.value.message == "no complete answer within 0.5 s"
    assert len(feed_server.requests_to("/hop0")) == 1
    assert feed_server.requests_to("/feed.xml") == []


# -- 9. the SSRF guard -------------------------------------------------------------------------

BLOCKED_URLS = {
    "loopback": "http://127.0.0.1:{port}/feed.xml",
    "ipv6-loopback": "http://[::1]:{port}/feed.xml",
    "decimal": "http://2130706433:{port}/feed.xml",
    "hex": "http://0x7f000001:{port}/feed.xml",
    "octal": "http://0177.0.0.1:{port}/feed.xml",
    "short": "http://127.1:{port}/feed.xml",
    "ipv4-mapped": "http://[::ffff:127.0.0.1]:{port}/feed.xml",
    "ipv4-mapped-hex": "http://[::ffff:7f00:1]:{port}/feed.xml",
    "nat64": "http://[64:ff9b::7f00:1]:{port}/feed.xml",
    "unspecified": "http://0.0.0.0:{port}/feed.xml",
    "link-local-metadata": "http://169.254.169.254/latest/meta-data/",
    "private": "http://10.0.0.1/feed.xml",
    "credentials": "http://user:secret@127.0.0.1:{port}/feed.xml",
    "file": "file:///etc/passwd",
    "ftp": "ftp://127.0.0.1:{port}/feed.xml",
    "no-scheme": "/etc/passwd",
}


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail any attempt to open a connection; the list says which were tried."""
    tried: list[str] = []

    async def connect(self: aiohttp.BaseConnector, request: Any, *_a: Any, **_k: Any) -> Any:
        tried.append(str(request.url))
        raise AssertionError(f"a connection was attempted to {request.url}")

    monkeypatch.setattr(aiohttp.BaseConnector, "connect", connect)
    return tried


@pytest.mark.parametrize("template", BLOCKED_URLS.values(), ids=BLOCKED_URLS.keys())
async def test_with_the_guard_on_every_spelling_of_a_private_address_is_refused_before_any_io(
    feed_server: FeedServer, no_connections: list[str], template: str
) -> None:
    feed_server.serve("/feed.xml", rss(items(1)))
    url = template.format(port=feed_server.port)
    async with Fetcher(guarded()) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(url)
    assert no_connections == []
    assert feed_server.seen == []


async def test_with_the_guard_on_localhost_is_refused_when_it_resolves(
    feed_server: FeedServer,
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(1))).replace("127.0.0.1", "localhost")
    async with Fetcher(guarded()) as fetcher:
        with pytest.raises(BlockedURLError, match="resolves only to non-public addresses"):
            await fetcher.fetch(url)
    assert feed_server.seen == []


async def test_adding_a_feed_the_guard_refuses_stores_nothing(
    store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(2)))
    async with intake(store, guarded()) as run:
        with pytest.raises(BlockedURLError, match=r"127\.0\.0\.1 is not a public address"):
            await run.poller.add(Feed(url=url))
    assert store.list_feeds() == []
    assert store.list_articles() == []
    assert feed_server.seen == []


async def test_the_guard_is_off_only_when_private_networks_are_allowed(
    feed_server: FeedServer,
) -> None:
    document = rss(items(1))
    url = feed_server.serve("/feed.xml", document)
    assert FetchSettings().allow_private_networks is False
    async with Fetcher(FetchSettings(timeout_seconds=5)) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(url)
    assert feed_server.seen == []
    async with Fetcher(FetchSettings(timeout_seconds=5, allow_private_networks=True)) as fetcher:
        response = await fetcher.fetch(url)
    assert (response.status, response.body) == (200, document.encode())
    assert len(feed_server.requests_to("/feed.xml")) == 1


async def test_the_public_stand_in_server_is_reachable_with_the_guard_on(
    public_server: FeedServer,
) -> None:
    """The control for the redirect tests below: 127.0.0.2 passes the (patched) guard."""
    url = public_server.serve("/feed.xml", rss(items(1)))
    async with Fetcher(guarded()) as fetcher:
        response = await fetcher.fetch(url)
    assert response.status == 200


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.1:{port}/target", "127.0.0.1 is not a public address"),
        ("http://2130706433:{port}/target", "127.0.0.1 is not a public address"),
        ("http://[::ffff:127.0.0.1]:{port}/target", "::ffff:7f00:1 is not a public address"),
        ("http://localhost:{port}/target", "resolves only to non-public addresses"),
        ("file:///etc/passwd", "only http and https URLs can be fetched"),
    ],
    ids=["loopback", "decimal", "ipv4-mapped", "localhost", "file"],
)
@pytest.mark.parametrize("status", [301, 302])
async def test_a_redirect_from_a_public_address_to_a_private_one_is_refused(
    public_server: FeedServer, feed_server: FeedServer, location: str, reason: str, status: int
) -> None:
    feed_server.serve("/target", rss(items(1)))
    url = public_server.redirect("/start", location.format(port=feed_server.port), status=status)
    async with Fetcher(guarded()) as fetcher:
        with pytest.raises(BlockedURLError, match=re.escape(reason)):
            await fetcher.fetch(url)
    assert len(public_server.requests_to("/start")) == 1
    assert feed_server.seen == []


async def test_a_name_rebound_from_a_public_address_to_loopback_is_refused_when_resolved(
    public_server: FeedServer, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["127.0.0.2", "127.0.0.1"])  # the second lookup is the attacker's

    async def resolve(
        self: ThreadedResolver,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        assert host == "news.example"
        return [resolved(host, port, next(answers))]

    monkeypatch.setattr(ThreadedResolver, "resolve", resolve)
    public_server.serve("/feed.xml", rss(items(1)))
    feed_server.serve("/feed.xml", rss(items(1), title="Internal"))
    url = f"http://news.example:{feed_server.port}/feed.xml"  # both servers share the port

    async with Fetcher(guarded()) as fetcher:
        assert (await fetcher.fetch(url)).status == 200  # resolved to 127.0.0.2
    async with Fetcher(guarded()) as fetcher:  # a new connector: no cached answer
        with pytest.raises(BlockedURLError, match=r"non-public addresses \(127\.0\.0\.1\)"):
            await fetcher.fetch(url)
    assert len(public_server.requests_to("/feed.xml")) == 1
    assert feed_server.seen == []


@pytest.fixture
def resolver_passes_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guarded resolver that lets 127.0.0.1 through for news.example: only the check on the
    address actually connected to is left."""

    async def resolve(
        self: GuardedResolver,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        assert host == "news.example"
        return [resolved(host, port, "127.0.0.1")]

    monkeypatch.setattr(GuardedResolver, "resolve", resolve)


@pytest.mark.usefixtures("resolver_passes_loopback")
async def test_a_connection_that_lands_on_loopback_is_refused_by_the_connect_time_check(
    feed_server: FeedServer,
) -> None:
    feed_server.serve("/feed.xml", rss(items(1)))
    url = f"http://news.example:{feed_server.port}/feed.xml"
    async with Fetcher(guarded()) as fetcher:
        with pytest.raises(BlockedURLError, match=r"127\.0\.0\.1.*not a public address"):
            await fetcher.fetch(url)


@pytest.mark.usefixtures("resolver_passes_loopback")
async def test_the_connect_time_check_refuses_before_the_request_is_sent(
    feed_server: FeedServer,
) -> None:
    """A GET that reaches an internal service has done its harm (blind SSRF), whatever is then
    done with the answer: the check must come between connecting and sending."""
    feed_server.serve("/admin/delete-everything", "done")
    url = f"http://news.example:{feed_server.port}/admin/delete-everything"
    async with Fetcher(guarded()) as fetcher:
        with pytest.raises(BlockedURLError, match=r"127\.0\.0\.1.*not a public address"):
            await fetcher.fetch(url)
    assert feed_server.requests_to("/admin/delete-everything") == []


# -- 10. XML bombs and external entities ---------------------------------------------------------


async def test_xml_bombs_are_polled_in_bounded_memory_and_nothing_expanded_is_stored(
    sqlite_store: Store, feed_server: FeedServer
) -> None:
    # 3 GB expanded ("lol" * 10 times 10**8). The textbook form, "lol" times 10**9, is the
    # same bomb in smaller pieces; it costs the XML parser a few seconds more before it gives
    # up (after 8 MiB), and this test would cost that too.
    laughs = feed_server.serve("/laughs.xml", billion_laughs(levels=9, laugh="lol" * 10))
    quadratic = feed_server.serve("/quadratic.xml", quadratic_blowup())  # 1 GB expanded
    outcomes: list[FeedResult | FeedError] = []
    async with intake(sqlite_store) as run:
        with peak_memory() as peak:
            async with asyncio.timeout(60):  # a hang fails the test instead of stalling it
                for url in (laughs, quadratic):
                    try:
                        outcomes.append(await run.poller.add(Feed(url=url)))
                    except FeedError as error:  # refusing the document is fine too
                        outcomes.append(error)

    assert len(outcomes) == 2
    assert peak.bytes < 64 * MB  # against 1 GB and more expanded
    texts = [feed.title or "" for feed in sqlite_store.list_feeds()]
    for article in sqlite_store.list_articles():
        texts += [article.title, article.summary, article.text]
    for text in texts:
        assert "lollol" not in text
        assert "xxxxxxxxxx" not in text
        assert len(text) < 100_000


async def test_external_entities_and_dtds_are_never_fetched_or_expanded(
    store: Store, feed_server: FeedServer
) -> None:
    secret = Path("/etc/passwd")
    if "root:" not in secret.read_text():
        pytest.skip("this machine's /etc/passwd has no root: line to leak")
    canary = feed_server.serve(
        "/canary",
        '<!ENTITY canary "CANARY-TEXT"><!ENTITY xxe "CANARY-TEXT">',
        content_type="application/xml-dtd",
    )
    documents = external_entities(canary, str(secret))
    async with intake(store) as run:
        for n, document in enumerate(documents):
            url = feed_server.serve(f"/leak{n}.xml", document)
            with contextlib.suppress(FeedError):  # refusing the document is fine too
                await run.poller.add(Feed(url=url))

    assert len(feed_server.requests_to("/canary")) == 0
    texts = [feed.title or "" for feed in store.list_feeds()]
    for article in store.list_articles():
        texts += [article.title, article.summary, article.text, article.author or ""]
    assert texts  # the documents were read
    for text in texts:
        assert "root:" not in text
        assert "CANARY" not in text


# -- 11. entry identity --------------------------------------------------------------------------


async def test_entries_without_guid_are_known_by_link_then_by_title_and_date(
    store: Store, feed_server: FeedServer
) -> None:
    entries = [
        Item("Linked story", link="https://news.example/linked"),
        Item("Bare story one", pub_date="Tue, 24 Nov 2026 07:00:00 GMT"),
        Item("Bare story two", pub_date="Tue, 24 Nov 2026 06:00:00 GMT"),
    ]
    url = feed_server.serve("/feed.xml", rss(entries))
    async with intake(store) as run:
        feed = await run.add(url)
        first = {article.title: article.key for article in store.list_articles()}
        feed_server.serve("/feed.xml", rss(entries[::-1]))  # same entries, another order
        result = await run.poll(feed)

    assert first["Linked story"] == "https://news.example/linked"
    assert first["Bare story one"].startswith("sha256:")
    assert first["Bare story two"].startswith("sha256:")
    assert first["Bare story one"] != first["Bare story two"]
    assert (result.status, result.new, result.updated, result.unchanged) == (
        PollStatus.UNCHANGED,
        0,
        0,
        3,
    )
    assert {article.title: article.key for article in store.list_articles()} == first


async def test_rewritten_guids_with_the_same_links_create_no_new_articles(
    store: Store, feed_server: FeedServer
) -> None:
    entries = items(3)
    url = feed_server.serve("/feed.xml", rss(entries))
    rewritten = [dataclasses.replace(e, guid=f"urn:rewritten:{n}") for n, e in enumerate(entries)]
    async with intake(store) as run:
        feed = await run.add(url)
        feed_server.serve("/feed.xml", rss(rewritten))
        second = await run.poll(feed)
        third = await run.poll(feed)

    assert second.new == 0
    assert second.status is not PollStatus.NEW
    assert (third.status, third.new, third.updated) == (PollStatus.UNCHANGED, 0, 0)
    articles = store.list_articles(feed_id=feed.id)
    assert len(articles) == 3
    assert not [article for article in articles if not article.seen_on_first_poll]


async def test_a_guid_repeated_within_one_document_gives_one_article(
    store: Store, feed_server: FeedServer
) -> None:
    entries = [*items(2), dataclasses.replace(items(1)[0], title="The same GUID again")]
    url = feed_server.serve("/feed.xml", rss(entries))
    async with intake(store) as run:
        result = await run.poller.add(Feed(url=url))

    assert result.seen == 2
    keys = sorted(article.key for article in store.list_articles())
    assert keys == ["urn:test:item:0", "urn:test:item:1"]


async def test_a_first_poll_stores_everything_as_seen_and_the_next_reports_only_the_new_item(
    store: Store, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss(items(4)))
    async with intake(store) as run:
        first = await run.poller.add(Feed(url=url))
        feed_server.serve("/feed.xml", rss(items(5)))
        run.clock.advance(dt.timedelta(minutes=15))
        second = await run.poll(run.feed(first.feed_id))

    assert (first.status, first.new, first.seen, first.article_ids != ()) == (
        PollStatus.FIRST_POLL,
        0,
        4,
        True,
    )
    assert (second.status, second.new, second.updated, second.unchanged) == (
        PollStatus.NEW,
        1,
        0,
        4,
    )
    articles = store.list_articles(feed_id=first.feed_id)
    assert len(articles) == 5
    fresh = [article for article in articles if not article.seen_on_first_poll]
    assert [article.key for article in fresh] == ["urn:test:item:4"]
    assert second.article_ids == (fresh[0].id,)


# -- 12. ill-formed documents and documents that are no feed --------------------------------------


async def test_an_ill_formed_feed_keeps_its_usable_entries(
    store: Store, feed_server: FeedServer
) -> None:
    document = rss(items(3)).replace("Teaser number 1 about talks.", "Tom & Jerry <b>unclosed")
    url = feed_server.serve("/feed.xml", document)
    async with intake(store) as run:
        result = await run.poller.add(Feed(url=url))

    assert (result.status, result.seen) == (PollStatus.FIRST_POLL, 3)
    summaries = {article.key: article.summary for article in store.list_articles()}
    assert summaries["urn:test:item:1"] == "Tom & Jerry unclosed"
    assert summaries["urn:test:item:2"] == "Teaser number 2 about talks."


async def test_an_html_page_is_not_added_as_a_feed_and_nothing_is_stored(
    store: Store, feed_server: FeedServer
) -> None:
    page = (
        "<!doctype html><html><head><title>Welcome</title></head>"
        "<body><h1>Hello</h1><p>This is a web page, not a feed.</p></body></html>"
    )
    url = feed_server.serve("/index.html", page, content_type="text/html")
    async with intake(store) as run:
        with pytest.raises(NotAFeedError):
            await run.poller.add(Feed(url=url))

    assert store.list_feeds() == []
    assert store.list_articles() == []
