"""The outbox: every digest is a delivery row, written before it is sent and marked after.

A subscription's digest for a period (its local date) is claimed by writing its row: the
database's unique (subscription, kind, period) makes the writer the only sender, across
restarts and across processes. The row is marked sent with the platform's message ids once the
platform has taken every message. A row left pending (a crash between sending and marking, a
platform error) is sent again with the same nonce and ``resend``, so what the platform already
has is not posted twice. A digest whose moment passed longer ago than the grace window (the
process was down) is recorded as skipped, and logged, instead of arriving hours late.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.metrics import DELIVERIES
from bot.sending import ChannelGoneError, Sender, SendFailedError
from bot.views import View, alert_view, digest_view
from bot.views.lists import feed_notice
from digests.compose import WatchedStatement, watch_news
from digests.errors import DeliveryExistsError
from digests.model import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Platform,
    Subscription,
    Watch,
    WatchAlert,
    utc_now,
)
from digests.schedule import DueDigest, last_due
from digests.service import Service

log = logging.getLogger(__name__)

#: A missed digest is still sent this long after its moment (then it is skipped, and logged).
DEFAULT_GRACE = dt.timedelta(hours=6)
#: Tries of one delivery before it is given up as failed.
MAX_ATTEMPTS = 5
#: The wait before the n-th retry: this, doubled each time.
FIRST_RETRY = dt.timedelta(minutes=1)
#: A statement told this long ago, reported again in other words, is told again.
RETOLD_AFTER = dt.timedelta(days=7)
#: A pending row younger than this may still be in flight in another process.
IN_FLIGHT = dt.timedelta(minutes=1)
#: Alerts of one watch in one pass at most (``run.max_alerts_per_pass``).
ALERTS_PER_PASS = 5
#: Batches of new positions a watch reads in one pass (each of the library's WATCH_READ).
WATCH_READS = 5


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one pass of the outbox did, for logs and tests."""

    sent: tuple[Delivery, ...] = ()
    skipped: tuple[Delivery, ...] = ()
    failed: tuple[Delivery, ...] = ()
    retrying: tuple[Delivery, ...] = ()


def digest_nonce(subscription_id: int, period: str) -> str:
    """The nonce of a subscription's digest for a period: the same every time it is sent."""
    return f"d{subscription_id}-{period}"


class Outbox:
    """Sends the digests that are due, through each platform's sender."""

    def __init__(
        self,
        service: Service,
        senders: Mapping[Platform, Sender],
        *,
        grace: dt.timedelta = DEFAULT_GRACE,
        in_flight: dt.timedelta = IN_FLIGHT,
        alerts_per_pass: int = ALERTS_PER_PASS,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.service = service
        self.senders = senders
        self.grace = grace
        self.in_flight = in_flight
        self.alerts_per_pass = max(alerts_per_pass, 1)
        self.clock = clock

    async def run_once(self) -> Outcome:
        """Send every digest now due that has no delivery yet, and retry the pending ones
        whose wait is over."""
        results: list[tuple[str, Delivery]] = []
        now = self.clock()
        for subscription in self.service.store.list_subscriptions():
            if not subscription.enabled or subscription.platform not in self.senders:
                continue
            due = last_due(subscription, now)
            claimed = self._claim(subscription, due, now) if due is not None else None
            if claimed is not None and claimed.status is DeliveryStatus.SKIPPED:
                results.append(("skipped", claimed))
            elif claimed is not None:
                results.append(await self._settle(subscription, claimed, now))
        results += await self._feed_notices(now)
        await self._watch_alerts(now)  # counted in the metrics; not part of the outcome
        for delivery in self._retries(now):
            subscription = self.service.store.get_subscription(delivery.subscription_id)
            if subscription.enabled and subscription.platform in self.senders:
                results.append(await self._settle(subscription, delivery, now, resend=True))
        return _outcome(results)

    # -- watch alerts -------------------------------------------------------------------------

    async def _watch_alerts(self, now: dt.datetime) -> None:
        """Each watched actor's new statements since the watch last looked, told once each
        (however many outlets report it) and folded: one alert per article, at most
        ``alerts_per_pass`` alerts per watch, the last of them telling every statement left
        over. Every statement's row is written before its alert is sent; the watch's mark
        moves past them once every alert is settled, so one left pending (a crash, an error)
        is sent again, with its nonce, at a later pass."""
        store = self.service.store
        for watch in store.list_watches():
            if watch.id is None or watch.platform not in self.senders:
                continue
            statements, newest = await self._watch_news(watch)
            if await self._alert_watch(watch, statements, now):
                store.mark_watch_seen(watch.id, newest)

    async def _watch_news(self, watch: Watch) -> tuple[list[WatchedStatement], int]:
        """The watch's new statements, oldest first, and the newest position read: up to
        :data:`WATCH_READS` reads of the library's batch, so one long article is one alert."""
        found: dict[str, WatchedStatement] = {}
        after = watch.seen_position_id
        for _ in range(WATCH_READS):
            news = await asyncio.to_thread(
                watch_news, self.service.store, self.service.resolver, watch.actor_key,
                watch.topic_key, after,
            )  # fmt: skip
            for statement in reversed(news.statements):  # oldest first
                found.setdefault(statement.key, statement)
            if news.newest_id == after:
                break
            after = news.newest_id
        ordered = sorted(found.values(), key=lambda statement: statement.item.stated_at)
        return ordered, after

    async def _alert_watch(
        self, watch: Watch, statements: list[WatchedStatement], now: dt.datetime
    ) -> bool:
        """Send the watch's alerts of this pass; whether every statement is settled."""
        # Hundreds of statements are hundreds of queries: in a thread, so the adapters'
        # connections stay served.
        alerts, settled = await asyncio.to_thread(self._plan_alerts, watch, statements, now)
        for alert in alerts:
            view = alert_view(
                alert.statements, *self._actor(watch), articles=len(_by_article(alert.statements))
            )
            done = await self._send_alert(watch, alert.rows, view, resend=alert.resend)
            if done is None:  # the channel is gone, and the watch with it
                return False
            settled = settled and done
        return settled

    def _plan_alerts(
        self, watch: Watch, statements: list[WatchedStatement], now: dt.datetime
    ) -> tuple[list[_Alert], bool]:
        """The alerts to send in this pass, their rows written (those left pending first, as
        they were), and whether no statement is left for a later pass."""
        assert watch.id is not None
        settled = True
        owed: dict[str, list[tuple[WatchAlert, WatchedStatement]]] = {}  # by nonce
        fresh: list[WatchedStatement] = []
        for statement in statements:
            state, found = self._alert_state(watch.id, statement, fresh, now)
            if found is not None:
                owed.setdefault(found.nonce, []).append((found, statement))
            elif state == "new":
                fresh.append(statement)
            settled = settled and state != "in flight"
        alerts = [
            _Alert([a for a, _ in rows], [s for _, s in rows], True) for rows in owed.values()
        ]
        room = self.alerts_per_pass - len(alerts)
        if fresh and room <= 0:
            return alerts, False  # the next pass tells them
        for group in _fold(_by_article(fresh), room) if fresh else []:
            rows = self._claim_alerts(watch.id, group, now)
            claimed = {row.period for row in rows}
            if rows:
                alerts.append(_Alert(rows, [s for s in group if s.key in claimed], False))
        return alerts, settled

    def _alert_state(
        self,
        watch_id: int,
        statement: WatchedStatement,
        fresh: list[WatchedStatement],
        now: dt.datetime,
    ) -> tuple[str, WatchAlert | None]:
        """Whether the statement is "new", "told" (sent, given up, or told lately in other
        words), "pending" (its alert to send again: the row is given) or "in flight"."""
        key = statement.key
        if any(o.bucket == statement.bucket and statement.same_claim(o.claim) for o in fresh):
            return "told", None  # in other words earlier in this pass: one alert tells both
        found = self.service.store.find_watch_alert(watch_id, key)
        if found is None:
            told = self.service.store.watch_alerts_like(
                watch_id, statement.bucket, now - RETOLD_AFTER
            )
            if any(a.claim and statement.same_claim(a.claim) for a in told):
                return "told", None
            return "new", None
        if found.status is not DeliveryStatus.PENDING:
            return "told", None
        if now < found.created_at + _wait(found.attempts, self.in_flight):
            return "in flight", None  # maybe still being sent elsewhere
        return "pending", found

    def _claim_alerts(
        self, watch_id: int, group: list[WatchedStatement], now: dt.datetime
    ) -> list[WatchAlert]:
        """Write the rows of one alert, one per statement, all with the alert's nonce; a
        statement another process claimed meanwhile is left to it."""
        alerts: list[WatchAlert] = []
        for statement in group:
            # per watch: two channels' alerts are two messages
            nonce = alerts[0].nonce if alerts else f"w{watch_id}-{statement.key[:16]}"
            alert = WatchAlert(
                watch_id=watch_id, period=statement.key, nonce=nonce, created_at=now,
                bucket=statement.bucket, claim=statement.claim,
            )  # fmt: skip
            try:
                alerts.append(self.service.store.add_watch_alert(alert))
            except DeliveryExistsError:
                continue
        return alerts

    def _actor(self, watch: Watch) -> tuple[str, str]:
        actor = self.service.vocabulary.actors.get(watch.actor_key)
        return (actor.name if actor is not None else watch.actor_key), watch.actor_key

    async def _send_alert(
        self, watch: Watch, rows: list[WatchAlert], view: View, *, resend: bool
    ) -> bool | None:
        """Send one alert and mark its rows: whether it is settled (sent, or given up); None
        when the channel is gone (the watch is removed)."""
        store = self.service.store
        first = rows[0]
        try:
            ids = await self.senders[watch.platform].send(
                watch.channel_id,
                view,
                nonce=first.nonce,
                workspace_id=watch.workspace_id,
                resend=resend,
            )
        except ChannelGoneError as error:
            await self._mark(rows, status=DeliveryStatus.FAILED, error=str(error))
            assert watch.id is not None
            store.delete_watch(watch.id)
            log.warning("stopped watch %s: %s", watch.id, error)
            _count_alert("failed")
            return None
        except SendFailedError as error:
            attempts = first.attempts + 1
            status = DeliveryStatus.FAILED if attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING
            await self._mark(rows, status=status, error=str(error))
            log.warning("watch alert %s, attempt %d: %s", first.nonce, attempts, error)
            _count_alert("failed" if status is DeliveryStatus.FAILED else "retrying")
            return status is DeliveryStatus.FAILED
        await self._mark(rows, status=DeliveryStatus.SENT, sent_at=self.clock(), message_ids=ids)
        _count_alert("sent")
        return True

    async def _mark(self, rows: list[WatchAlert], **changes: Any) -> None:
        """Record one try of an alert on each of its rows (in a thread: they may be many)."""

        def mark() -> None:
            for row in rows:
                self.service.store.update_watch_alert(
                    dataclasses.replace(row, attempts=row.attempts + 1, **changes)
                )

        await asyncio.to_thread(mark)

    def _claim(
        self, subscription: Subscription, due: DueDigest, now: dt.datetime
    ) -> Delivery | None:
        """Write the period's row: pending, to send now, or skipped when the moment is long
        past; None when a row exists (another pass, or another process, has it)."""
        assert subscription.id is not None
        late = now - due.due_at
        row = Delivery(
            subscription_id=subscription.id,
            kind=DeliveryKind.DIGEST,
            period=due.period,
            nonce=digest_nonce(subscription.id, due.period),
            created_at=now,
        )
        if late > self.grace:
            row = dataclasses.replace(
                row, status=DeliveryStatus.SKIPPED, error=f"missed by {_hours(late)}"
            )
        try:
            stored = self.service.store.add_delivery(row)
        except DeliveryExistsError:
            return None
        if stored.status is DeliveryStatus.SKIPPED:
            log.warning(
                "skipped the %s digest of subscription %d: due at %s, %s ago, past the grace "
                "window of %s",
                due.period, subscription.id, due.due_at.isoformat(), _hours(late),
                _hours(self.grace),
            )  # fmt: skip
        return stored

    async def _feed_notices(self, now: dt.datetime) -> list[tuple[str, Delivery]]:
        """Once per feed that stopped being polled (within the grace window), a notice to each
        channel whose subscription reads it: silence from it is not "no news"."""
        results = []
        for feed in self.service.store.list_feeds():
            stopped_at = feed.last_fetched_at
            if feed.enabled or feed.id is None or stopped_at is None:
                continue
            if now - stopped_at > self.grace:
                continue
            for subscription in self.service.store.list_subscriptions():
                claimed = self._claim_notice(subscription, feed.id, feed.url, stopped_at, now)
                if claimed is not None:
                    results.append(await self._settle(subscription, claimed, now))
        return results

    def _claim_notice(
        self,
        subscription: Subscription,
        feed_id: int,
        feed_url: str,
        stopped_at: dt.datetime,
        now: dt.datetime,
    ) -> Delivery | None:
        """The notice's row for this subscription, or None (it does not read the feed, cannot
        be sent here, or has its notice already)."""
        if subscription.id is None or not subscription.enabled:
            return None
        if subscription.platform not in self.senders or not _reads(subscription, feed_url):
            return None
        stamp = int(stopped_at.timestamp())
        row = Delivery(
            subscription_id=subscription.id,
            kind=DeliveryKind.FEED_NOTICE,
            period=f"feed{feed_id}-{stamp}",
            nonce=f"f{subscription.id}-{feed_id}-{stamp % 10**8}",
            created_at=now,
        )
        try:
            return self.service.store.add_delivery(row)
        except DeliveryExistsError:
            return None

    def _retries(self, now: dt.datetime) -> list[Delivery]:
        pending = self.service.store.list_deliveries(status=DeliveryStatus.PENDING)
        return [
            delivery
            for delivery in pending
            if now >= delivery.created_at + _wait(delivery.attempts, self.in_flight)
        ]

    async def _view(self, subscription: Subscription, delivery: Delivery, now: dt.datetime) -> View:
        if delivery.kind is DeliveryKind.FEED_NOTICE:
            feed_id = int(delivery.period.removeprefix("feed").split("-")[0])
            return feed_notice(self.service.store.get_feed(feed_id))
        # Composing reads the store: in a thread, so the adapters' connections stay served.
        digest = await asyncio.to_thread(self.service.subscription_digest, subscription, now=now)
        return digest_view(digest)

    async def _settle(
        self,
        subscription: Subscription,
        delivery: Delivery,
        now: dt.datetime,
        *,
        resend: bool = False,
    ) -> tuple[str, Delivery]:
        sender = self.senders[subscription.platform]
        view = await self._view(subscription, delivery, now)
        assert delivery.nonce is not None
        store = self.service.store
        try:
            ids = await sender.send(
                subscription.channel_id,
                view,
                nonce=delivery.nonce,
                workspace_id=subscription.workspace_id,
                resend=resend,
            )
        except ChannelGoneError as error:
            done = dataclasses.replace(
                delivery, status=DeliveryStatus.FAILED, attempts=delivery.attempts + 1,
                error=str(error),
            )  # fmt: skip
            store.update_delivery(done)
            store.save_subscription(dataclasses.replace(subscription, enabled=False))
            log.warning("stopped subscription %s: %s", subscription.id, error)
            return "failed", done
        except SendFailedError as error:
            attempts = delivery.attempts + 1
            status = DeliveryStatus.FAILED if attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING
            done = dataclasses.replace(delivery, status=status, attempts=attempts, error=str(error))
            store.update_delivery(done)
            log.warning("delivery %s, attempt %d: %s", delivery.id, attempts, error)
            return ("failed" if status is DeliveryStatus.FAILED else "retrying"), done
        sent_at = self.clock()
        done = dataclasses.replace(
            delivery, status=DeliveryStatus.SENT, attempts=delivery.attempts + 1, sent_at=sent_at,
            message_ids=ids, error=None,
        )  # fmt: skip
        store.update_delivery(done)
        return "sent", done


@dataclass(slots=True)
class _Alert:
    """One alert to send: its rows (one per statement, one nonce) and its statements."""

    rows: list[WatchAlert]
    statements: list[WatchedStatement]
    resend: bool


def _article(statement: WatchedStatement) -> int:
    """The article a statement is grouped by: its first report's (the lowest id)."""
    return min((source.article_id for source in statement.item.sources), default=0)


def _by_article(statements: list[WatchedStatement]) -> list[list[WatchedStatement]]:
    """The statements grouped by article, in the order the articles first appear."""
    groups: dict[int, list[WatchedStatement]] = {}
    for statement in statements:
        groups.setdefault(_article(statement), []).append(statement)
    return list(groups.values())


def _fold(groups: list[list[WatchedStatement]], room: int) -> list[list[WatchedStatement]]:
    """At most ``room`` alerts: one per article, and when there are more articles than
    that, the last alert tells every statement left over (nothing waits for a later pass:
    a desk wants the news now, not a trickle)."""
    if len(groups) <= room:
        return groups
    kept = groups[: room - 1]
    return [*kept, [statement for group in groups[room - 1 :] for statement in group]]


def _count_alert(outcome: str) -> None:
    DELIVERIES.labels(kind=str(DeliveryKind.WATCH_ALERT), outcome=outcome).inc()


def _reads(subscription: Subscription, feed_url: str) -> bool:
    """Whether the subscription's digests draw on the feed (all feeds, or it by name)."""
    return not subscription.filters.feeds or feed_url in subscription.filters.feeds


def _wait(attempts: int, in_flight: dt.timedelta) -> dt.timedelta:
    """How long after its row was written a pending delivery is sent again: a row never tried
    to the end was left by a process that stopped mid-send (one in flight takes seconds)."""
    if attempts == 0:
        return in_flight
    doubled: dt.timedelta = FIRST_RETRY * (2 ** (attempts - 1))
    return doubled


def _hours(length: dt.timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _outcome(results: list[tuple[str, Delivery]]) -> Outcome:
    def of(kind: str) -> tuple[Delivery, ...]:
        return tuple(delivery for label, delivery in results if label == kind)

    return Outcome(
        sent=of("sent"), skipped=of("skipped"), failed=of("failed"), retrying=of("retrying")
    )
