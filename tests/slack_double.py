"""A loopback Slack for tests: Web API, response URLs and Socket Mode, enough for slack_sdk/bolt.

``SlackDouble`` is one aiohttp server on 127.0.0.1 (a free port) that the unmodified
``slack_sdk.web.async_client.AsyncWebClient`` (``base_url=slack.api_url``), bolt's ``respond()``
(``AsyncWebhookClient`` posting to a ``response_url``) and the aiohttp Socket Mode client
(``slack_bolt.adapter.socket_mode.aiohttp.AsyncSocketModeHandler``) talk to. It records every
request with its parsed body, keeps what was posted (messages per channel, ephemerals, App Home
views per user, response_url posts per response id) and can be told to fail on purpose.

What it covers:

* Web API under ``/api/``: ``auth.test``, ``chat.postMessage``, ``chat.postEphemeral``,
  ``chat.update``, ``views.publish`` (with ``hash`` conflicts), ``users.info``,
  ``conversations.info``, ``team.info``, ``apps.connections.open`` (app-level token only) and
  ``oauth.v2.access`` (client credentials by HTTP Basic auth or form fields; one-use codes that
  install a new bot token). Bodies may be JSON, form-encoded or multipart, arguments may come in
  the query string (slack_sdk sends most "POST" methods that way, and ``users.info`` and friends
  as ``GET``); ``blocks``/``attachments``/``view``/``metadata`` sent as form strings are decoded.
  Unknown methods are recorded and answered ``unknown_method``.
* Tokens: ``Authorization: Bearer ...`` or a ``token`` argument. Unknown tokens get
  ``invalid_auth``, revoked ones ``token_revoked``, none ``not_authed``, a token of the wrong kind
  (an ``xoxb-`` token for ``apps.connections.open``, an ``xapp-`` token elsewhere)
  ``not_allowed_token_type``; all with HTTP 200, as Slack does.
* Platform rules a renderer can trip over: 50 blocks per message and 100 per view, section text
  3000, section fields 10 (2000 each), header text 150 (plain_text), context elements 10, actions
  elements 25, message text 40000, a message with no text/blocks/attachments (``no_text``), a
  response_url used more than 5 times (``used_url``). The error shapes follow Slack's
  (``invalid_blocks`` with ``errors`` and ``response_metadata.messages``) but the wording is ours.
* Socket Mode at the URL that ``apps.connections.open`` returns (one ticket per call): ``hello``
  on connect; ``slash_commands``, ``events_api`` and any other envelope sent by the test; the
  client's acks recorded with how long they took; ``disconnect`` (refresh) and dropped
  connections. With several connections each envelope goes to the newest open one.
* Scripted failures for the next N calls of a method: HTTP 429 with ``Retry-After``, HTTP 5xx,
  any ``{"ok": false, "error": ...}``, and "did it, then answered 5xx". The pseudo-method
  ``"response_url"`` scripts failures of response URL posts.
* HTTP mode: ``signed_slash_command`` and ``signed_event`` build bodies and the
  ``X-Slack-Request-Timestamp``/``X-Slack-Signature`` headers that bolt's request verification
  accepts.

What it does not do: real rate-limit tiers (only scripted 429s), DMs (posting to a user id stores
the message under that id), threads beyond recording ``thread_ts``, files, modals
(``views.open``/``views.update``), interactivity payloads beyond ``send_envelope``, Enterprise
Grid, the 30-minute lifetime of response URLs, and Events API retries on a missing ack.

slack_sdk 3.48 / slack_bolt 1.30 details this relies on:

* ``AsyncWebClient`` joins ``base_url`` and the method name with ``urljoin``, so the base must
  end with ``/``. ``chat.*`` and ``views.publish`` send JSON (``application/json;charset=utf-8``);
  ``auth.test``, ``apps.connections.open`` send POST with the arguments in the *query string*;
  ``users.info``, ``conversations.info``, ``team.info`` use GET; ``oauth.v2.access`` sends a form
  with ``Authorization: Basic`` client credentials (which replace the client's own Bearer token).
  A response counts as success only with HTTP 200 and ``"ok": true``.
* Bolt builds a client per request that copies ``base_url`` and adds ``team_id`` to every call,
  so calls made inside listeners carry a ``team_id`` argument. ``AsyncApp`` without
  ``process_before_response`` verifies the bot token lazily with ``auth.test`` on the first
  request; ``AsyncOAuthFlow.run_installation`` calls ``auth.test`` with the new bot token and
  reads ``bot_id`` from it.
* Retry handlers: ``AsyncRateLimitErrorRetryHandler`` sleeps ``int(Retry-After) + random()``
  seconds, so ``Retry-After`` must be an integer (``"0"`` means up to one second, ``"0.5"``
  raises ``ValueError``); ``AsyncServerErrorRetryHandler`` retries only 500 and 503 (not 502),
  sleeping by its interval calculator (pass ``FixedValueRetryIntervalCalculator(0.01)`` in
  tests). Both retry once by default. Without handlers a 429 or 5xx raises ``SlackApiError``.
* The Socket Mode client ignores ``hello`` (it is not an envelope: no ``envelope_id``), acks with
  ``{"envelope_id": ..., "payload": ...}`` (no ``payload`` for a bare ``ack()``), reconnects on a
  ``disconnect`` message by calling ``apps.connections.open`` again, and on a server-side close.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from aiohttp.web_request import FileField
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

JsonDict = dict[str, Any]
TokenKind = Literal["bot", "user", "app"]

# The default world.
BOT_TOKEN = "xoxb-test"  # a fake token for a fake Slack
APP_TOKEN = "xapp-test"
TEAM_ID = "T0DOUBLE1"
TEAM_NAME = "Newsroom"
TEAM_DOMAIN = "newsroom"
APP_ID = "A0DOUBLE1"
BOT_USER_ID = "U0BOT0001"
BOT_ID = "B0BOT0001"
MEMBER_ID = "U0MEMBER1"
ADMIN_ID = "U0ADMIN01"
OWNER_ID = "U0OWNER01"
GENERAL_CHANNEL_ID = "C0GENERAL"
NEWS_CHANNEL_ID = "C0NEWS001"
#: A private channel the bot is not in: conversations.info answers channel_not_found.
PRIVATE_CHANNEL_ID = "G0PRIVATE"
CLIENT_ID = "1000000001.2000000002"
CLIENT_SECRET = "double-client-secret"
VERIFICATION_TOKEN = "double-verification-token"

# Limits (Slack docs; see /work/shared/design/PLATFORM-LIMITS.md).
ACK_DEADLINE = 3.0
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_MESSAGE_TEXT = 40_000
RESPONSE_URL_USES = 5

#: Arguments that slack_sdk (or a caller) may send as JSON strings inside a form or query.
JSON_ARGUMENTS = frozenset({"blocks", "attachments", "view", "metadata", "user_auth_blocks"})
KEPT_HEADERS = ("Authorization", "Content-Type", "User-Agent")
SERVER_ERRORS = {500: "fatal_error", 502: "bad_gateway", 503: "service_unavailable"}


def frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only deep copy, for the records."""
    return MappingProxyType(copy.deepcopy(dict(value or {})))


# --- the world --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """Who a token belongs to."""

    token: str
    kind: TokenKind
    team_id: str = TEAM_ID
    user_id: str = BOT_USER_ID  # the bot user for bot tokens, the installer for user tokens
    bot_id: str | None = BOT_ID  # bot tokens only
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    domain: str

    def payload(self) -> JsonDict:
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "email_domain": "",
            "icon": {"image_default": True},
        }


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    team_id: str = TEAM_ID
    real_name: str = ""
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/London"

    def payload(self) -> JsonDict:
        real_name = self.real_name or self.name
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": real_name,
            "tz": self.tz,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": {"real_name": real_name, "display_name": self.name},
        }


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str
    creator: str = OWNER_ID
    is_private: bool = False
    is_member: bool = True  # whether the bot is in it
    is_archived: bool = False
    created: int = 1_700_000_000

    def payload(self) -> JsonDict:
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_member": self.is_member,
            "created": self.created,
            "creator": self.creator,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


@dataclass(frozen=True)
class OAuthGrant:
    """What ``oauth.v2.access`` hands out for one code."""

    code: str
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    scopes: tuple[str, ...]
    installer_user_id: str
    app_id: str = APP_ID
    redirect_uri: str | None = None  # if set, the exchange must name the same one

    def payload(self) -> JsonDict:
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": self.installer_user_id},
            "scope": ",".join(self.scopes),
            "token_type": "bot",
            "access_token": self.bot_token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": self.team_id, "name": self.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }


def default_users() -> tuple[SlackUser, ...]:
    return (
        SlackUser(BOT_USER_ID, "newsdigest", is_bot=True),
        SlackUser(MEMBER_ID, "reader"),
        SlackUser(ADMIN_ID, "admin", is_admin=True),
        SlackUser(OWNER_ID, "owner", is_admin=True, is_owner=True, is_primary_owner=True),
    )


def default_channels() -> tuple[SlackChannel, ...]:
    return (
        SlackChannel(GENERAL_CHANNEL_ID, "general", creator=OWNER_ID),
        SlackChannel(NEWS_CHANNEL_ID, "news", creator=ADMIN_ID),
        SlackChannel(
            PRIVATE_CHANNEL_ID, "secret", creator=ADMIN_ID, is_private=True, is_member=False
        ),
    )


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiCall:
    """One Web API request as the double saw it, with the answer it gave."""

    index: int
    at: float  # seconds since the double started
    method: str  # "chat.postMessage"
    http_method: str  # "POST" or "GET"
    args: Mapping[str, Any]  # query, form and JSON body merged; JSON strings in forms decoded
    query: Mapping[str, str]
    body_kind: str  # "json", "form", "multipart", "raw" or "none"
    headers: Mapping[str, str]  # Authorization, Content-Type, User-Agent
    token: str | None  # from "Authorization: Bearer" or a token argument
    status: int
    response: Mapping[str, Any]
    fault: str | None  # "rate_limited", "server_error", "error", "accepted_then_failed", ...

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        value = self.response.get("error")
        return None if value is None else str(value)


@dataclass(frozen=True)
class Message:
    """A message posted with chat.postMessage (as chat.update left it)."""

    channel: str
    ts: str
    text: str
    blocks: tuple[JsonDict, ...]
    attachments: tuple[JsonDict, ...]
    thread_ts: str | None
    user: str  # the bot user that posted it
    bot_id: str | None
    team_id: str
    args: Mapping[str, Any]  # the arguments of the chat.postMessage call
    edits: tuple[Mapping[str, Any], ...] = ()  # arguments of each chat.update

    def payload(self) -> JsonDict:
        body: JsonDict = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "team": self.team_id,
            "app_id": APP_ID,
        }
        if self.bot_id:
            body["bot_id"] = self.bot_id
        if self.blocks:
            body["blocks"] = copy.deepcopy(list(self.blocks))
        if self.attachments:
            body["attachments"] = copy.deepcopy(list(self.attachments))
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.edits:
            body["edited"] = {"user": self.user, "ts": self.ts}
        if self.args.get("metadata"):
            body["metadata"] = copy.deepcopy(self.args["metadata"])
        return body


@dataclass(frozen=True)
class Ephemeral:
    channel: str
    user: str  # who sees it
    ts: str
    text: str
    blocks: tuple[JsonDict, ...]
    attachments: tuple[JsonDict, ...]
    args: Mapping[str, Any]


@dataclass(frozen=True)
class PublishedView:
    user_id: str
    view_id: str
    hash: str
    view: Mapping[str, Any]  # the view as sent (type, blocks, private_metadata, ...)
    args: Mapping[str, Any]

    @property
    def blocks(self) -> tuple[JsonDict, ...]:
        return tuple(self.view.get("blocks") or ())


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a response_url."""

    response_id: str
    index: int  # 0 for the first use of this response_url
    at: float
    body: Mapping[str, Any]
    status: int
    error: str | None  # "used_url", "expired_url", "invalid_blocks", a scripted error, ...

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))

    @property
    def blocks(self) -> tuple[JsonDict, ...]:
        return tuple(self.body.get("blocks") or ())

    @property
    def attachments(self) -> tuple[JsonDict, ...]:
        return tuple(self.body.get("attachments") or ())

    @property
    def response_type(self) -> str | None:
        value = self.body.get("response_type")
        return None if value is None else str(value)

    @property
    def replace_original(self) -> bool | None:
        value = self.body.get("replace_original")
        return None if value is None else bool(value)

    @property
    def delete_original(self) -> bool | None:
        value = self.body.get("delete_original")
        return None if value is None else bool(value)


@dataclass(frozen=True)
class SocketConnection:
    index: int
    at: float
    ticket: str
    hello: Mapping[str, Any]


@dataclass(frozen=True)
class Envelope:
    """An envelope the double sent over Socket Mode."""

    envelope_id: str
    type: str  # "slash_commands", "events_api", "interactive", ...
    payload: Mapping[str, Any]
    at: float
    connection: int  # SocketConnection.index
    response_url: str | None = None

    @property
    def response_id(self) -> str | None:
        return None if self.response_url is None else response_id_of(self.response_url)


@dataclass(frozen=True)
class SocketAck:
    """An acknowledgement the client sent back: ``{"envelope_id": ..., "payload": ...}``."""

    envelope_id: str
    payload: Mapping[str, Any] | None
    at: float
    after: float | None  # seconds after the envelope was sent (None: an unknown envelope)
    connection: int

    @property
    def late(self) -> bool:
        """Slack shows the user an error when a command is not acknowledged within 3 s."""
        return self.after is not None and self.after > ACK_DEADLINE


@dataclass(frozen=True)
class SocketFrame:
    """A frame from the client that was not an ack (kept for debugging)."""

    at: float
    connection: int
    data: str


# --- scripted failures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: JsonDict
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.body.get("ok"))


def ok(**fields: Any) -> Reply:
    return Reply(200, {"ok": True, **fields})


def failure(error: str, **fields: Any) -> Reply:
    return Reply(200, {"ok": False, "error": error, **fields})


@dataclass
class Fault:
    method: str
    remaining: int
    label: str
    reply: Reply
    accept_first: bool = False
    stall: bool = False


# --- request plumbing -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    method: str
    http_method: str
    args: JsonDict
    query: dict[str, str]
    body_kind: str
    headers: dict[str, str]
    token: str | None
    basic: tuple[str, str] | None  # client_id, client_secret from "Authorization: Basic"


Handler = Callable[[_Call, TokenInfo | None], Awaitable[Reply]]


@dataclass(frozen=True)
class _Method:
    handler: Handler
    tokens: frozenset[TokenKind]  # empty: client credentials instead of a token


@dataclass
class _Link:
    """A live Socket Mode connection."""

    socket: web.WebSocketResponse
    record: SocketConnection


@dataclass
class _ResponseUrl:
    team_id: str
    uses: int = 0


class _Timestamps:
    """Slack-style message timestamps ("1700000000.000100"), strictly increasing."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        micros = max(int(time.time() * 1_000_000), self._last + 1)
        self._last = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


# --- the double -------------------------------------------------------------------------------


class SlackDouble:
    """The loopback Slack. Use as ``async with SlackDouble() as slack: ...``."""

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        team: Team | None = None,
        users: Sequence[SlackUser] | None = None,
        channels: Sequence[SlackChannel] | None = None,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        app_id: str = APP_ID,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        strict_channels: bool = False,
        port: int = 0,
    ) -> None:
        """``strict_channels``: posting to a channel the double does not know is
        ``channel_not_found`` (by default any id is accepted and stored)."""
        self.team = team or Team(TEAM_ID, TEAM_NAME, TEAM_DOMAIN)
        self.teams: dict[str, Team] = {self.team.id: self.team}
        self.app_id = app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.strict_channels = strict_channels
        self.tokens: dict[str, TokenInfo] = {}
        self._revoked: set[str] = set()
        self.add_token(bot_token, "bot", user_id=bot_user_id, bot_id=bot_id)
        self.add_token(app_token, "app", user_id="", bot_id=None)
        self.users: dict[str, SlackUser] = {
            item.id: item for item in (users if users is not None else default_users())
        }
        self.channels: dict[str, SlackChannel] = {
            item.id: item for item in (channels if channels is not None else default_channels())
        }
        self.port = port  # 0: any free port
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._methods = self._method_table()
        self._ts = _Timestamps()
        self._view_ids = itertools.count(1)
        self._calls: list[ApiCall] = []
        self._faults: list[Fault] = []
        self._messages: dict[str, list[Message]] = {}
        self._ephemerals: dict[str, list[Ephemeral]] = {}
        self._views: dict[str, list[PublishedView]] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._responses: list[ResponsePost] = []
        self._grants: dict[str, OAuthGrant] = {}
        self._tickets: dict[str, bool] = {}  # ticket -> used
        self._links: list[_Link] = []
        self._connections: list[SocketConnection] = []
        self._envelopes: dict[str, Envelope] = {}
        self._acks: list[SocketAck] = []
        self._frames: list[SocketFrame] = []

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> SlackDouble:
        self._closing = asyncio.Event()
        self._stalled: dict[str, int] = {}
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._web_api)
        app.router.add_post("/response/{response_id}", self._response_url_post)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)  # port 0: any free port
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._closing.set()  # held calls end now, not at the server's shutdown timeout
        for link in list(self._links):
            await link.socket.close(code=1001, message=b"the double is shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Pass as ``AsyncWebClient(base_url=...)``; ends with "/" as slack_sdk expects."""
        return self.base_url + "/api/"

    @property
    def socket_mode_url(self) -> str:
        """The Socket Mode endpoint without a ticket (``apps.connections.open`` adds one)."""
        return f"ws://127.0.0.1:{self.port}/link/"

    def _clock(self) -> float:
        return time.monotonic() - self._started

    def client(self, token: str | None = None, **kwargs: Any) -> AsyncWebClient:
        """An ``AsyncWebClient`` pointed at the double (with the bot token by default)."""
        return AsyncWebClient(token=token or self.bot_token, base_url=self.api_url, **kwargs)

    # -- the world --------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        kind: TokenKind = "bot",
        *,
        team_id: str | None = None,
        user_id: str | None = None,
        bot_id: str | None = BOT_ID,
        scopes: Iterable[str] = (),
    ) -> TokenInfo:
        info = TokenInfo(
            token,
            kind,
            team_id or self.team.id,
            self.bot_user_id if user_id is None else user_id,
            bot_id if kind == "bot" else None,
            tuple(scopes),
        )
        self.tokens[token] = info
        self._revoked.discard(token)
        return info

    def revoke_token(self, token: str) -> None:
        """From now on ``token`` gets ``token_revoked`` (as after an uninstall)."""
        self._revoked.add(token)

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
    ) -> SlackUser:
        """Add or replace a user (users.info answers from these)."""
        user = SlackUser(
            user_id,
            name or user_id.lower(),
            team_id or self.team.id,
            is_admin=is_admin or is_owner,
            is_owner=is_owner,
            is_primary_owner=is_primary_owner,
            is_bot=is_bot,
            deleted=deleted,
        )
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        creator: str = OWNER_ID,
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
    ) -> SlackChannel:
        """Add or replace a channel (conversations.info answers from these)."""
        channel = SlackChannel(
            channel_id,
            name or channel_id.lower(),
            creator=creator,
            is_private=is_private,
            is_member=is_member,
            is_archived=is_archived,
        )
        self.channels[channel_id] = channel
        return channel

    def add_oauth_grant(
        self,
        code: str | None = None,
        *,
        team_id: str = "T0INSTALL",
        team_name: str = "Installing Team",
        bot_token: str | None = None,
        bot_user_id: str = "U0BOTINST",
        bot_id: str = "B0BOTINST",
        scopes: Iterable[str] = ("commands", "chat:write"),
        installer_user_id: str = "U0INSTALL",
        redirect_uri: str | None = None,
    ) -> OAuthGrant:
        """A code that ``oauth.v2.access`` exchanges (once) for a new workspace's bot token."""
        grant = OAuthGrant(
            code=code or f"code-{secrets.token_hex(8)}",
            team_id=team_id,
            team_name=team_name,
            bot_token=bot_token or f"xoxb-{team_id.lower()}-{secrets.token_hex(6)}",
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            scopes=tuple(scopes),
            installer_user_id=installer_user_id,
            app_id=self.app_id,
            redirect_uri=redirect_uri,
        )
        self._grants[grant.code] = grant
        return grant

    def response_url(self, response_id: str | None = None, *, team_id: str | None = None) -> str:
        """A slash-command style response URL served by the double."""
        key = response_id or secrets.token_hex(8)
        self._response_urls.setdefault(key, _ResponseUrl(team_id or self.team.id))
        return f"{self.base_url}/response/{key}"

    # -- scripted failures ------------------------------------------------------------------

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``.

        ``retry_after`` is whole seconds: slack_sdk parses it with ``int()`` and sleeps that plus
        up to one second of jitter, so 0 keeps tests fast.
        """
        if not isinstance(retry_after, int) or retry_after < 0:
            raise ValueError("Retry-After is a whole number of seconds (slack_sdk int()s it)")
        reply = Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        self._faults.append(Fault(method, times, "rate_limited", reply))

    def fail(self, method: str, *, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTTP 5xx, doing nothing."""
        self._faults.append(Fault(method, times, "server_error", server_error(status)))

    def accept_then_fail(self, method: str, *, status: int = 503, times: int = 1) -> None:
        """Do what the next ``times`` calls ask (store the message...), then answer a 5xx."""
        fault = Fault(method, times, "accepted_then_failed", server_error(status), True)
        self._faults.append(fault)

    def error(self, method: str, error: str, *, times: int = 1, **fields: Any) -> None:
        """Answer the next ``times`` calls with HTTP 200 ``{"ok": false, "error": error}``."""
        self._faults.append(Fault(method, times, "error", failure(error, **fields)))

    def stall(self, method: str, *, accept: bool, times: int = 1) -> None:
        """Never answer the next ``times`` calls: with ``accept``, after doing what they ask
        (Slack took the message, its answer is lost), else before (Slack never saw it)."""
        label = "accepted_then_stalled" if accept else "stalled"
        self._faults.append(Fault(method, times, label, server_error(504), accept, stall=True))

    def stalled(self, method: str) -> int:
        """How many calls of ``method`` are being held without an answer."""
        return self._stalled.get(method, 0)

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method == method:
                fault.remaining -= 1
                return fault
        return None

    # -- record accessors -------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every Web API request, failed ones included, in order."""
        return [item for item in self._calls if method is None or item.method == method]

    def messages(self, channel: str) -> list[Message]:
        """Messages posted to ``channel`` (with their edits applied), in order."""
        return list(self._messages.get(channel, []))

    def message(self, channel: str, ts: str) -> Message:
        for item in self._messages.get(channel, []):
            if item.ts == ts:
                return item
        raise LookupError(f"no message {ts} in {channel}")

    def ephemerals(self, channel: str, user: str | None = None) -> list[Ephemeral]:
        return [
            item for item in self._ephemerals.get(channel, []) if user is None or item.user == user
        ]

    def published_views(self, user: str) -> list[PublishedView]:
        """Every App Home view published for ``user``, oldest first."""
        return list(self._views.get(user, []))

    def home_view(self, user: str) -> PublishedView | None:
        """The App Home ``user`` sees now."""
        views = self._views.get(user)
        return views[-1] if views else None

    def responses(self, response: str) -> list[ResponsePost]:
        """What was POSTed to a response URL (pass its id or the URL), rejected posts too."""
        key = response_id_of(response)
        return [item for item in self._responses if item.response_id == key]

    @property
    def socket_connections(self) -> list[SocketConnection]:
        return list(self._connections)

    def envelopes(self, type: str | None = None) -> list[Envelope]:
        return [item for item in self._envelopes.values() if type is None or item.type == type]

    def acks(self, envelope_id: str | None = None) -> list[SocketAck]:
        return [
            item for item in self._acks if envelope_id is None or item.envelope_id == envelope_id
        ]

    def socket_frames(self) -> list[SocketFrame]:
        """Frames from Socket Mode clients that were not acks."""
        return list(self._frames)

    # -- waiting ----------------------------------------------------------------------------

    async def wait_until(
        self, check: Callable[[], object], timeout: float = 5.0, *, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Slack double waited {timeout} s for {what or check}")
            await asyncio.sleep(0.01)

    async def wait_messages(
        self, channel: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[Message]:
        await self.wait_until(
            lambda: len(self._messages.get(channel, [])) >= count,
            timeout,
            what=f"{count} messages in {channel}",
        )
        return self.messages(channel)

    async def wait_responses(
        self, response: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[ResponsePost]:
        await self.wait_until(
            lambda: len(self.responses(response)) >= count,
            timeout,
            what=f"{count} posts to response URL {response}",
        )
        return self.responses(response)

    async def wait_calls(
        self, method: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[ApiCall]:
        await self.wait_until(
            lambda: len(self.calls(method)) >= count, timeout, what=f"{count} {method} calls"
        )
        return self.calls(method)

    async def wait_views(
        self, user: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[PublishedView]:
        await self.wait_until(
            lambda: len(self._views.get(user, [])) >= count,
            timeout,
            what=f"{count} views published for {user}",
        )
        return self.published_views(user)

    async def wait_ack(self, envelope: str | Envelope, *, timeout: float = 5.0) -> SocketAck:
        envelope_id = envelope.envelope_id if isinstance(envelope, Envelope) else envelope
        await self.wait_until(
            lambda: bool(self.acks(envelope_id)), timeout, what=f"an ack of {envelope_id}"
        )
        return self.acks(envelope_id)[0]

    async def wait_connected(self, count: int = 1, *, timeout: float = 5.0) -> SocketConnection:
        """Wait until ``count`` Socket Mode connections were made (and greeted with hello)."""
        await self.wait_until(
            lambda: len(self._connections) >= count,
            timeout,
            what=f"{count} Socket Mode connections",
        )
        return self._connections[count - 1]

    # -- Web API plumbing -------------------------------------------------------------------

    def _method_table(self) -> dict[str, _Method]:
        bot_or_user: frozenset[TokenKind] = frozenset({"bot", "user"})
        return {
            "auth.test": _Method(self._auth_test, bot_or_user),
            "chat.postMessage": _Method(self._post_message, bot_or_user),
            "chat.postEphemeral": _Method(self._post_ephemeral, bot_or_user),
            "chat.update": _Method(self._update_message, bot_or_user),
            "views.publish": _Method(self._publish_view, bot_or_user),
            "users.info": _Method(self._users_info, bot_or_user),
            "conversations.info": _Method(self._conversations_info, bot_or_user),
            "conversations.history": _Method(self._conversations_history, bot_or_user),
            "team.info": _Method(self._team_info, bot_or_user),
            "apps.connections.open": _Method(self._connections_open, frozenset({"app"})),
            "oauth.v2.access": _Method(self._oauth_access, frozenset()),
        }

    async def _web_api(self, request: web.Request) -> web.StreamResponse:
        call = await read_call(request)
        reply, label = await self._answer(call)
        self._calls.append(
            ApiCall(
                index=len(self._calls),
                at=self._clock(),
                method=call.method,
                http_method=call.http_method,
                args=frozen(call.args),
                query=MappingProxyType(dict(call.query)),
                body_kind=call.body_kind,
                headers=MappingProxyType(dict(call.headers)),
                token=call.token,
                status=reply.status,
                response=frozen(reply.body),
                fault=label,
            )
        )
        return web.json_response(reply.body, status=reply.status, headers=dict(reply.headers))

    async def _answer(self, call: _Call) -> tuple[Reply, str | None]:
        fault = self._take_fault(call.method)
        if fault is not None and fault.stall and not fault.accept_first:
            await self._hold(call.method)
        if fault is not None and not fault.accept_first:
            return fault.reply, fault.label
        method = self._methods.get(call.method)
        if method is None:
            return failure("unknown_method"), "unknown_method"
        identity: TokenInfo | None = None
        if method.tokens:
            found = self._authenticate(call, method.tokens)
            if isinstance(found, Reply):
                return found, None
            identity = found
        reply = await method.handler(call, identity)
        if fault is not None and fault.stall and reply.ok:
            await self._hold(call.method)
        if fault is not None and reply.ok:
            return fault.reply, fault.label
        return reply, None

    async def _hold(self, method: str) -> None:
        """Hold a call unanswered until the double closes."""
        self._stalled[method] = self._stalled.get(method, 0) + 1
        await self._closing.wait()

    def _authenticate(self, call: _Call, kinds: frozenset[TokenKind]) -> TokenInfo | Reply:
        if not call.token:
            return failure("not_authed")
        if call.token in self._revoked:
            return failure("token_revoked")
        info = self.tokens.get(call.token)
        if info is None:
            return failure("invalid_auth")
        if info.kind not in kinds:
            return failure("not_allowed_token_type")
        return info

    def _team_of(self, identity: TokenInfo | None) -> Team:
        team_id = identity.team_id if identity else self.team.id
        return self.teams.get(team_id) or Team(team_id, team_id, team_id.lower())

    # -- Web API methods --------------------------------------------------------------------

    async def _auth_test(self, _call: _Call, identity: TokenInfo | None) -> Reply:
        assert identity is not None
        team = self._team_of(identity)
        user = self.users.get(identity.user_id)
        fields: JsonDict = {
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": user.name if user else identity.user_id.lower(),
            "team_id": team.id,
            "user_id": identity.user_id,
            "is_enterprise_install": False,
        }
        if identity.bot_id:
            fields["bot_id"] = identity.bot_id
        return ok(**fields)

    def _channel_problem(self, channel: str) -> Reply | None:
        known = self.channels.get(channel)
        if known is None:
            return failure("channel_not_found") if self.strict_channels else None
        if known.is_archived:
            return failure("is_archived")
        if not known.is_member and known.is_private:
            return failure("channel_not_found")
        return None  # a public channel takes posts from outside it (chat:write.public)

    async def _post_message(self, call: _Call, identity: TokenInfo | None) -> Reply:
        assert identity is not None
        channel = str(call.args.get("channel") or "")
        if not channel:
            return failure("channel_not_found")
        problem = self._channel_problem(channel) or message_problem(call.args)
        if problem is not None:
            return problem
        thread_ts = call.args.get("thread_ts")
        message = Message(
            channel=channel,
            ts=self._ts.next(),
            text=str(call.args.get("text") or ""),
            blocks=tuple(call.args.get("blocks") or ()),
            attachments=tuple(call.args.get("attachments") or ()),
            thread_ts=None if thread_ts is None else str(thread_ts),
            user=identity.user_id,
            bot_id=identity.bot_id,
            team_id=identity.team_id,
            args=frozen(call.args),
        )
        self._messages.setdefault(channel, []).append(message)
        return ok(channel=channel, ts=message.ts, message=message.payload())

    async def _post_ephemeral(self, call: _Call, identity: TokenInfo | None) -> Reply:
        channel = str(call.args.get("channel") or "")
        user = str(call.args.get("user") or "")
        if not channel:
            return failure("channel_not_found")
        if not user:
            return failure("user_not_found")
        problem = self._channel_problem(channel) or message_problem(call.args)
        if problem is not None:
            return problem
        ephemeral = Ephemeral(
            channel=channel,
            user=user,
            ts=self._ts.next(),
            text=str(call.args.get("text") or ""),
            blocks=tuple(call.args.get("blocks") or ()),
            attachments=tuple(call.args.get("attachments") or ()),
            args=frozen(call.args),
        )
        self._ephemerals.setdefault(channel, []).append(ephemeral)
        return ok(message_ts=ephemeral.ts)

    async def _update_message(self, call: _Call, identity: TokenInfo | None) -> Reply:
        channel = str(call.args.get("channel") or "")
        ts = str(call.args.get("ts") or "")
        stored = self._messages.get(channel, [])
        found = next((i for i, item in enumerate(stored) if item.ts == ts), None)
        if found is None:
            return failure(
                "channel_not_found" if channel not in self._messages else "message_not_found"
            )
        old = stored[found]
        if identity is not None and old.user != identity.user_id:
            return failure("cant_update_message")
        args = dict(call.args)
        # chat.update keeps whatever is not sent; an empty blocks list removes the blocks.
        merged = {
            "text": args.get("text", old.text),
            "blocks": args.get("blocks", list(old.blocks)),
            "attachments": args.get("attachments", list(old.attachments)),
        }
        problem = message_problem(merged)
        if problem is not None:
            return problem
        new = replace(
            old,
            text=str(merged["text"] or ""),
            blocks=tuple(merged["blocks"] or ()),
            attachments=tuple(merged["attachments"] or ()),
            edits=(*old.edits, frozen(args)),
        )
        stored[found] = new
        return ok(channel=channel, ts=ts, text=new.text, message=new.payload())

    async def _publish_view(self, call: _Call, identity: TokenInfo | None) -> Reply:
        assert identity is not None
        user_id = str(call.args.get("user_id") or "")
        view = call.args.get("view")
        if not user_id:
            return failure("invalid_arguments", response_metadata=metadata(["user_id is required"]))
        if user_id not in self.users:
            return failure("user_not_found")
        if not isinstance(view, dict):
            return failure(
                "invalid_arguments", response_metadata=metadata(["view must be an object"])
            )
        problems = (
            []
            if view.get("type") == "home"
            else ["view type must be home [json-pointer:/view/type]"]
        )
        problems += block_problems(view.get("blocks"), MAX_VIEW_BLOCKS, "/view/blocks")
        if problems:
            return failure("invalid_arguments", response_metadata=metadata(problems))
        current = self.home_view(user_id)
        sent_hash = call.args.get("hash")
        if sent_hash is not None and current is not None and sent_hash != current.hash:
            return failure("hash_conflict")
        view_id = f"V{next(self._view_ids):08d}"
        published = PublishedView(
            user_id=user_id,
            view_id=view_id,
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            view=frozen(view),
            args=frozen(call.args),
        )
        self._views.setdefault(user_id, []).append(published)
        body = {
            "id": view_id,
            "team_id": identity.team_id,
            "app_id": self.app_id,
            "bot_id": identity.bot_id,
            "hash": published.hash,
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            **copy.deepcopy(view),
        }
        return ok(view=body)

    async def _users_info(self, call: _Call, _identity: TokenInfo | None) -> Reply:
        user = self.users.get(str(call.args.get("user") or ""))
        if user is None:
            return failure("user_not_found")
        return ok(user=user.payload())

    async def _conversations_info(self, call: _Call, _identity: TokenInfo | None) -> Reply:
        channel = self.channels.get(str(call.args.get("channel") or ""))
        # Slack does not admit that a private channel exists to a bot outside it.
        if channel is None or (channel.is_private and not channel.is_member):
            return failure("channel_not_found")
        return ok(channel=channel.payload())

    async def _conversations_history(self, call: _Call, _identity: TokenInfo | None) -> Reply:
        """The channel's messages, newest first; metadata only with include_all_metadata."""
        channel = self.channels.get(str(call.args.get("channel") or ""))
        if channel is None or (channel.is_private and not channel.is_member):
            return failure("channel_not_found")
        if not channel.is_member:  # reading needs membership, even of a public channel
            return failure("not_in_channel")
        limit = int(call.args.get("limit") or 100)
        with_metadata = str(call.args.get("include_all_metadata")).lower() in ("1", "true")
        found = []
        for message in reversed(self._messages.get(channel.id, [])[-limit:]):
            body = message.payload()
            if not with_metadata:
                body.pop("metadata", None)
            found.append(body)
        return ok(messages=found, has_more=False)

    async def _team_info(self, call: _Call, identity: TokenInfo | None) -> Reply:
        asked = call.args.get("team")
        if asked:
            team = self.teams.get(str(asked))
            if team is None:
                return failure("team_not_found")
            return ok(team=team.payload())
        return ok(team=self._team_of(identity).payload())

    async def _connections_open(self, _call: _Call, _identity: TokenInfo | None) -> Reply:
        ticket = uuid.uuid4().hex
        self._tickets[ticket] = False
        url = f"{self.socket_mode_url}?{urlencode({'ticket': ticket, 'app_id': self.app_id})}"
        return ok(url=url)

    async def _oauth_access(self, call: _Call, _identity: TokenInfo | None) -> Reply:
        client_id, client_secret = call.basic or (
            str(call.args.get("client_id") or ""),
            str(call.args.get("client_secret") or ""),
        )
        if client_id != self.client_id:
            return failure("invalid_client_id")
        if client_secret != self.client_secret:
            return failure("bad_client_secret")
        grant = self._grants.pop(str(call.args.get("code") or ""), None)
        if grant is None:
            return failure("invalid_code")
        if grant.redirect_uri is not None and call.args.get("redirect_uri") != grant.redirect_uri:
            return failure("bad_redirect_uri")
        self.teams.setdefault(
            grant.team_id, Team(grant.team_id, grant.team_name, grant.team_id.lower())
        )
        self.add_token(
            grant.bot_token,
            "bot",
            team_id=grant.team_id,
            user_id=grant.bot_user_id,
            bot_id=grant.bot_id,
            scopes=grant.scopes,
        )
        return Reply(200, grant.payload())

    # -- response URLs ----------------------------------------------------------------------

    async def _response_url_post(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["response_id"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        if not isinstance(body, dict):
            body = {"_raw": body}
        status, error = self._response_answer(key, body)
        entry = self._response_urls.get(key)
        index = len([item for item in self._responses if item.response_id == key])
        self._responses.append(ResponsePost(key, index, self._clock(), frozen(body), status, error))
        if error is None and entry is not None:
            entry.uses += 1
        answer: JsonDict = {"ok": True} if error is None else {"ok": False, "error": error}
        return web.json_response(answer, status=status)

    def _response_answer(self, key: str, body: JsonDict) -> tuple[int, str | None]:
        fault = self._take_fault("response_url")
        if fault is not None:
            return fault.reply.status, str(fault.reply.body.get("error"))
        entry = self._response_urls.get(key)
        if entry is None:
            return 404, "expired_url"
        if entry.uses >= RESPONSE_URL_USES:
            return 404, "used_url"
        if body.get("delete_original"):
            return 200, None
        problem = message_problem(body)
        if problem is not None:
            return 400, str(problem.body.get("error"))
        return 200, None

    # -- Socket Mode ------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if self._tickets.get(ticket, True):  # unknown or already used
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        self._tickets[ticket] = True
        socket = web.WebSocketResponse(autoping=True)  # answers the client's pings
        await socket.prepare(request)
        hello = {
            "type": "hello",
            "num_connections": len(self._links) + 1,
            "debug_info": {
                "host": "applink-double",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        record = SocketConnection(len(self._connections), self._clock(), ticket, frozen(hello))
        link = _Link(socket, record)
        self._links.append(link)
        try:
            await socket.send_json(hello)
            self._connections.append(record)
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._on_client_frame(link, str(message.data))
        finally:
            self._links.remove(link)
        return socket

    def _on_client_frame(self, link: _Link, data: str) -> None:
        try:
            frame = json.loads(data)
        except json.JSONDecodeError:
            frame = None
        if not isinstance(frame, dict) or "envelope_id" not in frame:
            self._frames.append(SocketFrame(self._clock(), link.record.index, data))
            return
        envelope_id = str(frame["envelope_id"])
        sent = self._envelopes.get(envelope_id)
        now = self._clock()
        payload = frame.get("payload")
        self._acks.append(
            SocketAck(
                envelope_id=envelope_id,
                payload=None if payload is None else frozen(payload),
                at=now,
                after=None if sent is None else now - sent.at,
                connection=link.record.index,
            )
        )

    async def _open_link(self, timeout: float) -> _Link:
        await self.wait_until(
            lambda: any(not item.socket.closed for item in self._links),
            timeout,
            what="a Socket Mode connection",
        )
        return [item for item in self._links if not item.socket.closed][-1]

    async def send_envelope(
        self,
        type: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool = False,
        extra: JsonDict | None = None,
        response_url: str | None = None,
        timeout: float = 5.0,
    ) -> Envelope:
        """Send any envelope to the newest open Socket Mode connection (waiting for one)."""
        link = await self._open_link(timeout)
        envelope_id = str(uuid.uuid4())
        frame = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
            **(extra or {}),
        }
        sent = Envelope(
            envelope_id, type, frozen(payload), self._clock(), link.record.index, response_url
        )
        self._envelopes[envelope_id] = sent
        await link.socket.send_json(frame)
        return sent

    async def send_slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = MEMBER_ID,
        channel_id: str = GENERAL_CHANNEL_ID,
        team_id: str | None = None,
        response_id: str | None = None,
        timeout: float = 5.0,
    ) -> Envelope:
        """Send a ``slash_commands`` envelope; its ``response_url`` points at the double."""
        team = self.teams.get(team_id or self.team.id) or self.team
        url = self.response_url(response_id, team_id=team.id)
        channel = self.channels.get(channel_id)
        user = self.users.get(user_id)
        payload = slash_command_payload(
            command=command,
            text=text,
            user_id=user_id,
            channel_id=channel_id,
            team_id=team.id,
            response_url=url,
            team_domain=team.domain,
            channel_name=channel.name if channel else "directmessage",
            user_name=user.name if user else user_id.lower(),
            api_app_id=self.app_id,
        )
        return await self.send_envelope(
            "slash_commands",
            dict(payload),
            accepts_response_payload=True,
            response_url=url,
            timeout=timeout,
        )

    async def send_event(
        self,
        event: JsonDict,
        *,
        team_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> Envelope:
        """Send an ``events_api`` envelope wrapping ``event`` in an ``event_callback``."""
        tid = team_id or self.team.id
        bot = next(
            (info for info in self.tokens.values() if info.kind == "bot" and info.team_id == tid),
            None,
        )
        payload = event_callback_payload(
            event,
            team_id=tid,
            api_app_id=self.app_id,
            bot_user_id=bot.user_id if bot else self.bot_user_id,
        )
        return await self.send_envelope(
            "events_api",
            payload,
            extra={"retry_attempt": retry_attempt, "retry_reason": retry_reason},
            timeout=timeout,
        )

    async def request_reconnect(self, reason: str = "refresh_requested") -> None:
        """Send ``disconnect`` to every open connection (Slack does so every few hours)."""
        for link in [item for item in self._links if not item.socket.closed]:
            await link.socket.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-double"}}
            )

    async def drop_connections(self, code: int = 1001) -> None:
        """Close every Socket Mode connection from the server side."""
        for link in list(self._links):
            await link.socket.close(code=code, message=b"dropped by the test")


# --- Block Kit and message rules ----------------------------------------------------------------


def metadata(problems: Sequence[str]) -> JsonDict:
    return {"messages": [f"[ERROR] {item}" for item in problems]}


def message_problem(args: Mapping[str, Any]) -> Reply | None:
    """Slack's answer to a message body it would refuse, or None."""
    blocks = args.get("blocks")
    attachments = args.get("attachments")
    text = args.get("text")
    if isinstance(blocks, str) or isinstance(attachments, str):
        return failure(
            "invalid_blocks_format" if isinstance(blocks, str) else "invalid_attachments"
        )
    if not text and not blocks and not attachments:
        return failure("no_text")
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return failure("msg_too_long")
    if blocks is not None:
        problems = block_problems(blocks, MAX_MESSAGE_BLOCKS, "/blocks")
        if problems:
            return failure("invalid_blocks", errors=problems, response_metadata=metadata(problems))
    return None


def block_problems(blocks: Any, max_blocks: int, pointer: str) -> list[str]:
    """What Slack would say about ``blocks`` (limits only; not a full Block Kit validator)."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(
            f"must provide an array of no more than {max_blocks} items [json-pointer:{pointer}]"
        )
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"must be an object with a type [json-pointer:{where}]")
            continue
        problems += _block_problems(block, where)
    return problems


def _text_of(value: Any) -> str:
    return str(value.get("text", "")) if isinstance(value, dict) else ""


def _too_long(value: Any, limit: int, where: str) -> list[str]:
    if len(_text_of(value)) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}/text]"]
    return []


def _block_problems(block: JsonDict, where: str) -> list[str]:
    kind = block["type"]
    problems: list[str] = []
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"must provide text or fields [json-pointer:{where}]")
        problems += _too_long(block.get("text"), MAX_SECTION_TEXT, f"{where}/text")
        fields = block.get("fields") or []
        if len(fields) > MAX_SECTION_FIELDS:
            problems.append(
                f"must provide an array of no more than {MAX_SECTION_FIELDS} items "
                f"[json-pointer:{where}/fields]"
            )
        for number, item in enumerate(fields):
            problems += _too_long(item, MAX_FIELD_TEXT, f"{where}/fields/{number}")
    elif kind == "header":
        text = block.get("text")
        if not isinstance(text, dict) or text.get("type") != "plain_text":
            problems.append(f"must be a plain_text object [json-pointer:{where}/text]")
        problems += _too_long(text, MAX_HEADER_TEXT, f"{where}/text")
    elif kind in ("context", "actions"):
        limit = MAX_CONTEXT_ELEMENTS if kind == "context" else MAX_ACTIONS_ELEMENTS
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.append(f"must provide elements [json-pointer:{where}/elements]")
        elif len(elements) > limit:
            problems.append(
                f"must provide an array of no more than {limit} items "
                f"[json-pointer:{where}/elements]"
            )
    return problems


# --- request parsing ----------------------------------------------------------------------------


def decode_json_arguments(args: JsonDict) -> JsonDict:
    """``blocks='[...]'`` (a form or query string) -> the list, as Slack reads it."""
    decoded = dict(args)
    for name in JSON_ARGUMENTS & decoded.keys():
        value = decoded[name]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                decoded[name] = json.loads(value)
    return decoded


async def read_call(request: web.Request) -> _Call:
    query = dict(request.query)
    form: JsonDict = {}
    body: JsonDict = {}
    kind = "none"
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            raw = await request.read()
            parsed = json.loads(raw) if raw else {}
            body = parsed if isinstance(parsed, dict) else {"_json": parsed}
            kind = "json"
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            posted = await request.post()
            for name, value in posted.items():
                if isinstance(value, str):
                    form[name] = value
                elif isinstance(value, FileField):  # an uploaded file
                    data = value.file.read()
                    form[name] = {"filename": value.filename, "size": len(data)}
                else:
                    form[name] = {"filename": None, "size": len(value)}
            kind = "form" if content_type.endswith("urlencoded") else "multipart"
        else:
            await request.read()
            kind = "raw"
    args = decode_json_arguments({**query, **form, **body})
    headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    token, basic = credentials(request.headers.get("Authorization"))
    if token is None and isinstance(args.get("token"), str):
        token = args["token"]
    return _Call(
        request.match_info["method"], request.method, args, query, kind, headers, token, basic
    )


def credentials(authorization: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """(bearer token, (client_id, client_secret)) from an Authorization header."""
    if not authorization:
        return None, None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None, None
    if scheme.lower() == "basic":
        with contextlib.suppress(ValueError):
            user, _, password = base64.b64decode(value).decode().partition(":")
            return None, (user, password)
    return None, None


def server_error(status: int) -> Reply:
    if not 500 <= status <= 599:
        raise ValueError(f"a server error is 5xx, not {status}")
    return Reply(status, {"ok": False, "error": SERVER_ERRORS.get(status, "internal_error")})


def response_id_of(response: str) -> str:
    """The id of a response URL made by ``SlackDouble.response_url`` (or the id itself)."""
    return response.rstrip("/").rsplit("/", 1)[-1]


# --- payloads and request signing (HTTP mode) ---------------------------------------------------


def slash_command_payload(
    *,
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    team_id: str,
    response_url: str,
    team_domain: str = TEAM_DOMAIN,
    channel_name: str = "general",
    user_name: str = "reader",
    api_app_id: str = APP_ID,
    trigger_id: str | None = None,
) -> dict[str, str]:
    """The fields Slack sends with a slash command (all strings, as in the form body)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id
        or f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}",
    }


def event_callback_payload(
    event: JsonDict,
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> JsonDict:
    """The ``event_callback`` wrapper of the Events API (HTTP body or Socket Mode payload)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": copy.deepcopy(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened_event(
    user_id: str, *, tab: str = "home", channel: str = "D0DOUBLE1"
) -> JsonDict:
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def sign(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` for ``body``:
    ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed with the signing secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def signed_slash_command(
    signing_secret: str,
    *,
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    team_id: str,
    response_url: str,
    timestamp: int | None = None,
    **fields: str,
) -> tuple[bytes, dict[str, str]]:
    """A form body and headers as Slack POSTs a slash command to an HTTP-mode app.

    ``fields`` override or add form fields (``channel_name``, ``user_name``, ``trigger_id``...).
    """
    payload = slash_command_payload(
        command=command,
        text=text,
        user_id=user_id,
        channel_id=channel_id,
        team_id=team_id,
        response_url=response_url,
    )
    payload.update(fields)
    body = urlencode(payload).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(signing_secret, body, timestamp),
    }
    return body, headers


def signed_event(
    signing_secret: str,
    event: JsonDict,
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A JSON ``event_callback`` body and headers as Slack POSTs an event to an HTTP-mode app."""
    payload = event_callback_payload(
        event, team_id=team_id, api_app_id=api_app_id, bot_user_id=bot_user_id, event_id=event_id
    )
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **sign(signing_secret, body, timestamp)}
    return body, headers


# --- running a bolt app against the double ------------------------------------------------------


@contextlib.asynccontextmanager
async def running_socket_mode(
    app: AsyncApp, slack: SlackDouble, *, app_token: str | None = None, timeout: float = 5.0
) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect ``app`` over Socket Mode to the double; close the handler afterwards.

    The handler's Socket Mode client uses ``app.client`` for ``apps.connections.open``, so
    build the app with ``AsyncApp(client=slack.client(), ...)``.
    """
    if not app.client.base_url.startswith(slack.base_url):
        raise ValueError("build the app with client=slack.client() so it talks to the double")
    handler = AsyncSocketModeHandler(app, app_token=app_token or slack.app_token)
    connected = len(slack.socket_connections)
    try:
        connect = handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it bare
        await asyncio.wait_for(connect, timeout)
        await slack.wait_connected(connected + 1, timeout=timeout)
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
