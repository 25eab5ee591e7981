"""Feed documents to entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed 1.x here.

Everything here is a pure function of the bytes and the response headers, so it can run in a
worker process. feedparser only ever gets the bytes (wrapped in a file object: given a plain
string or bytes it would open URLs and paths itself) and the headers, never a URL or a path.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import html
import io
import json
import logging
from collections.abc import Mapping
from typing import Any

import feedparser
import lxml.etree

from digests.errors import FeedError
from digests.fetch._entries import (
    MAX_CHARS,
    MAX_ITEMS,
    ParsedEntry,
    ParsedFeed,
    make_entry,
    newest,
    unique_entries,
    web_link,
)
from digests.fetch._fastrss import read_plain_rss
from digests.fetch._text import one_line
from digests.model import UTC

log = logging.getLogger(__name__)

_JSON_FEED_VERSION = "https://jsonfeed.org/version/1"


def _utc(parsed: Any) -> dt.datetime | None:
    if not parsed:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


class NotAFeedError(FeedError, ValueError):
    """The document is not a feed we can read; ``key`` is its URL."""


def parse_feed(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    *,
    max_items: int = MAX_ITEMS,
    max_chars: int = MAX_CHARS,
) -> ParsedFeed:
    """Parse a fetched document; raise :class:`NotAFeedError` if it is none.

    Only the ``max_items`` newest items become entries (the rest are counted in ``skipped``),
    and texts are cut to ``max_chars``: a hostile document makes no more work than that.
    """
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if "json" in content_type or body.lstrip()[:1] == b"{":
        return _parse_json_feed(body, url, max_items, max_chars)
    return read_plain_rss(
        body, headers, url, max_items=max_items, max_chars=max_chars
    ) or _parse_xml_feed(body, headers, url, max_items, max_chars)


def _parse_xml_feed(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    max_items: int = MAX_ITEMS,
    max_chars: int = MAX_CHARS,
) -> ParsedFeed:
    if _too_deep(body):
        raise NotAFeedError(url, "not a feed: XML nested too deeply")
    lowered = {key.lower(): value for key, value in headers.items()}
    lowered["content-location"] = url  # the base for relative links
    result = feedparser.parse(
        io.BytesIO(body), response_headers=lowered, resolve_relative_uris=True
    )
    problem = None
    if result.get("bozo"):
        problem = " ".join(str(result.get("bozo_exception", "ill-formed document")).split())
    if not result.get("version") and not result.entries:
        raise NotAFeedError(
            url, "not an RSS, Atom or JSON feed" + (f" ({problem})" if problem else "")
        )
    channel = result.feed
    kept, skipped = newest(result.entries, _xml_date, max_items)
    entries = (_xml_entry(url, item, max_chars) for item in kept)
    return ParsedFeed(
        title=one_line(channel.get("title", "")) or None,
        site_url=web_link(url, channel.get("link")),
        entries=unique_entries(entries),
        problem=problem,
        format=str(result.get("version") or "unknown"),
        skipped=skipped,
    )


def _too_deep(body: bytes) -> bool:
    """Whether the document nests elements deeper than lxml's limit (256 levels).

    No feed does; feedparser has no such limit and takes tens of seconds on a document nested
    200,000 deep, while lxml stops at the limit in well under a millisecond. Recovering, so
    that a malformed document is still checked to its end.
    """
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    with contextlib.suppress(lxml.etree.XMLSyntaxError):  # read what recovery could not
        lxml.etree.fromstring(body, parser)
    return any(
        error.type == lxml.etree.ErrorTypes.ERR_RESOURCE_LIMIT and "depth" in error.message.lower()
        for error in parser.error_log
    )


def _xml_date(item: Any) -> dt.datetime | None:
    # dict.get: feedparser's own get() swaps in published_parsed for a missing updated_parsed
    return _utc(dict.get(item, "published_parsed")) or _utc(dict.get(item, "updated_parsed"))


def _xml_entry(base: str, item: Any, max_chars: int) -> ParsedEntry:
    content = item.get("content") or []
    content_html = max((part.get("value", "") for part in content), key=len, default="")
    return make_entry(
        base,
        guid=item.get("id"),
        link=item.get("link"),
        title_html=item.get("title", ""),
        summary_html=item.get("summary", ""),
        content_html=content_html,
        author=item.get("author"),
        # dict.get: feedparser's own get() swaps in published_parsed for a missing updated_parsed
        published=_utc(dict.get(item, "published_parsed")),
        updated=_utc(dict.get(item, "updated_parsed")),
        max_chars=max_chars,
    )


def _parse_json_feed(body: bytes, url: str, max_items: int, max_chars: int) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotAFeedError(url, f"not valid JSON ({error})") from error
    except RecursionError:  # the decoder recurses once per level of nesting
        raise NotAFeedError(url, "not a feed: JSON nested too deeply") from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        _JSON_FEED_VERSION
    ):
        raise NotAFeedError(url, "JSON, but not a JSON Feed (no jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise NotAFeedError(url, "JSON Feed without an items list")
    base = web_link(url, document.get("feed_url")) or url
    objects = [item for item in items if isinstance(item, dict)]
    kept, skipped = newest(objects, _json_item_date, max_items)
    entries = (_json_entry(base, item, max_chars) for item in kept)
    return ParsedFeed(
        title=one_line(str(document.get("title", ""))) or None,
        site_url=web_link(base, document.get("home_page_url")),
        entries=unique_entries(entries),
        format="json" + str(document["version"]).rsplit("/", 1)[-1],
        skipped=skipped,
    )


def _json_item_date(item: Mapping[str, Any]) -> dt.datetime | None:
    return _json_date(item.get("date_published")) or _json_date(item.get("date_modified"))


def _json_date(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json_author(item: Mapping[str, Any]) -> str | None:
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
    return ", ".join(str(name) for name in names) or None


def _json_entry(base: str, item: Mapping[str, Any], max_chars: int) -> ParsedEntry:
    guid = item.get("id")
    return make_entry(
        base,
        guid=str(guid) if guid is not None else None,
        link=item.get("url") or item.get("external_url"),
        title_html=str(item.get("title", "")),
        summary_html=html.escape(str(item.get("summary", ""))),  # plain text in JSON Feed
        content_html=str(
            item.get("content_html") or html.escape(str(item.get("content_text", "")))
        ),
        author=_json_author(item),
        published=_json_date(item.get("date_published")),
        updated=_json_date(item.get("date_modified")),
        max_chars=max_chars,
    )
