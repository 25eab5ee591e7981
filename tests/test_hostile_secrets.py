"""No secret in the log, whichever logger writes it and at DEBUG: a Slack OAuth install (the bot
token in slack_sdk's response logging, the ``code`` in aiohttp's access log, the client
secret), Socket Mode (the app token, the ``ticket`` URL), Discord (the bot token), in the text
and the JSON format, through the handler `newsdigest` itself installs."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator

import aiohttp
import pytest
from pydantic import SecretStr
from rich.logging import RichHandler

from bot.cli import _setup_logging
from bot.logs import mask_secrets
from bot.settings import Settings
from bot.slack._app import build_app
from digests.service import Service
from tests.slack_double import SlackDouble, running_socket_mode
from tests.test_slack import CLIENT_ID, CLIENT_SECRET, oauth_site, service, settings_for

__all__ = ["service"]  # a fixture, from the Slack adapter's tests

FORMATS = ["text", "json"]
#: Shaped like a real Discord bot token: user id, timestamp, HMAC (made up).
DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


@contextlib.contextmanager
def real_log(log_format: str, settings: Settings) -> Iterator[io.StringIO]:
    """The log as `newsdigest` sets it up at DEBUG, written to a buffer (every logger's
    records, formatted by the real handler); the test's logging is restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    quiet = {name: logging.getLogger(name).level for name in ("apscheduler", "alembic")}
    buffer = io.StringIO()
    _setup_logging("DEBUG", log_format, settings)
    (handler,) = root.handlers
    if isinstance(handler, RichHandler):
        handler.console.file = buffer
        handler.console.width = 10_000
    else:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def leaks(log: str, *secrets: str) -> list[str]:
    """The secrets found in the log (also where a line was wrapped)."""
    flat = re.sub(r"\s+", "", log)
    return [secret for secret in secrets if secret in log or secret in flat]


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")  # slack_sdk
@pytest.mark.parametrize("log_format", FORMATS)
async def test_an_oauth_install_at_debug_logs_no_token_code_or_secret(
    service: Service, log_format: str
) -> None:
    async with SlackDouble(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as slack:
        grant = slack.add_oauth_grant(team_id="T0NEWTEAM")
        async with oauth_site(service, slack) as (url, settings):
            with real_log(log_format, settings) as log:
                async with aiohttp.ClientSession() as session:
                    async with session.get(f"{url}/slack/install") as page:
                        state = re.search(r"state=([\w-]+)", await page.text())
                        cookie = page.headers["Set-Cookie"].split(";")[0]
                    assert state is not None
                    callback = f"{url}/slack/oauth_redirect?code={grant.code}&state={state[1]}"
                    async with session.get(callback, headers={"Cookie": cookie}) as done:
                        assert done.status == 200, await done.text()
                logging.getLogger("test").debug("token %s", grant.bot_token)  # ours, with args

    written = log.getvalue()
    assert "oauth_redirect" in written  # the access log was there, and the DEBUG lines
    assert "oauth.v2.access" in written
    assert leaks(written, grant.bot_token, grant.code, CLIENT_SECRET, state[1]) == []


@pytest.mark.parametrize("log_format", FORMATS)
async def test_socket_mode_at_debug_logs_no_ticket_or_token(
    service: Service, log_format: str
) -> None:
    async with SlackDouble() as slack:
        settings = settings_for(slack, slack_app_token=SecretStr(slack.app_token))
        app = build_app(service, settings)
        with real_log(log_format, settings) as log:
            async with running_socket_mode(app, slack):
                envelope = await slack.send_slash_command(command="/topics", text="")
                await slack.wait_ack(envelope.envelope_id)
                await slack.wait_responses(envelope.response_url, 1)
        ticket = slack.socket_connections[-1].ticket

    written = log.getvalue()
    assert "ticket=***" in written  # the URL was logged, masked
    assert leaks(written, ticket, slack.app_token, slack.bot_token) == []


@pytest.mark.parametrize("log_format", FORMATS)
async def test_discord_at_debug_logs_no_token(service: Service, log_format: str) -> None:
    from bot.discord import make_client
    from tests.discord_double import DiscordDouble, running_client
    from tests.test_discord import settings_for as discord_settings

    async with DiscordDouble(token=DISCORD_TOKEN) as api:
        settings = discord_settings(api)
        with real_log(log_format, settings) as log:
            client = make_client(service, settings, guild_ready_timeout=0.05)
            async with running_client(client, api):
                pass

    written = log.getvalue()
    assert "IDENTIFY" in written or "identif" in written.lower()  # DEBUG of the gateway
    assert leaks(written, DISCORD_TOKEN) == []


@pytest.mark.parametrize("log_format", FORMATS)
def test_a_traceback_and_arguments_are_masked_too(log_format: str) -> None:
    settings = Settings(discord_token=SecretStr("short-but-configured"))
    with real_log(log_format, settings) as log:
        try:
            raise RuntimeError("refused xoxb-1-2-secretpart with short-but-configured")
        except RuntimeError:
            logging.getLogger("slack_sdk").exception("call failed: %s", {"token": "abc123"})

    written = log.getvalue()
    assert "RuntimeError" in written
    assert leaks(written, "secretpart", "short-but-configured", "abc123") == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("token xoxb-123-456-AbCdEf", "token xoxb-***"),
        ("xapp-1-A1-2-abc and xoxp-9-x", "xapp-*** and xoxp-***"),
        ("refresh xoxe.xoxp-1-abc", "refresh xoxe.xoxp-***"),
        (f"token {DISCORD_TOKEN} end", "token *** end"),
        ("Authorization: Bot abcdefghijklmnopqrstu", "Authorization: Bot ***"),
        ("{'Authorization': 'Bearer xyzxyzxyzxyzxyzxyz'}", "{'Authorization': 'Bearer ***'}"),
        ("GET /slack/install?code=1.2.abc&state=s1", "GET /slack/install?code=***&state=***"),
        ("wss://wss.example/link/?ticket=abc-123&app_id=A1", "wss://wss.example/link/?ticket=***&app_id=A1"),
        ('{"client_secret": "s3cr3t", "code": "1.2"}', '{"client_secret": "***", "code": "***"}'),
        ("postgresql://news:hunter2@db:5432/news", "postgresql://news:***@db:5432/news"),
        # ordinary text stays as it is
        ("Bot connected as newsdigest", "Bot connected as newsdigest"),
        ("polled https://feeds.example/world.xml?page=2", "polled https://feeds.example/world.xml?page=2"),
        ("slack_bolt.adapter.socket_mode connected", "slack_bolt.adapter.socket_mode connected"),
    ],
)  # fmt: skip
def test_what_the_mask_hides_and_what_it_leaves(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked


def test_the_mask_takes_linear_time_on_hostile_text() -> None:
    import time

    hostile = "xoxb-" + "a" * 1_000_000 + " ?code=" + "b" * 1_000_000 + " Bearer " * 100_000
    started = time.monotonic()
    mask_secrets(hostile + "." * 1_000_000 + "a" * 25 + "." * 500_000)
    assert time.monotonic() - started < 10  # a correctness guard, not a speed goal


@pytest.mark.parametrize("log_format", FORMATS)
def test_feed_text_in_a_log_line_reaches_no_terminal_as_escapes_or_markup(log_format: str) -> None:
    with real_log(log_format, Settings()) as log:
        logging.getLogger("digests.fetch").warning(
            "disabled %s: %s", "http://feeds.example/x.xml", "title \x1b[2J\x1b]8;;http://x\x07[/]"
        )
    written = log.getvalue()
    assert "\x1b" not in written
    assert "\x07" not in written
    assert "[/]" in written  # shown as typed, not read as markup
