"""`newsdigest run` as a user starts it: in a process of its own, on the embedded default with
no chat credentials, stopped by a signal; and refused at start when its console subscriptions
are wrong."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
from pathlib import Path

import pytest
from aiohttp import web

from digests.model import EVERY_DAY, Platform, Subscription
from digests.store import Store
from tests.discord_double import GENERAL_CHANNEL_ID, GUILD_ID, DiscordDouble
from tests.feeds import Item, rss
from tests.feedserver import FeedServer
from tests.run_process import start

MESSAGES = "/channels/{channel_id}/messages"
MESSAGE_PATH = f"/channels/{GENERAL_CHANNEL_ID}/messages"


async def read_until(stream: asyncio.StreamReader, marker: bytes, timeout: float) -> bytes:
    seen = b""
    async with asyncio.timeout(timeout):
        while marker not in seen:
            chunk = await stream.read(4096)
            if not chunk:
                break
            seen += chunk
    return seen


async def test_run_polls_prints_a_first_digest_and_stops_on_sigterm(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/world.xml", rss([Item(
        title="Ceasefire talks resume", description="Russia said talks on a ceasefire resumed "
        "in Ankara on Monday, according to officials.")], title="World"))  # fmt: skip
    process = await start(tmp_path, feeds=[url])
    assert process.stdout is not None
    try:
        shown = await read_until(process.stdout, b"News digest, since", timeout=120)
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _stderr = await asyncio.wait_for(process.communicate(), 30)

    assert b"Delivering to: console." in shown
    assert b"News digest, since" in shown  # the first digest, once the first poll is analysed
    assert process.returncode == 0
    assert b"Stopped." in rest


async def test_a_stop_while_a_feed_is_being_polled_ends_cleanly_at_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    held = asyncio.Event()  # never set: the feed answers after the stop, if ever

    async def hold(_request: web.Request) -> web.StreamResponse:
        await held.wait()
        return web.Response()

    url = feed_server.route("/held.xml", hold)
    process = await start(tmp_path, feeds=[url])
    assert process.stderr is not None
    try:
        await read_until(process.stderr, b"added 1 default feeds", timeout=60)
        await asyncio.sleep(1)  # the intake is waiting for the feed
        assert feed_server.requests_to("/held.xml")
    finally:
        process.send_signal(signal.SIGTERM)
        _out, rest = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 0
    assert b"Traceback" not in rest
    assert b"raised an exception" not in rest


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('time = "25:00"', "run.console.0.time: '25:00' is not a time of day (line 3 of "),
        ('timezone = "Europe/Berln"', "run.console.0.timezone: 'Europe/Berln' is not an IANA"),
        ('actors = ["atlantis"]', "run.console: 'atlantis': unknown actor; did you mean"),
        ('topics = ["weather"]', "run.console: 'weather': unknown topic"),
    ],
)
async def test_a_bad_console_subscription_is_refused_at_start(
    tmp_path: Path, entry: str, expected: str
) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(f'[[run.console]]\nname = "morning"\n{entry}\n')
    process = await start(tmp_path, "--config", str(config), "run")
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 2
    error = stderr.decode().strip().splitlines()[-1]
    assert error.startswith(f"Error: {expected}")
    assert error.endswith(f"(line 3 of {config})")  # the file's line of the bad value
    assert b"Running until" not in stdout  # nothing started half-configured


# -- crash safety: the real process, killed, against the loopback Discord --------------------


def due_subscription(database_url: str) -> None:
    """A Discord channel whose digest came due two minutes ago."""
    now = dt.datetime.now(dt.UTC)
    due = (now - dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    with Store.open(database_url) as store:
        store.save_subscription(
            Subscription(
                platform=Platform.DISCORD,
                workspace_id=str(GUILD_ID),
                channel_id=str(GENERAL_CHANNEL_ID),
                local_time=due.time(),
                timezone="UTC",
                days=EVERY_DAY,
                created_at=now - dt.timedelta(days=1),
            )
        )


def delivery_status(database_url: str) -> list[str]:
    with Store.open(database_url) as store:
        return [str(delivery.status) for delivery in store.list_deliveries()]


async def start_bot(tmp_path: Path, api: DiscordDouble) -> asyncio.subprocess.Process:
    return await start(
        tmp_path,
        output=asyncio.subprocess.DEVNULL,
        NEWSDIGEST_DISCORD_TOKEN=api.token,
        NEWSDIGEST_DISCORD_API_URL=api.rest_base,
        NEWSDIGEST_DISCORD_GATEWAY_URL=api.gateway_url,
        NEWSDIGEST_DISCORD_DEV_GUILD=str(GUILD_ID),
        NEWSDIGEST_RUN__DELIVER_EVERY_SECONDS="1",
        NEWSDIGEST_RUN__RESEND_AFTER_SECONDS="1",
        NEWSDIGEST_RUN__CONSOLE="[]",
    )


@pytest.mark.parametrize("accepted", [True, False], ids=["after-discord-took-it", "before"])
async def test_killed_while_sending_a_digest_the_channel_gets_exactly_one_copy(
    tmp_path: Path, accepted: bool
) -> None:
    database_url = f"sqlite:///{tmp_path / 'run.db'}"
    due_subscription(database_url)
    async with DiscordDouble() as api:
        api.stall("POST", MESSAGES, accept=accepted)
        first = await start_bot(tmp_path, api)
        try:  # the send reached Discord: it took the message (or not), and never answered
            await api.wait_until(lambda: bool(api.requests("POST", MESSAGE_PATH)), timeout=90)
            assert len(api.messages(GENERAL_CHANNEL_ID)) == (1 if accepted else 0)
        finally:
            first.kill()  # SIGKILL: no cleanup, the delivery stays pending
            await first.wait()
        assert delivery_status(database_url) == ["pending"]

        second = await start_bot(tmp_path, api)
        try:
            await api.wait_until(lambda: delivery_status(database_url) == ["sent"], timeout=90)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)

        assert len(api.messages(GENERAL_CHANNEL_ID)) == 1


async def test_down_past_the_grace_window_the_digest_is_skipped_and_logged(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'run.db'}"
    due_subscription(database_url)
    async with DiscordDouble() as api:
        process = await start(
            tmp_path,
            NEWSDIGEST_DISCORD_TOKEN=api.token,
            NEWSDIGEST_DISCORD_API_URL=api.rest_base,
            NEWSDIGEST_DISCORD_GATEWAY_URL=api.gateway_url,
            NEWSDIGEST_RUN__GRACE_HOURS="0",
            NEWSDIGEST_RUN__CONSOLE="[]",
        )
        try:
            await api.wait_until(lambda: delivery_status(database_url) == ["skipped"], timeout=90)
        finally:
            process.send_signal(signal.SIGTERM)
            _stdout, stderr = await asyncio.wait_for(process.communicate(), 30)

    assert api.messages(GENERAL_CHANNEL_ID) == []
    assert b"past the grace" in stderr


async def test_json_logs_are_one_object_a_line_and_hold_no_secret(tmp_path: Path) -> None:
    process = await start(
        tmp_path,
        "run",
        "--once",
        NEWSDIGEST_LOG_FORMAT="json",
        NEWSDIGEST_LOG_LEVEL="DEBUG",
        NEWSDIGEST_SLACK_BOT_TOKEN="xoxb-secret-value",
        NEWSDIGEST_SLACK_SIGNING_SECRET="signing-secret-value",
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 0
    assert b"secret-value" not in stdout + stderr
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.strip()]
    assert lines
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any("polled 0 feeds" in line["message"] for line in lines)


@pytest.mark.parametrize("accepted", [True, False], ids=["after-slack-took-it", "before"])
async def test_killed_while_posting_to_slack_the_channel_gets_exactly_one_copy(
    tmp_path: Path, accepted: bool
) -> None:
    from tests.slack_double import GENERAL_CHANNEL_ID as SLACK_CHANNEL
    from tests.slack_double import TEAM_ID, SlackDouble

    database_url = f"sqlite:///{tmp_path / 'run.db'}"
    now = dt.datetime.now(dt.UTC)
    with Store.open(database_url) as store:
        store.save_subscription(
            Subscription(
                platform=Platform.SLACK, workspace_id=TEAM_ID, channel_id=SLACK_CHANNEL,
                local_time=(now - dt.timedelta(minutes=2)).time().replace(second=0, microsecond=0),
                timezone="UTC", days=EVERY_DAY, created_at=now - dt.timedelta(days=1),
            )
        )  # fmt: skip
    async with SlackDouble() as slack:
        slack.stall("chat.postMessage", accept=accepted)
        env = {
            "NEWSDIGEST_SLACK_BOT_TOKEN": slack.bot_token,
            "NEWSDIGEST_SLACK_APP_TOKEN": slack.app_token,
            "NEWSDIGEST_SLACK_API_URL": slack.api_url,
            "NEWSDIGEST_RUN__DELIVER_EVERY_SECONDS": "1",
            "NEWSDIGEST_RUN__RESEND_AFTER_SECONDS": "1",
            "NEWSDIGEST_RUN__CONSOLE": "[]",
        }
        first = await start(tmp_path, output=asyncio.subprocess.DEVNULL, **env)
        try:
            await slack.wait_until(lambda: slack.stalled("chat.postMessage") == 1, timeout=90)
            assert len(slack.messages(SLACK_CHANNEL)) == (1 if accepted else 0)
        finally:
            first.kill()
            await first.wait()
        second = await start(tmp_path, output=asyncio.subprocess.DEVNULL, **env)
        try:
            await slack.wait_until(lambda: delivery_status(database_url) == ["sent"], timeout=90)
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)

        assert len(slack.messages(SLACK_CHANNEL)) == 1
        assert slack.calls("conversations.history")  # the resend looked before posting


async def test_metrics_count_polls_and_analyses(tmp_path: Path, feed_server: FeedServer) -> None:
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    item = Item(title="Talks resume", description="Russia said ceasefire talks resumed.")
    url = feed_server.serve("/world.xml", rss([item], title="World"))
    process = await start(tmp_path, feeds=[url], NEWSDIGEST_RUN__METRICS_PORT=str(port))
    assert process.stdout is not None
    try:
        await read_until(process.stdout, b"News digest, since", timeout=120)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            text = await response.text()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)

    assert 'newsdigest_feeds_polled_total{status="first_poll"} 1.0' in text
    assert 'newsdigest_articles_analysed_total{outcome="analysed"} 1.0' in text
