"""Parsing feed documents: formats, identity, clean text, links, and documents that are not
feeds. Pure functions: no I/O."""

from __future__ import annotations

import json

import pytest

from digests.fetch import NotAFeedError, parse_feed
from digests.fetch._text import html_to_text
from tests.feeds import Item, atom, json_feed, rss

HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
BASE = "https://news.example/feeds/world.xml"


def test_rss_atom_and_json_feed_give_the_same_entries() -> None:
    entry = Item(title="Talks resume", guid="urn:1", link="https://news.example/a/1")
    for document, content_type in (
        (rss([entry]), "application/rss+xml"),
        (atom([entry]), "application/atom+xml"),
        (json_feed([entry]), "application/feed+json"),
    ):
        parsed = parse_feed(document.encode(), {"Content-Type": content_type}, BASE)
        (only,) = parsed.entries
        assert (only.key, only.title, only.url) == ("urn:1", "Talks resume", entry.link)
        assert only.summary == "A short teaser."
        moment = only.published_at or only.updated_at  # Atom requires only <updated>
        assert moment is not None
        assert moment.utcoffset() is not None


def test_identity_falls_back_from_guid_to_link_to_title_and_date() -> None:
    entries = [
        Item(title="With guid", guid="urn:x", link="https://news.example/1"),
        Item(title="Link only", link="https://news.example/2"),
        Item(title="Neither", pub_date="Mon, 23 Nov 2026 10:00:00 GMT"),
    ]
    keys = [e.key for e in parse_feed(rss(entries).encode(), HEADERS, BASE).entries]
    assert keys[0] == "urn:x"
    assert keys[1] == "https://news.example/2"
    assert keys[2].startswith("sha256:")
    again = [e.key for e in parse_feed(rss(entries).encode(), HEADERS, BASE).entries]
    assert again == keys  # stable across polls


def test_a_repeated_guid_gives_one_entry() -> None:
    twice = [Item(title="First", guid="urn:same"), Item(title="Second", guid="urn:same")]
    parsed = parse_feed(rss(twice).encode(), HEADERS, BASE)
    assert [e.title for e in parsed.entries] == ["First"]


def test_html_becomes_clean_text_and_links_become_absolute() -> None:
    entry = Item(
        title="Minister <b>warns</b> &amp; threatens",
        guid="urn:h",
        link="/articles/7",
        description="<p>First <b>para</b>.</p><script>alert(1)</script><p>Second&nbsp;one.</p>",
        content=(
            "<div><h2>Head</h2><p>Body <a href='/x'>link</a> text.</p><ul><li>one</li></ul></div>"
        ),
    )
    (parsed,) = parse_feed(rss([entry]).encode(), HEADERS, BASE).entries
    assert parsed.title == "Minister warns & threatens"
    assert parsed.url == "https://news.example/articles/7"
    assert parsed.summary == "First para.\nSecond one."
    assert parsed.text == "Head\nBody link text.\none"
    assert "alert" not in parsed.summary


def test_dangerous_link_schemes_are_dropped() -> None:
    entry = Item(title="x", guid="urn:j", link="javascript:alert(1)")
    (parsed,) = parse_feed(rss([entry]).encode(), HEADERS, BASE).entries
    assert parsed.url is None


def test_content_hash_follows_content_not_dates() -> None:
    one = Item(title="Same", guid="urn:s", pub_date="Mon, 23 Nov 2026 10:00:00 GMT")
    later = Item(title="Same", guid="urn:s", pub_date="Tue, 24 Nov 2026 10:00:00 GMT")
    edited = Item(title="Edited", guid="urn:s")
    hashes = [
        parse_feed(rss([item]).encode(), HEADERS, BASE).entries[0].content_hash
        for item in (one, later, edited)
    ]
    assert hashes[0] == hashes[1] != hashes[2]


def test_an_untitled_entry_is_titled_from_its_text() -> None:
    entry = Item(title="", guid="urn:u", description="Parliament votes on the budget today. More.")
    (parsed,) = parse_feed(rss([entry]).encode(), HEADERS, BASE).entries
    assert parsed.title.startswith("Parliament votes on the budget today.")


def test_an_ill_formed_feed_keeps_its_usable_entries() -> None:
    broken = rss([Item(title="Kept", guid="urn:k")]).replace("</channel></rss>", "<item><title>")
    parsed = parse_feed(broken.encode(), HEADERS, BASE)
    assert parsed.problem
    assert parsed.entries[0].title == "Kept"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<html><body><h1>Welcome</h1></body></html>", "text/html", "not an RSS, Atom or JSON"),
        (b"", "application/rss+xml", "not an RSS, Atom or JSON"),
        (b'{"hello": "world"}', "application/json", "not a JSON Feed"),
        (b"{not json", "application/json", "not valid JSON"),
    ],
)
def test_documents_that_are_not_feeds_are_refused(
    body: bytes, content_type: str, reason: str
) -> None:
    with pytest.raises(NotAFeedError, match=reason) as caught:
        parse_feed(body, {"Content-Type": content_type}, BASE)
    assert caught.value.url == BASE


def test_json_feed_plain_text_is_not_taken_for_html() -> None:
    document = json.loads(json_feed([Item(title="t", guid="urn:p")]))
    document["items"][0]["content_text"] = "Prices rose 5% <as expected> & more"
    (parsed,) = parse_feed(json.dumps(document).encode(), {}, BASE).entries
    assert parsed.text == "Prices rose 5% <as expected> & more"


def test_a_body_that_looks_like_a_path_is_never_opened_as_one() -> None:
    # feedparser opens files and URLs when handed a string: we hand it bytes in a file object.
    with pytest.raises(NotAFeedError):
        parse_feed(b"/etc/passwd", {"Content-Type": "application/rss+xml"}, BASE)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("plain   text\n\n here", "plain text\nhere"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<p>x &amp; y</p>", "x & y"),
        ("<style>p{}</style><p>shown</p>", "shown"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text
