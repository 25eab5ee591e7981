"""The Discord client: which gateway and REST API it talks to, the commands it registers, and
the sender that posts digests, watch alerts and feed notices to channels."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.commands import COMMANDS
from bot.discord._commands import NO_MENTIONS, register
from bot.discord.render import render
from bot.sending import ChannelGoneError, SendFailedError
from bot.settings import Settings
from bot.supervise import AdapterStatus, Backoff, describe, supervise
from bot.views import View
from digests.service import Service

log = logging.getLogger(__name__)

#: What the bot needs in a channel: see it, post in it, and post embeds (links in digests).
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
#: A message's nonce: a hash of the delivery's nonce and the message's place in the view (24
#: hex digits; Discord takes 25 at most), the same every time the same view is sent again.
_NONCE_BYTES = 12
#: How long a send waits for the client to connect before it is tried again later.
READY_TIMEOUT = 30.0


def point_at(api_url: str, gateway_url: str) -> None:
    """Make discord.py use this REST base and gateway (Discord's own by default; a test
    double in tests). discord.py reads both from class attributes, so this is process-wide."""
    Route.BASE = api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def intents() -> discord.Intents:
    """Guilds only: channels, roles and permissions. No privileged intent: the bot never reads
    messages or member lists."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class _Commands:
    """Registration of the declared commands when the client starts (discord.py's
    ``setup_hook``): in the development guild if one is set, else globally."""

    tree: app_commands.CommandTree[Any]
    service: Service
    dev_guild: int | None
    adapter_status: AdapterStatus

    def _install(self, service: Service, dev_guild: int | None, operators: frozenset[str]) -> None:
        self.service = service
        self.dev_guild = dev_guild
        self.adapter_status = AdapterStatus("discord")
        self.tree = app_commands.CommandTree(self)
        register(self.tree, COMMANDS, service, operators)

    # discord.py's events: its own reconnect loop keeps the gateway; these keep the status.
    async def on_ready(self) -> None:
        self.adapter_status.up()

    async def on_resumed(self) -> None:
        self.adapter_status.up()

    async def on_disconnect(self) -> None:
        self.adapter_status.down("lost the connection to Discord's gateway")

    async def setup_hook(self) -> None:
        # Load the vocabulary before the first command needs it, off the event loop.
        await asyncio.to_thread(lambda: self.service.resolver)
        if self.dev_guild is None:
            synced = await self.tree.sync()
            log.info("registered %d commands globally", len(synced))
            return
        guild = discord.Object(id=self.dev_guild)
        self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("registered %d commands in guild %d", len(synced), self.dev_guild)


class NewsBot(_Commands, discord.Client):
    def __init__(
        self,
        service: Service,
        *,
        dev_guild: int | None = None,
        operators: frozenset[str] = frozenset(),
        **options: Any,
    ) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS, **options)
        self._install(service, dev_guild, operators)


class ShardedNewsBot(_Commands, discord.AutoShardedClient):
    def __init__(
        self,
        service: Service,
        *,
        dev_guild: int | None = None,
        operators: frozenset[str] = frozenset(),
        **options: Any,
    ) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS, **options)
        self._install(service, dev_guild, operators)


def make_client(service: Service, settings: Settings, **options: Any) -> NewsBot | ShardedNewsBot:
    """The client the settings ask for, pointed at their Discord."""
    point_at(settings.discord_api_url, settings.discord_gateway_url)
    kind = ShardedNewsBot if settings.discord_sharded else NewsBot
    operators = frozenset(settings.operators)
    return kind(service, dev_guild=settings.discord_dev_guild, operators=operators, **options)


def application_id(settings: Settings) -> int | None:
    """The application's id: the setting, else the bot's id that the token starts with."""
    if settings.discord_application_id is not None:
        return settings.discord_application_id
    if settings.discord_token is None:
        return None
    first = settings.discord_token.get_secret_value().split(".")[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=False)
        return int(decoded.decode("ascii"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def invite_url(app_id: int) -> str:
    """The URL that adds the bot to a server with exactly the permissions it needs."""
    return discord.utils.oauth_url(
        app_id, permissions=PERMISSIONS, scopes=("bot", "applications.commands")
    )


class DiscordSender:
    """Posts views to channels: every message with no mentions allowed and a nonce, so that
    a send retried after a lost answer is not posted twice; discord.py waits out 429s."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send(
        self,
        channel_id: str,
        view: View,
        *,
        nonce: str,
        workspace_id: str | None = None,
        resend: bool = False,
    ) -> tuple[str, ...]:
        """Post ``view``; each message's nonce makes a resend return what Discord already has
        (so ``workspace_id`` and ``resend`` change nothing here)."""
        del workspace_id, resend
        await self._ready()
        channel = await self._channel(channel_id)
        sent = []
        for index, message in enumerate(render(view)):
            with _mapped_errors(channel_id):
                posted = await channel.send(
                    content=message.content,
                    embeds=list(message.embeds),
                    nonce=message_nonce(nonce, index),
                    allowed_mentions=NO_MENTIONS,
                )
            sent.append(str(posted.id))
        return tuple(sent)

    async def _ready(self) -> None:
        """Wait for the client to be logged in and connected: a send before that would wait
        on discord.py's not yet opened session. A closed client (between two attempts to
        connect, or its token refused) fails at once: the outbox retries later, and the
        console's digests behind it do not wait. While only the gateway is reconnecting, the
        REST API may well take the message: it is tried."""
        if self.client.is_closed():
            raise SendFailedError("Discord is not connected")
        try:
            await asyncio.wait_for(self.client.wait_until_ready(), READY_TIMEOUT)
        except (TimeoutError, RuntimeError) as error:  # RuntimeError: not logged in yet
            raise SendFailedError("Discord is not connected yet") from error

    async def _channel(self, channel_id: str) -> discord.abc.Messageable:
        if not channel_id.isdigit():
            raise ChannelGoneError(f"{channel_id!r} is not a Discord channel id")
        found = self.client.get_channel(int(channel_id))
        if found is None:
            with _mapped_errors(channel_id):
                found = await self.client.fetch_channel(int(channel_id))
        if not isinstance(found, discord.abc.Messageable):
            raise ChannelGoneError(f"channel {channel_id} takes no messages")
        return found


def message_nonce(nonce: str, index: int) -> str:
    """The nonce of the ``index``-th message of a view sent under ``nonce``."""
    digest = hashlib.blake2s(f"{nonce}/{index}".encode(), digest_size=_NONCE_BYTES)
    return digest.hexdigest()


@contextmanager
def _mapped_errors(channel_id: str) -> Iterator[None]:
    """Discord's and the network's errors as the sender's two: gone, or worth a retry."""
    try:
        yield
    except (discord.NotFound, discord.Forbidden) as error:
        raise ChannelGoneError(f"channel {channel_id}: {error.text or error}") from error
    except (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, OSError,
            TimeoutError) as error:  # fmt: skip
        raise SendFailedError(f"channel {channel_id}: {error}") from error


#: Gateway close codes that another attempt would get again: authentication failed, invalid
#: shard, sharding required, invalid API version, invalid or disallowed intents.
_FINAL_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})


def refused(error: Exception) -> str | None:
    """Why Discord will not take the bot whatever the retries (a refused token, a setting it
    rejects), as one line; None for an outage worth retrying."""
    if isinstance(error, discord.LoginFailure):
        return "Discord refused the token (401); check discord_token"
    if isinstance(error, discord.PrivilegedIntentsRequired):
        return "Discord refused the intents the bot asked for"
    if isinstance(error, discord.ConnectionClosed) and error.code in _FINAL_CLOSE_CODES:
        return f"Discord closed the gateway with code {error.code} ({error.reason or 'refused'})"
    return None


#: discord.py's lines that each attempt repeats: kept at DEBUG (without a traceback).
_EACH_ATTEMPT = ("Attempting a reconnect", "logging in using static token")


class _QuietReconnects(logging.Filter):
    """discord.py logs each gateway reconnect as an error with a traceback, every few
    seconds through an outage, and each login at INFO; the adapter's status says it once.
    They are kept, in one line, at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(_EACH_ATTEMPT):
            return True
        if record.exc_info and record.exc_info[1] is not None:
            cause = describe(record.exc_info[1]).replace("%", "%%")  # msg is a %-format
            record.msg = f"{record.msg} ({cause})"
        record.exc_info = None
        record.exc_text = None
        record.levelno = logging.DEBUG
        record.levelname = "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _quiet_reconnects() -> None:
    library = logging.getLogger("discord.client")
    if not any(isinstance(each, _QuietReconnects) for each in library.filters):
        library.addFilter(_QuietReconnects())


async def _connect_once(client: NewsBot | ShardedNewsBot, token: str) -> None:
    """Log in and hold the gateway (discord.py reconnects the gateway itself) until the
    connection ends; the client is closed when it does, and opened again for the next try."""
    if client.is_closed():
        client.clear()
        connector = client.http.connector
        if connector is not discord.utils.MISSING and connector.closed:
            client.http.connector = discord.utils.MISSING  # login makes a new one
    async with client:
        await client.login(token)
        await client.connect(reconnect=True)


async def keep_connected(client: NewsBot | ShardedNewsBot, token: str, backoff: Backoff) -> None:
    """Keep ``client`` connected until cancelled: an outage is retried with ``backoff``; a
    refused token stops this adapter only (one line in the log)."""
    _quiet_reconnects()
    await supervise(
        client.adapter_status,
        lambda: _connect_once(client, token),
        backoff=backoff,
        refused=refused,
    )


async def serve(service: Service, settings: Settings) -> None:
    """Connect to Discord and answer commands until cancelled (or the token is refused)."""
    assert settings.discord_token is not None
    client = make_client(service, settings)
    token = settings.discord_token.get_secret_value()
    await keep_connected(client, token, Backoff.of(settings.run))
