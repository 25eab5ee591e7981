"""The application service: the one object the CLI, the chat commands and the scheduler call.

It owns the store and the library's settings: feed intake, the answers to lookups (positions,
digests, search, the vocabulary) and a channel's subscription and watches, each validated here so
that every caller refuses the same bad input the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Self

from rapidfuzz import fuzz, process

from digests.compose import (
    ActorResolver,
    Digest,
    PositionsResult,
    SearchResult,
    compose_digest,
    digest_window,
    lookup_positions,
    resolve_feeds,
    resolve_topic,
    search,
)
from digests.errors import (
    FeedError,
    FeedExistsError,
    FeedNotFoundError,
    StoreError,
    SubscriptionNotFoundError,
)
from digests.fetch import (
    FeedDisabled,
    FeedResult,
    Fetcher,
    Poller,
    PollStatus,
    check_url,
    gather_results,
)
from digests.model import (
    Actor,
    Feed,
    FullText,
    Platform,
    Subscription,
    SubscriptionFilters,
    Watch,
    utc_now,
)
from digests.settings import DigestSettings, FetchSettings
from digests.store import Store
from digests.vocab import TopicEntry, Vocabulary, load_vocabulary

log = logging.getLogger(__name__)

_DEFAULT_FEEDS_ADDED = "default_feeds_added"
#: Batches this small are parsed in a thread: starting processes would cost more.
_INLINE_JOBS = 2
#: An ad hoc digest of a channel without a subscription covers this much.
AD_HOC_DIGEST_WINDOW = dt.timedelta(hours=24)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """Where a subscription or a watch lives."""

    platform: Platform
    #: Discord guild or Slack workspace id; "" for the console.
    workspace_id: str
    channel_id: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SubscriptionChange:
    """What `subscribe` was told; None keeps the current value (or the default, when new).

    Filters hold what a person typed (names, labels, outlets); the service resolves them.
    """

    actors: tuple[str, ...] | None = None
    topics: tuple[str, ...] | None = None
    feeds: tuple[str, ...] | None = None
    keywords: tuple[str, ...] | None = None
    exclude_keywords: tuple[str, ...] | None = None
    local_time: dt.time | None = None
    timezone: str | None = None
    days: frozenset[int] | None = None


class FeedNotExactError(FeedNotFoundError):
    """No feed is exactly what was typed, or more than one is (two feeds with one title):
    ``candidates`` are the feeds that might have been meant; ``shared`` says which case."""

    def __init__(self, typed: str, candidates: Sequence[Feed], *, shared: bool = False) -> None:
        self.candidates = tuple(candidates)
        self.shared = shared
        if shared:
            named = _feed_names(candidates, with_url=True)
            message = (
                f"{len(candidates)} feeds are titled {typed!r}: {named}; give the id or the URL"
            )
        else:
            message = f"no feed is exactly {typed!r} (its id, URL or whole title)"
            if candidates:
                message += f"; did you mean: {_feed_names(candidates, with_url=False)}?"
        super().__init__(typed, message)

    def __str__(self) -> str:
        return self.message


#: Feeds listed as what a partial name might have meant.
MAX_FEED_CANDIDATES = 5
#: A feed's title is a candidate for a typed name scoring at least this (rapidfuzz WRatio).
_CANDIDATE_SCORE = 60.0


def feed_candidates(feeds: Sequence[Feed], typed: str) -> list[Feed]:
    """The feeds ``typed`` might have meant, by id: those whose title or URL holds it, else
    those whose title is close to it."""
    query = typed.casefold()
    holding = [
        feed
        for feed in feeds
        if query and (query in (feed.title or "").casefold() or query in feed.url.casefold())
    ]
    if holding:
        return holding[:MAX_FEED_CANDIDATES]
    titled = {feed.id: feed.title for feed in feeds if feed.title and feed.id is not None}
    close = process.extract(
        query,
        titled,
        scorer=fuzz.WRatio,
        processor=str.casefold,
        limit=MAX_FEED_CANDIDATES,
        score_cutoff=_CANDIDATE_SCORE,
    )
    ids = sorted(key for _title, _score, key in close)
    return [feed for feed in feeds if feed.id in ids]


def _feed_names(feeds: Sequence[Feed], *, with_url: bool) -> str:
    """The feeds as "title (id 3)" or "title (id 3, url)", at most a few, then how many more."""
    shown = [
        f"{feed.title or feed.url} (id {feed.id}, {feed.url})"
        if with_url
        else f"{feed.title or feed.url} (id {feed.id})"
        for feed in feeds[:MAX_FEED_CANDIDATES]
    ]
    more = len(feeds) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


class Service:
    """newsdigest's use cases over one store."""

    def __init__(
        self,
        store: Store,
        *,
        fetch: FetchSettings,
        digest: DigestSettings | None = None,
        vocabulary_dir: str | None = None,
    ) -> None:
        self.store = store
        self.fetch_settings = fetch
        self.digest_settings = digest or DigestSettings()
        self._vocabulary_dir = vocabulary_dir or None
        self._loading = threading.Lock()
        self._resolver: ActorResolver | None = None

    @classmethod
    def open(
        cls,
        database_url: str,
        *,
        fetch: FetchSettings,
        digest: DigestSettings | None = None,
        vocabulary_dir: str | None = None,
        default_feeds: Sequence[Feed] | None = None,
    ) -> Self:
        """Open and migrate the store; on the very first start, add ``default_feeds`` (None:
        not this time, the database's first start is still to come)."""
        service = cls(
            Store.open(database_url),
            fetch=fetch,
            digest=digest,
            vocabulary_dir=vocabulary_dir,
        )
        if default_feeds is not None:
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
        finally:  # off the event loop: work a deadline abandoned may still be running
            await asyncio.to_thread(workers.shutdown, wait=True, cancel_futures=True)

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
        except StoreError as error:  # a full disk, a database gone: stored nothing, said so
            log.error("cannot store the new feed %s: %s", target.url, error)
            return FeedResult(url=target.url, status=PollStatus.FAILED, error=str(error))
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
        """Remove the feed named exactly by its id, URL or whole title, with its articles.

        Removal cannot be undone, so nothing short of an exact name will do: a part of a title
        raises :class:`FeedNotExactError` listing the feeds that might have been meant.
        """
        feed = self.find_feed(url_or_id)
        assert feed.id is not None
        self.store.remove_feed(feed.id)
        return feed

    def find_feed(self, typed: str) -> Feed:
        """The one feed ``typed`` names exactly: its id, its URL, or its whole title (case
        aside). Raises :class:`FeedNotExactError` for none (with the candidates) and for a title
        several feeds share (with each of them)."""
        text = typed.strip()
        feeds = self.store.list_feeds()
        title = text.casefold()
        for found in (
            [feed for feed in feeds if str(feed.id) == text],
            [feed for feed in feeds if feed.url == text],
            [feed for feed in feeds if text and (feed.title or "").strip().casefold() == title],
        ):
            if len(found) == 1:
                return found[0]
            if found:
                raise FeedNotExactError(text, found, shared=True)
        raise FeedNotExactError(text, feed_candidates(feeds, text))

    # -- the vocabulary -----------------------------------------------------------------------

    @property
    def vocabulary(self) -> Vocabulary:
        """The actor and topic vocabularies, loaded on first use (once, whichever thread)."""
        return self.resolver.vocabulary

    @property
    def resolver(self) -> ActorResolver:
        """The actor resolver over the vocabulary, built on first use (once, whichever
        thread: commands run in worker threads)."""
        with self._loading:
            if self._resolver is None:
                self._resolver = ActorResolver(load_vocabulary(self._vocabulary_dir))
            return self._resolver

    def actors(self, query: str | None = None, limit: int = 25) -> list[Actor]:
        """Actors whose names come closest to ``query``; without one, the states and
        organisations, by name."""
        if query and query.strip():
            return self.resolver.suggest(query, limit)
        listed = [actor for actor in self.vocabulary.actors.values() if actor.speaks_for is None]
        return sorted(listed, key=lambda actor: actor.name.casefold())[:limit]

    def topics(self) -> list[TopicEntry]:
        return sorted(self.vocabulary.topics.values(), key=lambda entry: entry.label.casefold())

    # -- lookups ------------------------------------------------------------------------------

    def positions(
        self,
        actor: str,
        *,
        topic: str | None = None,
        since: dt.timedelta = dt.timedelta(days=7),
        limit: int = 30,
        now: dt.datetime | None = None,
    ) -> PositionsResult:
        """An actor's positions (raises ``UnknownActorError`` or ``UnknownTopicError``)."""
        match = self.resolver.resolve(actor)
        if topic is not None:
            resolve_topic(self.vocabulary, topic)
        return lookup_positions(
            self.store, self.resolver, match, topic=topic, since=since, limit=limit, now=now
        )

    def digest(
        self,
        filters: SubscriptionFilters,
        since: dt.timedelta,
        *,
        now: dt.datetime | None = None,
    ) -> Digest:
        """An ad hoc digest of the last ``since`` for ``filters`` as typed: nothing is recorded
        and no subscription's window moves. Raises on an unknown actor, topic or feed."""
        until = now or utc_now()
        return self._compose(self.resolve_filters(filters), until - since, until)

    def channel_digest(self, channel: Channel, *, now: dt.datetime | None = None) -> Digest:
        """The digest a channel would get now: its subscription's filters, since its last
        delivered digest (at most the configured window); without one, everything of the last
        24 hours. Ad hoc: nothing is recorded."""
        until = now or utc_now()
        subscription = self.find_subscription(channel)
        if subscription is None:
            return self._compose(SubscriptionFilters(), until - AD_HOC_DIGEST_WINDOW, until)
        return self.subscription_digest(subscription, now=until)

    def subscription_digest(
        self, subscription: Subscription, *, now: dt.datetime | None = None
    ) -> Digest:
        """The subscription's digest: its filters, since its last delivered digest (at most
        the configured window)."""
        assert subscription.id is not None, "a stored subscription"
        until = now or utc_now()
        window = digest_window(self.store, subscription.id, self.digest_settings, now=until)
        return self._compose(subscription.filters, window.start, window.end)

    def _compose(
        self, filters: SubscriptionFilters, start: dt.datetime, end: dt.datetime
    ) -> Digest:
        return compose_digest(
            self.store,
            self.vocabulary,
            filters,
            start,
            end,
            settings=self.digest_settings,
            resolver=self.resolver,
        )

    def search(
        self, query: str, since: dt.timedelta, limit: int = 10, *, now: dt.datetime | None = None
    ) -> SearchResult:
        """Stored articles and statements holding every word (raises ``EmptyQueryError``)."""
        return search(self.store, query, (now or utc_now()) - since, limit)

    def resolve_filters(self, filters: SubscriptionFilters) -> SubscriptionFilters:
        """Filters as typed, made canonical: actor and topic keys, feeds as their URLs.
        Raises ``UnknownActorError``, ``UnknownTopicError`` or ``UnknownFeedError``."""
        feeds = self.store.list_feeds()
        return dataclasses.replace(
            filters,
            actors=_unique(self.resolver.resolve(name).actor.key for name in filters.actors),
            topics=_unique(resolve_topic(self.vocabulary, name).key for name in filters.topics),
            feeds=_unique(
                feed.url for typed in filters.feeds for feed in resolve_feeds(feeds, typed)
            ),
        )

    # -- a channel's subscription -------------------------------------------------------------

    def find_subscription(self, channel: Channel) -> Subscription | None:
        return self.store.find_subscription(
            channel.platform, channel.workspace_id, channel.channel_id
        )

    def subscribe(
        self, channel: Channel, change: SubscriptionChange, *, by: str | None = None
    ) -> tuple[Subscription, bool]:
        """Create the channel's subscription or edit it (what ``change`` leaves None stays);
        return it and whether it is new. Bad names raise before anything is stored."""
        # Only what was given is resolved: the stored filters are already keys and URLs.
        given = self.resolve_filters(
            SubscriptionFilters(
                actors=change.actors or (),
                topics=change.topics or (),
                feeds=change.feeds or (),
            )
        )
        with self.store.batch(savepoints=False):  # read and write in one transaction
            current = self.find_subscription(channel)
            base = current or Subscription(
                platform=channel.platform,
                workspace_id=channel.workspace_id,
                channel_id=channel.channel_id,
                created_by=by,
            )
            wanted = dataclasses.replace(
                base,
                filters=_changed_filters(base.filters, given, change),
                local_time=change.local_time or base.local_time,
                timezone=change.timezone or base.timezone,
                days=change.days or base.days,
                enabled=True,
                updated_at=utc_now(),
            )
            return self.store.save_subscription(wanted)

    def unsubscribe(self, channel: Channel) -> Subscription:
        """Remove the channel's subscription (raises ``SubscriptionNotFoundError``)."""
        with self.store.batch(savepoints=False):
            found = self.find_subscription(channel)
            if found is None or found.id is None:
                raise SubscriptionNotFoundError(
                    channel.channel_id, "this channel has no subscription"
                )
            self.store.remove_subscription(found.id)
        return found

    def subscriptions(self, platform: Platform, workspace_id: str) -> list[Subscription]:
        return self.store.list_subscriptions(platform=platform, workspace_id=workspace_id)

    # -- watches ------------------------------------------------------------------------------

    def watch(
        self, channel: Channel, actor: str, topic: str | None = None, *, by: str | None = None
    ) -> tuple[Watch, bool]:
        """Watch an actor (on a topic) in a channel; return the watch and whether it is new.
        Raises ``UnknownActorError`` or ``UnknownTopicError``."""
        return self.store.save_watch(self._watch(channel, actor, topic, by))

    def unwatch(self, channel: Channel, actor: str, topic: str | None = None) -> Watch:
        """Stop a watch (raises ``WatchNotFoundError`` if the channel has no such watch)."""
        return self.store.remove_watch(self._watch(channel, actor, topic, None))

    def watches(self, channel: Channel) -> list[Watch]:
        return self.store.list_watches(
            platform=channel.platform,
            workspace_id=channel.workspace_id,
            channel_id=channel.channel_id,
        )

    def _watch(self, channel: Channel, actor: str, topic: str | None, by: str | None) -> Watch:
        return Watch(
            platform=channel.platform,
            workspace_id=channel.workspace_id,
            channel_id=channel.channel_id,
            actor_key=self.resolver.resolve(actor).actor.key,
            topic_key=resolve_topic(self.vocabulary, topic).key if topic else None,
            created_by=by,
        )


def _changed_filters(
    current: SubscriptionFilters, given: SubscriptionFilters, change: SubscriptionChange
) -> SubscriptionFilters:
    """The filters after ``change``: ``given`` holds its names resolved; None keeps."""
    return SubscriptionFilters(
        actors=given.actors if change.actors is not None else current.actors,
        topics=given.topics if change.topics is not None else current.topics,
        feeds=given.feeds if change.feeds is not None else current.feeds,
        keywords=_given(change.keywords, current.keywords),
        exclude_keywords=_given(change.exclude_keywords, current.exclude_keywords),
    )


def _given(value: tuple[str, ...] | None, current: tuple[str, ...]) -> tuple[str, ...]:
    return current if value is None else value


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
