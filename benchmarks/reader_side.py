"""lemon24/reader's side of the ingest benchmark; runs in benchmarks/.venv-reader.

``first``: make_reader, add every URL, ``update_feeds(workers=W)`` (new feeds are due).
``second``: on the same database, ``update_feeds(workers=W, scheduled=False)``: reader 3.21+
polls only *scheduled* feeds by default, and ``scheduled=False`` forces an immediate re-poll.
``check``: what was stored: feeds, broken feeds, entries per feed (kept out of the timed polls).
``parse``: feedparser alone on one core, over feeds fetched first (a CPU ceiling to compare with).
Each mode prints one JSON object on standard output.
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
from reader import __version__ as reader_version
from reader import make_reader


def read_urls(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def first_poll(args: argparse.Namespace) -> dict[str, Any]:
    urls = read_urls(args.urls)
    started = time.perf_counter()
    reader = make_reader(str(args.db))
    for url in urls:
        reader.add_feed(url, exist_ok=True)
    added = time.perf_counter()
    reader.update_feeds(workers=args.workers)
    updated = time.perf_counter()
    reader.close()
    return {
        "reader_version": reader_version,
        "add_seconds": added - started,
        "update_seconds": updated - added,
    }


def second_poll(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    reader = make_reader(str(args.db))
    opened = time.perf_counter()
    reader.update_feeds(workers=args.workers, scheduled=False)
    updated = time.perf_counter()
    reader.close()
    return {
        "reader_version": reader_version,
        "open_seconds": opened - started,
        "update_seconds": updated - opened,
    }


def check(args: argparse.Namespace) -> dict[str, Any]:
    """What the polls stored (run apart from the timed polls: it reads every entry)."""
    urls = read_urls(args.urls)
    reader = make_reader(str(args.db))
    feeds = list(reader.get_feeds())
    per_feed = Counter(entry.feed_url for entry in reader.get_entries())
    counts = [per_feed.get(url, 0) for url in urls]
    reader.close()
    return {
        "feeds": len(feeds),
        "broken": sum(1 for feed in feeds if feed.last_exception is not None),
        "entries_total": sum(per_feed.values()),
        "feeds_with_expected_entries": sum(1 for n in counts if n == args.items),
        "min_entries": min(counts, default=0),
        "max_entries": max(counts, default=0),
    }


def _fetch_all(urls: list[str]) -> list[bytes]:
    """GET each URL over one keep-alive connection (all are on one loopback host)."""
    host = urlsplit(urls[0])
    connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=30)
    bodies = []
    for url in urls:
        connection.request("GET", urlsplit(url).path)
        bodies.append(connection.getresponse().read())
    connection.close()
    return bodies


def parse_only(args: argparse.Namespace) -> dict[str, Any]:
    urls = read_urls(args.urls)[: args.limit]
    bodies = _fetch_all(urls)
    started = time.perf_counter()
    entries = sum(len(feedparser.parse(body).entries) for body in bodies)
    seconds = time.perf_counter() - started
    return {
        "feeds": len(bodies),
        "entries": entries,
        "parse_seconds": seconds,
        "feeds_per_second": len(bodies) / seconds if seconds else None,
        "feedparser_version": feedparser.__version__,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    first = modes.add_parser("first", help="add the feeds and poll them")
    first.add_argument("--db", type=Path, required=True)
    first.add_argument("--urls", type=Path, required=True, help="one feed URL a line")
    first.add_argument("--items", type=int, required=True, help="entries expected per feed")
    first.add_argument("--workers", type=int, default=16)
    first.set_defaults(run=first_poll)
    second = modes.add_parser("second", help="poll every stored feed again, due or not")
    second.add_argument("--db", type=Path, required=True)
    second.add_argument("--workers", type=int, default=16)
    second.set_defaults(run=second_poll)
    checks = modes.add_parser("check", help="count feeds, broken feeds and entries per feed")
    checks.add_argument("--db", type=Path, required=True)
    checks.add_argument("--urls", type=Path, required=True)
    checks.add_argument("--items", type=int, required=True, help="entries expected per feed")
    checks.set_defaults(run=check)
    parse = modes.add_parser("parse", help="time feedparser alone")
    parse.add_argument("--urls", type=Path, required=True)
    parse.add_argument("--limit", type=int, default=200)
    parse.set_defaults(run=parse_only)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    print(json.dumps(args.run(args)), flush=True)


if __name__ == "__main__":
    main()
