"""The Slack app: the declared commands as slash commands on slack-bolt's asyncio app, and the
App Home tab.

Every slash command is acknowledged at once (Slack allows 3 s) and answered after the ack
through its response URL: privately unless the command's success is for the channel or the
caller asked to post. Nothing here decides anything: the command layer does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import (
    COMMANDS,
    Access,
    Caller,
    Command,
    CommandError,
    Reply,
    failure_view,
    run_command,
    workspace_home,
)
from bot.settings import Settings
from bot.slack._text import parse_text, split_group
from bot.slack.render import message_payload, render
from bot.views import ErrorView, View
from digests.model import Platform
from digests.service import Channel, Service

log = logging.getLogger(__name__)

#: Slack takes at most five posts to one response URL.
RESPONSES_PER_COMMAND = 5
#: Blocks Slack takes in a Home tab.
HOME_BLOCKS = 100
#: What the bot asks for when installed (the manifest, slack/manifest.yml, lists the same).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
)
_HOME_DIGEST_WINDOW = dt.timedelta(hours=24)

Respond = Callable[..., Awaitable[Any]]


def web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """A Web API client for ``settings.slack_api_url`` that waits out 429s (Retry-After) and
    retries server errors and dropped connections with backoff."""
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    service: Service,
    settings: Settings,
    *,
    installation_store: Any = None,
    state_store: Any = None,
) -> AsyncApp:
    """The bolt app the settings describe: one workspace with a bot token, or many with OAuth
    (``installation_store`` and ``state_store`` keep installations in our database)."""
    secret = settings.slack_signing_secret
    mode = settings.slack_mode()
    token = (
        settings.slack_bot_token.get_secret_value()
        if mode != "oauth" and settings.slack_bot_token
        else None
    )
    options: dict[str, Any] = {
        "signing_secret": secret.get_secret_value() if secret is not None else None,
        "client": web_client(settings, token),  # bolt takes the bot token from its client
        "name": "newsdigest",
    }
    if mode == "oauth":
        assert settings.slack_client_secret is not None
        options["oauth_settings"] = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installation_store=installation_store,
            state_store=state_store,
        )
    else:
        assert token is not None
        if mode == "socket":
            options["request_verification_enabled"] = False  # Socket Mode: no HTTP requests
    app = AsyncApp(**options)
    operators = frozenset(settings.operators)
    for name in sorted({command.group or command.name for command in COMMANDS}):
        app.command(f"/{name}")(_command_listener(service, name, operators))
    app.event("app_home_opened")(_home_listener(service))
    if mode == "oauth":  # an uninstall or revoked tokens remove the installation
        app.enable_token_revocation_listeners()
    return app


def _command_listener(
    service: Service, name: str, operators: frozenset[str]
) -> Callable[..., Awaitable[None]]:
    async def listener(
        ack: Callable[[], Awaitable[None]],
        body: Mapping[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()  # first: Slack gives a command 3 s
        try:
            reply = await answer(service, client, name, body, operators)
            await send_reply(respond, reply)
        except Exception:
            log.exception("answering /%s failed", name)
            await _apologise(respond, name)

    return listener


async def answer(
    service: Service,
    client: AsyncWebClient,
    name: str,
    body: Mapping[str, Any],
    operators: frozenset[str],
) -> Reply:
    """The reply to a slash command's payload: parsed, checked and run by the command layer."""
    try:
        command, rest = split_group(COMMANDS, name, str(body.get("text") or ""))
        values = parse_text(command, rest)
    except CommandError as error:
        return Reply((error.view,))
    try:
        caller = await caller_of(client, command, body, values, operators)
    except CommandError as error:
        return Reply((error.view,))
    return await run_command(service, command, caller, values)


async def caller_of(
    client: AsyncWebClient,
    command: Command,
    body: Mapping[str, Any],
    values: Mapping[str, object],
    operators: frozenset[str],
) -> Caller:
    """Who ran the command and where; whether they may manage the channel is asked of Slack
    only when the command needs to know."""
    user_id = str(body.get("user_id", ""))
    channel_id = str(body.get("channel_id", ""))
    needs = Access.MANAGE in command.needs(values)
    return Caller(
        channel=Channel(
            platform=Platform.SLACK,
            workspace_id=str(body.get("team_id", "")),
            channel_id=channel_id,
        ),
        user_id=user_id,
        user_name=str(body.get("user_name", user_id)),
        can_manage=await may_manage(client, user_id, channel_id) if needs else False,
        channel_name=f"#{body['channel_name']}" if body.get("channel_name") else None,
        is_operator=f"slack:{user_id}" in operators,
    )


async def may_manage(client: AsyncWebClient, user_id: str, channel_id: str) -> bool:
    """Slack's nearest notion of "may manage this channel": a workspace admin or owner, or
    the channel's creator. (Slack's API does not say who a channel's managers are.)"""
    try:
        user = (await client.users_info(user=user_id)).get("user") or {}
        if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
            return True
        channel = (await client.conversations_info(channel=channel_id)).get("channel") or {}
    except SlackApiError as error:
        log.warning("cannot tell whether %s may manage %s: %s", user_id, channel_id, error)
        if error.response.get("error") == "channel_not_found":
            return False  # a private channel the bot is not in: not its creator we can see
        raise CommandError(
            ErrorView(
                message="Slack did not say whether you may manage this channel",
                hint="try again in a minute",
            )
        ) from error
    return bool(channel.get("creator") == user_id)


async def send_reply(respond: Respond, reply: Reply) -> None:
    """The reply through the response URL, in order, within Slack's five posts."""
    messages = [message for view in reply.views for message in render(view)]
    cut = len(messages) > RESPONSES_PER_COMMAND
    response_type = "ephemeral" if reply.private else "in_channel"
    for message in messages[: RESPONSES_PER_COMMAND - 1] if cut else messages:
        await respond(**message_payload(message), response_type=response_type)
    if cut:  # an error, so only for the caller
        for message in render(_too_long()):
            await respond(**message_payload(message), response_type="ephemeral")


def _too_long() -> ErrorView:
    return ErrorView(
        message="the answer goes on longer than Slack takes in one reply",
        hint="narrow it: topic:ceasefire, since:24h",
    )


async def _apologise(respond: Respond, name: str) -> None:
    try:
        await send_reply(respond, Reply((failure_view(name),)))
    except Exception:  # the response URL itself failed: the log has it
        log.warning("could not tell the caller of /%s that it failed", name)


# -- App Home ----------------------------------------------------------------------------------


def _home_listener(service: Service) -> Callable[..., Awaitable[None]]:
    async def listener(event: Mapping[str, Any], context: Any, client: AsyncWebClient) -> None:
        user = event.get("user")
        if event.get("tab") not in (None, "home") or not isinstance(user, str) or not user:
            return  # another tab, or not Slack's shape: nothing to show
        team_id = str(context.get("team_id") or "")
        views = await asyncio.to_thread(workspace_home, service, Platform.SLACK, team_id)
        await client.views_publish(
            user_id=user, view={"type": "home", "blocks": home_blocks(views)}
        )

    return listener


def home_blocks(views: Sequence[View]) -> list[dict[str, Any]]:
    """The views' blocks, in order, within the Home tab's 100 blocks."""
    blocks: list[dict[str, Any]] = []
    for message in (message for view in views for message in render(view)):
        payload = message_payload(message)["blocks"]
        if len(blocks) + len(payload) > HOME_BLOCKS:
            break
        blocks.extend(payload)
    return blocks
