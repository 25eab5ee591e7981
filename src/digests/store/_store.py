"""The repository: every read and write of the database goes through :class:`Store`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from digests.errors import (
    AlreadyExistsError,
    ArticleNotFoundError,
    DeliveryExistsError,
    DeliveryNotFoundError,
    FeedExistsError,
    FeedNotFoundError,
    StoreError,
    StoreNotMigratedError,
    StoryNotFoundError,
    SubscriptionNotFoundError,
    WatchNotFoundError,
)
from digests.model import (
    ActorMention,
    Article,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Feed,
    FullText,
    Platform,
    Position,
    ReportedPosition,
    Stance,
    Story,
    Subscription,
    SubscriptionFilters,
    TextSource,
    TopicMention,
    Watch,
    WatchAlert,
    field_names,
)
from digests.store import _migrate
from digests.store._engine import IMMEDIATE, create_engine, display_url
from digests.store._tables import (
    actor_mentions,
    articles,
    deliveries,
    feeds,
    meta,
    positions,
    stories,
    subscriptions,
    topic_mentions,
    watch_alerts,
    watches,
)
from digests.store._types import UTCDateTime

log = logging.getLogger(__name__)

Row = sa.Row[Any]
#: Article fields the analysis writes: a new row leaves them to the database's defaults, and a
#: poll that finds the article changed leaves them as they are.
_ANALYSIS_FIELDS = ("analysed_at", "analysis_summary", "analysis_error")
_NOT_INSERTED = ("id", "story_id", *_ANALYSIS_FIELDS)
#: Article fields an edit found by a poll does not change.
_KEPT_ON_UPDATE = (
    "id",
    "feed_id",
    "first_seen_at",
    "seen_on_first_poll",
    "story_id",
    *_ANALYSIS_FIELDS,
)
T = TypeVar("T")
#: Most values bound in one ``IN (...)``: a list from outside (a feed's entries) can be longer
#: than the bind-parameter limits of PostgreSQL (65,535) and SQLite (32,766), so such lists are
#: looked up in slices of this many, whatever their length.
IN_CHUNK = 500


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _values(record: Any, *, without: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """A record's fields as column values (shallow: nested records stay as they are)."""
    return {
        name: getattr(record, name) for name in field_names(type(record)) if name not in without
    }


def _feed(row: Row) -> Feed:
    values = dict(row._mapping)
    return Feed(**{**values, "full_text": FullText(values["full_text"])})


def _article(row: Row) -> Article:
    values = dict(row._mapping)
    values["text_source"] = TextSource(values["text_source"])
    values["analysis_summary"] = tuple(values["analysis_summary"] or ())
    return Article(**values)


def _position(row: Row) -> Position:
    values = dict(row._mapping)
    return Position(**{**values, "stance": Stance(values["stance"])})


def _story(row: Row) -> Story:
    return Story(**dict(row._mapping))


def _subscription_values(subscription: Subscription) -> dict[str, Any]:
    values = _values(subscription)
    values["filters"] = {
        name: list(value) for name, value in _values(subscription.filters, without=()).items()
    }
    values["days"] = ",".join(str(day) for day in sorted(subscription.days))
    return values


def _subscription(row: Row) -> Subscription:
    values = dict(row._mapping)
    filters = {name: tuple(items) for name, items in values["filters"].items()}
    values["filters"] = SubscriptionFilters(**filters)
    values["days"] = frozenset(int(day) for day in values["days"].split(","))
    values["platform"] = Platform(values["platform"])
    return Subscription(**values)


def _watch(row: Row) -> Watch:
    values = dict(row._mapping)
    values["platform"] = Platform(values["platform"])
    values["topic_key"] = values["topic_key"] or None
    return Watch(**values)


def _alert_values(alert: WatchAlert) -> dict[str, Any]:
    values = _values(alert)
    values["message_ids"] = list(alert.message_ids)
    return values


def _alert(row: Row) -> WatchAlert:
    values = dict(row._mapping)
    values["status"] = DeliveryStatus(values["status"])
    values["message_ids"] = tuple(values["message_ids"])
    return WatchAlert(**values)


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    values = _values(delivery)
    values["message_ids"] = list(delivery.message_ids)
    return values


def _delivery(row: Row) -> Delivery:
    values = dict(row._mapping)
    values["kind"] = DeliveryKind(values["kind"])
    values["status"] = DeliveryStatus(values["status"])
    values["message_ids"] = tuple(values["message_ids"])
    return Delivery(**values)


@dataclasses.dataclass(frozen=True, slots=True)
class SavedEntries:
    """What storing one poll's entries did: ids of new and of changed articles."""

    added: list[int]
    updated: list[int]
    unchanged: int


class Store:
    """Typed access to the database. Thread-safe; each method is one transaction."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._batch = threading.local()  # this thread's open batch() connection, if any

    @classmethod
    def connect(cls, url: str) -> Self:
        """A store on ``url`` as it is: no migration, no check (for `newsdigest db`)."""
        return cls(create_engine(url))

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Self:
        """Open the database at ``url``; migrate it to the newest schema unless told not to.

        Without ``migrate``, an unmigrated or outdated database raises
        :class:`StoreNotMigratedError`. A database that cannot be reached raises
        :class:`StoreError`.
        """
        store = cls.connect(url)
        try:
            if migrate:
                store.upgrade()
            elif (current := store.revision()) != _migrate.HEAD:
                raise StoreNotMigratedError(current, _migrate.HEAD)
        except SQLAlchemyError as error:
            store.close()
            reason = f"cannot open database {display_url(url)}: {_reason(error)}"
            raise StoreError(reason) from error
        except BaseException:
            store.close()
            raise
        return store

    def revision(self) -> str | None:
        """The schema revision the database is at (None: never migrated)."""
        return _migrate.current_revision(self._engine)

    def upgrade(self, revision: str = "head") -> None:
        before = self.revision()
        if before == _migrate.HEAD and revision in ("head", _migrate.HEAD):
            return  # nothing to do, and no need to load Alembic to find that out
        _migrate.upgrade(self._engine, revision)
        after = self.revision()
        if after != before:
            log.info("migrated the database from %s to %s", before or "empty", after)

    def downgrade(self, revision: str) -> None:
        _migrate.downgrade(self._engine, revision)

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _begin(self, *, write: bool = True) -> Iterator[sa.Connection]:
        """A transaction: the batch's if one is open in this thread, else a new one.

        ``write``: it may write. On SQLite a writing transaction takes the write lock when it
        starts (``BEGIN IMMEDIATE``), so one that reads first and writes after waits for another
        writer (``busy_timeout``) instead of failing at once with "database is locked";
        ``write=False`` for reads, which WAL lets run beside a writer.
        """
        current: sa.Connection | None = getattr(self._batch, "connection", None)
        if current is not None and not self._batch.savepoints:  # part of the batch's transaction
            yield current
            return
        if current is not None:  # a savepoint in the batch's transaction
            try:
                with current.begin_nested():
                    yield current
            except OperationalError as error:
                raise StoreError(f"database error: {_reason(error)}") from error
            return
        try:
            with self._engine.connect() as connection:
                connection.info[IMMEDIATE] = write
                with connection.begin():
                    yield connection
        except OperationalError as error:
            raise StoreError(f"database error: {_reason(error)}") from error

    @contextmanager
    def batch(self, *, savepoints: bool = True, write: bool = True) -> Iterator[None]:
        """Run the methods called in this block, in this thread, in one transaction.

        Each method is a savepoint of its own, so one that fails (and is caught) undoes its own
        writes only, as it would outside a batch; an exception that leaves the block rolls
        every one of them back. Many small writes (a poll's feeds) cost one commit instead of
        one each.

        Without ``savepoints`` (cheaper: they cost as much as a small update) a failed call may
        leave the transaction unusable (on PostgreSQL): let its exception leave the block.
        """
        if getattr(self._batch, "connection", None) is not None:
            raise RuntimeError("Store.batch() does not nest")
        with self._begin(write=write) as connection:
            self._batch.connection = connection
            self._batch.savepoints = savepoints
            try:
                yield
            finally:
                self._batch.connection = None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run the reads of this block, in this thread, on one connection in one transaction:
        a lookup of several queries pays for one checkout, BEGIN and COMMIT instead of one per
        query (on PostgreSQL each is a round trip), and sees one state of the database.

        Inside a :meth:`batch` the batch's transaction serves.
        """
        if getattr(self._batch, "connection", None) is not None:
            yield
            return
        with self.batch(savepoints=False, write=False):
            yield

    def _all(self, query: sa.Select[Any], convert: Callable[[Row], T]) -> list[T]:
        with self._begin(write=False) as db:
            return [convert(row) for row in db.execute(query)]

    def _first(self, query: sa.Select[Any]) -> Row | None:
        with self._begin(write=False) as db:
            return db.execute(query).first()

    # -- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._begin() as db:
            return db.scalar(sa.select(meta.c.value).where(meta.c.key == key))

    def set_meta(self, key: str, value: str) -> None:
        with self._begin() as db:
            updated = db.execute(meta.update().where(meta.c.key == key).values(value=value))
            if updated.rowcount == 0:
                db.execute(meta.insert().values(key=key, value=value))

    # -- feeds --------------------------------------------------------------------------------

    def add_feed(self, feed: Feed) -> Feed:
        """Store a new feed; raise :class:`FeedExistsError` if its URL is stored already."""
        try:
            with self._begin() as db:
                new_id = db.execute(feeds.insert().values(_values(feed))).inserted_primary_key
        except IntegrityError as error:
            raise FeedExistsError(feed.url, "feed already added") from error
        assert new_id is not None
        return dataclasses.replace(feed, id=new_id[0])

    def get_feed(self, feed_id: int) -> Feed:
        row = self._first(sa.select(feeds).where(feeds.c.id == feed_id))
        if row is None:
            raise FeedNotFoundError(feed_id, "no such feed")
        return _feed(row)

    def find_feed(self, url: str) -> Feed | None:
        row = self._first(sa.select(feeds).where(feeds.c.url == url))
        return None if row is None else _feed(row)

    def list_feeds(self, *, enabled_only: bool = False) -> list[Feed]:
        query = sa.select(feeds).order_by(feeds.c.id)
        if enabled_only:
            query = query.where(feeds.c.enabled.is_(True))
        return self._all(query, _feed)

    def update_feed(self, feed: Feed) -> None:
        """Write every field of a stored feed (URL included, for a 301)."""
        feed_id = _stored_id(feed)
        try:
            with self._begin() as db:
                result = db.execute(_UPDATE_FEED, {**_values(feed), "row_id_": feed_id})
        except IntegrityError as error:
            raise FeedExistsError(feed.url, "another feed has that URL") from error
        if result.rowcount == 0:
            raise FeedNotFoundError(feed_id, "no such feed")

    def due_feeds(self, now: dt.datetime) -> list[Feed]:
        """Enabled feeds whose next poll is due, never-polled ones first."""
        query = (
            sa.select(feeds)
            .where(
                feeds.c.enabled.is_(True),
                sa.or_(feeds.c.next_check_at.is_(None), feeds.c.next_check_at <= now),
            )
            .order_by(feeds.c.next_check_at.is_not(None), feeds.c.next_check_at, feeds.c.id)
        )
        return self._all(query, _feed)

    def remove_feed(self, feed_id: int) -> None:
        """Remove a feed and, with it, its articles and what was read from them."""
        with self._begin() as db:
            result = db.execute(feeds.delete().where(feeds.c.id == feed_id))
        if result.rowcount == 0:
            raise FeedNotFoundError(feed_id, "no such feed")

    # -- articles -----------------------------------------------------------------------------

    def add_article(self, article: Article) -> Article:
        try:
            with self._begin() as db:
                new_id = db.execute(articles.insert().values(_values(article))).inserted_primary_key
        except IntegrityError as error:
            self.get_feed(article.feed_id)  # raises FeedNotFoundError if that was the cause
            raise AlreadyExistsError(
                (article.feed_id, article.key), "article already stored"
            ) from error
        assert new_id is not None
        return dataclasses.replace(article, id=new_id[0])

    def get_article(self, article_id: int) -> Article:
        row = self._first(sa.select(articles).where(articles.c.id == article_id))
        if row is None:
            raise ArticleNotFoundError(article_id, "no such article")
        return _article(row)

    def find_article(self, feed_id: int, key: str) -> Article | None:
        query = sa.select(articles).where(articles.c.feed_id == feed_id, articles.c.key == key)
        row = self._first(query)
        return None if row is None else _article(row)

    def list_articles(
        self,
        *,
        feed_id: int | None = None,
        since: dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[Article]:
        """Articles, newest first by when we first saw them."""
        query = sa.select(articles).order_by(articles.c.first_seen_at.desc(), articles.c.id.desc())
        if feed_id is not None:
            query = query.where(articles.c.feed_id == feed_id)
        if since is not None:
            query = query.where(articles.c.first_seen_at >= since)
        if limit is not None:
            query = query.limit(limit)
        return self._all(query, _article)

    def save_entries(self, feed_id: int, entries: Sequence[Article]) -> SavedEntries:
        """Store what one poll of a feed found, in one transaction.

        An entry is the same article as a stored one with the same key, or, when its key is new
        (a feed that rewrote its GUIDs), with the same link, if no other entry of this poll has
        that link. A known article whose content hash changed is updated and queued for
        analysis again; it keeps its identity, first-seen time and story, so it is never new
        twice. ``entries`` carry their keys already unique.
        """
        with self._begin() as db:
            return self._save_entries(db, feed_id, entries)

    def record_poll(
        self, feed: Feed, entries: Sequence[Article], *, first_poll: bool = False
    ) -> SavedEntries:
        """A successful poll in one transaction: the feed's new fetch state and its entries.

        On a feed's first successful poll none of its articles can be stored yet, so
        ``first_poll`` skips looking for them.
        """
        feed_id = _stored_id(feed)
        with self._begin() as db:
            result = db.execute(_UPDATE_FEED, {**_values(feed), "row_id_": feed_id})
            if result.rowcount == 0:
                raise FeedNotFoundError(feed_id, "no such feed")
            if first_poll:
                rows = [_values(entry, without=_NOT_INSERTED) for entry in entries]
                return SavedEntries(added=self._insert_entries(db, rows), updated=[], unchanged=0)
            return self._save_entries(db, feed_id, entries)

    def known_hashes(self, feed_id: int, keys: Sequence[str]) -> dict[str, str]:
        """Content hashes of the stored articles of a feed that have these keys."""
        query = sa.select(articles.c.key, articles.c.content_hash)
        found: dict[str, str] = {}
        with self._begin(write=False) as db:
            for some in chunks(keys):
                wanted = query.where(articles.c.feed_id == feed_id, articles.c.key.in_(some))
                found.update((row.key, row.content_hash) for row in db.execute(wanted))
        return found

    def _save_entries(
        self, db: sa.Connection, feed_id: int, entries: Sequence[Article]
    ) -> SavedEntries:
        known = self._known_articles(db, feed_id, entries)
        new_rows, changed, unchanged = [], [], 0
        for entry in entries:
            match = known.get(("key", entry.key)) or known.get(("url", entry.url))
            if match is None:
                new_rows.append(_values(entry, without=_NOT_INSERTED))
            elif match.content_hash != entry.content_hash or match.key != entry.key:
                changed.append(self._update_entry(db, match, entry))
            else:
                unchanged += 1
        added = self._insert_entries(db, new_rows)
        return SavedEntries(added=added, updated=changed, unchanged=unchanged)

    @staticmethod
    def _known_articles(
        db: sa.Connection, feed_id: int, entries: Sequence[Article]
    ) -> dict[tuple[str, str | None], Any]:
        columns = (articles.c.id, articles.c.key, articles.c.url, articles.c.content_hash)
        keys = [entry.key for entry in entries]
        found: dict[tuple[str, str | None], Any] = {}
        of_feed = sa.select(*columns).where(articles.c.feed_id == feed_id)
        for some in chunks(keys):
            for row in db.execute(of_feed.where(articles.c.key.in_(some))):
                found[("key", row.key)] = row
        link_counts = Counter(entry.url for entry in entries if entry.url)
        orphans = [entry.url for entry in entries if ("key", entry.key) not in found]
        by_url = [url for url in orphans if url and link_counts[url] == 1]
        # The lowest id per link: slices are read in id order, and the first row found stays.
        rows = [
            row
            for some in chunks(by_url)
            for row in db.execute(of_feed.where(articles.c.url.in_(some)))
        ]
        for row in sorted(rows, key=lambda row: row.id):
            found.setdefault(("url", row.url), row)
        return found

    @staticmethod
    def _update_entry(db: sa.Connection, match: Any, entry: Article) -> int:
        values = _values(entry, without=_KEPT_ON_UPDATE)
        if match.content_hash != entry.content_hash:
            values["analysed_at"] = None  # analyse the new content
        db.execute(_UPDATE_ARTICLE, {**values, "row_id_": match.id})
        return int(match.id)

    @staticmethod
    def _insert_entries(db: sa.Connection, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        result = db.execute(
            articles.insert().returning(articles.c.id, sort_by_parameter_order=True), rows
        )
        return [int(row.id) for row in result]

    def analysis_queue(self, limit: int | None = None) -> list[Article]:
        """Articles waiting for analysis (new, or changed since), oldest first."""
        query = (
            sa.select(articles)
            .where(articles.c.analysed_at.is_(None))
            .order_by(articles.c.first_seen_at, articles.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return self._all(query, _article)

    def count_queued(self) -> int:
        query = sa.select(sa.func.count()).where(articles.c.analysed_at.is_(None))
        with self._begin() as db:
            return db.scalar(query) or 0

    def update_article(self, article: Article) -> None:
        article_id = _stored_id(article)
        with self._begin() as db:
            result = db.execute(_UPDATE_ARTICLE, {**_values(article), "row_id_": article_id})
        if result.rowcount == 0:
            raise ArticleNotFoundError(article_id, "no such article")

    # -- what the analysis read from an article -----------------------------------------------

    def replace_analysis(
        self,
        article_id: int,
        *,
        actors: Sequence[ActorMention],
        topics: Sequence[TopicMention],
        found: Sequence[Position],
        analysed_at: dt.datetime,
        summary: Sequence[str] = (),
        error: str | None = None,
        content_hash: str | None = None,
    ) -> list[Position]:
        """Replace an article's mentions, positions, summary and error in one transaction;
        return the positions with their ids.

        With ``content_hash`` (the hash of the content that was analysed), an article whose
        content changed since stays queued: it gets these results, and is analysed again.
        """
        owners = {item.article_id for item in actors} | {item.article_id for item in topics}
        owners |= {item.article_id for item in found}
        if owners - {article_id}:
            raise ValueError("every mention and position must belong to the article")
        with self._begin() as db:
            self._mark_analysed(
                db,
                article_id,
                when=analysed_at,
                content_hash=content_hash,
                values={"analysis_summary": list(summary), "analysis_error": error},
            )
            for table in (actor_mentions, topic_mentions, positions):
                db.execute(table.delete().where(table.c.article_id == article_id))
            if actors:
                db.execute(actor_mentions.insert(), [_values(item, without=()) for item in actors])
            if topics:
                db.execute(topic_mentions.insert(), [_values(item, without=()) for item in topics])
            stored = []
            for position in found:
                new_id = db.execute(
                    positions.insert().values(_values(position))
                ).inserted_primary_key
                assert new_id is not None
                stored.append(dataclasses.replace(position, id=new_id[0]))
        return stored

    @staticmethod
    def _mark_analysed(
        db: sa.Connection,
        article_id: int,
        *,
        when: dt.datetime,
        content_hash: str | None,
        values: dict[str, Any],
    ) -> None:
        analysed_at: sa.ColumnElement[Any] = sa.literal(when, UTCDateTime)
        if content_hash is not None:  # an article edited meanwhile stays queued
            unchanged = articles.c.content_hash == content_hash
            analysed_at = sa.case((unchanged, analysed_at), else_=sa.null())
        update = (
            articles.update()
            .where(articles.c.id == article_id)
            .values(analysed_at=analysed_at, **values)
        )
        if db.execute(update).rowcount == 0:
            raise ArticleNotFoundError(article_id, "no such article")

    def actor_mentions(self, article_id: int) -> list[ActorMention]:
        query = (
            sa.select(actor_mentions)
            .where(actor_mentions.c.article_id == article_id)
            .order_by(actor_mentions.c.actor_key)
        )
        return self._all(query, lambda row: ActorMention(**row._mapping))

    def topic_mentions(self, article_id: int) -> list[TopicMention]:
        query = (
            sa.select(topic_mentions)
            .where(topic_mentions.c.article_id == article_id)
            .order_by(topic_mentions.c.topic_key)
        )
        return self._all(query, lambda row: TopicMention(**row._mapping))

    def positions_of_article(self, article_id: int) -> list[Position]:
        query = (
            sa.select(positions)
            .where(positions.c.article_id == article_id)
            .order_by(positions.c.id)
        )
        return self._all(query, _position)

    # -- the positions lookup -----------------------------------------------------------------

    def reported_positions(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        actor_keys: Sequence[str] = (),
        speakers: Sequence[str] | None = None,
        target_keys: Sequence[str] = (),
        named_targets: Sequence[str] = (),
        names: Sequence[str] = (),
        exclude_actor_keys: Sequence[str] = (),
        exclude_speakers: Sequence[str] | None = None,
        topic: str | None = None,
        limit: int = 1000,
        after_id: int | None = None,
    ) -> list[ReportedPosition]:
        """Positions stated in ``[start, end)``, newest first, each with its outlet and link.

        By an actor: ``actor_keys`` (and, for a person, ``speakers``: the names they are stored
        under). About an actor: ``target_keys``, or ``named_targets`` when the claim names one
        of ``names`` (Putin is stored as the target "russia"); minus the positions of
        ``exclude_actor_keys`` (whose ``speaker`` is one of ``exclude_speakers``, if given).
        A position's date is its article's publication date, else the day it was first seen.
        """
        by = self._within(positions.c.actor_key, actor_keys, positions.c.speaker, speakers)
        about: list[sa.ColumnElement[bool]] = []
        if target_keys:
            about.append(positions.c.target_key.in_(target_keys))
        if named_targets and names:
            claim = sa.func.lower(positions.c.claim)
            named = sa.or_(*(claim.contains(name.lower(), autoescape=True) for name in names))
            about.append(sa.and_(positions.c.target_key.in_(named_targets), named))
        conditions: list[sa.ColumnElement[bool]] = [
            positions.c.stated_at >= start,
            positions.c.stated_at < end,
        ]
        if by is not None:
            conditions.append(by)
        if about:
            conditions.append(sa.or_(*about))
        if by is None and not about:
            raise ValueError("give actor_keys or target_keys")
        excluded = self._within(
            positions.c.actor_key, exclude_actor_keys, positions.c.speaker, exclude_speakers
        )
        if excluded is not None:
            conditions.append(sa.not_(excluded))
        if topic is not None:
            conditions.append(positions.c.topic_key == topic)
        if after_id is not None:  # newer than a watch has looked at
            conditions.append(positions.c.id > after_id)
        query = (
            sa.select(
                *positions.c,
                feeds.c.title.label("outlet_title_"),
                feeds.c.url.label("feed_url_"),
                articles.c.url.label("article_url_"),
                sa.func.coalesce(articles.c.published_at, articles.c.first_seen_at).label(
                    "article_date_"
                ),
            )
            .select_from(positions.join(articles).join(feeds))
            .where(*conditions)
            .limit(limit)
        )
        if after_id is not None:  # a watch reads in the order positions came: the oldest first
            query = query.order_by(positions.c.id)
        else:
            query = query.order_by(positions.c.stated_at.desc(), positions.c.id.desc())
        return self._all(query, self._reported)

    def latest_stances(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        actor_keys: Sequence[str],
        topics: Sequence[str],
        speakers: Sequence[str] | None = None,
    ) -> dict[str, Position]:
        """The newest position of an actor (or, with ``speakers``, a person) on each of
        ``topics`` in ``[start, end)``, by topic: one index seek per topic, in one statement
        whose compiled form does not depend on the number of topics (a LATERAL join over the
        topics on PostgreSQL; on SQLite the same statement once per topic)."""
        by = self._within(positions.c.actor_key, actor_keys, positions.c.speaker, speakers)
        if by is None or not topics:
            return {}
        newest = (
            sa.select(*positions.c)
            .where(by, positions.c.stated_at >= start, positions.c.stated_at < end)
            .order_by(positions.c.stated_at.desc(), positions.c.id.desc())
            .limit(1)
        )
        wanted = list(dict.fromkeys(topics))
        found: dict[str, Position] = {}
        with self._begin(write=False) as db:
            if db.dialect.name == "postgresql":  # one round trip: the seeks in a LATERAL join
                topic = sa.func.unnest(sa.bindparam("topics_", type_=ARRAY(sa.String)))
                each = topic.table_valued("key").render_derived(name="wanted")
                seek = newest.where(positions.c.topic_key == each.c.key).lateral("newest")
                query = sa.select(seek).select_from(each.join(seek, sa.true()))
                rows = list(db.execute(query, {"topics_": wanted}))
            else:  # in-process: a round trip costs nothing, one statement per topic
                one = newest.where(positions.c.topic_key == sa.bindparam("topic_"))
                rows = [r for t in wanted if (r := db.execute(one, {"topic_": t}).first())]
            for row in rows:
                found[row.topic_key] = _position(row)
        return found

    @staticmethod
    def _within(
        actor_key: sa.Column[Any],
        actor_keys: Sequence[str],
        speaker: sa.Column[Any],
        speakers: Sequence[str] | None,
    ) -> sa.ColumnElement[bool] | None:
        """``actor_key IN actor_keys`` (and ``speaker IN speakers`` when given); None when
        there are no keys."""
        if not actor_keys:
            return None
        condition: sa.ColumnElement[bool] = actor_key.in_(actor_keys)
        if speakers is not None:
            # coalesce: NOT (... AND NULL IN (...)) would drop the rows without a speaker
            condition = sa.and_(condition, sa.func.coalesce(speaker, "").in_(speakers))
        return condition

    @staticmethod
    def _reported(row: Row) -> ReportedPosition:
        values = row._mapping
        fields = {column.name: values[column.name] for column in positions.c}
        position = Position(**{**fields, "stance": Stance(fields["stance"])})
        return ReportedPosition(
            position=position,
            outlet=values["outlet_title_"] or values["feed_url_"],
            url=values["article_url_"],
            published_at=values["article_date_"],
        )

    # -- stories ------------------------------------------------------------------------------

    def add_story(self, story: Story, article_ids: Sequence[int] = ()) -> Story:
        """Store a new story and make the given articles part of it."""
        with self._begin() as db:
            new_id = db.execute(stories.insert().values(_values(story))).inserted_primary_key
            assert new_id is not None
            self._attach(db, new_id[0], article_ids)
        return dataclasses.replace(story, id=new_id[0])

    def update_story(self, story: Story, add_articles: Sequence[int] = ()) -> None:
        story_id = _stored_id(story)
        with self._begin() as db:
            result = db.execute(
                stories.update().where(stories.c.id == story_id).values(_values(story))
            )
            if result.rowcount == 0:
                raise StoryNotFoundError(story_id, "no such story")
            self._attach(db, story_id, add_articles)

    @staticmethod
    def _attach(db: sa.Connection, story_id: int, article_ids: Sequence[int]) -> None:
        unique = list(dict.fromkeys(article_ids))
        attached = 0
        for some in chunks(unique):
            result = db.execute(
                articles.update().where(articles.c.id.in_(some)).values(story_id=story_id)
            )
            attached += result.rowcount
        if attached != len(unique):
            raise ArticleNotFoundError(tuple(article_ids), "not every article exists")

    def get_story(self, story_id: int) -> Story:
        row = self._first(sa.select(stories).where(stories.c.id == story_id))
        if row is None:
            raise StoryNotFoundError(story_id, "no such story")
        return _story(row)

    def story_articles(self, story_id: int) -> list[Article]:
        query = (
            sa.select(articles)
            .where(articles.c.story_id == story_id)
            .order_by(articles.c.first_seen_at, articles.c.id)
        )
        return self._all(query, _article)

    # -- subscriptions ------------------------------------------------------------------------

    def save_subscription(self, subscription: Subscription) -> tuple[Subscription, bool]:
        """Create the channel's subscription, or replace its settings if it has one; return it
        and whether it was created. Two callers at once make one row: the second edits it."""
        values = _subscription_values(subscription)
        key = (
            subscriptions.c.platform == subscription.platform,
            subscriptions.c.workspace_id == subscription.workspace_id,
            subscriptions.c.channel_id == subscription.channel_id,
        )
        with self._begin() as db:
            existing = db.scalar(sa.select(subscriptions.c.id).where(*key))
            if existing is None:
                try:
                    with db.begin_nested():
                        inserted = db.execute(subscriptions.insert().values(values))
                except IntegrityError:  # another caller created it meanwhile (PostgreSQL)
                    existing = db.scalar(sa.select(subscriptions.c.id).where(*key))
                else:
                    new_id = inserted.inserted_primary_key
                    assert new_id is not None
                    return dataclasses.replace(subscription, id=new_id[0]), True
            del values["created_at"]
            db.execute(subscriptions.update().where(subscriptions.c.id == existing).values(values))
            row = db.execute(sa.select(subscriptions).where(subscriptions.c.id == existing)).one()
        return _subscription(row), False

    def get_subscription(self, subscription_id: int) -> Subscription:
        query = sa.select(subscriptions).where(subscriptions.c.id == subscription_id)
        row = self._first(query)
        if row is None:
            raise SubscriptionNotFoundError(subscription_id, "no such subscription")
        return _subscription(row)

    def find_subscription(
        self, platform: Platform, workspace_id: str, channel_id: str
    ) -> Subscription | None:
        query = sa.select(subscriptions).where(
            subscriptions.c.platform == platform,
            subscriptions.c.workspace_id == workspace_id,
            subscriptions.c.channel_id == channel_id,
        )
        row = self._first(query)
        return None if row is None else _subscription(row)

    def list_subscriptions(
        self, *, platform: Platform | None = None, workspace_id: str | None = None
    ) -> list[Subscription]:
        query = sa.select(subscriptions).order_by(subscriptions.c.id)
        if platform is not None:
            query = query.where(subscriptions.c.platform == platform)
        if workspace_id is not None:
            query = query.where(subscriptions.c.workspace_id == workspace_id)
        return self._all(query, _subscription)

    def remove_subscription(self, subscription_id: int) -> None:
        with self._begin() as db:
            result = db.execute(subscriptions.delete().where(subscriptions.c.id == subscription_id))
        if result.rowcount == 0:
            raise SubscriptionNotFoundError(subscription_id, "no such subscription")

    # -- watches ------------------------------------------------------------------------------

    def save_watch(self, watch: Watch) -> tuple[Watch, bool]:
        """Store the watch unless the channel has the same one; return it and whether it is
        new."""
        with self._begin() as db:
            row = db.execute(self._same_watch(watch)).first()
            if row is not None:
                return _watch(row), False
            # A new watch alerts on what comes from now on, not on the backlog.
            newest = db.scalar(sa.select(sa.func.coalesce(sa.func.max(positions.c.id), 0)))
            watch = dataclasses.replace(watch, seen_position_id=int(newest or 0))
            values = {**_values(watch), "topic_key": watch.topic_key or ""}
            new_id = db.execute(watches.insert().values(values)).inserted_primary_key
        assert new_id is not None
        return dataclasses.replace(watch, id=new_id[0]), True

    def mark_watch_seen(self, watch_id: int, position_id: int) -> None:
        """Positions up to ``position_id`` were looked at for this watch."""
        with self._begin() as db:
            db.execute(
                watches.update()
                .where(watches.c.id == watch_id, watches.c.seen_position_id < position_id)
                .values(seen_position_id=position_id)
            )

    def get_watch(self, watch_id: int) -> Watch:
        row = self._first(sa.select(watches).where(watches.c.id == watch_id))
        if row is None:
            raise WatchNotFoundError(watch_id, "no such watch")
        return _watch(row)

    def delete_watch(self, watch_id: int) -> None:
        with self._begin() as db:
            db.execute(watches.delete().where(watches.c.id == watch_id))

    # -- watch alerts (their outbox) ----------------------------------------------------------

    def add_watch_alert(self, alert: WatchAlert) -> WatchAlert:
        """Record an alert before sending it; :class:`DeliveryExistsError` if the watch has
        one for that period (whoever wrote it sends it)."""
        try:
            with self._begin() as db:
                new_id = db.execute(
                    watch_alerts.insert().values(_alert_values(alert))
                ).inserted_primary_key
        except IntegrityError as error:
            self.get_watch(alert.watch_id)  # raises if that was the cause
            raise DeliveryExistsError((alert.watch_id, alert.period), "alert recorded") from error
        assert new_id is not None
        return dataclasses.replace(alert, id=new_id[0])

    def find_watch_alert(self, watch_id: int, period: str) -> WatchAlert | None:
        row = self._first(
            sa.select(watch_alerts).where(
                watch_alerts.c.watch_id == watch_id, watch_alerts.c.period == period
            )
        )
        return None if row is None else _alert(row)

    def watch_alerts_like(self, watch_id: int, bucket: str, since: dt.datetime) -> list[WatchAlert]:
        """The watch's alerts since ``since`` of statements in ``bucket``."""
        query = sa.select(watch_alerts).where(
            watch_alerts.c.watch_id == watch_id,
            watch_alerts.c.bucket == bucket,
            watch_alerts.c.created_at >= since,
        )
        return self._all(query, _alert)

    def update_watch_alert(self, alert: WatchAlert) -> None:
        assert alert.id is not None
        with self._begin() as db:
            db.execute(
                watch_alerts.update()
                .where(watch_alerts.c.id == alert.id)
                .values(_alert_values(alert))
            )

    def list_watch_alerts(self, *, status: DeliveryStatus | None = None) -> list[WatchAlert]:
        query = sa.select(watch_alerts).order_by(watch_alerts.c.created_at, watch_alerts.c.id)
        if status is not None:
            query = query.where(watch_alerts.c.status == status)
        return self._all(query, _alert)

    def remove_watch(self, watch: Watch) -> Watch:
        """Remove the channel's watch of that actor (and topic); raises
        :class:`WatchNotFoundError` if there is none."""
        with self._begin() as db:
            row = db.execute(self._same_watch(watch)).first()
            if row is None:
                raise WatchNotFoundError(watch.actor_key, "no such watch in this channel")
            db.execute(watches.delete().where(watches.c.id == row.id))
        return _watch(row)

    def list_watches(
        self,
        *,
        platform: Platform | None = None,
        workspace_id: str | None = None,
        channel_id: str | None = None,
    ) -> list[Watch]:
        query = sa.select(watches).order_by(watches.c.id)
        for column, value in (
            (watches.c.platform, platform),
            (watches.c.workspace_id, workspace_id),
            (watches.c.channel_id, channel_id),
        ):
            if value is not None:
                query = query.where(column == value)
        return self._all(query, _watch)

    @staticmethod
    def _same_watch(watch: Watch) -> sa.Select[Any]:
        return sa.select(watches).where(
            watches.c.platform == watch.platform,
            watches.c.workspace_id == watch.workspace_id,
            watches.c.channel_id == watch.channel_id,
            watches.c.actor_key == watch.actor_key,
            watches.c.topic_key == (watch.topic_key or ""),
        )

    # -- deliveries (the outbox) --------------------------------------------------------------

    def add_delivery(self, delivery: Delivery) -> Delivery:
        """Record a delivery before sending it.

        Raises :class:`DeliveryExistsError` if one for the same (subscription, kind, period)
        exists: whoever wrote the row first is the one who sends.
        """
        key = (delivery.subscription_id, str(delivery.kind), delivery.period)
        try:
            with self._begin() as db:
                new_id = db.execute(
                    deliveries.insert().values(_delivery_values(delivery))
                ).inserted_primary_key
        except IntegrityError as error:
            self.get_subscription(delivery.subscription_id)  # raises if that was the cause
            raise DeliveryExistsError(key, "delivery already recorded") from error
        assert new_id is not None
        return dataclasses.replace(delivery, id=new_id[0])

    def get_delivery(self, delivery_id: int) -> Delivery:
        row = self._first(sa.select(deliveries).where(deliveries.c.id == delivery_id))
        if row is None:
            raise DeliveryNotFoundError(delivery_id, "no such delivery")
        return _delivery(row)

    def update_delivery(self, delivery: Delivery) -> None:
        delivery_id = _stored_id(delivery)
        with self._begin() as db:
            result = db.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery_id)
                .values(_delivery_values(delivery))
            )
        if result.rowcount == 0:
            raise DeliveryNotFoundError(delivery_id, "no such delivery")

    def list_deliveries(
        self,
        *,
        subscription_id: int | None = None,
        status: DeliveryStatus | None = None,
    ) -> list[Delivery]:
        query = sa.select(deliveries).order_by(deliveries.c.created_at, deliveries.c.id)
        if subscription_id is not None:
            query = query.where(deliveries.c.subscription_id == subscription_id)
        if status is not None:
            query = query.where(deliveries.c.status == status)
        return self._all(query, _delivery)

    # -- counts, for `doctor` and status views ------------------------------------------------

    def counts(self) -> Mapping[str, int]:
        """How many rows each main table holds."""
        tables = (feeds, articles, positions, stories, subscriptions, watches, deliveries)
        with self._begin(write=False) as db:
            return {
                table.name: db.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in tables
            }


def _by_id(table: sa.Table) -> sa.Update:
    """An UPDATE of one row by id whose new values come as execution parameters: built once,
    compiled once, so a hot path (a poll's feed state) pays only for the execution."""
    return table.update().where(table.c.id == sa.bindparam("row_id_"))


_UPDATE_FEED = _by_id(feeds)
_UPDATE_ARTICLE = _by_id(articles)


def _stored_id(record: Feed | Article | Story | Delivery) -> int:
    if record.id is None:
        raise ValueError(f"{type(record).__name__} has no id: it was never stored")
    return record.id


def _reason(error: SQLAlchemyError) -> str:
    """The driver's own words, on one line."""
    original = getattr(error, "orig", None) or error
    return " ".join(str(original).split())
