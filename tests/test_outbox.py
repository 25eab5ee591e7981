"""The outbox, driven by a fake clock: each digest exactly once at its local time across
daylight-saving changes, missed digests within the grace window sent once and older ones
skipped, a crash between sending and marking repaired without a second copy, transient errors
retried, and a channel that is gone stopping its subscription.

Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import Outbox, digest_nonce
from bot.sending import ChannelGoneError, SendFailedError
from bot.views import View
from digests.model import (
    EVERY_DAY,
    UTC,
    DeliveryKind,
    DeliveryStatus,
    Platform,
    Stance,
    Subscription,
)
from digests.service import Service
from digests.settings import FetchSettings
from digests.store import Store

CREATED = dt.datetime(2026, 10, 1, tzinfo=UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, length: dt.timedelta) -> None:
        self.now += length


class FakePlatform:
    """A chat platform and its sender: it keeps one message per nonce, as Discord does."""

    def __init__(self) -> None:
        self.posted: dict[str, list[tuple[str, str]]] = {}  # channel -> (nonce, view type)
        self.failures: list[Exception] = []
        self.resends: list[str] = []

    async def send(
        self,
        channel_id: str,
        view: View,
        *,
        nonce: str,
        workspace_id: str | None = None,
        resend: bool = False,
    ) -> tuple[str, ...]:
        if resend:
            self.resends.append(nonce)
        if self.failures:
            raise self.failures.pop(0)
        channel = self.posted.setdefault(channel_id, [])
        if nonce not in [seen for seen, _ in channel]:
            channel.append((nonce, type(view).__name__))
        return (f"m-{nonce}",)

    def count(self, channel_id: str) -> int:
        return len(self.posted.get(channel_id, []))


@pytest.fixture
def service(store: Store) -> Service:
    return Service(store, fetch=FetchSettings())


def subscribe(
    service: Service, channel: str, local: dt.time, zone: str, *, since: dt.datetime = CREATED
) -> Subscription:
    saved, _ = service.store.save_subscription(
        Subscription(
            platform=Platform.CONSOLE,
            workspace_id="",
            channel_id=channel,
            local_time=local,
            timezone=zone,
            days=EVERY_DAY,
            created_at=since,
        )
    )
    return saved


def outbox(service: Service, clock: Clock, chat: FakePlatform, **options: object) -> Outbox:
    return Outbox(service, {Platform.CONSOLE: chat}, clock=clock, **options)  # type: ignore[arg-type]


async def test_days_across_daylight_saving_changes_each_digest_once_at_its_local_time(
    service: Service,
) -> None:
    # 24 October to 3 November 2026: Berlin moves to CET on the 25th, New York to EST on
    # 1 November; Tokyo keeps its time. A tick every ten minutes.
    zones = {"berlin": ("Europe/Berlin", dt.time(7, 30)),
             "new-york": ("America/New_York", dt.time(8, 0)),
             "tokyo": ("Asia/Tokyo", dt.time(7, 0))}  # fmt: skip
    start, tick = dt.datetime(2026, 10, 24, tzinfo=UTC), dt.timedelta(minutes=10)
    for channel, (zone, local) in zones.items():
        subscribe(service, channel, local, zone, since=start)
    chat = FakePlatform()
    clock = Clock(start)
    box = outbox(service, clock, chat)
    sent_at: dict[str, list[dt.datetime]] = {channel: [] for channel in zones}
    while clock.now < start + dt.timedelta(days=10):
        outcome = await box.run_once()
        for delivery in outcome.sent:
            channel = service.store.get_subscription(delivery.subscription_id).channel_id
            sent_at[channel].append(clock.now)
        clock.advance(tick)

    for channel, (zone, local) in zones.items():
        local_times = [moment.astimezone(ZoneInfo(zone)) for moment in sent_at[channel]]
        assert len(local_times) == 10, channel  # once a day
        assert len({moment.date() for moment in local_times}) == 10, channel
        for moment in local_times:  # at the local time, on the first tick after it
            due = dt.datetime.combine(moment.date(), local, tzinfo=moment.tzinfo)
            assert dt.timedelta(0) <= moment - due < tick, (channel, moment)
        assert chat.count(channel) == 10


async def test_a_digest_missed_within_the_grace_window_comes_once_and_older_ones_are_skipped(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    subscribe(service, "berlin", dt.time(7, 30), "Europe/Berlin")  # 06:30 UTC in November
    subscribe(service, "tokyo", dt.time(7, 0), "Asia/Tokyo")  # 22:00 UTC the day before
    chat = FakePlatform()
    clock = Clock(dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # back up at 09:00 UTC
    box = outbox(service, clock, chat)

    with caplog.at_level(logging.WARNING):
        first = await box.run_once()
        again = await box.run_once()

    assert [chat.count("berlin"), chat.count("tokyo")] == [1, 0]
    assert len(first.sent) == 1
    (skipped,) = first.skipped
    assert skipped.period == "2026-11-30"
    assert skipped.error == "missed by 11 h 00 min"
    assert "past the grace window" in caplog.text
    assert again.sent == again.skipped == ()


async def test_a_crash_between_sending_and_marking_leaves_one_copy_after_restart(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = subscribe(service, "berlin", dt.time(7, 30), "Europe/Berlin")
    chat = FakePlatform()
    clock = Clock(dt.datetime(2026, 11, 30, 6, 31, tzinfo=UTC))

    def crash(*_args: object) -> None:
        raise SystemExit("killed before the outbox marked the delivery")

    with monkeypatch.context() as patched:
        patched.setattr(service.store, "update_delivery", crash)
        with pytest.raises(SystemExit):
            await outbox(service, clock, chat).run_once()
    assert chat.count("berlin") == 1  # the platform had taken it
    (pending,) = service.store.list_deliveries(status=DeliveryStatus.PENDING)

    clock.advance(dt.timedelta(minutes=2))  # restarted
    outcome = await outbox(service, clock, chat).run_once()

    assert chat.count("berlin") == 1
    assert chat.resends == [digest_nonce(subscription.id or 0, "2026-11-30")]
    assert [delivery.id for delivery in outcome.sent] == [pending.id]
    assert service.store.get_delivery(pending.id or 0).status is DeliveryStatus.SENT


async def test_killed_before_sending_the_digest_is_sent_once_after_restart(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(service, "berlin", dt.time(7, 30), "Europe/Berlin")
    chat = FakePlatform()
    clock = Clock(dt.datetime(2026, 11, 30, 6, 31, tzinfo=UTC))

    async def killed(*_args: object, **_kwargs: object) -> tuple[str, ...]:
        raise SystemExit("killed before the platform saw anything")

    with monkeypatch.context() as patched:
        patched.setattr(chat, "send", killed)
        with pytest.raises(SystemExit):
            await outbox(service, clock, chat).run_once()
    assert chat.count("berlin") == 0

    clock.advance(dt.timedelta(minutes=2))
    await outbox(service, clock, chat).run_once()
    await outbox(service, clock, chat).run_once()

    assert chat.count("berlin") == 1


async def test_a_transient_error_is_retried_with_backoff(service: Service) -> None:
    subscribe(service, "berlin", dt.time(7, 30), "Europe/Berlin")
    chat = FakePlatform()
    chat.failures = [SendFailedError("503"), SendFailedError("timeout")]
    clock = Clock(dt.datetime(2026, 11, 30, 6, 31, tzinfo=UTC))
    box = outbox(service, clock, chat)

    first = await box.run_once()
    clock.advance(dt.timedelta(seconds=30))
    too_soon = await box.run_once()
    clock.advance(dt.timedelta(seconds=40))
    second = await box.run_once()
    clock.advance(dt.timedelta(minutes=3))
    third = await box.run_once()

    assert [len(o.retrying) for o in (first, too_soon, second, third)] == [1, 0, 1, 0]
    (sent,) = third.sent
    assert sent.attempts == 3
    assert chat.count("berlin") == 1


async def test_a_channel_that_is_gone_stops_its_subscription(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    subscription = subscribe(service, "berlin", dt.time(7, 30), "Europe/Berlin")
    chat = FakePlatform()
    chat.failures = [ChannelGoneError("channel berlin: Unknown Channel")]
    clock = Clock(dt.datetime(2026, 11, 30, 6, 31, tzinfo=UTC))

    with caplog.at_level(logging.WARNING):
        outcome = await outbox(service, clock, chat).run_once()
    clock.advance(dt.timedelta(days=1))
    later = await outbox(service, clock, chat).run_once()

    (failed,) = outcome.failed
    assert failed.status is DeliveryStatus.FAILED
    assert not service.store.get_subscription(subscription.id or 0).enabled
    assert "stopped subscription" in caplog.text
    assert later.sent == later.failed == ()


async def test_a_restart_with_a_changed_time_and_a_new_subscription(service: Service) -> None:
    berlin = subscribe(service, "berlin", dt.time(7, 30), "Europe/Berlin")
    chat = FakePlatform()
    clock = Clock(dt.datetime(2026, 11, 30, 6, 31, tzinfo=UTC))
    await outbox(service, clock, chat).run_once()  # today's 07:30 digest

    # Stopped; the time changed to 09:00 and a Tokyo channel subscribed; started at 08:30 UTC.
    service.store.save_subscription(dataclasses.replace(berlin, local_time=dt.time(9, 0)))
    subscribe(service, "tokyo", dt.time(18, 0), "Asia/Tokyo", since=clock.now)  # 09:00 UTC
    clock.now = dt.datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    box = outbox(service, clock, chat)
    while clock.now < dt.datetime(2026, 12, 1, 8, 30, tzinfo=UTC):
        await box.run_once()
        clock.advance(dt.timedelta(minutes=5))

    assert chat.count("berlin") == 2  # 30 Nov at 07:30 (not again at 09:00), 1 Dec at 09:00
    assert chat.count("tokyo") == 1  # 30 Nov at 18:00 Tokyo
    digests = service.store.list_deliveries()
    assert {(d.kind, d.status) for d in digests} == {(DeliveryKind.DIGEST, DeliveryStatus.SENT)}


async def test_a_feed_that_stopped_is_told_once_to_each_channel_that_reads_it(
    service: Service,
) -> None:
    from digests.model import Feed

    clock = Clock(dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    stopped = service.store.add_feed(
        Feed(
            url="https://wire.example/world.xml",
            title="World Wire",
            enabled=False,
            disabled_reason="410 Gone",
            last_fetched_at=clock.now - dt.timedelta(minutes=5),
        )
    )
    old = service.store.add_feed(
        Feed(
            url="https://old.example/feed.xml",
            enabled=False,
            disabled_reason="too many failures",
            last_fetched_at=clock.now - dt.timedelta(days=3),  # long past the grace window
        )
    )
    subscribe(service, "all-news", dt.time(7, 30), "UTC")
    reads_it = subscribe(service, "wire-only", dt.time(7, 30), "UTC")
    service.store.save_subscription(
        dataclasses.replace(
            reads_it,
            filters=dataclasses.replace(reads_it.filters, feeds=(stopped.url,)),
        )
    )
    other = subscribe(service, "other-feed", dt.time(7, 30), "UTC")
    service.store.save_subscription(
        dataclasses.replace(other, filters=dataclasses.replace(other.filters, feeds=(old.url,)))
    )
    chat = FakePlatform()
    box = outbox(service, clock, chat)

    first = await box.run_once()
    clock.advance(dt.timedelta(minutes=1))
    again = await box.run_once()

    notices = [d for d in first.sent if d.kind is DeliveryKind.FEED_NOTICE]
    assert sorted(service.store.get_subscription(d.subscription_id).channel_id
                  for d in notices) == ["all-news", "wire-only"]  # fmt: skip
    assert [n for n in again.sent if n.kind is DeliveryKind.FEED_NOTICE] == []
    assert chat.posted["wire-only"][-1][1] == "NoticeView"
    assert "other-feed" not in chat.posted or all(
        kind != "NoticeView" for _, kind in chat.posted["other-feed"]
    )


# -- watch alerts ------------------------------------------------------------------------------


def watch(service: Service, channel: str, actor: str, topic: str | None = None) -> int:
    from digests.model import Watch

    saved, _ = service.store.save_watch(
        Watch(platform=Platform.CONSOLE, workspace_id="", channel_id=channel, actor_key=actor,
              topic_key=topic)
    )  # fmt: skip
    assert saved.id is not None
    return saved.id


def alerts_counted() -> float:
    from prometheus_client import REGISTRY

    labels = {"kind": "watch_alert", "outcome": "sent"}
    return REGISTRY.get_sample_value("newsdigest_deliveries_total", labels) or 0.0


def alerts(chat: FakePlatform, channel: str) -> int:
    return sum(kind == "AlertView" for _, kind in chat.posted.get(channel, []))


async def test_a_watched_actor_s_new_statement_is_told_once_however_many_outlets_report_it(
    service: Service,
) -> None:
    from tests.test_positions_lookup import Newsroom, said

    room = Newsroom(service.store)
    when = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    room.report(0, when - dt.timedelta(days=1), said("russia", Stance.REJECT, "old news"))
    watch(service, "desk", "russia")  # made now: the backlog is not news
    watch(service, "ceasefire-desk", "russia", "ceasefire")
    lavrov = said("russia", Stance.WARN, "NATO expansion threatens Russia", topic="nato",
                  speaker="Sergey Lavrov", role="Foreign Minister")  # fmt: skip
    for outlet in range(3):
        room.report(outlet, when, lavrov)
    clock = Clock(when + dt.timedelta(minutes=1))
    chat = FakePlatform()
    box = outbox(service, clock, chat)
    counted = alerts_counted()

    await box.run_once()
    clock.advance(dt.timedelta(minutes=1))
    room.report(1, when + dt.timedelta(minutes=30), lavrov)  # a fourth outlet, later
    await box.run_once()

    assert alerts(chat, "desk") == 1
    assert alerts_counted() == counted + 1
    assert alerts(chat, "ceasefire-desk") == 0  # another topic
    (sent,) = service.store.list_watch_alerts()
    assert sent.status is DeliveryStatus.SENT


async def test_a_change_of_stance_is_told_as_one(service: Service) -> None:
    from tests.test_positions_lookup import Newsroom, said

    room = Newsroom(service.store)
    when = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    earlier = said("russia", Stance.SUPPORT, "a ceasefire is possible", topic="ceasefire")
    room.report(0, when - dt.timedelta(days=3), earlier)
    watch(service, "desk", "russia", "ceasefire")
    room.report(0, when, said("russia", Stance.REJECT, "no ceasefire now", topic="ceasefire"))
    views: list[object] = []
    chat = FakePlatform()
    send = chat.send

    async def keep(channel_id: str, view: object, **options: object) -> tuple[str, ...]:
        views.append(view)
        return await send(channel_id, view, **options)  # type: ignore[arg-type]

    chat.send = keep  # type: ignore[method-assign]
    await outbox(service, Clock(when + dt.timedelta(minutes=1)), chat).run_once()

    (view,) = views
    change = view.change  # type: ignore[attr-defined]
    assert (change.before, change.now) == ("support", "reject")


async def test_an_alert_left_pending_by_a_crash_is_sent_again_once(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_positions_lookup import Newsroom, said

    room = Newsroom(service.store)
    when = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    watch(service, "desk", "ukraine")
    room.report(0, when, said("ukraine", Stance.DEMAND, "more air defence"))
    chat = FakePlatform()
    clock = Clock(when + dt.timedelta(minutes=1))

    def crash(*_args: object) -> None:
        raise SystemExit("killed before the alert was marked")

    with monkeypatch.context() as patched:
        patched.setattr(service.store, "update_watch_alert", crash)
        with pytest.raises(SystemExit):
            await outbox(service, clock, chat).run_once()
    clock.advance(dt.timedelta(minutes=2))
    await outbox(service, clock, chat).run_once()
    await outbox(service, clock, chat).run_once()

    assert alerts(chat, "desk") == 1
    assert chat.resends == [service.store.list_watch_alerts()[0].nonce]
    assert [a.status for a in service.store.list_watch_alerts()] == [DeliveryStatus.SENT]


async def test_a_flood_of_statements_is_folded_into_a_few_alerts_and_none_is_lost(
    service: Service,
) -> None:
    from digests.compose._positions import WATCH_READ
    from tests.test_positions_lookup import Newsroom, said

    assert WATCH_READ < 230  # more than one pass reads

    room = Newsroom(service.store)
    when = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    watch(service, "desk", "iran")
    for number in range(230):  # claims unlike each other: each is its own statement
        claim = hashlib.sha256(str(number).encode()).hexdigest()[:32]
        room.report(0, when, said("iran", Stance.CLAIM, claim))
    chat = FakePlatform()
    box = outbox(service, Clock(when + dt.timedelta(minutes=1)), chat)

    for _ in range(3):
        await box.run_once()

    assert alerts(chat, "desk") == 5  # one a pass is enough: the last one folds the rest
    told = service.store.list_watch_alerts(status=DeliveryStatus.SENT)
    assert len(told) == 230


async def test_two_watches_of_one_statement_send_two_messages(service: Service) -> None:
    from tests.test_positions_lookup import Newsroom, said

    room = Newsroom(service.store)
    when = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    watch(service, "desk", "russia")
    watch(service, "desk", "russia", "nato")
    room.report(0, when, said("russia", Stance.WARN, "NATO is a threat", topic="nato"))
    chat = FakePlatform()

    await outbox(service, Clock(when + dt.timedelta(minutes=1)), chat).run_once()

    assert alerts(chat, "desk") == 2  # a nonce each: the platform keeps both


async def test_a_statement_reported_later_in_other_words_is_not_told_again(
    service: Service,
) -> None:
    from tests.test_positions_lookup import Newsroom, said

    room = Newsroom(service.store)
    when = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    watch(service, "desk", "russia")
    room.report(0, when, said("russia", Stance.WARN, "NATO expansion threatens Russia"))
    clock = Clock(when + dt.timedelta(minutes=1))
    chat = FakePlatform()
    box = outbox(service, clock, chat)
    await box.run_once()
    later = said("russia", Stance.WARN, "NATO expansion threatens Russia now")  # ratio 94
    room.report(1, when + dt.timedelta(hours=1), later)
    clock.advance(dt.timedelta(hours=1))
    await box.run_once()

    assert alerts(chat, "desk") == 1
