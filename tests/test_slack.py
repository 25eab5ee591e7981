"""The Slack adapter end to end against the loopback Slack of tests/slack_double.py: HTTP mode
(the real aiohttp server, requests signed with Slack's algorithm), Socket Mode, who may manage
a channel, App Home, and the sender."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import re
import signal
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.commands import COMMANDS
from bot.sending import ChannelGoneError, SendFailedError
from bot.settings import Settings
from bot.slack._app import BOT_SCOPES, build_app
from bot.slack._http import http_app
from bot.slack._installations import StoreInstallationStore, StoreOAuthStateStore
from bot.slack._manifest import PLACEHOLDER_URL, manifest
from bot.slack._sender import SlackSender, message_key, post_client
from bot.slack._serve import slack_sender
from digests.model import Platform, Stance, utc_now
from digests.service import Service
from digests.settings import FetchSettings
from digests.store import Store
from tests.run_process import start
from tests.slack_double import (
    ADMIN_ID,
    GENERAL_CHANNEL_ID,
    MEMBER_ID,
    NEWS_CHANNEL_ID,
    OWNER_ID,
    TEAM_ID,
    SlackDouble,
    app_home_opened_event,
    running_socket_mode,
    signed_event,
    signed_slash_command,
)
from tests.test_positions_lookup import Newsroom, said
from tests.view_samples import digest

SECRET = "test-signing-secret"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def service(sqlite_url: str) -> Iterator[Service]:
    with Service(Store.open(sqlite_url), fetch=FetchSettings()) as opened:
        yield opened


def settings_for(slack: SlackDouble, **extra: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": SecretStr(slack.bot_token),
        "slack_signing_secret": SecretStr(SECRET),
        "slack_api_url": slack.api_url,
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Http:
    slack: SlackDouble
    url: str
    session: aiohttp.ClientSession
    service: Service

    async def command(
        self, command: str, text: str, *, user: str = MEMBER_ID, channel: str = GENERAL_CHANNEL_ID,
        timestamp: int | None = None, secret: str = SECRET,
    ) -> tuple[aiohttp.ClientResponse, str]:  # fmt: skip
        """POST a signed slash command; the response and the id of its response URL."""
        response_url = self.slack.response_url()
        body, headers = signed_slash_command(
            secret, command=command, text=text, user_id=user, channel_id=channel,
            team_id=TEAM_ID, response_url=response_url, timestamp=timestamp,
            channel_name="general",
        )  # fmt: skip
        async with self.session.post(f"{self.url}/slack/events", data=body, headers=headers) as r:
            await r.read()
        return r, response_url

    async def command_from(self, team_id: str, user_id: str) -> tuple[aiohttp.ClientResponse, str]:
        """/topics from a user of another workspace."""
        response_url = self.slack.response_url(team_id=team_id)
        body, headers = signed_slash_command(
            SECRET, command="/topics", text="", user_id=user_id, channel_id=GENERAL_CHANNEL_ID,
            team_id=team_id, response_url=response_url,
        )  # fmt: skip
        async with self.session.post(f"{self.url}/slack/events", data=body, headers=headers) as r:
            await r.read()
        return r, response_url


@pytest.fixture
async def http(service: Service) -> AsyncIterator[Http]:
    async with SlackDouble() as slack:
        app = build_app(service, settings_for(slack))
        runner = web.AppRunner(http_app(app, SECRET))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with aiohttp.ClientSession() as session:
                yield Http(slack, f"http://127.0.0.1:{port}", session, service)
        finally:
            await runner.cleanup()


def texts(post: object) -> str:
    return str(getattr(post, "blocks", "")) + str(getattr(post, "text", ""))


# -- HTTP mode ---------------------------------------------------------------------------------


async def test_positions_russia_is_acknowledged_then_answered_through_the_response_url(
    http: Http,
) -> None:
    room = Newsroom(http.service.store)
    room.report(0, utc_now() - dt.timedelta(hours=2), said("russia", Stance.REJECT, "no monitors"))

    started = time.monotonic()
    response, response_url = await http.command("/positions", "russia")
    acknowledged = time.monotonic() - started
    (post,) = await http.slack.wait_responses(response_url, 1)

    assert response.status == 200
    assert acknowledged < 3
    assert post.response_type == "ephemeral"
    assert "Russia" in texts(post)
    assert "no monitors" in texts(post)
    assert any(block["type"] == "header" for block in post.blocks)


async def test_a_bad_signature_and_an_old_timestamp_are_refused_with_401(http: Http) -> None:
    forged, forged_url = await http.command("/positions", "russia", secret="not-the-secret")
    stale, stale_url = await http.command("/positions", "russia", timestamp=int(time.time()) - 360)
    await asyncio.sleep(0.2)
    assert (forged.status, stale.status) == (401, 401)
    assert http.slack.responses(forged_url) == http.slack.responses(stale_url) == []


async def test_a_signed_body_that_is_not_a_slack_payload_gets_400(http: Http) -> None:
    from tests.slack_double import sign

    form, json = "application/x-www-form-urlencoded", "application/json"
    for body, kind in ((b"hello=world", form), (b"\xff\xfe", json), (b"[1, 2]", json)):
        headers = {"Content-Type": kind, **sign(SECRET, body)}
        async with http.session.post(f"{http.url}/slack/events", data=body, headers=headers) as r:
            assert r.status == 400


async def test_healthz(http: Http) -> None:
    async with http.session.get(f"{http.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"ok": True}


async def test_every_declared_command_answers_on_slack(http: Http) -> None:
    names = sorted({command.group or command.name for command in COMMANDS})
    urls = []
    for name in names:
        response, url = await http.command(f"/{name}", "")
        assert response.status == 200, name
        urls.append(url)
    for name, url in zip(names, urls, strict=True):
        posts = await http.slack.wait_responses(url, 1)
        assert posts, name
        assert "not a newsdigest command" not in texts(posts[0]), name
        assert "something went wrong" not in texts(posts[0]), name  # answered, not failed


async def test_bad_input_gets_a_usage_message_privately(http: Http) -> None:
    _, url = await http.command("/positions", "russia tpoic:ceasefire")
    (post,) = await http.slack.wait_responses(url, 1)
    assert post.response_type == "ephemeral"
    assert "has no option" in texts(post)
    assert "/positions ACTOR [topic:ceasefire]" in texts(post)


async def test_who_may_subscribe_a_channel(http: Http) -> None:
    _, refused = await http.command("/subscribe", "actors:russia", user=MEMBER_ID)
    _, creator = await http.command("/subscribe", "time:06:00", user=OWNER_ID)
    _, admin = await http.command(
        "/subscribe", "timezone:Europe/Berlin", user=ADMIN_ID, channel=NEWS_CHANNEL_ID
    )
    (no,) = await http.slack.wait_responses(refused, 1)
    (yes,) = await http.slack.wait_responses(creator, 1)
    (also,) = await http.slack.wait_responses(admin, 1)

    assert no.response_type == "ephemeral"
    assert "manage this channel" in texts(no)
    assert yes.response_type == "in_channel"  # the channel's creator
    assert also.response_type == "in_channel"  # a workspace admin, in another's channel
    stored = http.service.store.list_subscriptions(platform=Platform.SLACK)
    assert sorted(s.channel_id for s in stored) == sorted([GENERAL_CHANNEL_ID, NEWS_CHANNEL_ID])


async def test_app_home_shows_the_workspaces_digests(http: Http) -> None:
    await http.command("/subscribe", "time:07:45", user=OWNER_ID)
    body, headers = signed_event(SECRET, app_home_opened_event(MEMBER_ID))
    async with http.session.post(f"{http.url}/slack/events", data=body, headers=headers) as r:
        assert r.status == 200
    (view,) = await http.slack.wait_views(MEMBER_ID, 1)

    blocks = view.view["blocks"]
    assert len(blocks) <= 100
    shown = str(blocks)
    assert "Digests in this workspace" in shown
    assert "07:45 UTC, weekdays" in shown


# -- Socket Mode -------------------------------------------------------------------------------


async def test_socket_mode_acks_a_slash_command_and_answers(service: Service) -> None:
    async with SlackDouble() as slack:
        settings = settings_for(slack, slack_app_token=SecretStr(slack.app_token))
        app = build_app(service, settings)
        async with running_socket_mode(app, slack):
            envelope = await slack.send_slash_command(command="/topics", text="")
            ack = await slack.wait_ack(envelope.envelope_id)
            (post,) = await slack.wait_responses(envelope.response_url, 1)

    assert ack.after < 3
    assert "Ceasefire" in texts(post)


# -- the sender --------------------------------------------------------------------------------


def sender_for(slack: SlackDouble, settings: Settings, **options: float) -> SlackSender:
    client = post_client(settings, slack.bot_token)

    async def the_client(_workspace: str | None) -> object:
        return client

    return SlackSender(the_client, **options)  # type: ignore[arg-type]


async def test_the_sender_posts_in_order_keeps_its_pace_and_escapes_nothing_away() -> None:
    async with SlackDouble() as slack:
        sender = sender_for(slack, settings_for(slack), spacing=0.3)
        first = await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="n-1")
        second = await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="n-2")

    posted = slack.messages(GENERAL_CHANNEL_ID)
    assert [message.ts for message in posted] == [*first, *second]
    times = [call.at for call in slack.calls("chat.postMessage")]
    assert all(later - earlier >= 0.29 for earlier, later in itertools.pairwise(times))
    assert posted[0].args["metadata"]["event_payload"]["key"] == message_key("n-1", 0)
    assert posted[0].args["unfurl_links"] is False


async def test_a_429_is_waited_out_and_nothing_is_lost() -> None:
    async with SlackDouble() as slack:
        slack.rate_limit("chat.postMessage", times=1, retry_after=1)
        ids = await sender_for(slack, settings_for(slack), spacing=0).send(
            GENERAL_CHANNEL_ID, digest(1), nonce="n-3"
        )
    assert [message.ts for message in slack.messages(GENERAL_CHANNEL_ID)] == list(ids)


async def test_a_5xx_after_slack_took_the_message_does_not_post_it_twice() -> None:
    async with SlackDouble() as slack:
        slack.accept_then_fail("chat.postMessage")
        sender = sender_for(slack, settings_for(slack), spacing=0, backoff=0.01)
        ids = await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="n-4")
        again = await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="n-4", resend=True)

    posted = slack.messages(GENERAL_CHANNEL_ID)
    assert len(posted) == len(ids) == len(again)
    assert ids == again


async def test_a_channel_or_workspace_that_closed_its_door_is_gone() -> None:
    async with SlackDouble(strict_channels=True) as slack:
        sender = sender_for(slack, settings_for(slack), spacing=0)
        with pytest.raises(ChannelGoneError):
            await sender.send("C0MISSING", digest(1), nonce="n-5")
        slack.error("chat.postMessage", "is_archived")
        with pytest.raises(ChannelGoneError):
            await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="n-6")
        slack.error("chat.postMessage", "invalid_auth")  # the token, not the channel: retried
        with pytest.raises(SendFailedError, match="invalid_auth"):
            await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="n-7")


def test_settings_choose_the_mode() -> None:
    token, secret = SecretStr("xoxb-1"), SecretStr("s")
    assert Settings(slack_bot_token=token, slack_app_token=SecretStr("xapp-1")).slack_mode() == (
        "socket"
    )
    assert Settings(slack_bot_token=token, slack_signing_secret=secret).slack_mode() == "http"
    many = Settings(
        slack_signing_secret=secret, slack_client_id="1.2", slack_client_secret=SecretStr("c")
    )
    assert many.slack_mode() == "oauth"
    assert Settings(slack_api_url="http://127.0.0.1:9/api").slack_api_url.endswith("/api/")


# -- the manifest ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "arguments"),
    [
        ("slack/manifest.socket.json", ["slack", "manifest"]),
        ("slack/manifest.http.json", ["slack", "manifest", "--http", PLACEHOLDER_URL]),
    ],
)
def test_the_committed_manifests_are_what_the_command_prints(
    path: str, arguments: list[str]
) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    printed = CliRunner().invoke(cli, arguments)
    assert printed.exit_code == 0, printed.output
    assert (ROOT / path).read_text() == printed.output


def test_the_manifest_has_every_command_scope_and_event() -> None:
    socket = manifest(socket_mode=True)
    http = manifest(socket_mode=False, url="https://news.example.org/")
    commands = {entry["command"] for entry in socket["features"]["slash_commands"]}
    assert commands == {f"/{command.group or command.name}" for command in COMMANDS}
    assert socket["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert socket["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in socket["features"]["slash_commands"][0]
    urls = {entry["url"] for entry in http["features"]["slash_commands"]}
    assert urls == {"https://news.example.org/slack/events"}
    assert http["oauth_config"]["redirect_urls"] == [
        "https://news.example.org/slack/oauth_redirect"
    ]


def test_the_manifest_command_refuses_a_plain_http_address() -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    result = CliRunner().invoke(cli, ["slack", "manifest", "--http", "http://insecure.example"])
    assert result.exit_code == 2
    assert "give the https:// address" in result.output


# -- `newsdigest run` with Slack credentials ---------------------------------------------------


async def stop(process: asyncio.subprocess.Process) -> bytes:
    process.send_signal(signal.SIGINT)
    stdout, _stderr = await asyncio.wait_for(process.communicate(), 30)
    return stdout


async def test_run_in_socket_mode_answers_slash_commands(tmp_path: Path) -> None:
    async with SlackDouble() as slack:
        process = await start(
            tmp_path,
            NEWSDIGEST_SLACK_BOT_TOKEN=slack.bot_token,
            NEWSDIGEST_SLACK_APP_TOKEN=slack.app_token,
            NEWSDIGEST_SLACK_API_URL=slack.api_url,
        )
        try:
            await slack.wait_connected(1, timeout=60)
            envelope = await slack.send_slash_command(command="/help", text="")
            await slack.wait_ack(envelope.envelope_id, timeout=10)
            (post,) = await slack.wait_responses(envelope.response_url, 1, timeout=30)
        finally:
            stdout = await stop(process)

    assert "/positions ACTOR" in texts(post)
    assert b"Delivering to: slack (socket mode)" in stdout


async def test_run_in_http_mode_serves_signed_commands(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with SlackDouble() as slack:
        process = await start(
            tmp_path,
            NEWSDIGEST_SLACK_BOT_TOKEN=slack.bot_token,
            NEWSDIGEST_SLACK_SIGNING_SECRET=SECRET,
            NEWSDIGEST_SLACK_API_URL=slack.api_url,
            NEWSDIGEST_SLACK_HTTP_PORT=str(port),
        )
        try:
            async with aiohttp.ClientSession() as session:
                await _wait_healthy(session, f"http://127.0.0.1:{port}/healthz")
                served = Http(slack, f"http://127.0.0.1:{port}", session, None)  # type: ignore[arg-type]
                response, url = await served.command("/topics", "")
                (post,) = await slack.wait_responses(url, 1, timeout=30)
        finally:
            await stop(process)

    assert response.status == 200
    assert "Ceasefire" in texts(post)


async def _wait_healthy(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)


# -- many workspaces: the OAuth v2 install -----------------------------------------------------

CLIENT_ID = "111.222"
CLIENT_SECRET = "client-secret"


@contextlib.asynccontextmanager
async def oauth_site(service: Service, slack: SlackDouble) -> AsyncIterator[tuple[str, Settings]]:
    """Our Slack app in HTTP mode with the OAuth install pages, on loopback and pointed at the
    double: its URL and its settings."""
    settings = Settings(
        slack_signing_secret=SecretStr(SECRET),
        slack_client_id=CLIENT_ID,
        slack_client_secret=SecretStr(CLIENT_SECRET),
        slack_api_url=slack.api_url,
    )
    app = build_app(
        service,
        settings,
        installation_store=StoreInstallationStore(service.store, CLIENT_ID),
        state_store=StoreOAuthStateStore(service.store),
    )
    runner = web.AppRunner(http_app(app, SECRET))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", settings
    finally:
        await runner.cleanup()


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")  # slack_sdk
async def test_a_workspace_installs_the_app_and_its_commands_use_its_own_token(
    service: Service,
) -> None:
    async with SlackDouble(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as slack:
        grant = slack.add_oauth_grant(team_id="T0NEWTEAM")
        slack.add_user("U0NEWUSER", "nadia", team_id="T0NEWTEAM")
        installations = StoreInstallationStore(service.store, CLIENT_ID)
        async with oauth_site(service, slack) as (url, settings):
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{url}/slack/install") as page:
                    state = re.search(r"state=([\w-]+)", await page.text())
                    # The browser's state cookie is Secure (https in production): sent by hand.
                    cookie = page.headers["Set-Cookie"].split(";")[0]
                assert state is not None
                callback = f"{url}/slack/oauth_redirect?code={grant.code}&state={state[1]}"
                async with session.get(callback, headers={"Cookie": cookie}) as done:
                    assert done.status == 200, await done.text()
                served = Http(slack, url, session, service)
                response, answer = await served.command_from("T0NEWTEAM", "U0NEWUSER")
                (post,) = await slack.wait_responses(answer, 1)
            bot = await installations.async_find_bot(enterprise_id=None, team_id="T0NEWTEAM")
            sender = slack_sender(service, settings)
            sent = await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="i-1",
                                     workspace_id="T0NEWTEAM")  # fmt: skip

    assert bot is not None
    assert bot.bot_token == grant.bot_token
    assert response.status == 200
    assert "Ceasefire" in texts(post)
    posts = [call for call in slack.calls("chat.postMessage") if call.ok]
    assert [call.token for call in posts] == [grant.bot_token] * len(sent)


async def test_an_install_with_a_forged_state_is_refused(service: Service) -> None:
    async with SlackDouble(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as slack:
        grant = slack.add_oauth_grant(team_id="T0NEWTEAM")
        async with (
            oauth_site(service, slack) as (url, _settings),
            aiohttp.ClientSession() as session,
        ):
            forged = f"{url}/slack/oauth_redirect?code={grant.code}&state=made-up"
            async with session.get(forged) as refused:
                status = refused.status

    assert status >= 400
    assert slack.calls("oauth.v2.access") == []


async def test_a_public_channel_the_bot_is_not_in_takes_posts_and_a_resend_still_goes_out() -> None:
    async with SlackDouble() as slack:
        slack.add_channel("C0OUTSIDE", "outside", is_member=False)
        sender = sender_for(slack, settings_for(slack), spacing=0)
        ids = await sender.send("C0OUTSIDE", digest(1), nonce="o-1", resend=True)
    assert [message.ts for message in slack.messages("C0OUTSIDE")] == list(ids)
    (history,) = slack.calls("conversations.history")
    assert history.error == "not_in_channel"  # unread history is not a gone channel


async def test_an_answer_that_is_not_slacks_leaves_the_outcome_unknown_and_is_retried() -> None:
    async with SlackDouble() as slack:
        slack.fail("chat.postMessage", status=502)  # a proxy's text page
        sender = sender_for(slack, settings_for(slack), spacing=0, backoff=0.01)
        ids = await sender.send(GENERAL_CHANNEL_ID, digest(1), nonce="p-1")
    assert [message.ts for message in slack.messages(GENERAL_CHANNEL_ID)] == list(ids)


async def test_two_views_for_one_channel_do_not_interleave() -> None:
    async with SlackDouble() as slack:
        sender = sender_for(slack, settings_for(slack), spacing=0.01)
        long = digest(12, summary="x " * 2000)
        first, second = await asyncio.gather(
            sender.send(GENERAL_CHANNEL_ID, long, nonce="a"),
            sender.send(GENERAL_CHANNEL_ID, long, nonce="b"),
        )
    assert len(first) > 1
    assert [message.ts for message in slack.messages(GENERAL_CHANNEL_ID)] == [*first, *second]


@pytest.mark.parametrize(
    "given",
    [
        {"slack_bot_token": SecretStr("xoxb-1")},
        {"slack_app_token": SecretStr("xapp-1"), "slack_signing_secret": SecretStr("s")},
        {"slack_signing_secret": SecretStr("s"), "slack_client_id": "1.2"},
        {"slack_bot_token": SecretStr("xoxb-1"), "slack_signing_secret": SecretStr("s"),
         "slack_client_id": "1.2"},
    ],
)  # fmt: skip
def test_incomplete_slack_credentials_are_refused_not_ignored(given: dict[str, object]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="incomplete Slack credentials"):
        Settings(**given)  # type: ignore[arg-type]
