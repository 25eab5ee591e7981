"""Running the Slack adapter: Socket Mode, or HTTP mode for one workspace or many."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sending import ChannelGoneError
from bot.settings import Settings
from bot.slack._app import build_app
from bot.slack._http import http_app
from bot.slack._installations import StoreInstallationStore, StoreOAuthStateStore
from bot.slack._sender import SlackSender, post_client
from bot.supervise import AdapterStatus, Backoff, supervise
from digests.service import Service

log = logging.getLogger(__name__)


#: Slack's answers to a token it will not take, whatever the retries.
REFUSED_TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)
#: How long one Socket Mode connection attempt (Web API call, then WebSocket) may take.
CONNECT_SECONDS = 30.0
#: How often a held Socket Mode connection is checked (the library pings every 10 s), and
#: how many checks in a row find it closed before it is down (not a refresh in progress).
CHECK_SECONDS = 1.0
REFRESH_CHECKS = 3


async def serve(service: Service, settings: Settings, *, host: str | None = None) -> None:
    """Answer Slack until cancelled, in the mode the credentials choose (HTTP mode listens on
    ``host``, else on ``settings.slack_http_host``): an outage is retried with backoff, refused
    credentials stop this adapter only (one line in the log)."""
    mode = settings.slack_mode()
    status = AdapterStatus("slack")
    backoff = Backoff.of(settings.run)
    if mode == "socket":
        await _socket_mode(service, settings, status, backoff)
    elif mode in ("http", "oauth"):
        address = host or settings.slack_http_host
        serving = lambda: _http_mode(service, settings, address, status)  # noqa: E731
        await supervise(status, serving, backoff=backoff, refused=refused)
    else:
        raise ValueError("Slack is not configured")


def refused(error: Exception) -> str | None:
    """Why Slack will not take these credentials whatever the retries, as one line; None for
    an outage worth retrying."""
    if isinstance(error, SlackApiError) and isinstance(error.response.data, dict):
        problem = error.response.data.get("error")
        if problem in REFUSED_TOKEN_ERRORS:
            return f"Slack refused the credentials ({problem}); check the slack_ tokens"
    return None


async def _socket_mode(
    service: Service, settings: Settings, status: AdapterStatus, backoff: Backoff
) -> None:
    """Socket Mode, reconnected by :func:`supervise`, not by slack_sdk: the library retries
    a failed connection forever, every few seconds, with a traceback each time, and never
    says that the token was refused."""
    assert settings.slack_app_token is not None
    assert settings.slack_bot_token is not None
    app_token = settings.slack_app_token.get_secret_value()
    bot_token = settings.slack_bot_token.get_secret_value()
    handler = AsyncSocketModeHandler(
        build_app(service, settings), app_token=app_token, logger=_quiet_library_log()
    )
    socket = handler.client
    socket.default_auto_reconnect_enabled = socket.auto_reconnect_enabled = False
    # No retry handlers: an outage goes back to supervise, which waits with backoff.
    api = AsyncWebClient(
        base_url=settings.slack_api_url, timeout=int(CONNECT_SECONDS), retry_handlers=[]
    )

    async def connect_once() -> None:
        async with asyncio.timeout(CONNECT_SECONDS):
            await api.auth_test(token=bot_token)
            opened = await api.apps_connections_open(app_token=app_token)
            socket.wss_uri = str(opened["url"])
            await socket.connect()  # type: ignore[no-untyped-call]  # the library leaves it bare
        status.up()
        misses = 0  # Slack's "disconnect" (a refresh) is reconnected by the library itself
        while misses < REFRESH_CHECKS:
            await asyncio.sleep(CHECK_SECONDS)
            misses = 0 if await socket.is_connected() else misses + 1
        raise ConnectionError("the Socket Mode connection closed")

    try:
        await supervise(status, connect_once, backoff=backoff, refused=refused)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


class _NoTracebacks(logging.Filter):
    """The Socket Mode client's errors as one line each: its tracebacks of a dropped
    connection are hundreds of lines through an outage, and say nothing the line does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def _quiet_library_log() -> logging.Logger:
    library = logging.getLogger("bot.slack.socket_mode")
    if not any(isinstance(each, _NoTracebacks) for each in library.filters):
        library.addFilter(_NoTracebacks())
    return library


async def _http_mode(
    service: Service, settings: Settings, host: str, status: AdapterStatus
) -> None:
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
        status.up()
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
