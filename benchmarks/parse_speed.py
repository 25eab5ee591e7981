"""How fast the ingest benchmark's feeds parse on one core: newsdigest's ``parse_feed`` (which
reads plain RSS 2.0 with its lxml fast path) against feedparser's path alone, on the same
documents, after checking that both give the same entries. Run from the repository root:

    .venv/bin/python benchmarks/parse_speed.py [--feeds 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import feedgen

from digests.fetch._fastrss import read_plain_rss
from digests.fetch._parse import _parse_xml_feed, parse_feed

_HEADERS = {"content-type": "application/rss+xml"}
_BASE = "http://127.0.0.1:8080/feeds/0.xml"


def newsdigest_parse(body: bytes) -> int:
    return len(parse_feed(body, _HEADERS, _BASE).entries)


def feedparser_parse(body: bytes) -> int:
    return len(_parse_xml_feed(body, _HEADERS, _BASE).entries)


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
    for body in documents:
        fast = read_plain_rss(body, _HEADERS, _BASE)
        if fast is None or fast.entries != _parse_xml_feed(body, _HEADERS, _BASE).entries:
            sys.exit("the fast path refused a generated feed, or disagreed with feedparser")
    for label, parse in (
        ("newsdigest parse_feed (lxml fast path)", newsdigest_parse),
        ("feedparser path alone", feedparser_parse),
    ):
        rate = best_rate(documents, parse, args.repeat)
        print(f"{label:40} {rate:7.0f} feeds/s  (one core, best of {args.repeat})")


if __name__ == "__main__":
    main()
