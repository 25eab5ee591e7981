"""A chat platform down or refusing the token: the adapter says so once, retries with capped
backoff (or stops, for a refused token), and the feeds, the console and the other adapter go
on. The supervisor on its own with a fake clock; then `newsdigest run` in a process against a
closed port that a loopback Discord or Slack later opens, and against doubles that refuse."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

from bot.discord import DiscordSender, keep_connected, make_client
from bot.sending import SendFailedError
from bot.settings import Settings
from bot.supervise import AdapterStatus, Backoff, supervise
from digests.service import Service
from digests.settings import FetchSettings
from digests.store import Store
from tests.discord_double import GUILD_ID, DiscordDouble
from tests.feeds import Item, rss
from tests.feedserver import FeedServer
from tests.run_process import start
from tests.slack_double import SlackDouble
from tests.view_samples import digest

# -- the supervisor on its own -------------------------------------------------------------


def gauge(adapter: str) -> float | None:
    return REGISTRY.get_sample_value("newsdigest_adapter_up", {"adapter": adapter})


class FakeClock:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


class Stop(BaseException):
    """Ends a supervisor in a test (as a cancellation would)."""


def attempts(*outcomes: Exception | Callable[[], None]) -> Callable[[], Any]:
    """An adapter's start: each call raises the next error or runs the next action; after
    the last, the test ends."""
    queue = list(outcomes)

    async def start() -> None:
        if not queue:
            raise Stop
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        outcome()

    return start


def never_refused(_error: Exception) -> str | None:
    return None


def refused_if_permission(error: Exception) -> str | None:
    return "the token was refused" if isinstance(error, PermissionError) else None


def test_the_backoff_doubles_from_its_first_wait_up_to_its_cap_with_jitter() -> None:
    backoff = Backoff(first=1.0, cap=300.0)

    longest = [backoff.delay(n, rand=lambda: 1.0) for n in range(1, 12)]
    shortest = [backoff.delay(n, rand=lambda: 0.0) for n in range(1, 12)]

    assert longest == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert shortest == [wait / 2 for wait in longest]
    assert backoff.delay(10_000, rand=lambda: 1.0) == 300  # no overflow far into an outage


async def test_an_outage_is_logged_once_retried_with_backoff_and_its_end_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = AdapterStatus("outage-test")
    clock = FakeClock()
    down = ConnectionRefusedError("Connect call failed")
    start = attempts(down, down, down, down, status.up)
    assert gauge("outage-test") == 0.0

    with caplog.at_level(logging.INFO, logger="bot.supervise"), pytest.raises(Stop):
        await supervise(
            status, start, backoff=Backoff(1.0, 5.0), refused=never_refused,
            sleep=clock.sleep, rand=lambda: 1.0,
        )  # fmt: skip

    assert clock.waits == [1, 2, 4, 5, 1]  # capped; after being up, from the first wait again
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.supervise"]
    assert lines == [
        ("WARNING", "outage-test: cannot connect (Connect call failed); retrying in the "
         "background, the rest keeps running"),
        ("INFO", "outage-test: connected again"),
        ("WARNING", "outage-test: disconnected (the connection ended); reconnecting in the "
         "background"),
    ]  # fmt: skip
    assert not any(record.exc_info for record in caplog.records)


async def test_the_gauge_follows_the_adapter_down_and_up() -> None:
    status = AdapterStatus("gauge-test")
    seen: list[float | None] = []
    clock = FakeClock()

    def look() -> None:
        seen.append(gauge("gauge-test"))

    def connect() -> None:
        status.up()
        look()

    start = attempts(OSError("down"), look, connect, look)
    with pytest.raises(Stop):
        await supervise(status, start, backoff=Backoff(), refused=never_refused, sleep=clock.sleep)

    assert seen == [0.0, 1.0, 0.0]  # down, up, down again when the connection ended


async def test_a_refused_token_stops_the_adapter_with_one_line_and_no_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = AdapterStatus("refused-test")
    clock = FakeClock()
    start = attempts(OSError("down"), PermissionError("401 Unauthorized"))

    with caplog.at_level(logging.INFO, logger="bot.supervise"):
        await supervise(
            status, start, backoff=Backoff(), refused=refused_if_permission, sleep=clock.sleep
        )  # returns: no further attempt

    assert len(clock.waits) == 1  # the outage before, not the refusal
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "refused-test: the token was refused; this adapter is stopped, the rest keeps running"
    ]
    assert status.state == "stopped"
    assert gauge("refused-test") == 0.0


async def test_a_discord_send_while_the_adapter_is_down_fails_at_once_for_the_outbox_to_retry(
    sqlite_url: str,
) -> None:
    port = closed_port()
    settings = Settings(
        discord_token=SecretStr("double-bot-token"),
        discord_api_url=f"http://127.0.0.1:{port}/api/v10",
        discord_gateway_url=f"ws://127.0.0.1:{port}/gateway",
    )
    with Service(Store.open(sqlite_url), fetch=FetchSettings()) as service:
        client = make_client(service, settings)
        adapter = asyncio.create_task(keep_connected(client, "double-bot-token", Backoff(0.5, 1)))
        try:
            async with asyncio.timeout(30):
                while client.adapter_status.state != "down":
                    await asyncio.sleep(0.05)
            # Not the 30 s wait for a connection: the console's digests come after it.
            async with asyncio.timeout(10):
                with pytest.raises(SendFailedError, match=r"^Discord is not connected$"):
                    await DiscordSender(client).send("1", digest(), nonce="n-1")
        finally:
            adapter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await adapter


# -- `newsdigest run` in a process --------------------------------------------------------

FAST_RETRIES = {
    "NEWSDIGEST_RUN__ADAPTER_RETRY_FIRST_SECONDS": "0.2",
    "NEWSDIGEST_RUN__ADAPTER_RETRY_MAX_SECONDS": "1",
    "NEWSDIGEST_RUN__POLL_EVERY_SECONDS": "5",
    "NEWSDIGEST_LOG_FORMAT": "json",
}


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Output:
    """A process's stdout and its JSON log lines, read as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        assert process.stderr is not None
        self.stdout = b""
        self.stderr = b""
        self._tasks = [
            asyncio.create_task(self._read(process.stdout, "stdout")),
            asyncio.create_task(self._read(process.stderr, "stderr")),
        ]

    async def _read(self, stream: asyncio.StreamReader, name: str) -> None:
        while chunk := await stream.read(4096):
            setattr(self, name, getattr(self, name) + chunk)

    def log(self) -> list[dict[str, Any]]:
        lines = self.stderr.decode().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def messages(self, logger: str | None = None) -> list[str]:
        return [e["message"] for e in self.log() if logger is None or e["logger"] == logger]

    async def wait_for(self, found: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not found():
                await asyncio.sleep(0.1)

    async def done(self) -> None:
        await asyncio.gather(*self._tasks)


def ticks(output: Output) -> int:
    """The intake's runs so far (each polls the feeds that are due and analyses)."""
    return sum(
        message.startswith("polled ") and "; analysed " in message for message in output.messages()
    )


async def metrics(port: int) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        return await response.text()


def feed(feed_server: FeedServer) -> str:
    item = Item(title="Harbour reopens", description="The port authority said the harbour "
                "reopened on Tuesday after the storm.")  # fmt: skip
    return feed_server.serve("/world.xml", rss([item], title="World"))


async def stop(process: asyncio.subprocess.Process, output: Output) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)
    await output.done()


def adapter_lines(output: Output, adapter: str) -> list[str]:
    """The log's lines about one adapter: ours, and the chat library's own (but its notice
    at start that voice is not supported)."""
    return [
        entry["message"]
        for entry in output.log()
        if entry["message"].startswith(f"{adapter}:")
        or (entry["logger"].startswith(("discord", "slack", "bot.slack", "bot.discord"))
            and adapter in entry["logger"] and "voice will NOT" not in entry["message"])
    ]  # fmt: skip


async def test_discord_unreachable_then_up_while_slack_refuses_and_the_feeds_go_on(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    discord_port, metrics_port = closed_port(), closed_port()
    async with SlackDouble() as slack:
        process = await start(
            tmp_path,
            feeds=[feed(feed_server)],
            NEWSDIGEST_DISCORD_TOKEN="double-bot-token",
            NEWSDIGEST_DISCORD_API_URL=f"http://127.0.0.1:{discord_port}/api/v10",
            NEWSDIGEST_DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{discord_port}/gateway",
            NEWSDIGEST_DISCORD_DEV_GUILD=str(GUILD_ID),
            NEWSDIGEST_SLACK_BOT_TOKEN=slack.bot_token,
            NEWSDIGEST_SLACK_APP_TOKEN="xapp-a-token-slack-does-not-know",
            NEWSDIGEST_SLACK_API_URL=slack.api_url,
            NEWSDIGEST_RUN__METRICS_PORT=str(metrics_port),
            **FAST_RETRIES,
        )
        output = Output(process)
        try:
            # Discord down: the feed is polled, analysed and digested on the console; the intake
            # runs on.
            await output.wait_for(lambda: b"News digest, since" in output.stdout, 120)
            await output.wait_for(lambda: ticks(output) >= 2, 60)
            assert process.returncode is None
            assert 'newsdigest_adapter_up{adapter="discord"} 0.0' in await metrics(metrics_port)
            down_lines = adapter_lines(output, "discord")

            async with DiscordDouble(port=discord_port) as discord_api:
                await output.wait_for(
                    lambda: "discord: connected again" in output.messages("bot.supervise"), 60
                )
                assert discord_api.commands(GUILD_ID)  # it logged in and registered
                assert 'newsdigest_adapter_up{adapter="discord"} 1.0' in await metrics(metrics_port)
            # The gateway drops (discord.py reconnects it): down, then up again.
            await output.wait_for(
                lambda: any(
                    line.startswith("discord: disconnected (")
                    for line in output.messages("bot.supervise")
                ),
                30,
            )
            async with DiscordDouble(port=discord_port):
                await output.wait_for(
                    lambda: output.messages("bot.supervise").count("discord: connected again") == 2,
                    90,
                )
        finally:
            await stop(process, output)

    assert process.returncode == 0
    assert b"Traceback" not in output.stderr
    assert len(down_lines) <= 3, down_lines  # seconds of retries, a line or two
    assert any(line.startswith("discord: cannot connect (") for line in down_lines)
    slack_lines = [line for line in output.messages() if line.startswith("slack:")]
    assert slack_lines == [
        "slack: Slack refused the credentials (invalid_auth); check the slack_ tokens; this "
        "adapter is stopped, the rest keeps running"
    ]
    assert len(slack.calls("apps.connections.open")) == 1  # a refused token is not retried


async def test_slack_unreachable_then_up_while_discord_refuses_and_the_feeds_go_on(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    slack_port = closed_port()
    async with DiscordDouble() as discord_api:
        process = await start(
            tmp_path,
            feeds=[feed(feed_server)],
            NEWSDIGEST_DISCORD_TOKEN="a-token-discord-does-not-know",
            NEWSDIGEST_DISCORD_API_URL=discord_api.rest_base,
            NEWSDIGEST_DISCORD_GATEWAY_URL=discord_api.gateway_url,
            NEWSDIGEST_SLACK_BOT_TOKEN="xoxb-double-bot-token",
            NEWSDIGEST_SLACK_APP_TOKEN="xapp-double-app-token",
            NEWSDIGEST_SLACK_API_URL=f"http://127.0.0.1:{slack_port}/api/",
            **FAST_RETRIES,
        )
        output = Output(process)
        try:
            await output.wait_for(lambda: b"News digest, since" in output.stdout, 120)
            await output.wait_for(lambda: ticks(output) >= 2, 60)
            assert process.returncode is None
            down_lines = adapter_lines(output, "slack")

            async with SlackDouble(
                port=slack_port, bot_token="xoxb-double-bot-token",
                app_token="xapp-double-app-token",
            ) as slack:  # fmt: skip
                await output.wait_for(
                    lambda: "slack: connected again" in output.messages("bot.supervise"), 60
                )
                assert slack.socket_connections
        finally:
            await stop(process, output)

    assert process.returncode == 0
    assert b"Traceback" not in output.stderr
    assert len(down_lines) <= 3, down_lines
    assert any(line.startswith("slack: cannot connect (") for line in down_lines)
    discord_lines = [line for line in output.messages() if line.startswith("discord:")]
    assert discord_lines == [
        "discord: Discord refused the token (401); check discord_token; this adapter is "
        "stopped, the rest keeps running"
    ]
