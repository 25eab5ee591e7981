"""Small feed documents written for the tests (never third-party files)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    title: str
    guid: str | None = None
    link: str | None = None
    description: str = "A short teaser."
    content: str | None = None
    pub_date: str = "Tue, 24 Nov 2026 08:00:00 GMT"


def items(count: int, prefix: str = "item") -> list[Item]:
    return [
        Item(
            title=f"Story {n}: ministers meet over the ceasefire",
            guid=f"urn:test:{prefix}:{n}",
            link=f"https://news.example/{prefix}/{n}",
            description=f"Teaser number {n} about talks.",
        )
        for n in range(count)
    ]


def rss(entries: Sequence[Item], title: str = "Test World News") -> str:
    def item(entry: Item) -> str:
        parts = [f"<title>{escape(entry.title)}</title>"]
        if entry.guid is not None:
            parts.append(f"<guid isPermaLink='false'>{escape(entry.guid)}</guid>")
        if entry.link is not None:
            parts.append(f"<link>{escape(entry.link)}</link>")
        parts.append(f"<description>{escape(entry.description)}</description>")
        if entry.content is not None:
            parts.append(f"<content:encoded><![CDATA[{entry.content}]]></content:encoded>")
        parts.append(f"<pubDate>{entry.pub_date}</pubDate>")
        return "<item>" + "".join(parts) + "</item>"

    body = "".join(item(entry) for entry in entries)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>Tests</description>{body}</channel></rss>"
    )


def atom(entries: Sequence[Item], title: str = "Test Atom") -> str:
    body = "".join(
        f"<entry><title type='html'>{escape(e.title)}</title><id>{escape(e.guid or '')}</id>"
        f"<link href='{escape(e.link or '')}'/><updated>2026-11-24T08:00:00Z</updated>"
        f"<summary type='html'>{escape(e.description)}</summary></entry>"
        for e in entries
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>{escape(title)}</title><id>urn:test:atom</id>"
        f"<updated>2026-11-24T08:00:00Z</updated>{body}</feed>"
    )


def json_feed(entries: Sequence[Item], title: str = "Test JSON Feed") -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "home_page_url": "https://news.example/",
            "items": [
                {
                    "id": e.guid,
                    "url": e.link,
                    "title": e.title,
                    "content_text": e.description,
                    "date_published": "2026-11-24T08:00:00Z",
                }
                for e in entries
            ],
        }
    )


# -- hostile documents: entity expansion and external entities -----------------------------------
# Written on one line on purpose: feedparser rewrites a DOCTYPE only when its declarations start
# lines of their own, so these reach the XML parser exactly as an attacker would send them.

_HOSTILE_CHANNEL = "<link>https://news.example/</link><description>Tests</description>"


def billion_laughs(levels: int = 10, laugh: str = "lol") -> str:
    """Entities ``levels`` deep, each ten references to the one below: by default under a
    kilobyte that expands to 3 GB ("lol" times 10**9)."""
    entities = [f'<!ENTITY lol0 "{laugh}">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)
    ]
    top = f"&lol{levels - 1};"
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]>'
        f'<rss version="2.0"><channel><title>Laughs {top}</title>{_HOSTILE_CHANNEL}'
        f"<item><title>Laugh {top}</title><guid>urn:test:laughs</guid>"
        f"<description>Teaser {top}</description></item></channel></rss>"
    )


def quadratic_blowup(size: int = 100_000, references: int = 10_000) -> str:
    """One big entity referenced many times: ``size * references`` characters once expanded
    (1 GB by default) from a document of about ``size + 3 * references`` bytes."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{"x" * size}">]>'
        f'<rss version="2.0"><channel><title>Quadratic</title>{_HOSTILE_CHANNEL}'
        "<item><title>Blow-up</title><guid>urn:test:quadratic</guid>"
        f"<description>{'&big;' * references}</description></item></channel></rss>"
    )


def external_entities(canary_url: str, secret_file: str = "/etc/passwd") -> list[str]:
    """Documents that try to pull in a local file or a URL: entities in the internal subset
    (on one line and, as feedparser expects them, on lines of their own), an external DTD and an
    external parameter entity."""

    def document(doctype: str, reference: str, separator: str = "") -> str:
        return (
            f'<?xml version="1.0"?>{separator}{doctype}{separator}'
            f'<rss version="2.0"><channel><title>Leak {reference}</title>{_HOSTILE_CHANNEL}'
            f"<item><title>Leak {reference}</title><guid>urn:test:leak</guid>"
            f"<description>Teaser {reference}</description></item></channel></rss>"
        )

    file_entity = f'<!ENTITY xxe SYSTEM "file://{secret_file}">'
    url_entity = f'<!ENTITY xxe SYSTEM "{canary_url}">'
    return [
        document(f"<!DOCTYPE rss [{file_entity}]>", "&xxe;"),
        document(f"<!DOCTYPE rss [\n{file_entity}\n]>", "&xxe;", separator="\n"),
        document(f"<!DOCTYPE rss [{url_entity}]>", "&xxe;"),
        document(f"<!DOCTYPE rss [\n{url_entity}\n]>", "&xxe;", separator="\n"),
        document(f'<!DOCTYPE rss SYSTEM "{canary_url}">', "&canary;"),
        document(f'<!DOCTYPE rss [<!ENTITY % remote SYSTEM "{canary_url}"> %remote;]>', "&canary;"),
    ]
