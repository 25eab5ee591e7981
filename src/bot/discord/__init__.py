"""The Discord adapter: the declared commands as application commands, the views as embeds,
and a sender for channels (see docs/discord.md)."""

from bot.discord._client import (
    PERMISSIONS,
    DiscordSender,
    NewsBot,
    ShardedNewsBot,
    application_id,
    intents,
    invite_url,
    keep_connected,
    make_client,
    point_at,
    serve,
)
from bot.discord.render import DiscordMessage, render

__all__ = [
    "PERMISSIONS",
    "DiscordMessage",
    "DiscordSender",
    "NewsBot",
    "ShardedNewsBot",
    "application_id",
    "intents",
    "invite_url",
    "keep_connected",
    "make_client",
    "point_at",
    "render",
    "serve",
]
