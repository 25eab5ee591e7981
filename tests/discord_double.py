"""A loopback Discord for tests: REST API v10 and a gateway, enough for the real discord.py.

``DiscordDouble`` is one aiohttp server on 127.0.0.1 (a free port) that the unmodified
discord.py 2.7 client (``discord.Client``, ``commands.Bot``, ``app_commands.CommandTree``) logs in
to, connects its gateway to and sends everything to. It records every request and every gateway
frame, keeps the messages it accepted per channel, and can be told to fail on purpose.

What it covers:

* REST under ``/api/v10``: ``/users/@me``, ``/applications/@me`` (and ``/oauth2/applications/@me``,
  which discord.py asks), ``/gateway`` and ``/gateway/bot``, channels (``GET``), channel messages
  (create with ``nonce``/``enforce_nonce``, get, edit, delete), typing, interaction callbacks
  (types 4, 5, 6, 7, 8, 9; ``?with_response=1``), follow-ups and ``@original`` (create, get, edit,
  delete), and application commands, global and per guild (bulk overwrite, upsert, list).
* Platform rules that a product can trip over: 2000 characters of content, 10 embeds and the
  embed limits (6000 in all), empty messages, the 3 s deadline for the first interaction
  response, a second response to one interaction, follow-ups before any response, a bot token
  that does not match, a channel the bot may not see or write to, ``allowed_mentions`` (the
  stored message's ``mentions``/``mention_everyone`` show who would have been pinged).
* Gateway at ``/gateway``: ``zlib-stream`` (one compressor per connection, every frame
  flushed with ``Z_SYNC_FLUSH``, sent binary) or plain text frames; HELLO, heartbeat ACK,
  IDENTIFY (token, privileged intents) -> READY + one GUILD_CREATE per guild, RESUME (replays what
  the session missed, then RESUMED; an unknown session gets op 9), REQUEST_GUILD_MEMBERS, and
  server-side RECONNECT, INVALID_SESSION and dropped connections. Messages the double stores are
  echoed as MESSAGE_CREATE/UPDATE/DELETE to sessions with the GUILD_MESSAGES intent.
* Interactions injected by tests: slash commands (options typed from the registered command,
  sub-commands written as ``"group sub"``, user/channel/role options with ``resolved`` data),
  autocomplete (type 4) and message components (type 3).
* Scripted failures (``rate_limit``, ``fail``, ``accept_then_fail``) for the next N requests
  matching a method and a path pattern such as ``/channels/{channel_id}/messages``.

What it does not do: real rate-limit buckets (only scripted 429s), ETF encoding, zstd (a client
asking for ``zstd-stream`` gets plain text frames, which discord.py also reads), voice, threads,
reactions, DMs, modals beyond recording, attachment downloads (URLs point at the double but are
not served), audit logs, and the 15-minute lifetime of interaction tokens.

discord.py details this relies on (checked in 2.7.1): a JSON body must come with
``Content-Type: application/json`` exactly; a 429 without a ``Via`` header is taken for a
Cloudflare ban and raised, not retried; the bot client retries 500/502/504/524 (sleeping
1 s, 3 s, ...) but raises at once on 503, while the webhook client (callbacks, follow-ups)
retries every 5xx; ``on_ready`` waits ``guild_ready_timeout`` (2 s by default) after the last
GUILD_CREATE, so tests pass a small one; ``Messageable.send`` gives every message a random nonce
with ``enforce_nonce``, so its own retries never duplicate (a caller's retry, with a new nonce,
does; follow-ups have no nonce at all).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import hashlib
import json
import math
import re
import secrets
import time
import zlib
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

import discord
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

JsonDict = dict[str, Any]
OptionValue = str | int | float | bool

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
DEFAULT_TOKEN = "double-bot-token"  # a fake token for a fake Discord

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY

# Channel types.
TEXT_CHANNEL = 0
VOICE_CHANNEL = 2
CATEGORY_CHANNEL = 4
NEWS_CHANNEL = 5
STAGE_CHANNEL = 13
FORUM_CHANNEL = 15

# Gateway intents and application flags that gate privileged intents.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENT_FLAGS = {
    INTENT_GUILD_PRESENCES: (1 << 12) | (1 << 13),
    INTENT_GUILD_MEMBERS: (1 << 14) | (1 << 15),
    INTENT_MESSAGE_CONTENT: (1 << 18) | (1 << 19),
}
#: GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED:
#: a bot in fewer than 100 servers that switched all privileged intents on.
DEFAULT_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19)

# Message flags and limits.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
SENDABLE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
)
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
MAX_EMBED_FIELDS = 25
MAX_COMMANDS = 100
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Interaction and callback types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
REPLY, DEFER, DEFER_UPDATE, UPDATE, AUTOCOMPLETE_RESULT, MODAL = 4, 5, 6, 7, 8, 9
CALLBACKS_ALLOWED = {
    APPLICATION_COMMAND: {REPLY, DEFER, MODAL},
    MESSAGE_COMPONENT: {REPLY, DEFER, DEFER_UPDATE, UPDATE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {REPLY, DEFER, DEFER_UPDATE, UPDATE},
}
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
OPTION_STRING, OPTION_INTEGER, OPTION_BOOLEAN = 3, 4, 5
OPTION_USER, OPTION_CHANNEL, OPTION_ROLE, OPTION_MENTIONABLE, OPTION_NUMBER = 6, 7, 8, 9, 10
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")

# The default world. Role ids are the guild id plus a small offset, channel ids plus 100 and up.
APPLICATION_ID = 1_150_000_000_000_000_001
GUILD_ID = 1_160_000_000_000_000_000
OWNER_ID = 1_170_000_000_000_000_001
READER_ID = 1_170_000_000_000_000_002
MANAGER_ID = 1_170_000_000_000_000_003
NEWS_CATEGORY_OFFSET = 100
GENERAL_OFFSET = 101
HEADLINES_OFFSET = 102
ANNOUNCEMENTS_OFFSET = 103
GENERAL_CHANNEL_ID = GUILD_ID + GENERAL_OFFSET
HEADLINES_CHANNEL_ID = GUILD_ID + HEADLINES_OFFSET
#: Members may read but not write here, and neither may the bot.
ANNOUNCEMENTS_CHANNEL_ID = GUILD_ID + ANNOUNCEMENTS_OFFSET

OPCODE_NAMES = {
    0: "dispatch",
    1: "heartbeat",
    2: "identify",
    3: "presence",
    6: "resume",
    8: "members",
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def snowflake_text(value: int | None) -> str | None:
    return None if value is None else str(value)


class Snowflakes:
    """Time-based, strictly increasing ids (so discord.py's ``created_at`` is about now)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(stamp, self._last + 1)
        return self._last


# --- the fake world -------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> JsonDict:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def me_payload(self) -> JsonDict:
        """The ``/users/@me`` shape (a few private fields more)."""
        return {**self.payload(), "verified": True, "mfa_enabled": False, "flags": 0}


@dataclass(frozen=True)
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False

    def payload(self) -> JsonDict:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass(frozen=True)
class Overwrite:
    """A channel permission overwrite; ``type`` 0 is a role, 1 a member."""

    id: int
    type: int = 0
    allow: int = 0
    deny: int = 0

    def payload(self) -> JsonDict:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass(frozen=True)
class FakeChannel:
    id: int
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: tuple[Overwrite, ...] = ()

    def payload(self, guild_id: int) -> JsonDict:
        data: JsonDict = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(guild_id),
            "name": self.name,
            "position": self.position,
            "parent_id": snowflake_text(self.parent_id),
            "permission_overwrites": [item.payload() for item in self.overwrites],
            "flags": 0,
        }
        if self.type != CATEGORY_CHANNEL:
            data |= {"topic": self.topic, "nsfw": False, "last_message_id": None}
            data |= {"rate_limit_per_user": 0}
        if self.type in (VOICE_CHANNEL, STAGE_CHANNEL):
            data |= {"bitrate": 64000, "user_limit": 0, "rtc_region": None}
        if self.type == FORUM_CHANNEL:
            data |= {"available_tags": [], "default_reaction_emoji": None}
        return data


@dataclass(frozen=True)
class FakeMember:
    user: FakeUser
    role_ids: tuple[int, ...] = ()
    nick: str | None = None

    def payload(self, joined_at: str) -> JsonDict:
        return {
            "user": self.user.payload(),
            "roles": [str(role_id) for role_id in self.role_ids],
            "nick": self.nick,
            "avatar": None,
            "joined_at": joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }


@dataclass(frozen=True)
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: tuple[FakeRole, ...]
    channels: tuple[FakeChannel, ...]
    members: tuple[FakeMember, ...]
    joined_at: str = field(default_factory=now_iso)

    def channel(self, channel_id: int) -> FakeChannel | None:
        return next((item for item in self.channels if item.id == channel_id), None)

    def member(self, user_id: int) -> FakeMember | None:
        return next((item for item in self.members if item.user.id == user_id), None)

    def role(self, role_id: int) -> FakeRole | None:
        return next((item for item in self.roles if item.id == role_id), None)

    def with_member(self, member: FakeMember) -> FakeGuild:
        others = tuple(item for item in self.members if item.user.id != member.user.id)
        return replace(self, members=(*others, member))

    def base_permissions(self, member: FakeMember) -> int:
        if member.user.id == self.owner_id:
            return ALL_PERMISSIONS
        value = 0
        for role_id in (self.id, *member.role_ids):
            role = self.role(role_id)
            value |= role.permissions if role else 0
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def permissions(self, member: FakeMember, channel: FakeChannel | None = None) -> int:
        """Discord's permission computation: roles, then @everyone, role and member overwrites."""
        value = self.base_permissions(member)
        if channel is None or value & ADMINISTRATOR:
            return value
        found = {(item.type, item.id): item for item in channel.overwrites}
        everyone = found.get((0, self.id))
        if everyone:
            value = (value & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.role_ids:
            item = found.get((0, role_id))
            allow |= item.allow if item else 0
            deny |= item.deny if item else 0
        value = (value & ~deny) | allow
        own = found.get((1, member.user.id))
        return (value & ~own.deny) | own.allow if own else value

    def payload(self) -> JsonDict:
        """The GUILD_CREATE payload (what discord.py needs to fill its guild cache)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "icon": None,
            "splash": None,
            "banner": None,
            "description": None,
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "unavailable": False,
            "large": False,
            "joined_at": self.joined_at,
            "member_count": len(self.members),
            "roles": [role.payload() for role in self.roles],
            "channels": [channel.payload(self.id) for channel in self.channels],
            "members": [member.payload(self.joined_at) for member in self.members],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "emojis": [],
            "stickers": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


def channel_managers_role_id(guild_id: int) -> int:
    return guild_id + 1


def server_managers_role_id(guild_id: int) -> int:
    return guild_id + 2


def bot_role_id(guild_id: int) -> int:
    return guild_id + 3


def make_member(
    user_id: int,
    username: str,
    *,
    manage_channels: bool = False,
    manage_guild: bool = False,
    guild_id: int = GUILD_ID,
) -> FakeMember:
    """A member of ``guild_id`` holding the Manage Channels and/or Manage Server role."""
    roles: list[int] = []
    if manage_channels:
        roles.append(channel_managers_role_id(guild_id))
    if manage_guild:
        roles.append(server_managers_role_id(guild_id))
    return FakeMember(FakeUser(user_id, username), tuple(roles))


def default_roles(guild_id: int) -> tuple[FakeRole, ...]:
    return (
        FakeRole(guild_id, "@everyone", EVERYONE_PERMISSIONS),
        FakeRole(channel_managers_role_id(guild_id), "Channel managers", MANAGE_CHANNELS, 1),
        FakeRole(server_managers_role_id(guild_id), "Server managers", MANAGE_GUILD, 2),
        FakeRole(bot_role_id(guild_id), "newsdigest", BOT_PERMISSIONS, 3, managed=True),
    )


def default_channels(guild_id: int) -> tuple[FakeChannel, ...]:
    category = guild_id + NEWS_CATEGORY_OFFSET
    read_only = Overwrite(guild_id, allow=VIEW_CHANNEL, deny=SEND_MESSAGES)
    return (
        FakeChannel(category, "News", CATEGORY_CHANNEL),
        FakeChannel(guild_id + GENERAL_OFFSET, "general", position=0),
        FakeChannel(guild_id + HEADLINES_OFFSET, "headlines", position=1, parent_id=category),
        FakeChannel(
            guild_id + ANNOUNCEMENTS_OFFSET, "announcements", position=2, overwrites=(read_only,)
        ),
    )


def make_guild(
    bot: FakeUser,
    *,
    guild_id: int = GUILD_ID,
    name: str = "Newsroom",
    members: Sequence[FakeMember] | None = None,
    channels: Sequence[FakeChannel] | None = None,
    roles: Sequence[FakeRole] | None = None,
) -> FakeGuild:
    """A guild with the bot in it; by default an owner, a reader and a manager as well."""
    if members is None:
        members = (
            FakeMember(FakeUser(OWNER_ID, "olivia")),
            make_member(READER_ID, "rita", guild_id=guild_id),
            make_member(
                MANAGER_ID, "max", manage_channels=True, manage_guild=True, guild_id=guild_id
            ),
        )
    bot_member = FakeMember(bot, (bot_role_id(guild_id),))
    return FakeGuild(
        id=guild_id,
        name=name,
        owner_id=members[0].user.id if members else OWNER_ID,
        roles=tuple(roles) if roles is not None else default_roles(guild_id),
        channels=tuple(channels) if channels is not None else default_channels(guild_id),
        members=(*members, bot_member),
    )


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedFile:
    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass(frozen=True)
class Recorded:
    """One REST request as the double saw it, with the answer it gave."""

    index: int
    at: float  # seconds since the double started
    method: str
    path: str  # without /api/v10
    route: str | None  # the matched template, e.g. "/channels/{channel_id}/messages"
    query: Mapping[str, str]
    json: Any  # parsed JSON body, or the multipart payload_json; None otherwise
    files: tuple[RecordedFile, ...]
    headers: Mapping[str, str]  # Authorization, X-Audit-Log-Reason, Content-Type, User-Agent
    status: int
    fault: str | None  # "rate_limited", "server_error", "accepted_then_failed", "unknown_route"

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def reason(self) -> str | None:
        """The audit log reason, unquoted."""
        raw = self.headers.get("X-Audit-Log-Reason")
        return None if raw is None else unquote(raw)


@dataclass(frozen=True)
class SentInteraction:
    """An interaction the double dispatched; pass it to ``callbacks``/``followups``."""

    id: int
    token: str
    type: int
    payload: JsonDict


@dataclass(frozen=True)
class Callback:
    """An interaction callback the double accepted."""

    interaction_id: int
    type: int
    data: JsonDict | None
    message_id: int | None
    files: tuple[RecordedFile, ...]


@dataclass(frozen=True)
class Followup:
    interaction_id: int
    message: JsonDict
    ephemeral: bool


@dataclass(frozen=True)
class GatewayFrame:
    """A frame the client sent on the gateway."""

    at: float
    op: int
    data: Any

    @property
    def name(self) -> str:
        return OPCODE_NAMES.get(self.op, str(self.op))


@dataclass(frozen=True)
class GatewayConnection:
    at: float
    path: str
    query: Mapping[str, str]
    compression: str | None  # "zlib-stream" or None (plain text frames)


# --- scripted failures ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    remaining: int
    label: str
    reply: Reply
    accept_first: bool = False
    stall: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method == method and bool(self.pattern.fullmatch(path))


def path_pattern(template: str) -> re.Pattern[str]:
    """``/channels/{channel_id}/messages`` (or a concrete path) as a full-match regex."""
    parts = re.split(r"(\{[^}]+\})", template)
    text = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(text)


def error(status: int, code: int, message: str, errors: JsonDict | None = None) -> Reply:
    body: JsonDict = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return Reply(status, body)


def form_error(where: str, code: str, message: str) -> Reply:
    nested: JsonDict = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(where.split(".")):
        nested = {key: nested}
    return error(400, 50035, "Invalid Form Body", nested)


def rate_limit_reply(route: str, retry_after: float, *, is_global: bool, scope: str) -> Reply:
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    headers = {
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": bucket_hash(route),
        "X-RateLimit-Scope": "global" if is_global else scope,
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
        body["code"] = 0
    return Reply(429, body, headers)


def bucket_hash(route: str) -> str:
    return hashlib.sha256(route.encode()).hexdigest()[:32]


# --- message rules --------------------------------------------------------------------------


def message_problem(body: JsonDict, *, creating: bool, has_files: bool = False) -> Reply | None:
    """The 400 Discord would answer for this message body, if any."""
    content = body.get("content") or ""
    if len(content) > MAX_CONTENT:
        return form_error("content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer.")
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        return form_error("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer.")
    for index, embed in enumerate(embeds):
        problem = embed_problem(index, embed)
        if problem:
            return problem
    if sum(embed_size(embed) for embed in embeds) > MAX_EMBED_TOTAL:
        return form_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size")
    keys = ("content", "embeds", "components", "sticker_ids", "poll", "attachments")
    if creating and not has_files and not any(body.get(key) for key in keys):
        return error(400, 50006, "Cannot send an empty message")
    return None


def embed_problem(index: int, embed: JsonDict) -> Reply | None:
    limits = {
        **{key: (embed.get(key), size) for key, size in EMBED_TEXT_LIMITS.items()},
        "footer.text": ((embed.get("footer") or {}).get("text"), 2048),
        "author.name": ((embed.get("author") or {}).get("name"), 256),
    }
    for where, (text, size) in limits.items():
        if text and len(text) > size:
            return form_error(f"embeds.{index}.{where}", "BASE_TYPE_MAX_LENGTH", f"Max {size}")
    fields = embed.get("fields") or []
    if len(fields) > MAX_EMBED_FIELDS:
        return form_error(f"embeds.{index}.fields", "BASE_TYPE_MAX_LENGTH", "Max 25 fields")
    for number, item in enumerate(fields):
        if len(item.get("name") or "") > 256 or len(item.get("value") or "") > 1024:
            where = f"embeds.{index}.fields.{number}"
            return form_error(where, "BASE_TYPE_MAX_LENGTH", "Field too long")
    return None


def embed_size(embed: JsonDict) -> int:
    texts = [embed.get("title"), embed.get("description")]
    texts += [(embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name")]
    for item in embed.get("fields") or []:
        texts += [item.get("name"), item.get("value")]
    return sum(len(text) for text in texts if text)


def mentioned(content: str, pattern: str) -> list[int]:
    return [int(found) for found in re.findall(pattern, content)]


def allowed_ids(allowed: JsonDict | None, kind: str, found: list[int]) -> list[int]:
    if allowed is None or kind in (allowed.get("parse") or []):
        return found
    listed = {int(item) for item in allowed.get(kind) or []}
    return [item for item in found if item in listed]


# --- the double -----------------------------------------------------------------------------


Handler = Callable[["Call"], Awaitable[Reply]]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    json: Any
    files: tuple[RecordedFile, ...]
    headers: Mapping[str, str]

    def param(self, name: str) -> int:
        return int(self.params[name])


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    needs_bot_token: bool = True

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return path_pattern(self.template)


@dataclass
class LiveInteraction:
    sent: SentInteraction
    created: float
    channel_id: int
    guild_id: int | None
    user: FakeMember
    component_message_id: int | None = None
    response_type: int | None = None
    original_id: int | None = None
    loading: bool = False


@dataclass(frozen=True)
class Where:
    """Where an injected interaction happens and who triggers it."""

    guild: FakeGuild
    channel: FakeChannel
    member: FakeMember


class Connection:
    """One gateway websocket; sends are serialised so the zlib stream stays in order."""

    def __init__(self, socket: web.WebSocketResponse, compressed: bool) -> None:
        self.socket = socket
        self.session: Session | None = None
        self._zlib = zlib.compressobj() if compressed else None
        self._lock = asyncio.Lock()

    async def send(self, frame: JsonDict) -> None:
        text = json.dumps(frame)
        async with self._lock:
            if self.socket.closed:
                return
            with contextlib.suppress(ConnectionError):
                if self._zlib is None:
                    await self.socket.send_str(text)
                else:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.socket.send_bytes(data)

    async def close(self, code: int, message: str = "") -> None:
        await self.socket.close(code=code, message=message.encode())


@dataclass
class Session:
    id: str
    identify: JsonDict
    intents: int
    sequence: int = 0
    sent: list[JsonDict] = field(default_factory=list)
    connection: Connection | None = None

    def frame(self, event: str, data: Any) -> JsonDict:
        self.sequence += 1
        frame = {"op": 0, "t": event, "s": self.sequence, "d": data}
        self.sent.append(frame)
        return frame


class DiscordDouble:
    """The loopback Discord. Use as ``async with DiscordDouble() as discord_api: ...``."""

    def __init__(
        self,
        *,
        application_id: int = APPLICATION_ID,
        bot_name: str = "newsdigest",
        guilds: Sequence[FakeGuild] | None = None,
        token: str = DEFAULT_TOKEN,
        application_flags: int = DEFAULT_APPLICATION_FLAGS,
        interaction_deadline: float = 3.0,
        heartbeat_interval_ms: int = 41_250,
        echo_messages: bool = True,
        port: int = 0,
    ) -> None:
        self.application_id = application_id
        self.application_flags = application_flags
        self.bot = FakeUser(application_id, bot_name, bot=True)
        self.token = token
        self.interaction_deadline = interaction_deadline
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.echo_messages = echo_messages
        world = guilds if guilds is not None else [make_guild(self.bot)]
        self.guilds: dict[int, FakeGuild] = {item.id: self._with_bot(item) for item in world}
        self.port = port  # 0: any free port
        self._ids = Snowflakes()
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._routes = self._route_table()
        self._records: list[Recorded] = []
        self._faults: list[Fault] = []
        self._messages: dict[int, JsonDict] = {}
        self._channel_logs: dict[int, list[int]] = {}
        self._nonces: dict[tuple[int, int, str], int] = {}
        self._interactions: dict[int, LiveInteraction] = {}
        self._callbacks: list[Callback] = []
        self._followups: list[Followup] = []
        self._commands: dict[int | None, list[JsonDict]] = {}
        self._sessions: dict[str, Session] = {}
        self._connections: list[Connection] = []
        self._connection_records: list[GatewayConnection] = []
        self._frames: list[GatewayFrame] = []
        self._ready_sent = 0

    def _with_bot(self, guild: FakeGuild) -> FakeGuild:
        if guild.member(self.bot.id):
            return guild
        return guild.with_member(FakeMember(self.bot, (bot_role_id(guild.id),)))

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> DiscordDouble:
        self._closing = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/resume-gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._closing.set()  # stalled requests end now, not at the server's shutdown timeout
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for connection in list(self._connections):
            await connection.close(1001, "the double is shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume-gateway"

    def _clock(self) -> float:
        return time.monotonic() - self._started

    # -- world accessors --------------------------------------------------------------------

    @property
    def guild(self) -> FakeGuild:
        """The first (usually only) guild."""
        return next(iter(self.guilds.values()))

    def add_member(self, member: FakeMember, guild_id: int | None = None) -> FakeMember:
        """Put a member in a guild (for members the client should learn of, dispatch too)."""
        guild = self.guilds[guild_id or self.guild.id]
        self.guilds[guild.id] = guild.with_member(member)
        return member

    def find_channel(self, channel_id: int) -> tuple[FakeGuild, FakeChannel] | None:
        for guild in self.guilds.values():
            channel = guild.channel(channel_id)
            if channel is not None:
                return guild, channel
        return None

    def member(self, user_id: int, guild_id: int | None = None) -> FakeMember:
        found = self.guilds[guild_id or self.guild.id].member(user_id)
        if found is None:
            raise LookupError(f"no member {user_id} in guild {guild_id or self.guild.id}")
        return found

    # -- scripted failures ------------------------------------------------------------------

    def rate_limit(
        self,
        method: str,
        path: str,
        *,
        times: int = 1,
        retry_after: float = 0.1,
        is_global: bool = False,
        scope: str = "user",
    ) -> None:
        """Answer the next ``times`` matching requests with 429 (per route or global)."""
        reply = rate_limit_reply(path, retry_after, is_global=is_global, scope=scope)
        self._faults.append(Fault(method, path_pattern(path), times, "rate_limited", reply))

    def fail(self, method: str, path: str, *, status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with a server error, storing nothing."""
        reply = error(status, 0, f"{status}: server error")
        self._faults.append(Fault(method, path_pattern(path), times, "server_error", reply))

    def accept_then_fail(
        self, method: str, path: str, *, status: int = 502, times: int = 1
    ) -> None:
        """Do what the next ``times`` matching requests ask, then answer a server error."""
        reply = error(status, 0, f"{status}: Bad Gateway")
        fault = Fault(method, path_pattern(path), times, "accepted_then_failed", reply, True)
        self._faults.append(fault)

    def stall(self, method: str, path: str, *, accept: bool, times: int = 1) -> None:
        """Never answer the next ``times`` matching requests: with ``accept``, after doing
        what they ask (the platform took the message, its answer is lost: a client killed
        now never learns it), else before (the platform never saw it)."""
        label = "accepted_then_stalled" if accept else "stalled"
        self._faults.append(
            Fault(method, path_pattern(path), times, label, Reply(504), accept, stall=True)
        )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                return fault
        return None

    # -- record accessors -------------------------------------------------------------------

    def requests(
        self, method: str | None = None, path_prefix: str | None = None, *, route: str | None = None
    ) -> list[Recorded]:
        return [
            item
            for item in self._records
            if (method is None or item.method == method)
            and (path_prefix is None or item.path.startswith(path_prefix))
            and (route is None or item.route == route)
        ]

    def unknown_routes(self) -> list[Recorded]:
        return [item for item in self._records if item.fault == "unknown_route"]

    def messages(self, channel_id: int) -> list[JsonDict]:
        """The messages stored in a channel (not ephemeral ones, not deleted ones), in order."""
        return [
            copy.deepcopy(self._messages[item]) for item in self._channel_logs.get(channel_id, [])
        ]

    def message(self, message_id: int) -> JsonDict:
        return copy.deepcopy(self._messages[message_id])

    def callbacks(self, interaction: SentInteraction | None = None) -> list[Callback]:
        return [
            item
            for item in self._callbacks
            if interaction is None or item.interaction_id == interaction.id
        ]

    def followups(self, interaction: SentInteraction | None = None) -> list[Followup]:
        return [
            item
            for item in self._followups
            if interaction is None or item.interaction_id == interaction.id
        ]

    def original_response(self, interaction: SentInteraction) -> JsonDict | None:
        live = self._interactions[interaction.id]
        return None if live.original_id is None else self.message(live.original_id)

    def commands(self, guild_id: int | None = None) -> list[JsonDict]:
        """Registered application commands: global ones, or those of ``guild_id``."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    def register_commands(self, commands: Sequence[JsonDict], guild_id: int | None = None) -> None:
        """Pretend these commands were registered earlier (no client sync needed)."""
        self._commands[guild_id] = self._stored_commands(list(commands), guild_id)

    def identifies(self) -> list[JsonDict]:
        return [frame.data for frame in self._frames if frame.op == 2]

    def gateway_frames(self, op: int | None = None) -> list[GatewayFrame]:
        return [frame for frame in self._frames if op is None or frame.op == op]

    @property
    def connections(self) -> list[GatewayConnection]:
        return list(self._connection_records)

    # -- waiting ----------------------------------------------------------------------------

    async def wait_until(
        self, check: Callable[[], bool], *, timeout: float = 5.0, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Discord double waited {timeout} s for {what or check}")
            await asyncio.sleep(0.01)

    async def wait_identified(self, count: int = 1, *, timeout: float = 5.0) -> JsonDict:
        """Wait until ``count`` IDENTIFYs were answered with READY and the guilds."""
        await self.wait_until(lambda: self._ready_sent >= count, timeout=timeout, what="IDENTIFY")
        return self.identifies()[count - 1]

    async def wait_callback(
        self, interaction: SentInteraction, *, timeout: float = 5.0
    ) -> Callback:
        await self.wait_until(
            lambda: bool(self.callbacks(interaction)),
            timeout=timeout,
            what=f"a callback to interaction {interaction.id}",
        )
        return self.callbacks(interaction)[0]

    async def wait_followups(
        self, interaction: SentInteraction, count: int = 1, *, timeout: float = 5.0
    ) -> list[Followup]:
        await self.wait_until(
            lambda: len(self.followups(interaction)) >= count,
            timeout=timeout,
            what=f"{count} follow-ups",
        )
        return self.followups(interaction)

    async def wait_messages(
        self, channel_id: int, count: int = 1, *, timeout: float = 5.0
    ) -> list[JsonDict]:
        await self.wait_until(
            lambda: len(self._channel_logs.get(channel_id, [])) >= count,
            timeout=timeout,
            what=f"{count} messages in {channel_id}",
        )
        return self.messages(channel_id)

    # -- REST plumbing ----------------------------------------------------------------------

    def _route_table(self) -> list[Route]:
        messages = "/channels/{channel_id}/messages"
        hook = "/webhooks/{application_id}/{token}"
        table = [
            Route("GET", "/users/@me", self._get_me),
            Route("GET", "/applications/@me", self._get_application),
            Route("GET", "/oauth2/applications/@me", self._get_application),
            Route("GET", "/gateway", self._get_gateway, needs_bot_token=False),
            Route("GET", "/gateway/bot", self._get_gateway_bot),
            Route("GET", "/channels/{channel_id}", self._get_channel),
            Route("POST", messages, self._create_message),
            Route("GET", messages + "/{message_id}", self._get_message),
            Route("PATCH", messages + "/{message_id}", self._edit_message),
            Route("DELETE", messages + "/{message_id}", self._delete_message),
            Route("POST", "/channels/{channel_id}/typing", self._typing),
            Route("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, False),
            Route("POST", hook, self._create_followup, needs_bot_token=False),
            Route("GET", hook + "/messages/{message_id}", self._get_hook_message, False),
            Route("PATCH", hook + "/messages/{message_id}", self._edit_hook_message, False),
            Route("DELETE", hook + "/messages/{message_id}", self._delete_hook_message, False),
        ]
        for scope in (
            "/applications/{application_id}",
            "/applications/{application_id}/guilds/{guild_id}",
        ):
            table += [
                Route("GET", scope + "/commands", self._list_commands),
                Route("PUT", scope + "/commands", self._overwrite_commands),
                Route("POST", scope + "/commands", self._upsert_command),
            ]
        return table

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if route.method == method and found:
                return route, found.groupdict()
        return None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = (
            request.path.removeprefix(API_PREFIX)
            if request.path.startswith(API_PREFIX)
            else request.path
        )
        body, files = await read_body(request)
        matched = self._match(request.method, path) if request.path.startswith(API_PREFIX) else None
        params = matched[1] if matched else {}
        call = Call(
            request.method, path, params, dict(request.query), body, files, kept_headers(request)
        )
        route = matched[0] if matched else None
        reply, label = await self._answer(call, route)
        self._record(call, route, reply, label)
        return respond(reply, route)

    async def _answer(self, call: Call, route: Route | None) -> tuple[Reply, str | None]:
        fault = self._take_fault(call.method, call.path)
        if fault is not None and fault.stall and not fault.accept_first:
            self._record(call, route, Reply(0), fault.label)  # seen, and never answered
            await self._closing.wait()  # until the double closes
        if fault is not None and not fault.accept_first:
            return fault.reply, fault.label
        if route is None:
            return error(404, 0, f"404: Not Found ({call.method} {call.path})"), "unknown_route"
        if route.needs_bot_token and call.headers.get("Authorization") != f"Bot {self.token}":
            return error(401, 0, "401: Unauthorized"), None
        reply = await route.handler(call)
        if fault is not None and fault.stall and 200 <= reply.status < 300:
            self._record(call, route, Reply(0), fault.label)
            await self._closing.wait()
        if fault is not None and 200 <= reply.status < 300:
            return fault.reply, fault.label
        return reply, None

    def _record(self, call: Call, route: Route | None, reply: Reply, label: str | None) -> None:
        record = Recorded(
            index=len(self._records),
            at=self._clock(),
            method=call.method,
            path=call.path,
            route=route.template if route else None,
            query=MappingProxyType(dict(call.query)),
            json=copy.deepcopy(call.json),
            files=call.files,
            headers=MappingProxyType(dict(call.headers)),
            status=reply.status,
            fault=label,
        )
        self._records.append(record)

    # -- REST: identity and gateway ---------------------------------------------------------

    async def _get_me(self, _call: Call) -> Reply:
        return Reply(200, self.bot.me_payload())

    async def _get_application(self, _call: Call) -> Reply:
        owner = FakeUser(OWNER_ID, "olivia")
        return Reply(
            200,
            {
                "id": str(self.application_id),
                "name": self.bot.username,
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": self.application_flags,
                "bot": self.bot.payload(),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            },
        )

    async def _get_gateway(self, _call: Call) -> Reply:
        return Reply(200, {"url": self.gateway_url})

    async def _get_gateway_bot(self, _call: Call) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return Reply(200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    # -- REST: channels and messages --------------------------------------------------------

    async def _get_channel(self, call: Call) -> Reply:
        found = self.find_channel(call.param("channel_id"))
        if found is None:
            return error(404, 10003, "Unknown Channel")
        guild, channel = found
        return Reply(200, channel.payload(guild.id))

    def _bot_may_send(
        self, guild: FakeGuild, channel: FakeChannel, has_files: bool
    ) -> Reply | None:
        allowed = guild.permissions(self.member(self.bot.id, guild.id), channel)
        if not allowed & VIEW_CHANNEL:
            return error(403, 50001, "Missing Access")
        if not allowed & SEND_MESSAGES or (has_files and not allowed & ATTACH_FILES):
            return error(403, 50013, "Missing Permissions")
        return None

    async def _create_message(self, call: Call) -> Reply:
        found = self.find_channel(call.param("channel_id"))
        if found is None:
            return error(404, 10003, "Unknown Channel")
        guild, channel = found
        body: JsonDict = call.json or {}
        problem = self._bot_may_send(guild, channel, bool(call.files))
        problem = problem or message_problem(body, creating=True, has_files=bool(call.files))
        if problem:
            return problem
        nonce_key = (channel.id, self.bot.id, str(body.get("nonce")))
        if (
            body.get("enforce_nonce")
            and body.get("nonce") is not None
            and nonce_key in self._nonces
        ):
            return Reply(200, self.message(self._nonces[nonce_key]))
        message = self._new_message(channel.id, guild.id, self.bot, body, call.files)
        if body.get("nonce") is not None:
            self._nonces.setdefault(nonce_key, int(message["id"]))
        await self._store(message, visible=True)
        return Reply(200, copy.deepcopy(message))

    def _channel_message(self, call: Call) -> JsonDict | None:
        message = self._messages.get(call.param("message_id"))
        if message is None or int(message["channel_id"]) != call.param("channel_id"):
            return None
        if call.param("message_id") not in self._channel_logs.get(call.param("channel_id"), []):
            return None
        return message

    async def _get_message(self, call: Call) -> Reply:
        message = self._channel_message(call)
        return (
            error(404, 10008, "Unknown Message")
            if message is None
            else Reply(200, copy.deepcopy(message))
        )

    async def _edit_message(self, call: Call) -> Reply:
        message = self._channel_message(call)
        if message is None:
            return error(404, 10008, "Unknown Message")
        if int(message["author"]["id"]) != self.bot.id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        return await self._apply_edit(message, call.json or {})

    async def _delete_message(self, call: Call) -> Reply:
        message = self._channel_message(call)
        if message is None:
            return error(404, 10008, "Unknown Message")
        await self._remove(message)
        return Reply(204)

    async def _typing(self, call: Call) -> Reply:
        found = self.find_channel(call.param("channel_id"))
        return Reply(204) if found else error(404, 10003, "Unknown Channel")

    # -- messages: building and storing -----------------------------------------------------

    def _new_message(
        self,
        channel_id: int,
        guild_id: int | None,
        author: FakeUser,
        body: JsonDict,
        files: tuple[RecordedFile, ...] = (),
        **extra: Any,
    ) -> JsonDict:
        content = body.get("content") or ""
        message: JsonDict = {
            "id": str(self._ids.next()),
            "type": 0,
            "channel_id": str(channel_id),
            "author": author.payload(),
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts")),
            "pinned": False,
            "flags": int(body.get("flags") or 0) & SENDABLE_FLAGS,
            "embeds": [{"type": "rich", **item} for item in body.get("embeds") or []],
            "components": body.get("components") or [],
            "attachments": [self._attachment(channel_id, item) for item in files],
            "reactions": [],
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        message.update(self._mentions(guild_id, content, body.get("allowed_mentions")))
        message.update(extra)
        return message

    def _attachment(self, channel_id: int, item: RecordedFile) -> JsonDict:
        attachment_id = self._ids.next()
        url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{item.filename}"
        return {
            "id": str(attachment_id),
            "filename": item.filename,
            "size": len(item.data),
            "url": url,
            "proxy_url": url,
            "content_type": item.content_type,
        }

    def _mentions(self, guild_id: int | None, content: str, allowed: JsonDict | None) -> JsonDict:
        """Who this content pings, after ``allowed_mentions`` (absent: everything parses)."""
        guild = self.guilds.get(guild_id) if guild_id else None
        users = allowed_ids(allowed, "users", mentioned(content, r"<@!?(\d+)>"))
        roles = allowed_ids(allowed, "roles", mentioned(content, r"<@&(\d+)>"))
        everyone = bool(re.search(r"@(everyone|here)", content))
        everyone = everyone and (allowed is None or "everyone" in (allowed.get("parse") or []))
        members = [guild.member(user_id) for user_id in users] if guild else []
        return {
            "mentions": [item.user.payload() for item in members if item is not None],
            "mention_roles": [str(role_id) for role_id in roles if guild and guild.role(role_id)],
            "mention_everyone": everyone,
        }

    async def _store(self, message: JsonDict, *, visible: bool) -> None:
        message_id = int(message["id"])
        self._messages[message_id] = message
        if visible:
            self._channel_logs.setdefault(int(message["channel_id"]), []).append(message_id)
            self._in_background(self._echo("MESSAGE_CREATE", message))

    async def _remove(self, message: JsonDict) -> None:
        channel_id = int(message["channel_id"])
        log = self._channel_logs.get(channel_id, [])
        if int(message["id"]) in log:
            log.remove(int(message["id"]))
            payload = {"id": message["id"], "channel_id": message["channel_id"]}
            self._in_background(
                self._echo("MESSAGE_DELETE", payload | {"guild_id": message.get("guild_id")})
            )

    async def _apply_edit(self, message: JsonDict, body: JsonDict) -> Reply:
        problem = message_problem(body, creating=False)
        if problem:
            return problem
        for key in ("content", "embeds", "components"):
            if key in body and body[key] is not None:
                message[key] = body[key]
        if "content" in body:
            allowed = body.get("allowed_mentions")
            message.update(self._mentions(self._guild_of(message), message["content"], allowed))
        if body.get("flags") is not None:
            keep = message["flags"] & ~FLAG_SUPPRESS_EMBEDS & ~FLAG_LOADING
            message["flags"] = keep | (int(body["flags"]) & FLAG_SUPPRESS_EMBEDS)
        message["flags"] &= ~FLAG_LOADING
        message["edited_timestamp"] = now_iso()
        if int(message["id"]) in self._channel_logs.get(int(message["channel_id"]), []):
            self._in_background(self._echo("MESSAGE_UPDATE", message))
        return Reply(200, copy.deepcopy(message))

    @staticmethod
    def _guild_of(message: JsonDict) -> int | None:
        return int(message["guild_id"]) if message.get("guild_id") else None

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Gateway fan-out beside the REST answer, as Discord does it: a session whose socket
        died (a killed client) never delays the answer to another client."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _echo(self, event: str, message: JsonDict) -> None:
        """Tell sessions with the GUILD_MESSAGES intent; without MESSAGE_CONTENT, other
        people's messages arrive without content unless they mention the bot."""
        if not self.echo_messages:
            return
        data = copy.deepcopy(message)
        guild_id = self._guild_of(message)
        author = message.get("author")
        member = self.guilds[guild_id].member(int(author["id"])) if guild_id and author else None
        if guild_id and member is not None:
            partial = self._member_payload(member, self.guilds[guild_id])
            data["member"] = {key: value for key, value in partial.items() if key != "user"}
        hidden = data | {"content": "", "embeds": [], "attachments": [], "components": []}
        private = author is not None and int(author["id"]) != self.bot.id
        private = private and str(self.bot.id) not in {
            item["id"] for item in data.get("mentions", [])
        }

        def build(session: Session) -> JsonDict | None:
            if not session.intents & INTENT_GUILD_MESSAGES:
                return None
            return hidden if private and not session.intents & INTENT_MESSAGE_CONTENT else data

        await self._dispatch_built(event, build)

    @staticmethod
    def _member_payload(member: FakeMember, guild: FakeGuild) -> JsonDict:
        return member.payload(guild.joined_at)

    # -- REST: interactions -----------------------------------------------------------------

    def _live(self, interaction_id: int, token: str) -> LiveInteraction | None:
        live = self._interactions.get(interaction_id)
        return live if live is not None and live.sent.token == token else None

    def _live_by_token(self, call: Call) -> LiveInteraction | None:
        if call.param("application_id") != self.application_id:
            return None
        token = call.params["token"]
        return next(
            (item for item in self._interactions.values() if item.sent.token == token), None
        )

    async def _callback(self, call: Call) -> Reply:
        live = self._live(call.param("interaction_id"), call.params["token"])
        expired = live is not None and time.monotonic() - live.created > self.interaction_deadline
        if live is None or (expired and live.response_type is None):
            return error(404, 10062, "Unknown interaction")
        if live.response_type is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body: JsonDict = call.json or {}
        kind = int(body.get("type", 0))
        if kind not in CALLBACKS_ALLOWED.get(live.sent.type, set()):
            return form_error("type", "INTERACTION_CALLBACK_TYPE_INVALID", "Invalid callback type")
        data = body.get("data")
        problem = (
            message_problem(data or {}, creating=True, has_files=bool(call.files))
            if kind == REPLY
            else None
        )
        if problem:
            return problem
        message = await self._callback_message(live, kind, data or {}, call.files)
        live.response_type = kind
        message_id = int(message["id"]) if message else None
        self._callbacks.append(
            Callback(live.sent.id, kind, copy.deepcopy(data), message_id, call.files)
        )
        if call.query.get("with_response") not in ("1", "true", "True"):
            return Reply(204)
        return Reply(200, self._callback_response(live, kind, message))

    async def _callback_message(
        self, live: LiveInteraction, kind: int, data: JsonDict, files: tuple[RecordedFile, ...]
    ) -> JsonDict | None:
        if kind == REPLY:
            return await self._original(live, data, files, loading=False)
        if kind == DEFER:
            return await self._original(live, data, (), loading=True)
        if kind in (UPDATE, DEFER_UPDATE) and live.component_message_id is not None:
            message = self._messages[live.component_message_id]
            if kind == UPDATE:
                await self._apply_edit(message, data)
            return message
        return None

    async def _original(
        self,
        live: LiveInteraction,
        data: JsonDict,
        files: tuple[RecordedFile, ...],
        *,
        loading: bool,
    ) -> JsonDict:
        flags = int(data.get("flags") or 0) & SENDABLE_FLAGS
        body = {} if loading else data
        message = self._interaction_message(live, body, files, message_type=20)
        message["flags"] = (flags & FLAG_EPHEMERAL) | FLAG_LOADING if loading else flags
        live.original_id = int(message["id"])
        live.loading = loading
        await self._store(message, visible=not flags & FLAG_EPHEMERAL)
        return message

    def _interaction_message(
        self,
        live: LiveInteraction,
        body: JsonDict,
        files: tuple[RecordedFile, ...],
        *,
        message_type: int,
    ) -> JsonDict:
        metadata = {
            "id": str(live.sent.id),
            "type": live.sent.type,
            "user": live.user.user.payload(),
            "authorizing_integration_owners": live.sent.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        return self._new_message(
            live.channel_id,
            live.guild_id,
            self.bot,
            body,
            files,
            type=message_type,
            webhook_id=str(self.application_id),
            application_id=str(self.application_id),
            interaction_metadata=metadata,
        )

    def _callback_response(
        self, live: LiveInteraction, kind: int, message: JsonDict | None
    ) -> JsonDict:
        interaction: JsonDict = {"id": str(live.sent.id), "type": live.sent.type}
        resource: JsonDict = {"type": kind}
        if message is not None:
            flags = int(message["flags"])
            interaction |= {
                "response_message_id": message["id"],
                "response_message_loading": bool(flags & FLAG_LOADING),
                "response_message_ephemeral": bool(flags & FLAG_EPHEMERAL),
            }
            resource["message"] = copy.deepcopy(message)
        return {"interaction": interaction, "resource": resource}

    async def _create_followup(self, call: Call) -> Reply:
        live = self._live_by_token(call)
        if live is None or live.response_type is None:
            return error(404, 10015, "Unknown Webhook")
        body: JsonDict = call.json or {}
        problem = message_problem(body, creating=True, has_files=bool(call.files))
        if problem:
            return problem
        if live.loading and live.original_id is not None:
            message = self._messages[live.original_id]
            await self._apply_edit(message, body)
            live.loading = False
        else:
            message = self._interaction_message(live, body, call.files, message_type=0)
            await self._store(message, visible=not message["flags"] & FLAG_EPHEMERAL)
        ephemeral = bool(message["flags"] & FLAG_EPHEMERAL)
        self._followups.append(Followup(live.sent.id, copy.deepcopy(message), ephemeral))
        wait = call.query.get("wait") in ("1", "true", "True")
        return Reply(200, copy.deepcopy(message)) if wait else Reply(204)

    def _hook_message(self, call: Call) -> tuple[LiveInteraction, JsonDict] | Reply:
        live = self._live_by_token(call)
        if live is None:
            return error(404, 10015, "Unknown Webhook")
        wanted = call.params["message_id"]
        message_id = live.original_id if wanted == "@original" else int(wanted)
        message = self._messages.get(message_id) if message_id is not None else None
        mine = message is not None and message.get("interaction_metadata", {}).get("id") == str(
            live.sent.id
        )
        if message is None or not mine:
            return error(404, 10008, "Unknown Message")
        return live, message

    async def _get_hook_message(self, call: Call) -> Reply:
        found = self._hook_message(call)
        return found if isinstance(found, Reply) else Reply(200, copy.deepcopy(found[1]))

    async def _edit_hook_message(self, call: Call) -> Reply:
        found = self._hook_message(call)
        if isinstance(found, Reply):
            return found
        live, message = found
        if int(message["id"]) == live.original_id:
            live.loading = False
        return await self._apply_edit(message, call.json or {})

    async def _delete_hook_message(self, call: Call) -> Reply:
        found = self._hook_message(call)
        if isinstance(found, Reply):
            return found
        live, message = found
        if int(message["id"]) == live.original_id:
            live.loading = False  # a follow-up now posts a message of its own
        await self._remove(message)
        return Reply(204)

    # -- REST: application commands ---------------------------------------------------------

    def _command_scope(self, call: Call) -> int | Reply | None:
        if call.param("application_id") != self.application_id:
            return error(403, 50001, "Missing Access")
        if "guild_id" not in call.params:
            return None
        guild_id = call.param("guild_id")
        return guild_id if guild_id in self.guilds else error(403, 50001, "Missing Access")

    async def _list_commands(self, call: Call) -> Reply:
        scope = self._command_scope(call)
        return scope if isinstance(scope, Reply) else Reply(200, self.commands(scope))

    async def _overwrite_commands(self, call: Call) -> Reply:
        scope = self._command_scope(call)
        if isinstance(scope, Reply):
            return scope
        commands = call.json if isinstance(call.json, list) else []
        problem = commands_problem(commands)
        if problem:
            return problem
        self._commands[scope] = self._stored_commands(commands, scope)
        return Reply(200, self.commands(scope))

    async def _upsert_command(self, call: Call) -> Reply:
        scope = self._command_scope(call)
        if isinstance(scope, Reply):
            return scope
        command: JsonDict = call.json or {}
        key = (command.get("name"), command.get("type", 1))
        others = [
            item for item in self._commands.get(scope, []) if (item["name"], item["type"]) != key
        ]
        problem = commands_problem([*others, command])
        if problem:
            return problem
        self._commands[scope] = [*others, *self._stored_commands([command], scope)]
        return Reply(200, copy.deepcopy(self._commands[scope][-1]))

    def _stored_commands(self, commands: list[JsonDict], scope: int | None) -> list[JsonDict]:
        """Discord keeps a command's id when one of the same name and type is overwritten."""
        known = {(item["name"], item["type"]): item["id"] for item in self._commands.get(scope, [])}
        stored = []
        for command in commands:
            kind = command.get("type", 1)
            item = {"options": [], "default_member_permissions": None, "nsfw": False, **command}
            item |= {
                "id": known.get((command["name"], kind)) or str(self._ids.next()),
                "application_id": str(self.application_id),
                "version": str(self._ids.next()),
                "type": kind,
            }
            if scope is not None:
                item["guild_id"] = str(scope)
            stored.append(item)
        return stored

    # -- gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        compression = "zlib-stream" if request.query.get("compress") == "zlib-stream" else None
        connection = Connection(socket, compressed=compression is not None)
        self._connections.append(connection)
        query = MappingProxyType(dict(request.query))
        self._connection_records.append(
            GatewayConnection(self._clock(), request.path, query, compression)
        )
        try:
            if request.query.get("encoding", "json") != "json":
                await connection.close(4002, "The double speaks JSON only.")
                return socket
            hello = {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            await connection.send(hello)
            async for message in socket:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_frame(connection, json.loads(message.data))
        finally:
            self._connections.remove(connection)
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
        return socket

    async def _on_frame(self, connection: Connection, frame: JsonDict) -> None:
        op, data = int(frame.get("op", -1)), frame.get("d")
        self._frames.append(GatewayFrame(self._clock(), op, copy.deepcopy(data)))
        if op == 1:
            await connection.send({"op": 11, "d": None})
        elif op == 2:
            await self._on_identify(connection, data or {})
        elif op == 6:
            await self._on_resume(connection, data or {})
        elif op == 8:
            await self._on_request_members(connection, data or {})

    async def _on_identify(self, connection: Connection, data: JsonDict) -> None:
        if connection.session is not None:
            await connection.close(4005, "Already authenticated.")
            return
        if data.get("token") != self.token:
            await connection.close(4004, "Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if not self._intents_allowed(intents):
            await connection.close(4014, "Disallowed intent(s).")
            return
        session = Session(secrets.token_hex(16), data, intents, connection=connection)
        self._sessions[session.id] = session
        connection.session = session
        await connection.send(session.frame("READY", self._ready_payload(session)))
        if intents & INTENT_GUILDS:
            for guild in self.guilds.values():
                await connection.send(session.frame("GUILD_CREATE", guild.payload()))
        self._ready_sent += 1

    def _intents_allowed(self, intents: int) -> bool:
        return all(
            not intents & intent or self.application_flags & flags
            for intent, flags in PRIVILEGED_INTENT_FLAGS.items()
        )

    def _ready_payload(self, session: Session) -> JsonDict:
        ready: JsonDict = {
            "v": 10,
            "user": self.bot.me_payload(),
            "guilds": [{"id": str(guild_id), "unavailable": True} for guild_id in self.guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["discord-double"],
        }
        if "shard" in session.identify:
            ready["shard"] = session.identify["shard"]
        return ready

    async def _on_resume(self, connection: Connection, data: JsonDict) -> None:
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            await connection.send({"op": 9, "d": False})
            return
        connection.session = session
        session.connection = connection
        missed = [frame for frame in session.sent if frame["s"] > int(data.get("seq") or 0)]
        for frame in missed:
            await connection.send(frame)
        await connection.send(session.frame("RESUMED", {"_trace": ["discord-double"]}))

    async def _on_request_members(self, connection: Connection, data: JsonDict) -> None:
        guild = self.guilds.get(int(data.get("guild_id", 0)))
        if guild is None or connection.session is None:
            return
        wanted = {int(item) for item in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        members = [
            item
            for item in guild.members
            if (not wanted or item.user.id in wanted)
            and item.user.username.lower().startswith(query)
        ]
        chunk = {
            "guild_id": str(guild.id),
            "members": [self._member_payload(item, guild) for item in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await connection.send(connection.session.frame("GUILD_MEMBERS_CHUNK", chunk))

    # -- gateway: pushing to the client -----------------------------------------------------

    async def dispatch(self, event: str, data: JsonDict) -> int:
        """Send a DISPATCH to every identified session; returns how many were live.

        Sessions whose socket is gone keep the event (and its sequence number) for a RESUME.
        """
        return await self._dispatch_built(event, lambda _session: data)

    async def _dispatch_built(self, event: str, build: Callable[[Session], JsonDict | None]) -> int:
        live = 0
        for session in list(self._sessions.values()):
            data = build(session)
            if data is None:
                continue
            frame = session.frame(event, copy.deepcopy(data))
            if session.connection is not None:
                await session.connection.send(frame)
                live += 1
        return live

    async def request_reconnect(self) -> None:
        """Op 7: the client should reconnect and RESUME."""
        for connection in list(self._connections):
            await connection.send({"op": 7, "d": None})

    async def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Op 9; without ``resumable`` the sessions are forgotten and the client identifies anew."""
        for connection in list(self._connections):
            await connection.send({"op": 9, "d": resumable})
        if not resumable:
            self._sessions.clear()

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway socket from the server side (the client reconnects or stops)."""
        for connection in list(self._connections):
            await connection.close(code, "dropped by the double")

    # -- injecting interactions -------------------------------------------------------------

    async def send_interaction(
        self,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        user: FakeMember | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> SentInteraction:
        """A slash command (``"news subscribe"`` for sub-commands) as the user would invoke it.

        The command must be registered with the double (synced by the client or
        ``register_commands``), as Discord only sends registered commands; option types come
        from the registered definition. The default user is the plain reader (no managing roles),
        the default channel #general of the first guild.
        """
        where = self._where(user, guild_id, channel_id)
        data = self._command_data(name, dict(options or {}), where.guild, focused=None)
        return await self._interact(APPLICATION_COMMAND, data, where, locale=locale)

    async def send_autocomplete(
        self,
        name: str,
        options: Mapping[str, OptionValue],
        focused: str,
        *,
        user: FakeMember | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> SentInteraction:
        """An autocomplete interaction (type 4) with ``focused`` as the option being typed."""
        where = self._where(user, guild_id, channel_id)
        data = self._command_data(name, dict(options), where.guild, focused=focused)
        return await self._interact(AUTOCOMPLETE, data, where)

    async def send_component(
        self,
        message_id: int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        user: FakeMember | None = None,
    ) -> SentInteraction:
        """A click on a component (button: type 2; selects: pass ``values``) of a stored message."""
        message = self._messages[message_id]
        data: JsonDict = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        where = self._where(user, self._guild_of(message), int(message["channel_id"]))
        extra = {"message": copy.deepcopy(message)}
        sent = await self._interact(MESSAGE_COMPONENT, data, where, extra=extra)
        self._interactions[sent.id].component_message_id = message_id
        return sent

    def _where(
        self, user: FakeMember | None, guild_id: int | None, channel_id: int | None
    ) -> Where:
        guild = self.guilds[guild_id or self.guild.id]
        channel = guild.channel(channel_id or guild.id + GENERAL_OFFSET) or guild.channels[0]
        member = user or guild.member(READER_ID) or guild.members[0]
        return Where(guild, channel, member)

    async def _interact(
        self,
        kind: int,
        data: JsonDict,
        where: Where,
        *,
        locale: str = "en-US",
        extra: JsonDict | None = None,
    ) -> SentInteraction:
        payload = self._interaction_payload(kind, data, where, locale) | (extra or {})
        sent = SentInteraction(int(payload["id"]), payload["token"], kind, payload)
        live = LiveInteraction(
            sent, time.monotonic(), where.channel.id, where.guild.id, where.member
        )
        self._interactions[sent.id] = live
        if not await self.dispatch("INTERACTION_CREATE", payload):
            raise RuntimeError("no client is connected to the Discord double's gateway")
        return sent

    def _interaction_payload(
        self, kind: int, data: JsonDict, where: Where, locale: str
    ) -> JsonDict:
        guild, channel, member = where.guild, where.channel, where.member
        allowed = guild.permissions(member, channel)
        return {
            "id": str(self._ids.next()),
            "application_id": str(self.application_id),
            "type": kind,
            "token": "interaction-" + secrets.token_urlsafe(24),
            "version": 1,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "channel_id": str(channel.id),
            "channel": channel.payload(guild.id) | {"permissions": str(allowed)},
            "member": self._member_payload(member, guild) | {"permissions": str(allowed)},
            "locale": locale,
            "app_permissions": str(guild.permissions(self.member(self.bot.id, guild.id), channel)),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }

    def _find_command(self, name: str, guild_id: int) -> tuple[JsonDict, int | None]:
        for scope in (guild_id, None):
            for command in self._commands.get(scope, []):
                if command["name"] == name and command["type"] == 1:
                    return command, scope
        raise LookupError(f"/{name} is not registered with the Discord double (sync it first)")

    def _command_data(
        self,
        name: str,
        values: dict[str, OptionValue],
        guild: FakeGuild,
        *,
        focused: str | None,
    ) -> JsonDict:
        top, *path = name.split()
        command, scope = self._find_command(top, guild.id)
        schema = command.get("options") or []
        nested: list[JsonDict] = []
        holder = nested
        for part in path:
            found = next((item for item in schema if item["name"] == part), None)
            if found is None or found.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP):
                raise LookupError(f"/{name}: {part} is not a sub-command")
            inner: list[JsonDict] = []
            holder.append({"name": part, "type": found["type"], "options": inner})
            holder, schema = inner, found.get("options") or []
        resolved: JsonDict = {}
        for key, value in values.items():
            holder.append(
                self._option(guild, schema, key, value, focused=key == focused, resolved=resolved)
            )
        data: JsonDict = {"id": command["id"], "name": top, "type": 1, "options": nested}
        if scope is not None:
            data["guild_id"] = str(scope)
        if resolved:
            data["resolved"] = resolved
        return data

    def _option(
        self,
        guild: FakeGuild,
        schema: list[JsonDict],
        name: str,
        value: OptionValue,
        *,
        focused: bool,
        resolved: JsonDict,
    ) -> JsonDict:
        definition = next((item for item in schema if item["name"] == name), None)
        if definition is None:
            raise LookupError(f"option {name!r} is not in the registered command")
        kind = int(definition["type"])
        option: JsonDict = {"name": name, "type": kind, "value": value}
        if focused:
            option["focused"] = True
        elif kind in (OPTION_USER, OPTION_CHANNEL, OPTION_ROLE, OPTION_MENTIONABLE):
            option["value"] = str(value)
            self._resolve(guild, kind, int(value), resolved)
        return option

    def _resolve(self, guild: FakeGuild, kind: int, target: int, resolved: JsonDict) -> None:
        member, channel, role = guild.member(target), guild.channel(target), guild.role(target)
        if member is not None and kind in (OPTION_USER, OPTION_MENTIONABLE):
            resolved.setdefault("users", {})[str(target)] = member.user.payload()
            payload = self._member_payload(member, guild) | {
                "permissions": str(guild.permissions(member))
            }
            payload.pop("user")
            resolved.setdefault("members", {})[str(target)] = payload
        elif channel is not None and kind == OPTION_CHANNEL:
            allowed = str(guild.permissions(self.member(self.bot.id, guild.id), channel))
            resolved.setdefault("channels", {})[str(target)] = channel.payload(guild.id) | {
                "permissions": allowed
            }
        elif role is not None and kind in (OPTION_ROLE, OPTION_MENTIONABLE):
            resolved.setdefault("roles", {})[str(target)] = role.payload()

    async def post_user_message(
        self, channel_id: int, content: str, *, user: FakeMember | None = None
    ) -> JsonDict:
        """A member writes in a channel: stored, and dispatched as MESSAGE_CREATE."""
        found = self.find_channel(channel_id)
        if found is None:
            raise LookupError(f"no channel {channel_id}")
        guild, channel = found
        member = user or guild.member(READER_ID) or guild.members[0]
        message = self._new_message(channel.id, guild.id, member.user, {"content": content})
        await self._store(message, visible=True)
        return copy.deepcopy(message)


def commands_problem(commands: list[JsonDict]) -> Reply | None:
    if len(commands) > MAX_COMMANDS:
        return form_error("_root", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_COMMANDS} or fewer.")
    seen: set[tuple[str, int]] = set()
    for index, command in enumerate(commands):
        name = str(command.get("name", ""))
        kind = int(command.get("type", 1))
        if kind == 1 and (not COMMAND_NAME.match(name) or name != name.lower()):
            return form_error(f"{index}.name", "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")
        if kind == 1 and not 1 <= len(command.get("description") or "") <= 100:
            return form_error(f"{index}.description", "BASE_TYPE_BAD_LENGTH", "Must be 1-100 long.")
        if (name, kind) in seen:
            return form_error(
                f"{index}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate name"
            )
        seen.add((name, kind))
    return None


KEPT_HEADERS = ("Authorization", "X-Audit-Log-Reason", "Content-Type", "User-Agent")


def kept_headers(request: web.Request) -> dict[str, str]:
    return {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}


async def read_body(request: web.Request) -> tuple[Any, tuple[RecordedFile, ...]]:
    """The JSON body, or a multipart request's ``payload_json`` and files."""
    if not request.can_read_body:
        return None, ()
    if request.content_type.startswith("multipart/"):
        return await read_multipart(request)
    raw = await request.read()
    if request.content_type == "application/json" and raw:
        return json.loads(raw), ()
    return None, ()


async def read_multipart(request: web.Request) -> tuple[Any, tuple[RecordedFile, ...]]:
    payload: Any = None
    files: list[RecordedFile] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = bytes(await part.read(decode=False))
        if part.name == "payload_json":
            payload = json.loads(data)
        elif part.filename is not None:
            content_type = part.headers.get("Content-Type")
            files.append(RecordedFile(part.name or "", part.filename, data, content_type))
    return payload, tuple(files)


def respond(reply: Reply, route: Route | None) -> web.Response:
    # Exactly "application/json": discord.py parses nothing else (aiohttp's text= would add a
    # charset), and a "Via" header, without which discord.py takes a 429 for a Cloudflare ban.
    headers = {
        "Via": "1.1 google",
        "X-RateLimit-Bucket": bucket_hash(route.template if route else ""),
    }
    headers.update(reply.headers)
    if reply.body is None:
        return web.Response(status=reply.status, headers=headers)
    headers["Content-Type"] = "application/json"
    return web.Response(status=reply.status, body=json.dumps(reply.body).encode(), headers=headers)


# --- pointing discord.py at the double ------------------------------------------------------


@contextlib.contextmanager
def use_double(double: DiscordDouble) -> Iterator[None]:
    """Point discord.py's REST base and gateway at the double; restore them afterwards."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = double.rest_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def running_client(
    client: discord.Client, double: DiscordDouble, *, timeout: float = 5.0
) -> AsyncIterator[discord.Client]:
    """Log ``client`` in to the double, connect it, wait for ``on_ready``; close it afterwards.

    Give the client a small ``guild_ready_timeout`` (e.g. 0.05): discord.py waits that long
    after the last GUILD_CREATE before it fires ``on_ready``.
    """
    with use_double(double):
        try:
            await client.login(double.token)
            task = asyncio.create_task(client.connect(reconnect=True))
            try:
                await wait_ready(client, task, timeout)
                yield client
            finally:
                await client.close()
                await asyncio.wait_for(task, timeout)
        finally:
            await client.close()


async def wait_ready(client: discord.Client, task: asyncio.Task[None], timeout: float) -> None:
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait(
        {ready, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if ready in done:
        return
    ready.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await ready
    if task in done:
        task.result()
        raise RuntimeError("the client stopped before it was ready")
    raise TimeoutError(f"the client was not ready within {timeout} s")
