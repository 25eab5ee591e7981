"""Latency of the positions lookup (`newsdigest positions`) on a large generated store.

    .venv/bin/python benchmarks/positions_lookup.py                       # SQLite, full size
    .venv/bin/python benchmarks/positions_lookup.py --postgres-url postgresql://root@127.0.0.1/test
    .venv/bin/python benchmarks/positions_lookup.py --positions 200000 --articles 40000

It builds a store of its own (a SQLite file in a temporary directory; on PostgreSQL a schema of
its own, dropped afterwards), migrated as newsdigest migrates, and fills it with bulk inserts
(executemany in one transaction on SQLite, COPY on PostgreSQL): ``--articles`` articles spread
over ``--days`` days across ``--feeds`` feeds, and ``--positions`` positions on them. Actors are
drawn with Zipf-like weights from the vocabulary's countries and organisations, so the first,
Russia, is the busiest (about an eighth of every position); a speaker, a topic and a target are
drawn too, and a claim from a pool with repeats (so reports merge as they would).

Then it times the whole lookup as the CLI runs it (`lookup_positions`: resolution, the four
queries, merging) for three cases, each at ``--queries`` random moments of the stored year:
a busy country ("russia", 7 days), a person ("putin", 7 days), and a country on one topic
("russia", "ceasefire", 30 days). It prints p50, p99 and the largest, in milliseconds.

``--gc frozen`` collects and freezes the heap before timing (``gc.freeze()``), as a
long-running process would once it has loaded what it keeps; ``--gc off`` times with the
collector off, to show how much of the tail is Python's garbage collector (not a setting the
product could use). Before timing it prints how many objects the collector tracks and how long a
full collection of them takes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time

import sqlalchemy as sa
from scratch_db import postgres_database, sqlite_database

from digests.compose import ActorResolver, lookup_positions
from digests.model import UTC, ActorKind, Stance
from digests.store import Store
from digests.vocab import Vocabulary, load_vocabulary

END = dt.datetime(2026, 11, 1, tzinfo=UTC)
STANCES = [stance.value for stance in Stance]
#: The share of positions aimed at an actor.
TARGETED = 0.5
CASES = (
    ("country", "russia", None, 7),
    ("person", "putin", None, 7),
    ("topic", "russia", "ceasefire", 30),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--postgres-url", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--gc",
        choices=["default", "frozen", "off"],
        default="default",
        help="the garbage collector while timing (see the module docstring)",
    )
    args = parser.parse_args()
    vocabulary = load_vocabulary()
    resolver = ActorResolver(vocabulary)
    backends: list[tuple[str, object]] = []
    if not args.no_sqlite:
        backends.append(("sqlite", sqlite_database))
    if args.postgres_url:
        backends.append(("postgresql", lambda: postgres_database(args.postgres_url)))
    print(
        f"{args.positions:,} positions on {args.articles:,} articles, {args.feeds} feeds, "
        f"{args.days} days; {args.queries} lookups per case"
    )
    for name, make in backends:
        with make() as url, Store.open(url) as store:  # type: ignore[operator]
            started = time.perf_counter()
            _fill(store, vocabulary, args)
            built = time.perf_counter() - started
            print(f"\n{name}: built in {built:.0f} s", flush=True)
            _settle_heap(args.gc)
            try:
                _measure(store, resolver, args)
            finally:
                gc.enable()
                gc.unfreeze()


def _settle_heap(mode: str) -> None:
    """Collect, report the heap a full collection walks, and set the collector for timing."""
    gc.collect()
    started = time.perf_counter()
    gc.collect()
    took = (time.perf_counter() - started) * 1000
    print(f"gc: {len(gc.get_objects()):,} objects tracked, a full collection {took:.0f} ms")
    if mode == "frozen":
        gc.freeze()
    elif mode == "off":
        gc.disable()
    print(f"gc while timing: {mode}", flush=True)


def _fill(store: Store, vocabulary: Vocabulary, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)  # noqa: S311 - generated data
    actors = [
        key
        for key, actor in vocabulary.actors.items()
        if actor.kind in (ActorKind.COUNTRY, ActorKind.ORGANISATION)
    ]
    actors.remove("russia")
    rng.shuffle(actors)
    actors.insert(0, "russia")
    weights = [1 / (rank + 1) for rank in range(len(actors))]
    people: dict[str, list[tuple[str, str]]] = {}
    for key, offices in vocabulary.offices.items():
        people.setdefault(offices[0].affiliation, []).append(
            (vocabulary.actors[key].name, offices[0].role)
        )
    topics = list(vocabulary.topics)
    claims = [f"claim number {n} about the matter at hand" for n in range(5000)]
    start = END - dt.timedelta(days=args.days)
    span = args.days * 86400
    feed_rows = [
        {
            "url": f"https://feeds.example/{n}",
            "title": f"Outlet {n}",
            "full_text": "auto",
            "enabled": True,
            "added_at": start,
            "failure_count": 0,
        }
        for n in range(args.feeds)
    ]
    dates = sorted(start + dt.timedelta(seconds=rng.randrange(span)) for _ in range(args.articles))
    article_rows = [
        (
            n + 1,
            rng.randrange(args.feeds) + 1,
            f"k{n}",
            f"https://news.example/{n}",
            f"Article {n}",
            "",
            "",
            "feed",
            when,
            when,
            "h",
            False,
            when,
        )
        for n, when in enumerate(dates)
    ]
    position_rows = []
    for n in range(args.positions):
        article = rng.randrange(args.articles)
        actor = rng.choices(actors, weights)[0]
        speaker, role = rng.choice([*people.get(actor, []), (None, None)])
        target = rng.choice(actors) if rng.random() < TARGETED else None
        claim = rng.choice(claims)
        position_rows.append(
            (
                n + 1,
                article + 1,
                actor,
                rng.choice(STANCES),
                claim,
                f"They said {claim}.",
                speaker,
                role,
                rng.choice(topics),
                target,
                None,
                dates[article],
                0.9,
            )
        )
    with store.engine.begin() as db:
        db.execute(sa.table("feeds", *(sa.column(c) for c in feed_rows[0])).insert(), feed_rows)
    _bulk(store.engine, "articles", _ARTICLE_COLUMNS, article_rows)
    _bulk(store.engine, "positions", _POSITION_COLUMNS, position_rows)
    with store.engine.begin() as db:
        db.execute(sa.text("ANALYZE"))


_ARTICLE_COLUMNS = (
    "id, feed_id, key, url, title, summary, text, text_source, published_at, first_seen_at, "
    "content_hash, seen_on_first_poll, analysed_at"
)
_POSITION_COLUMNS = (
    "id, article_id, actor_key, stance, claim, evidence, speaker, speaker_role, topic_key, "
    "target_key, channel, stated_at, confidence"
)


def _bulk(engine: sa.Engine, table: str, columns: str, rows: list[tuple[object, ...]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            naive = [
                tuple(v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v for v in row)
                for row in rows
            ]
            marks = ", ".join("?" * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", naive)  # noqa: S608
        else:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        raw.commit()
    finally:
        raw.close()


def _measure(store: Store, resolver: ActorResolver, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed + 1)  # noqa: S311 - generated data
    print(f"{'case':<10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  items (median)")
    for label, actor, topic, days in CASES:
        since = dt.timedelta(days=days)
        match = resolver.resolve(actor)
        lookup_positions(store, resolver, match, topic=topic, since=since, now=END)  # warm up
        timings, items = [], []
        for _ in range(args.queries):
            now = END - dt.timedelta(seconds=rng.randrange((args.days - 2 * days) * 86400))
            started = time.perf_counter()
            result = lookup_positions(store, resolver, actor, topic=topic, since=since, now=now)
            timings.append((time.perf_counter() - started) * 1000)
            items.append(sum(len(s.items) for s in result.sections) + len(result.about))
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(
            f"{label:<10}{statistics.median(timings):>9.1f}{p99:>9.1f}{timings[-1]:>9.1f}"
            f"  {statistics.median(items):.0f}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
