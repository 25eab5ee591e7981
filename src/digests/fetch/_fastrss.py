"""A fast path for plain RSS 2.0: lxml reads the document, and the entries are feedparser's.

feedparser reads about 60 feeds a second on one core here, which made parsing the whole cost
of a first poll (docs/performance.md). Most news feeds are plain, well-formed RSS 2.0 in UTF-8,
and for those lxml does the same reading some twenty times faster. This module reads such a
document only when it understands every part that feeds an entry, and reproduces what
feedparser makes of those parts (its whitespace stripping, its cp1252 and double-encoding
repairs, its resolution of permalink GUIDs, its choice of summary). For anything else, from a
DOCTYPE or an unfamiliar element in an item to a date in an unusual form, it returns None and
feedparser reads the document as before. A test checks that both paths give equal results on
every document the fast path accepts.

Like feedparser here, lxml is given bytes only, with entities, DTDs and the network off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import re
from collections.abc import Mapping
from urllib.parse import urljoin

import lxml.etree
from feedparser.mixin import _FeedParserMixin

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
from digests.fetch._text import one_line
from digests.model import UTC

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_MEDIA = "{http://search.yahoo.com/mrss/}"
_ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

#: Children of an <item> that the fast path reads (and the field each feeds), at most once each.
_ITEM_FIELDS = {
    "title": "title",
    "link": "link",
    "description": "description",
    "guid": "guid",
    "pubDate": "published",
    f"{_DC}date": "updated",
    "author": "author",
    f"{_DC}creator": "author",
    f"{_CONTENT}encoded": "content",
}
#: Children of an <item> that feedparser reads into fields of their own, none of ours.
_ITEM_OTHER = frozenset(
    {
        "category",
        "comments",
        "enclosure",
        "image",
        "source",
        f"{_MEDIA}content",
        f"{_MEDIA}thumbnail",
        f"{_MEDIA}credit",
    }
)
#: Children of <channel> that cannot change the feed's title or link as feedparser reads them.
_CHANNEL_OTHER = frozenset(
    {
        "description",
        "language",
        "copyright",
        "managingEditor",
        "webMaster",
        "pubDate",
        "lastBuildDate",
        "category",
        "generator",
        "docs",
        "cloud",
        "ttl",
        "image",
        "rating",
        "textInput",
        "skipHours",
        "skipDays",
        f"{_DC}creator",
        f"{_DC}date",
        f"{_DC}language",
        f"{_DC}publisher",
        f"{_DC}rights",
        f"{_DC}subject",
    }
)
#: feedparser's own prefix for each namespace it knows.
_KNOWN_PREFIXES: dict[str, str] = {
    uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()
}
#: A W3C date-time (dc:date), to the second or finer, with a zone.
_W3CDTF = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
#: An RFC 822 date in the forms feedparser and the standard library read alike.
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UT|UTC|Z)"
)
#: feedparser maps the C1 controls to the characters cp1252 puts there.
_CP1252 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
#: feedparser's repair of "&name;" sequences in links (it takes them for broken escapes).
_LINK_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")
#: feedparser's clean-up of a scheme followed by extra slashes, before it resolves a URI.
_EXTRA_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")


class _NotPlainError(Exception):
    """Raised inside the fast path for anything it leaves to feedparser."""


def read_plain_rss(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    *,
    max_items: int = MAX_ITEMS,
    max_chars: int = MAX_CHARS,
) -> ParsedFeed | None:
    """The feed, if ``body`` is plain well-formed UTF-8 RSS 2.0; None to let feedparser read
    it. Only the ``max_items`` newest items are read (see :func:`newest`)."""
    if not _utf8_as_served(body, headers):
        return None
    try:
        root = lxml.etree.fromstring(body, _parser())
    except lxml.etree.XMLSyntaxError:
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or (docinfo.encoding or "").lower() != "utf-8":
        return None
    if root.tag != "rss" or root.get("version") != "2.0" or _XML_BASE in root.attrib:
        return None
    try:
        return _read_channel(_only_channel(root), url, max_items, max_chars)
    except _NotPlainError:
        return None


def _parser() -> lxml.etree.XMLParser:
    # One per call: an lxml parser must not be shared between threads.
    return lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


def _utf8_as_served(body: bytes, headers: Mapping[str, str]) -> bool:
    """True when feedparser would decode the body as UTF-8 too.

    A charset in the Content-Type wins over the document's own declaration, and a text/*
    type without one means US-ASCII (RFC 3023): leave those cases to feedparser unless the
    body is plain ASCII, where every reading agrees.
    """
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media, _, params = content_type.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    if charset:
        return charset in ("utf-8", "utf8") or body.isascii()
    return not media.strip().lower().startswith("text/") or body.isascii()


def _only_channel(root: lxml.etree._Element) -> lxml.etree._Element:
    children = [child for child in root if isinstance(child.tag, str)]
    if len(children) != 1 or children[0].tag != "channel":
        raise _NotPlainError
    return children[0]


def _read_channel(
    channel: lxml.etree._Element, url: str, max_items: int, max_chars: int
) -> ParsedFeed:
    if _XML_BASE in channel.attrib:
        raise _NotPlainError
    title: str | None = None
    link: str | None = None
    items = []
    for child in channel:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == "item":
            items.append(child)
        elif tag == "title":
            title = _once(title, _text(child))
        elif tag == "link":
            link = _once(link, _text(child))
        elif tag == _ATOM_LINK:
            if child.get("rel", "alternate") == "alternate":
                raise _NotPlainError  # feedparser would take it for the site's link
        elif tag not in _CHANNEL_OTHER and _feedparser_reads(child):
            raise _NotPlainError
    if link:  # feedparser repairs the entity look-alikes of a feed's link, not its &amp;
        link = _LINK_ENTITY.sub(r"&\g<1>", _resolve(url, link))
    kept, skipped = newest(items, _item_date, max_items)
    return ParsedFeed(
        title=one_line(title or "") or None,
        site_url=web_link(url, link),
        entries=unique_entries(_read_item(item, url, max_chars) for item in kept),
        format="rss20",
        skipped=skipped,
    )


def _item_date(item: lxml.etree._Element) -> dt.datetime | None:
    """An item's date for ranking it against the cap on items (its pubDate, else dc:date)."""
    published = item.findtext("pubDate")
    if published:
        parsed = email.utils.parsedate_tz(published.strip())
        with contextlib.suppress(OverflowError, ValueError, TypeError):
            if parsed is not None:
                return dt.datetime.fromtimestamp(email.utils.mktime_tz(parsed), UTC)
    updated = item.findtext(f"{_DC}date")
    if updated:
        with contextlib.suppress(ValueError):
            moment = dt.datetime.fromisoformat(updated.strip().replace("Z", "+00:00"))
            return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _once(previous: str | None, value: str) -> str:
    if previous is not None:
        raise _NotPlainError  # two of a kind: feedparser's choice between them is its own
    return value


def _text(element: lxml.etree._Element) -> str:
    """An element's text as feedparser reports it; elements or comments inside: not plain."""
    if len(element) or _XML_BASE in element.attrib:
        raise _NotPlainError
    text = (element.text or "").strip()
    if not text.isascii():
        # feedparser undoes UTF-8 that was decoded as Latin-1 once too often
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_CP1252)


def _read_item(item: lxml.etree._Element, base: str, max_chars: int) -> ParsedEntry:
    if _XML_BASE in item.attrib:
        raise _NotPlainError
    fields: dict[str, lxml.etree._Element] = {}
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        field = _ITEM_FIELDS.get(tag)
        if field is None:
            if tag not in _ITEM_OTHER and _feedparser_reads(child):
                raise _NotPlainError
            continue
        if field in fields:
            raise _NotPlainError
        fields[field] = child
    texts = {field: _text(element) for field, element in fields.items()}
    guid, link = _guid_and_link(fields.get("guid"), texts, base)
    description = texts.get("description")
    content = texts.get("content", "")
    return make_entry(
        base,
        guid=guid,
        link=link,
        title_html=texts.get("title", ""),
        # feedparser copies content:encoded into a missing description
        summary_html=description if description is not None else content,
        content_html=content,
        author=texts.get("author"),
        published=_rfc822(texts["published"]) if "published" in texts else None,
        updated=_w3cdtf(texts["updated"]) if "updated" in texts else None,
        max_chars=max_chars,
    )


def _feedparser_reads(element: lxml.etree._Element) -> bool:
    """Whether feedparser has a handler for this element, or for anything inside it.

    An element it has no handler for is kept under its own name, apart from every field the
    fast path reads; feedparser names handlers by its own prefix for the namespace (or the
    document's, for a namespace it does not know) and the element's name in lower case.
    """
    if len(element):
        return True
    qname = lxml.etree.QName(element)
    prefix = _KNOWN_PREFIXES.get((qname.namespace or "").lower(), element.prefix or "")
    name = f"{prefix.lower()}_{qname.localname.lower()}" if prefix else qname.localname.lower()
    return hasattr(_FeedParserMixin, f"_start_{name}") or hasattr(_FeedParserMixin, f"_end_{name}")


def _guid_and_link(
    guid_element: lxml.etree._Element | None, texts: Mapping[str, str], base: str
) -> tuple[str | None, str | None]:
    """feedparser's id and link: a permalink GUID is resolved against the feed's URL, and it
    stands in for the link when the item has no <link>."""
    link = _fix_link(texts["link"], base) if "link" in texts else None
    if guid_element is None:
        return None, link
    guid = texts["guid"]
    attributes = {name.lower(): value for name, value in guid_element.attrib.items()}
    if attributes.get("ispermalink", "true") != "true":
        return guid, link
    if guid:
        guid = _resolve(base, guid)
    return guid, link if "link" in texts else guid


def _fix_link(link: str, base: str) -> str:
    if not link:
        return link
    link = _resolve(base, link).replace("&amp;", "&")
    return _LINK_ENTITY.sub(r"&\g<1>", link)


def _resolve(base: str, uri: str) -> str:
    try:
        return urljoin(base, _EXTRA_SLASHES.sub(r"\1\3", uri))
    except ValueError:
        return ""


def _rfc822(value: str) -> dt.datetime | None:
    if not value:
        return None
    if not _RFC822.fullmatch(value):
        raise _NotPlainError  # other forms: feedparser's many date readers decide
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        raise _NotPlainError
    try:
        return dt.datetime.fromtimestamp(email.utils.mktime_tz(parsed), UTC)
    except (OverflowError, ValueError):
        raise _NotPlainError from None


def _w3cdtf(value: str) -> dt.datetime | None:
    if not value:
        return None
    if not _W3CDTF.fullmatch(value):
        raise _NotPlainError
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(microsecond=0)  # feedparser keeps whole seconds
