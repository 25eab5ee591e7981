"""What a feed document yields, whoever parsed it: cleaned entries with identity and hash.

feedparser's path (:mod:`digests.fetch._parse`) and the fast path for plain RSS 2.0
(:mod:`digests.fetch._fastrss`) both build their entries here, so an entry's identity, text
and hash cannot depend on which of them read the document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

from digests.fetch._text import html_to_text, one_line, shorten

_TITLE_FROM_TEXT = 120
_SUMMARY_FROM_TEXT = 400
#: The defaults of FetchSettings.max_items_per_poll and max_article_chars, for callers without
#: settings (tests, tools).
MAX_ITEMS = 2000
MAX_CHARS = 100_000
_SENTENCE_ENDS = (". ", "! ", "? ", ".\n", "!\n", "?\n")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry, cleaned: text instead of HTML, absolute links, UTC dates, identity, hash."""

    key: str
    title: str
    url: str | None
    summary: str
    text: str
    author: str | None
    published_at: dt.datetime | None
    updated_at: dt.datetime | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document: its own title and site, its entries, and why it was ill-formed, if so."""

    title: str | None
    site_url: str | None
    entries: tuple[ParsedEntry, ...]
    #: feedparser's word for a document it read despite errors ("bozo"), else None.
    problem: str | None = None
    format: str = ""
    #: Items of the document left unread by the cap on items per poll (the oldest).
    skipped: int = 0


def content_hash(title: str, url: str | None, summary: str, text: str) -> str:
    """What decides whether a known article changed (dates alone do not)."""
    joined = "\x1f".join((title, url or "", summary, text))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def identity(guid: str | None, link: str | None, title: str, published: str) -> str:
    """guid/id, else the link, else a hash of title and date."""
    if guid and guid.strip():
        return guid.strip()
    if link:
        return link
    digest = hashlib.sha256(f"{title}\x1f{published}".encode()).hexdigest()
    return f"sha256:{digest}"


def web_link(base: str, link: object) -> str | None:
    """An absolute http(s) link, or None (javascript:, mailto: and the like are dropped)."""
    if not isinstance(link, str) or not link.strip():
        return None
    absolute = urljoin(base, link.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def make_entry(
    base: str,
    *,
    guid: str | None,
    link: object,
    title_html: str,
    summary_html: str,
    content_html: str,
    author: str | None,
    published: dt.datetime | None,
    updated: dt.datetime | None,
    max_chars: int = MAX_CHARS,
) -> ParsedEntry:
    url = web_link(base, link)
    summary = cut_text(html_to_text(summary_html), max_chars)
    text = cut_text(html_to_text(content_html), max_chars) if content_html else summary
    summary = summary or shorten(" ".join(text.split()), _SUMMARY_FROM_TEXT)
    title = one_line(title_html) or shorten(" ".join(text.split()), _TITLE_FROM_TEXT)
    moment = published or updated
    stamp = moment.isoformat() if moment else ""
    return ParsedEntry(
        key=identity(guid, url, title, stamp),
        title=title or "(untitled)",
        url=url,
        summary=summary,
        text=text,
        author=author.strip() if author and author.strip() else None,
        published_at=published,
        updated_at=updated,
        content_hash=content_hash(title, url, summary, text),
    )


def unique_entries(entries: Iterable[ParsedEntry]) -> tuple[ParsedEntry, ...]:
    """The first entry of each key: a feed that repeats a GUID gets one article."""
    seen: dict[str, ParsedEntry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return tuple(seen.values())


def newest(
    items: Sequence[T], date_of: Callable[[T], dt.datetime | None], limit: int
) -> tuple[list[T], int]:
    """The ``limit`` newest of ``items`` (by ``date_of``; undated ones rank after the dated,
    in their order), kept in the document's order, and how many were left out.

    Feeds are read whole, but only this many items become entries: a document of a few
    megabytes can hold hundreds of thousands of tiny items.
    """
    if len(items) <= limit:
        return list(items), 0
    dated = [(date_of(item), index) for index, item in enumerate(items)]
    ranked = sorted(dated, key=lambda pair: (pair[0] is None, _newest_first(pair[0]), pair[1]))
    kept = sorted(index for _date, index in ranked[:limit])
    return [items[index] for index in kept], len(items) - limit


def _newest_first(moment: dt.datetime | None) -> float:
    return -moment.timestamp() if moment is not None else 0.0


def cut_text(text: str, limit: int) -> str:
    """``text`` if it is at most ``limit`` characters; else its start, cut at the last
    paragraph end, else sentence end, else space in the second half of the limit."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    floor = limit // 2
    cut = window.rfind("\n")
    if cut < floor:
        cut = max(window.rfind(end) + 1 for end in _SENTENCE_ENDS)
    if cut < floor:
        cut = window.rfind(" ")
    return window[:cut].rstrip() if cut >= floor else window
