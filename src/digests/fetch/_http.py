"""HTTP for feeds and article pages: polite, bounded, and guarded.

One :class:`Fetcher` (one aiohttp session) serves a whole poll. It follows redirects itself so
that every hop passes the SSRF guard, enforces one deadline over the whole fetch, and reads the
body as a stream with a cap on the decompressed size (it decompresses gzip and deflate itself,
with a bound on every step, so a gzip bomb cannot inflate in memory).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Self
from urllib.parse import urljoin

import aiohttp
from multidict import CIMultiDictProxy

from digests.errors import FeedError
from digests.fetch._guard import (
    BlockedURLError,
    GuardedResolver,
    RefusedAddressError,
    check_url,
    guarded_socket_factory,
)
from digests.model import UTC
from digests.settings import FetchSettings

log = logging.getLogger(__name__)

_PERMANENT = frozenset({301, 308})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ANSWERS = frozenset({HTTPStatus.OK, HTTPStatus.NOT_MODIFIED, HTTPStatus.GONE})
_RETRY_LATER = frozenset({HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE})
_CHUNK = 64 * 1024
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


class FetchError(FeedError):
    """A fetch that failed; ``key`` is the URL, the message says why in a few words."""

    def __init__(
        self,
        url: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(url, message)
        self.status = status
        #: The server's Retry-After header as sent (seconds or an HTTP date), if any.
        self.retry_after = retry_after


class TooLargeError(FetchError):
    """The body passed the size cap."""


@dataclass(frozen=True, slots=True)
class Validators:
    """What a previous response said about its version, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """A fetch that got an answer: 200 with a body, 304, or 410."""

    status: int
    #: Where the body came from, after redirects.
    url: str
    #: The new address, if every redirect on the way was permanent (301/308).
    moved_to: str | None
    #: Response headers, names in lower case.
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == HTTPStatus.NOT_MODIFIED

    @property
    def gone(self) -> bool:
        return self.status == HTTPStatus.GONE

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))


def parse_retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """Retry-After as a delay: either seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return dt.timedelta(seconds=int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, dt.timedelta(0))


def parse_max_age(cache_control: str | None) -> dt.timedelta | None:
    """The max-age of a Cache-Control header, if it has a valid one."""
    for directive in (cache_control or "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().strip('"').isdigit():
            return dt.timedelta(seconds=int(value.strip().strip('"')))
    return None


class _Decoder:
    """Turns the raw body into bytes, never holding more than ``limit`` of output."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self._limit = limit
        self._url = url
        self._size = 0
        self._zlib: zlib._Decompress | None = None
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":  # in practice a zlib stream; wbits | 32 detects it
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)
        elif encoding not in ("", "identity"):
            raise FetchError(url, f"unsupported content encoding {encoding!r}")

    def feed(self, data: bytes) -> bytes:
        if self._zlib is None:
            return self._count(data)
        out = []
        pending = data
        while pending:
            room = self._limit - self._size + 1
            try:
                piece = self._zlib.decompress(pending, room)
            except zlib.error as error:
                raise FetchError(self._url, f"corrupt compressed body ({error})") from error
            out.append(self._count(piece))
            pending = self._zlib.unconsumed_tail
            if not piece and pending:
                break
        return b"".join(out)

    def _count(self, piece: bytes) -> bytes:
        self._size += len(piece)
        if self._size > self._limit:
            raise TooLargeError(self._url, f"body larger than {self._limit} bytes")
        return piece


@functools.cache
def _warn_private_networks() -> None:
    """Said once per process (`run` makes a fetcher at each tick)."""
    log.warning(
        "fetch.allow_private_networks is ON: feeds on loopback, private and link-local "
        "addresses can be fetched"
    )


class Fetcher:
    """Fetches with the guard, limits and manners of ``settings``. Use as an async context."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        if settings.allow_private_networks:
            _warn_private_networks()

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private=self.settings.allow_private_networks),
            limit=self.settings.concurrency,
            limit_per_host=self.settings.per_host_concurrency,
            ttl_dns_cache=300,
            socket_factory=guarded_socket_factory(
                allow_private=self.settings.allow_private_networks
            ),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(
        self,
        url: str,
        validators: Validators = Validators(),
        *,
        accept: str = FEED_ACCEPT,
        keep_bytes: int | None = None,
    ) -> Response:
        """GET ``url`` within the deadline. Returns 200, 304 or 410 as a :class:`Response`;
        raises :class:`FetchError` (or :class:`BlockedURLError`) for everything else.

        ``keep_bytes``: read only the body's first bytes (an article page, whose text is near
        its start), and drop the rest instead of failing on the size cap.
        """
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                return await self._follow(url, validators, accept, keep_bytes)
        except TimeoutError as error:
            limit = self.settings.timeout_seconds
            raise FetchError(url, f"no complete answer within {limit:g} s") from error
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, RefusedAddressError):
                raise BlockedURLError(url, error.os_error.strerror or "refused") from error
            raise FetchError(url, _client_error_reason(error)) from error
        except aiohttp.ClientError as error:
            raise FetchError(url, _client_error_reason(error)) from error

    async def _follow(
        self, url: str, validators: Validators, accept: str, keep_bytes: int | None
    ) -> Response:
        current, permanent = url, True
        for _hop in range(self.settings.max_redirects + 1):
            check_url(current, allow_private=self.settings.allow_private_networks)
            status, headers, body = await self._get(current, validators, accept, keep_bytes)
            if status not in _REDIRECTS:
                moved = current if permanent and current != url else None
                lowered = {name.lower(): value for name, value in headers.items()}
                return _answer(url, Response(status, current, moved, lowered, body))
            location = headers.get("Location")
            if not location:
                raise FetchError(
                    current, f"HTTP {status} redirect without a Location", status=status
                )
            permanent = permanent and status in _PERMANENT
            current = urljoin(current, location)
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")

    async def _get(
        self, url: str, validators: Validators, accept: str, keep_bytes: int | None
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        assert self._session is not None, "use Fetcher as `async with Fetcher(...)`"
        headers = {"Accept": accept}
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        async with self._session.get(url, headers=headers, allow_redirects=False) as response:
            body = b""
            if response.status == HTTPStatus.OK:
                body = await self._read(url, response, keep_bytes)
            return response.status, response.headers, body

    async def _read(
        self, url: str, response: aiohttp.ClientResponse, keep_bytes: int | None
    ) -> bytes:
        limit = self.settings.max_bytes
        too_long = response.content_length is not None and response.content_length > limit
        if too_long and keep_bytes is None:
            raise TooLargeError(
                url, f"body of {response.content_length} bytes is over the cap of {limit}"
            )
        decoder = _Decoder(response.headers.get("Content-Encoding", ""), limit, url)
        raw_size, size, parts = 0, 0, []
        async for chunk in response.content.iter_chunked(_CHUNK):
            raw_size += len(chunk)
            if raw_size > limit:
                raise TooLargeError(url, f"body larger than {limit} bytes")
            parts.append(decoder.feed(chunk))
            size += len(parts[-1])
            if keep_bytes is not None and size >= keep_bytes:
                break  # the rest is dropped; the connection is closed, not reused
        body = b"".join(parts)
        return body[:keep_bytes] if keep_bytes is not None else body


def _answer(asked: str, response: Response) -> Response:
    """The response if it is one a poll handles (200, 304, 410); a FetchError otherwise."""
    if response.status in _ANSWERS:
        return response
    retry_after = None
    if response.status in _RETRY_LATER:
        retry_after = response.headers.get("retry-after")
    raise FetchError(
        asked, f"HTTP {response.status}", status=response.status, retry_after=retry_after
    )


def _client_error_reason(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect ({error.os_error.strerror or error.os_error})"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "the body was cut off or malformed"
    return " ".join(str(error).split()) or type(error).__name__


__all__ = [
    "BlockedURLError",
    "FetchError",
    "Fetcher",
    "Response",
    "TooLargeError",
    "Validators",
    "parse_max_age",
    "parse_retry_after",
]
