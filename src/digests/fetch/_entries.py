"""What a feed document yields, whoever parsed it: cleaned entries with identity and hash.

feedparser's path (:mod:`digests.fetch._parse`) and the fast path for plain RSS 2.0
(:mod:`digests.fetch._fastrss`) both build their entries here, so an entry's identity, text
and hash cannot depend on which of them read the document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from digests.fetch._text import html_to_text, one_line, shorten

_TITLE_FROM_TEXT = 120
_SUMMARY_FROM_TEXT = 400


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
) -> ParsedEntry:
    url = web_link(base, link)
    summary = html_to_text(summary_html)
    text = html_to_text(content_html) if content_html else summary
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
