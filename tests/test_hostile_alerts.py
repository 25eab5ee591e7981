"""A watched actor who says a great deal at once: 500 statements in one article, or news in more
articles than a pass may tell, are a few alerts, each one message on every platform, and every
statement is told once: not lost, not doubled after a crash, not told again in other words.

Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from bot.delivery import Outbox
from bot.discord.render import render as render_discord
from bot.slack.render import render as render_slack
from bot.views import AlertView, View
from bot.views.render_console import render_text
from digests.model import UTC, DeliveryStatus, Platform, Stance, Watch
from digests.service import Service
from digests.settings import FetchSettings
from digests.store import Store
from tests.test_discord_render import limit_problems as discord_problems
from tests.test_positions_lookup import Newsroom, said
from tests.test_slack_render import limit_problems as slack_problems

WHEN = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Chat:
    """A platform that keeps one message per nonce (as Discord and our Slack sender do) and
    every view it was given."""

    def __init__(self) -> None:
        self.messages: dict[str, View] = {}
        self.sends: list[str] = []
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
        self.sends.append(nonce)
        if resend:
            self.resends.append(nonce)
        self.messages.setdefault(nonce, view)
        return (f"m-{nonce}",)

    def alerts(self) -> list[AlertView]:
        return [view for view in self.messages.values() if isinstance(view, AlertView)]


@pytest.fixture
def service(store: Store) -> Service:
    return Service(store, fetch=FetchSettings())


def watch(service: Service, actor: str) -> int:
    saved, _ = service.store.save_watch(
        Watch(platform=Platform.CONSOLE, workspace_id="", channel_id="desk", actor_key=actor)
    )
    assert saved.id is not None
    return saved.id


def claim(number: int) -> str:
    """Claims unlike each other, so each is its own statement."""
    return f"point {hashlib.sha256(str(number).encode()).hexdigest()[:40]}"


def outbox(service: Service, chat: Chat, clock: Clock, cap: int = 5) -> Outbox:
    return Outbox(service, {Platform.CONSOLE: chat}, clock=clock, alerts_per_pass=cap)  # type: ignore[dict-item]


async def test_five_hundred_statements_in_one_article_are_one_alert_within_every_limit(
    service: Service,
) -> None:
    room = Newsroom(service.store)
    watch(service, "iran")
    room.report(0, WHEN, *(said("iran", Stance.CLAIM, claim(n)) for n in range(500)))
    chat = Chat()
    box = outbox(service, chat, Clock(WHEN + dt.timedelta(minutes=1)))

    for _ in range(3):
        await box.run_once()

    (alert,) = chat.alerts()
    assert alert.statements == 500
    told = service.store.list_watch_alerts()
    assert len(told) == 500
    assert {row.status for row in told} == {DeliveryStatus.SENT}
    assert len({row.nonce for row in told}) == 1
    discord = render_discord(alert)
    slack = render_slack(alert)
    assert len(discord) == 1
    assert discord_problems(discord) == []
    assert len(slack) == 1
    assert slack_problems(slack) == []
    text = render_text(alert)
    assert "500 new statements by Iran in one article" in text
    assert "and 495 more statements" in text


async def test_news_in_more_articles_than_the_cap_ends_in_one_alert_of_what_is_left(
    service: Service,
) -> None:
    room = Newsroom(service.store)
    watch(service, "iran")
    for article in range(12):
        statements = (said("iran", Stance.WARN, claim(article * 10 + n)) for n in range(3))
        room.report(article % 3, WHEN + dt.timedelta(minutes=article), *statements)
    chat = Chat()
    box = outbox(service, chat, Clock(WHEN + dt.timedelta(hours=1)))

    await box.run_once()
    await box.run_once()

    alerts = chat.alerts()
    assert len(alerts) == 5
    assert [alert.statements for alert in alerts] == [3, 3, 3, 3, 24]
    assert alerts[-1].articles == 8
    assert "24 new statements by Iran in 8 articles" in render_text(alerts[-1])
    assert len(service.store.list_watch_alerts(status=DeliveryStatus.SENT)) == 36
    for alert in alerts:
        assert len(render_discord(alert)) == 1
        assert len(render_slack(alert)) == 1


async def test_a_folded_alert_left_pending_by_a_crash_is_sent_again_as_it_was(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = Newsroom(service.store)
    watch(service, "iran")
    room.report(0, WHEN, *(said("iran", Stance.CLAIM, claim(n)) for n in range(40)))
    room.report(1, WHEN, *(said("iran", Stance.DEMAND, claim(100 + n)) for n in range(3)))
    chat = Chat()
    clock = Clock(WHEN + dt.timedelta(minutes=1))

    def crash(*_args: object) -> None:
        raise SystemExit("killed before the alert was marked")

    with monkeypatch.context() as patched:
        patched.setattr(service.store, "update_watch_alert", crash)
        with pytest.raises(SystemExit):
            await outbox(service, chat, clock).run_once()
    first = list(chat.sends)
    clock.now += dt.timedelta(minutes=2)
    await outbox(service, chat, clock).run_once()
    await outbox(service, chat, clock).run_once()

    assert len(first) == 1  # the crash came after the first alert was sent
    assert first[0] in chat.resends  # sent again with its nonce, so the platform keeps one
    assert len(chat.alerts()) == 2
    assert sorted(alert.statements for alert in chat.alerts()) == [3, 40]
    rows = service.store.list_watch_alerts()
    assert len(rows) == 43
    assert {row.status for row in rows} == {DeliveryStatus.SENT}


async def test_a_folded_statement_reported_later_in_other_words_is_not_told_again(
    service: Service,
) -> None:
    room = Newsroom(service.store)
    watch(service, "iran")
    room.report(0, WHEN, *(said("iran", Stance.CLAIM, claim(n)) for n in range(30)))
    chat = Chat()
    clock = Clock(WHEN + dt.timedelta(minutes=1))
    box = outbox(service, chat, clock)
    await box.run_once()
    reworded = claim(17) + " now"
    room.report(1, WHEN + dt.timedelta(hours=1), said("iran", Stance.CLAIM, reworded))
    room.report(2, WHEN + dt.timedelta(hours=1), said("iran", Stance.CLAIM, claim(5)))
    clock.now += dt.timedelta(hours=1)
    await box.run_once()

    assert len(chat.alerts()) == 1
