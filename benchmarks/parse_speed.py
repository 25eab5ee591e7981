"""How fast feeds of the ingest benchmark parse, one core: feedparser as newsdigest uses it, and
a bare lxml reading of the same RSS items with newsdigest's own text cleaning.

The second is not newsdigest's parser: it measures how much a fast path for well-formed feeds
(lxml, with feedparser kept for ill-formed ones) could gain. Run from the repository root:

    .venv/bin/python benchmarks/parse_speed.py [--feeds 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.etree

sys.path.insert(0, str(Path(__file__).parent))

import feedgen

from digests.fetch._parse import parse_feed
from digests.fetch._text import html_to_text, one_line

_SAFE = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_HEADERS = {"content-type": "application/rss+xml"}
_BASE = "http://127.0.0.1:8080/feeds/0.xml"


def lxml_items(body: bytes) -> int:
    """RSS items read with lxml and cleaned as newsdigest cleans them; returns their count."""
    count = 0
    for item in lxml.etree.fromstring(body, _SAFE).iter("item"):
        title = one_line(item.findtext("title") or "")
        summary = html_to_text(item.findtext("description") or "")
        stamp = item.findtext("pubDate")
        _ = email.utils.parsedate_to_datetime(stamp) if stamp else None
        _ = hashlib.sha256(f"{title}\x1f{summary}".encode()).hexdigest()
        count += 1
    return count


def newsdigest_parse(body: bytes) -> int:
    return len(parse_feed(body, _HEADERS, _BASE).entries)


def best_rate(documents: list[bytes], parse: Callable[[bytes], int], repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for body in documents:
            parse(body)
        best = max(best, len(documents) / (time.perf_counter() - start))
    return best


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--feeds", type=int, default=60)
    options.add_argument("--items", type=int, default=30)
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()
    documents = [
        feedgen.make_feed(n, args.items, "http://127.0.0.1:8080", 1).body for n in range(args.feeds)
    ]
    assert {lxml_items(body) for body in documents} == {args.items}
    for label, parse in (
        ("newsdigest parse_feed (feedparser)", newsdigest_parse),
        ("lxml items + newsdigest's text cleaning", lxml_items),
    ):
        rate = best_rate(documents, parse, args.repeat)
        print(f"{label:42} {rate:7.0f} feeds/s  (one core, best of {args.repeat})")


if __name__ == "__main__":
    main()
