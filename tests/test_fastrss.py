"""The lxml fast path for plain RSS 2.0 must give exactly what feedparser's path gives (an
article's identity may never depend on which of them read the feed), and must leave every
document it does not fully understand to feedparser."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.fetch import parse_feed
from digests.fetch._entries import ParsedFeed
from digests.fetch._fastrss import read_plain_rss
from digests.fetch._parse import _parse_xml_feed
from tests.feeds import Item, atom, billion_laughs, rss

BASE = "https://news.example/feeds/world.xml"
RSS_TYPE = {"Content-Type": "application/rss+xml"}
SHARED_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "feeds"

_NS = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:x="urn:example:extension"'
)


def document(items: str, channel: str = "<title>World</title><link>/</link>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {_NS}><channel>'
        f"{channel}{items}</channel></rss>"
    ).encode()


def fields(feed: ParsedFeed) -> tuple[object, ...]:
    return (feed.title, feed.site_url, feed.format, feed.entries)


def assert_same_as_feedparser(body: bytes, headers: dict[str, str] = RSS_TYPE) -> ParsedFeed:
    fast = read_plain_rss(body, headers, BASE)
    assert fast is not None, "the fast path refused a plain RSS 2.0 document"
    slow = _parse_xml_feed(body, headers, BASE)
    assert slow.problem is None
    assert fields(fast) == fields(slow)
    return fast


# Each of these is read by the fast path, and each exercises one of feedparser's habits.
ACCEPTED = {
    "the suite's own feed": rss(
        [Item(title=f"Story {n}", guid=f"urn:{n}", link=f"/a/{n}") for n in range(3)]
    ).encode(),
    "a permalink guid is resolved and stands in for a missing link": document(
        "<item><title>A</title><guid>/stories/1</guid></item>"
        "<item><title>B</title><guid isPermaLink='true'>https://other.example/2</guid></item>"
    ),
    "a guid that is not a permalink stays as it is": document(
        "<item><title>A</title><guid isPermaLink='false'>42</guid><link>/a</link></item>"
    ),
    "a link that comes after the guid wins, an empty one too": document(
        "<item><title>A</title><guid>https://x.example/1</guid><link>/one</link></item>"
        "<item><title>B</title><guid>https://x.example/2</guid><link></link></item>"
    ),
    "entity look-alikes in links": document(
        "<item><title>A</title><link>https://x.example/?a=1&amp;amp;b=2&amp;c;d</link></item>"
    ),
    "content:encoded before and after the description, and alone": document(
        "<item><title>A</title><content:encoded><![CDATA[<p>Body A</p>]]></content:encoded>"
        "<description>Teaser A</description></item>"
        "<item><title>B</title><description>Teaser B</description>"
        "<content:encoded><![CDATA[<p>Body B</p>]]></content:encoded></item>"
        "<item><title>C</title><content:encoded><![CDATA[<p>Only body</p>]]></content:encoded>"
        "</item>"
    ),
    "HTML, entities and whitespace in titles and descriptions": document(
        "<item><title>  AT&amp;T &lt;b&gt;bold&lt;/b&gt; \n talks </title>"
        "<description><![CDATA[<p>One</p><script>x()</script><p>Two &amp; three</p>]]>"
        "</description></item>"
    ),
    "text double-encoded as Latin-1, and cp1252 controls": document(
        "<item><title>CafÃ© talks \u0093quoted\u0094</title><description>Ã¼ber</description></item>"
    ),
    "authors and dates": document(
        "<item><title>A</title><author>desk@news.example (Desk)</author>"
        "<pubDate>Tue, 24 Nov 2026 08:00:00 +0100</pubDate></item>"
        "<item><title>B</title><dc:creator>Jane Doe</dc:creator>"
        "<pubDate>24 Nov 2026 08:00 GMT</pubDate><dc:date>2026-11-25T10:11:12.5+02:00</dc:date>"
        "</item>"
    ),
    "media, categories, enclosures and extensions feedparser keeps apart": document(
        "<item><title>A</title><category>World</category><comments>/c</comments>"
        "<enclosure url='/e.mp3' length='1' type='audio/mpeg'/>"
        "<media:content url='/m.jpg'/><media:thumbnail url='/t.jpg'/><image>/i.jpg</image>"
        "<x:score>3</x:score><bigimage>/b.jpg</bigimage></item>"
    ),
    "a channel with an image, a self link and Dublin Core": document(
        "<item><title>A</title></item>",
        channel="<title>World</title><link>https://news.example/</link>"
        "<atom:link rel='self' href='https://news.example/rss'/>"
        "<image><title>Logo</title><url>/logo.png</url><link>/</link></image>"
        "<dc:language>en</dc:language><language>en</language>",
    ),
    "items without title, guid or link": document(
        "<item><description>Only a teaser, long enough to become the title.</description>"
        "<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>"
    ),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_the_fast_path_gives_what_feedparser_gives(name: str) -> None:
    assert_same_as_feedparser(ACCEPTED[name])


def test_an_ascii_document_served_as_text_xml_without_charset_is_read_fast() -> None:
    assert_same_as_feedparser(ACCEPTED["the suite's own feed"], {"Content-Type": "text/xml"})


def test_what_it_reads_is_what_it_should() -> None:
    feed = assert_same_as_feedparser(
        ACCEPTED["a permalink guid is resolved and stands in for a missing link"]
    )
    first, second = feed.entries
    assert (first.key, first.url) == (
        "https://news.example/stories/1",
        "https://news.example/stories/1",
    )
    assert second.url == "https://other.example/2"


REFUSED = {
    "a DOCTYPE": billion_laughs(levels=2).encode(),
    "Atom": atom([Item(title="A", guid="urn:a", link="/a")]).encode(),
    "RSS 0.91": document("<item><title>A</title></item>").replace(b'"2.0"', b'"0.91"'),
    "ISO-8859-1": document("<item><title>Caf\u00e9</title></item>")
    .decode()
    .replace("utf-8", "iso-8859-1")
    .encode("latin-1"),
    "two titles in an item": document("<item><title>A</title><title>B</title></item>"),
    "author and dc:creator both": document(
        "<item><title>A</title><author>a@x.example</author><dc:creator>B</dc:creator></item>"
    ),
    "media:description, which feedparser reads as the summary": document(
        "<item><title>A</title><media:description>M</media:description></item>"
    ),
    "an atom:link in an item": document("<item><title>A</title><atom:link href='/x'/></item>"),
    "an extension element with children": document(
        "<item><title>A</title><x:group><title>Inner</title></x:group></item>"
    ),
    "a date in a form of its own": document(
        "<item><title>A</title><pubDate>2026-11-24 08:00</pubDate></item>"
    ),
    "xml:base": document("<item xml:base='https://elsewhere.example/'><title>A</title></item>"),
    "a comment inside a title": document("<item><title>A<!-- b -->C</title></item>"),
    "an alternate atom:link on the channel": document(
        "<item><title>A</title></item>",
        channel="<title>W</title><atom:link rel='alternate' type='text/html' href='/'/>",
    ),
    "items outside the channel": b'<rss version="2.0"><channel><title>W</title></channel>'
    b"<item><title>A</title></item></rss>",
    "ill-formed XML": b'<rss version="2.0"><channel><title>W</title><item></channel></rss>',
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_what_it_does_not_fully_understand_goes_to_feedparser(name: str) -> None:
    assert read_plain_rss(REFUSED[name], RSS_TYPE, BASE) is None


def test_a_non_ascii_document_whose_charset_feedparser_would_read_otherwise_is_refused() -> None:
    body = document("<item><title>Caf\u00e9</title></item>")
    assert read_plain_rss(body, {"Content-Type": "text/xml"}, BASE) is None
    assert read_plain_rss(body, {"Content-Type": "application/xml; charset=latin-1"}, BASE) is None
    assert read_plain_rss(body, {"Content-Type": "text/xml; charset=UTF-8"}, BASE) is not None


def test_parse_feed_uses_feedparser_for_refused_documents() -> None:
    body = document("<item><title>A</title><media:description>M</media:description></item>")
    assert parse_feed(body, RSS_TYPE, BASE) == _parse_xml_feed(body, RSS_TYPE, BASE)


@pytest.mark.skipif(not SHARED_FEEDS.is_dir(), reason=f"no real feeds at {SHARED_FEEDS}")
def test_real_feeds_read_fast_are_read_as_feedparser_reads_them() -> None:
    """The real feeds in ../shared/feeds (third-party files, read in place, never copied)."""
    fast = []
    for path in sorted(SHARED_FEEDS.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".json"):
            continue
        body = path.read_bytes()
        for headers in (RSS_TYPE, {"Content-Type": "text/xml; charset=utf-8"}):
            if read_plain_rss(body, headers, BASE) is not None:
                assert_same_as_feedparser(body, headers)
                fast.append(path.name)
    # The news feeds among them are the fast path's reason to be: most must take it.
    assert len(set(fast)) >= 8, sorted(set(fast))
