"""Running the Slack adapter: Socket Mode, or HTTP mode for one workspace or many."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sending import ChannelGoneError
from bot.settings import Settings
from bot.slack._app import build_app
from bot.slack._http import http_app
from bot.slack._installations import StoreInstallationStore, StoreOAuthStateStore
from bot.slack._sender import SlackSender, post_client
from digests.service import Service

log = logging.getLogger(__name__)


async def serve(service: Service, settings: Settings, *, host: str | None = None) -> None:
    """Answer Slack until cancelled, in the mode the credentials choose; HTTP mode listens on
    ``host``, else on ``settings.slack_http_host``."""
    mode = settings.slack_mode()
    if mode == "socket":
        await _socket_mode(service, settings)
    elif mode in ("http", "oauth"):
        await _http_mode(service, settings, host or settings.slack_http_host)
    else:
        raise ValueError("Slack is not configured")


async def _socket_mode(service: Service, settings: Settings) -> None:
    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(
        build_app(service, settings), app_token=settings.slack_app_token.get_secret_value()
    )
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it bare
        log.info("connected to Slack in Socket Mode")
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def _http_mode(service: Service, settings: Settings, host: str) -> None:
    assert settings.slack_signing_secret is not None
    installations = None
    states = None
    if settings.slack_mode() == "oauth":
        assert settings.slack_client_id is not None
        installations = StoreInstallationStore(service.store, settings.slack_client_id)
        states = StoreOAuthStateStore(service.store)
    app = build_app(service, settings, installation_store=installations, state_store=states)
    runner = web.AppRunner(http_app(app, settings.slack_signing_secret.get_secret_value()))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, settings.slack_http_port)
        await site.start()
        log.info("serving Slack over HTTP on %s port %d", host, settings.slack_http_port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def slack_sender(service: Service, settings: Settings) -> SlackSender:
    """The sender for channels: one bot token, or each workspace's installation's."""
    if settings.slack_mode() != "oauth":
        assert settings.slack_bot_token is not None
        client = post_client(settings, settings.slack_bot_token.get_secret_value())

        async def single(_workspace_id: str | None) -> AsyncWebClient:
            return client

        return SlackSender(single)
    assert settings.slack_client_id is not None
    installations = StoreInstallationStore(service.store, settings.slack_client_id)

    async def installed(workspace_id: str | None) -> AsyncWebClient:
        bot = await installations.find_team_bot(workspace_id or "")
        if bot is None:
            raise ChannelGoneError(f"workspace {workspace_id}: newsdigest is not installed")
        return post_client(settings, bot.bot_token)

    return SlackSender(installed)
