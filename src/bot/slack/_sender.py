"""Posting digests, watch alerts and feed notices to Slack channels.

Slack has no nonce for chat.postMessage, so the sender makes its own: every message carries its
delivery key in Slack's message metadata. When a post's outcome is unknown (a 5xx, a dropped
connection: Slack may have taken it), or when the outbox sends a delivery again after a
restart, the sender first looks in the channel's recent history for a message with that key,
and posts only what is not there. It keeps to about one message a second per channel (Slack's
limit), waits out 429s (Retry-After), and retries server errors with backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sending import ChannelGoneError, SendFailedError
from bot.settings import Settings
from bot.slack.render import SlackMessage, message_payload, render
from bot.views import View

log = logging.getLogger(__name__)

#: Slack's limit: about one message a second per channel.
SECONDS_PER_MESSAGE = 1.0
#: Tries of one message whose outcome stayed unknown (a 5xx, a dropped connection).
ATTEMPTS = 3
#: How far back the history is searched for a message already posted.
HISTORY_LIMIT = 50
#: The metadata event type newsdigest's messages carry.
EVENT_TYPE = "newsdigest_delivery"
#: chat.postMessage's errors that mean this channel is closed to the bot for good. (A token
#: Slack refuses says nothing about the channel: that is retried, and logged, until an operator
#: puts it right; a subscription is never stopped for it.)
GONE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
_KEY_BYTES = 12

ClientFor = Callable[[str | None], Awaitable[AsyncWebClient]]


def post_client(settings: Settings, token: str | None) -> AsyncWebClient:
    """A client for posting: it waits out 429s (Slack did not take the message) but does not
    retry a server error or a dropped connection by itself (Slack may have taken it)."""
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)],
    )


def message_key(nonce: str, index: int) -> str:
    """The key of the ``index``-th message of a view sent under ``nonce``."""
    return hashlib.blake2s(f"{nonce}/{index}".encode(), digest_size=_KEY_BYTES).hexdigest()


class SlackSender:
    """Posts views to Slack channels; ``client_for(workspace_id)`` gives the client with that
    workspace's bot token (one token for a single workspace, the installation's for many)."""

    def __init__(
        self,
        client_for: ClientFor,
        *,
        spacing: float = SECONDS_PER_MESSAGE,
        backoff: float = 1.0,
    ) -> None:
        self._client_for = client_for
        self._spacing = spacing
        self._backoff = backoff
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def send(
        self,
        channel_id: str,
        view: View,
        *,
        nonce: str,
        workspace_id: str | None = None,
        resend: bool = False,
    ) -> tuple[str, ...]:
        """Post ``view``; return the messages' timestamps (Slack's ids). With ``resend`` (the
        delivery may have been posted before), messages already in the channel are not posted
        again. Two views for one channel never interleave."""
        client = await self._client_for(workspace_id)
        async with self._locks.setdefault(channel_id, asyncio.Lock()):
            posted = await self._posted(client, channel_id) if resend else {}
            sent = []
            for index, message in enumerate(render(view)):
                key = message_key(nonce, index)
                ts = posted.get(key) or await self._post(client, channel_id, message, key)
                sent.append(ts)
        return tuple(sent)

    async def _post(
        self, client: AsyncWebClient, channel_id: str, message: SlackMessage, key: str
    ) -> str:
        for attempt in range(1, ATTEMPTS + 1):
            await self._pace(channel_id)
            try:
                response = await client.chat_postMessage(
                    channel=channel_id,
                    **message_payload(message),
                    metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
                    unfurl_links=False,
                    unfurl_media=False,
                )
                return str(response["ts"])
            except SlackApiError as error:
                _raise_unless_unknown(error, channel_id)
            except (aiohttp.ClientError, TimeoutError, OSError) as error:
                log.warning("posting to %s: %s", channel_id, error)
            found = (await self._posted(client, channel_id)).get(key)  # did Slack take it?
            if found is not None:
                return found
            await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        raise SendFailedError(f"channel {channel_id}: Slack did not take the message")

    async def _posted(self, client: AsyncWebClient, channel_id: str) -> dict[str, str]:
        """Keys of newsdigest's recent messages in the channel, with their timestamps; empty
        when the history cannot be read (a public channel the bot posts to without being in
        it, a missing scope): then nothing is known to be there."""
        try:
            response = await client.conversations_history(
                channel=channel_id, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("cannot read the history of %s to avoid a double post: %s",
                        channel_id, _describe(error))  # fmt: skip
            return {}
        return {
            key: str(item["ts"])
            for item in response.get("messages") or []
            if (key := _key_of(item)) is not None
        }

    async def _pace(self, channel_id: str) -> None:
        wait = self._last.get(channel_id, float("-inf")) + self._spacing - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last[channel_id] = time.monotonic()


def _key_of(message: Mapping[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != EVENT_TYPE:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return str(key) if key else None


def _raise_unless_unknown(error: SlackApiError, channel_id: str) -> None:
    """A refusal is final (the channel is gone, or a bad request: retried later); a server
    error, or an answer that is not Slack's, leaves the outcome unknown, and the caller finds
    out."""
    status, code = _status_and_code(error)
    if code in GONE:
        raise ChannelGoneError(f"channel {channel_id}: {code}") from error
    if status is not None and status < 500:  # noqa: PLR2004 - HTTP's server errors
        raise SendFailedError(f"channel {channel_id}: {code or status}") from error
    log.warning("posting to %s: %s", channel_id, _describe(error))


def _status_and_code(error: SlackApiError) -> tuple[int | None, str]:
    """The HTTP status and Slack's error code, whatever shape the answer had (a proxy's text
    page, a body that was not JSON)."""
    response = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, Mapping) else None
    return (int(status) if isinstance(status, int) else None), str(code or "")


def _describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        status, code = _status_and_code(error)
        return f"HTTP {status} {code}".strip()
    return str(error) or type(error).__name__
