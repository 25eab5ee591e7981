"""Self-tests of the loopback Slack, driven by the real slack_sdk clients and slack_bolt apps."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_double import (
    ADMIN_ID,
    APP_ID,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    GENERAL_CHANNEL_ID,
    MEMBER_ID,
    NEWS_CHANNEL_ID,
    OWNER_ID,
    PRIVATE_CHANNEL_ID,
    TEAM_ID,
    SlackDouble,
    app_home_opened_event,
    running_socket_mode,
    signed_event,
    signed_slash_command,
)

SIGNING_SECRET = "double-signing-secret"
HEADLINE_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Headlines"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Russia*: talks resume"}},
]


@pytest.fixture
async def slack() -> AsyncIterator[SlackDouble]:
    async with SlackDouble() as double:
        yield double


def bolt_app(slack: SlackDouble) -> AsyncApp:
    return AsyncApp(client=slack.client(), signing_secret=SIGNING_SECRET)


def bolt_request(body: bytes, headers: dict[str, str]) -> AsyncBoltRequest:
    """What bolt's aiohttp adapter builds from an HTTP request."""
    multi: dict[str, str | Sequence[str]] = dict(headers)
    return AsyncBoltRequest(body=body.decode(), headers=multi)


# --- Web API ------------------------------------------------------------------------------------


async def test_post_message_is_recorded_with_its_blocks_and_stored(slack: SlackDouble) -> None:
    client = AsyncWebClient(base_url=slack.api_url, token="xoxb-test")

    response = await client.chat_postMessage(
        channel=NEWS_CHANNEL_ID, text="Headlines", blocks=HEADLINE_BLOCKS
    )

    [call] = slack.calls("chat.postMessage")
    assert call.http_method == "POST"
    assert call.body_kind == "json"
    assert call.token == "xoxb-test"
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert call.args["blocks"] == HEADLINE_BLOCKS
    [message] = slack.messages(NEWS_CHANNEL_ID)
    assert (message.text, list(message.blocks)) == ("Headlines", HEADLINE_BLOCKS)
    assert (message.user, message.bot_id) == (BOT_USER_ID, BOT_ID)
    assert response["channel"] == NEWS_CHANNEL_ID
    assert response["ts"] == message.ts
    assert response["message"]["blocks"] == HEADLINE_BLOCKS
    assert slack.messages(GENERAL_CHANNEL_ID) == []


async def test_form_encoded_blocks_are_decoded(slack: SlackDouble) -> None:
    client = slack.client()

    await client.api_call(
        "chat.postMessage",
        data={"channel": GENERAL_CHANNEL_ID, "text": "x", "blocks": json.dumps(HEADLINE_BLOCKS)},
    )

    [call] = slack.calls("chat.postMessage")
    assert call.body_kind == "form"
    assert call.args["blocks"] == HEADLINE_BLOCKS
    assert list(slack.messages(GENERAL_CHANNEL_ID)[0].blocks) == HEADLINE_BLOCKS


async def test_auth_test_and_a_wrong_token(slack: SlackDouble) -> None:
    identity = await slack.client().auth_test()
    assert (identity["team_id"], identity["user_id"], identity["bot_id"]) == (
        TEAM_ID,
        BOT_USER_ID,
        BOT_ID,
    )

    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(base_url=slack.api_url, token="xoxb-wrong").auth_test()

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "invalid_auth"
    assert [call.ok for call in slack.calls("auth.test")] == [True, False]


async def test_app_token_only_opens_connections(slack: SlackDouble) -> None:
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await slack.client("xapp-test").chat_postMessage(channel=GENERAL_CHANNEL_ID, text="x")
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await slack.client().apps_connections_open(app_token=BOT_TOKEN)

    opened = await slack.client().apps_connections_open(app_token="xapp-test")

    assert opened["url"].startswith(slack.socket_mode_url + "?ticket=")
    assert slack.calls("apps.connections.open")[-1].token == "xapp-test"


async def test_get_methods_users_channels_and_team(slack: SlackDouble) -> None:
    client = slack.client()
    slack.add_user("U0NEWADM1", "newadmin", is_admin=True)
    slack.add_channel("C0CREATED", "created", creator=MEMBER_ID)

    admin = await client.users_info(user="U0NEWADM1")
    owner = await client.users_info(user=OWNER_ID)
    member = await client.users_info(user=MEMBER_ID)
    channel = await client.conversations_info(channel="C0CREATED")
    team = await client.team_info()

    assert (admin["user"]["is_admin"], admin["user"]["is_owner"]) == (True, False)
    assert (owner["user"]["is_admin"], owner["user"]["is_owner"]) == (True, True)
    assert (member["user"]["is_admin"], member["user"]["is_owner"]) == (False, False)
    assert channel["channel"]["creator"] == MEMBER_ID
    assert team["team"]["id"] == TEAM_ID
    assert slack.calls("users.info")[0].http_method == "GET"
    assert slack.calls("users.info")[0].query["user"] == "U0NEWADM1"
    for unknown in ("C0UNKNOWN", PRIVATE_CHANNEL_ID):
        with pytest.raises(SlackApiError, match="channel_not_found"):
            await client.conversations_info(channel=unknown)
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U0NOBODY1")


async def test_unknown_method_is_recorded(slack: SlackDouble) -> None:
    with pytest.raises(SlackApiError, match="unknown_method"):
        await slack.client().api_call("chat.scheduleMessage", json={"channel": "C1", "text": "x"})

    [call] = slack.calls("chat.scheduleMessage")
    assert (call.fault, call.args["text"]) == ("unknown_method", "x")


async def test_ephemeral_update_and_home_view(slack: SlackDouble) -> None:
    client = slack.client()

    await client.chat_postEphemeral(channel=GENERAL_CHANNEL_ID, user=MEMBER_ID, text="only you")
    posted = await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="draft")
    await client.chat_update(channel=GENERAL_CHANNEL_ID, ts=posted["ts"], text="final")
    first = await client.views_publish(user_id=ADMIN_ID, view={"type": "home", "blocks": []})
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_publish(
            user_id=ADMIN_ID, view={"type": "home", "blocks": []}, hash="stale"
        )
    await client.views_publish(
        user_id=ADMIN_ID,
        view={"type": "home", "blocks": HEADLINE_BLOCKS},
        hash=first["view"]["hash"],
    )

    [ephemeral] = slack.ephemerals(GENERAL_CHANNEL_ID)
    assert (ephemeral.user, ephemeral.text) == (MEMBER_ID, "only you")
    [message] = slack.messages(GENERAL_CHANNEL_ID)
    assert (message.text, len(message.edits)) == ("final", 1)
    views = slack.published_views(ADMIN_ID)
    assert [list(view.blocks) for view in views] == [[], HEADLINE_BLOCKS]


async def test_block_kit_limits_are_enforced(slack: SlackDouble) -> None:
    client = slack.client()
    too_many = [{"type": "divider"}] * 51
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]

    for blocks in (too_many, long_section):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="x", blocks=blocks)
        assert raised.value.response["error"] == "invalid_blocks"
    await client.views_publish(user_id=MEMBER_ID, view={"type": "home", "blocks": too_many})

    assert slack.messages(GENERAL_CHANNEL_ID) == []
    assert len(slack.published_views(MEMBER_ID)) == 1  # views allow 100 blocks


# --- scripted failures --------------------------------------------------------------------------


async def test_rate_limit_is_retried_by_the_rate_limit_handler(slack: SlackDouble) -> None:
    slack.rate_limit("chat.postMessage", retry_after=0)
    client = slack.client(retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])

    await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="after the wait")

    assert [(call.status, call.fault) for call in slack.calls("chat.postMessage")] == [
        (429, "rate_limited"),
        (200, None),
    ]
    assert [message.text for message in slack.messages(GENERAL_CHANNEL_ID)] == ["after the wait"]


async def test_server_error_is_retried_by_the_server_error_handler(slack: SlackDouble) -> None:
    slack.fail("chat.postMessage", status=503)
    handler = AsyncServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    client = slack.client(retry_handlers=[handler])

    await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="second try")

    assert [call.status for call in slack.calls("chat.postMessage")] == [503, 200]
    assert len(slack.messages(GENERAL_CHANNEL_ID)) == 1


async def test_without_handlers_errors_surface(slack: SlackDouble) -> None:
    slack.rate_limit("chat.postMessage", retry_after=1)
    slack.fail("chat.postMessage", status=503)
    slack.error("chat.postMessage", "invalid_auth")
    client = slack.client()

    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="x")
    with pytest.raises(SlackApiError) as failed:
        await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="x")
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="x")
    await client.chat_postMessage(channel=GENERAL_CHANNEL_ID, text="x")

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "1"
    assert limited.value.response["error"] == "ratelimited"
    assert failed.value.response.status_code == 503
    assert (refused.value.response.status_code, refused.value.response["error"]) == (
        200,
        "invalid_auth",
    )
    faults = [call.fault for call in slack.calls("chat.postMessage")]
    assert faults == ["rate_limited", "server_error", "error", None]
    assert len(slack.messages(GENERAL_CHANNEL_ID)) == 1


async def test_accept_then_fail_duplicates_a_retried_message(slack: SlackDouble) -> None:
    slack.accept_then_fail("chat.postMessage", status=500)
    handler = AsyncServerErrorRetryHandler(
        interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )

    await slack.client(retry_handlers=[handler]).chat_postMessage(
        channel=GENERAL_CHANNEL_ID, text="twice"
    )

    assert [message.text for message in slack.messages(GENERAL_CHANNEL_ID)] == ["twice", "twice"]


# --- Socket Mode with a real bolt app -----------------------------------------------------------


async def test_bolt_socket_mode_slash_command_acks_and_responds(slack: SlackDouble) -> None:
    app = bolt_app(slack)

    @app.command("/echo")
    async def echo(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"echo: {command['text']}", response_type="ephemeral")

    async with running_socket_mode(app, slack):
        sent = await slack.send_slash_command(
            "/echo", "russia", user_id=MEMBER_ID, channel_id=NEWS_CHANNEL_ID
        )
        ack = await slack.wait_ack(sent.envelope_id)
        assert sent.response_id is not None
        [response] = await slack.wait_responses(sent.response_id)

    assert (ack.payload, ack.late) == (None, False)
    assert (response.text, response.response_type, response.ok) == (
        "echo: russia",
        "ephemeral",
        True,
    )
    assert slack.calls("apps.connections.open")[0].token == "xapp-test"
    assert slack.socket_connections[0].hello["type"] == "hello"
    # bolt checks its bot token with auth.test on the first request, with the team_id added
    assert slack.calls("auth.test")[0].args["team_id"] == TEAM_ID


async def test_bolt_ack_with_text_is_recorded_as_the_payload(slack: SlackDouble) -> None:
    app = bolt_app(slack)

    @app.command("/positions")
    async def positions(ack: AsyncAck) -> None:
        await ack("Looking that up...")

    async with running_socket_mode(app, slack):
        sent = await slack.send_slash_command("/positions", "russia")
        ack = await slack.wait_ack(sent)

    assert ack.payload == {"text": "Looking that up..."}


async def test_bolt_socket_mode_event_publishes_a_home_view(slack: SlackDouble) -> None:
    app = bolt_app(slack)

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": HEADLINE_BLOCKS}
        )

    async with running_socket_mode(app, slack):
        sent = await slack.send_event(app_home_opened_event(ADMIN_ID))
        await slack.wait_ack(sent)
        [view] = await slack.wait_views(ADMIN_ID)

    assert list(view.blocks) == HEADLINE_BLOCKS
    assert view.args["team_id"] == TEAM_ID  # the per-request client adds it


async def test_disconnect_makes_the_client_reconnect(slack: SlackDouble) -> None:
    app = bolt_app(slack)

    @app.command("/ping")
    async def ping(ack: AsyncAck) -> None:
        await ack()

    async with running_socket_mode(app, slack):
        await slack.request_reconnect()
        await slack.wait_connected(2)
        sent = await slack.send_slash_command("/ping")
        ack = await slack.wait_ack(sent)

    assert len(slack.calls("apps.connections.open")) == 2
    assert sent.connection == ack.connection == 1


async def test_a_dropped_connection_is_reopened(slack: SlackDouble) -> None:
    app = bolt_app(slack)

    @app.command("/ping")
    async def ping(ack: AsyncAck) -> None:
        await ack()

    async with running_socket_mode(app, slack):
        await slack.drop_connections()
        await slack.wait_connected(2)
        ack = await slack.wait_ack(await slack.send_slash_command("/ping"))

    assert ack.connection == 1


# --- response URLs ------------------------------------------------------------------------------


async def test_response_url_allows_five_uses(slack: SlackDouble) -> None:
    url = slack.response_url("r1")
    async with aiohttp.ClientSession() as session:
        statuses = []
        for number in range(6):
            async with session.post(url, json={"text": f"update {number}"}) as answer:
                statuses.append(answer.status)
        async with session.post(slack.base_url + "/response/nope", json={"text": "x"}) as answer:
            statuses.append(answer.status)

    assert statuses == [200] * 5 + [404, 404]
    assert [post.error for post in slack.responses(url)][-1] == "used_url"
    assert slack.responses("nope")[0].error == "expired_url"


# --- HTTP mode ----------------------------------------------------------------------------------


async def test_signed_slash_command_verifies_and_a_tampered_one_does_not() -> None:
    body, headers = signed_slash_command(
        SIGNING_SECRET,
        command="/positions",
        text="russia",
        user_id=MEMBER_ID,
        channel_id=GENERAL_CHANNEL_ID,
        team_id=TEAM_ID,
        response_url="http://127.0.0.1:1/response/x",
    )
    verifier = SignatureVerifier(SIGNING_SECRET)

    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body.replace(b"russia", b"france"), headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    stale = signed_slash_command(
        SIGNING_SECRET,
        command="/positions",
        text="russia",
        user_id=MEMBER_ID,
        channel_id=GENERAL_CHANNEL_ID,
        team_id=TEAM_ID,
        response_url="http://127.0.0.1:1/response/x",
        timestamp=int(time.time()) - 600,
    )
    assert not verifier.is_valid_request(*stale)


async def test_bolt_http_mode_accepts_signed_requests(slack: SlackDouble) -> None:
    app = bolt_app(slack)

    @app.command("/positions")
    async def positions(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"positions on {command['text']}")

    @app.event("app_home_opened")
    async def home(ack: AsyncAck, event: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    url = slack.response_url()
    body, headers = signed_slash_command(
        SIGNING_SECRET,
        command="/positions",
        text="russia",
        user_id=MEMBER_ID,
        channel_id=GENERAL_CHANNEL_ID,
        team_id=TEAM_ID,
        response_url=url,
    )
    accepted = await app.async_dispatch(bolt_request(body, headers))
    forged = await app.async_dispatch(bolt_request(body.replace(b"russia", b"france"), headers))
    event_body, event_headers = signed_event(SIGNING_SECRET, app_home_opened_event(MEMBER_ID))
    event_answer = await app.async_dispatch(bolt_request(event_body, event_headers))

    assert (accepted.status, forged.status, event_answer.status) == (200, 401, 200)
    [response] = await slack.wait_responses(url)
    assert response.text == "positions on russia"
    await slack.wait_views(MEMBER_ID)


# --- OAuth --------------------------------------------------------------------------------------


# slack_sdk 3.48 sends the client credentials with aiohttp.BasicAuth, deprecated in aiohttp 3.14.
BASIC_AUTH_DEPRECATED = "ignore:BasicAuth is deprecated:DeprecationWarning"


@pytest.mark.filterwarnings(BASIC_AUTH_DEPRECATED)
async def test_oauth_v2_access_exchanges_a_code_once(slack: SlackDouble, tmp_path: Path) -> None:
    grant = slack.add_oauth_grant(
        "code-1",
        team_id="T0SECOND1",
        team_name="Second",
        bot_token="xoxb-second",
        bot_user_id="U0BOT0002",
        bot_id="B0BOT0002",
        scopes=("commands", "chat:write", "users:read"),
    )
    client = AsyncWebClient(base_url=slack.api_url)

    access = await client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="code-1"
    )
    identity = await AsyncWebClient(base_url=slack.api_url, token="xoxb-second").auth_test()
    with pytest.raises(SlackApiError, match="invalid_code"):
        await client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code="code-1"
        )
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        await client.oauth_v2_access(client_id=CLIENT_ID, client_secret="wrong", code="code-1")

    assert access["access_token"] == grant.bot_token == "xoxb-second"
    assert (access["team"]["id"], access["bot_user_id"]) == ("T0SECOND1", "U0BOT0002")
    assert access["scope"] == "commands,chat:write,users:read"
    assert (identity["team_id"], identity["bot_id"]) == ("T0SECOND1", "B0BOT0002")
    assert slack.calls("oauth.v2.access")[0].headers["Authorization"].startswith("Basic ")

    # bolt's installation step: oauth.v2.access, then auth.test with the new token
    slack.add_oauth_grant("code-2", team_id="T0THIRD01", bot_id="B0BOT0003")
    settings = AsyncOAuthSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=["commands"],
        installation_store=FileInstallationStore(base_dir=str(tmp_path / "installations")),
        state_store=FileOAuthStateStore(expiration_seconds=60, base_dir=str(tmp_path / "states")),
    )
    flow = AsyncOAuthFlow(client=AsyncWebClient(base_url=slack.api_url), settings=settings)
    installation = await flow.run_installation("code-2")

    assert installation is not None
    assert (installation.team_id, installation.bot_id, installation.app_id) == (
        "T0THIRD01",
        "B0BOT0003",
        APP_ID,
    )


async def test_oauth_v2_access_takes_client_credentials_as_form_fields(slack: SlackDouble) -> None:
    slack.add_oauth_grant("code-3", team_id="T0FOURTH1", bot_token="xoxb-fourth")
    client = AsyncWebClient(base_url=slack.api_url)
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": "code-3"}

    access = await client.api_call("oauth.v2.access", data=form)

    assert (access["access_token"], access["team"]["id"]) == ("xoxb-fourth", "T0FOURTH1")
    assert slack.calls("oauth.v2.access")[0].body_kind == "form"
