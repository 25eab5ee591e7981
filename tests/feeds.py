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
