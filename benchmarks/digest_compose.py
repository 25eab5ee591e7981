"""How long composing digests for many subscriptions takes (the goal: "composing digests for
10,000 subscriptions with varied filters takes under 60 s in all on one core").

    .venv/bin/python benchmarks/digest_compose.py                      # SQLite, 10,000 digests
    .venv/bin/python benchmarks/digest_compose.py --postgres-url postgresql://root@127.0.0.1/test
    .venv/bin/python benchmarks/digest_compose.py --subscriptions 1000 --check 50

It builds a store of its own (a SQLite file in a temporary directory; with ``--postgres-url`` a
PostgreSQL schema of its own, dropped afterwards), migrated as newsdigest migrates, and fills it
with a generated day of news (seeded): ``--articles`` articles (default 2,000) from ``--feeds``
feeds (default 50; a few failing, disabled or stale, so digests have a footer) within 24 hours,
clustered into stories of 1 to 8 reports. Each story has 1 to 3 actors of the vocabulary (drawn
with Zipf-like weights, so Russia, Ukraine and the United States are in many) and 1 or 2 topics;
its articles mention them and state positions (about one in two articles, a third of them plain
claims, from a pool of claims so reports merge). Rows go in by executemany in one transaction.

Then, on one pinned core (``--cpu``, default the highest-numbered), it composes the digests of
``--subscriptions`` subscriptions (default 10,000) with varied filters: none (everything), 1 to
3 actors, topics, a feed, keywords, excluded keywords and mixes of these; their windows end at
the same moment and start 6, 12, 24 or 48 hours before it (48: the longest, never delivered).
It composes them as a digest run would, from one read of the store (``compose_digests`` /
``DigestSnapshot``), and reports the total seconds (the read included), per-digest p50, p99 and
largest in milliseconds, and peak RSS. ``--check N`` also composes N of them one by one with
``compose_digest`` (a read of the store each) and compares: same digests, and their time per
digest (what a plain loop over ``compose_digest`` would cost).
"""

# ruff: noqa: PLR2004 - the generated mix of data and filters is written out as numbers

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import resource
import statistics
import subprocess
import time

import sqlalchemy as sa
from scratch_db import postgres_database, sqlite_database

from digests.compose import ActorResolver, DigestSnapshot, compose_digest
from digests.model import UTC, ActorKind, Stance, SubscriptionFilters
from digests.settings import DigestSettings
from digests.store import Store
from digests.store._tables import (
    actor_mentions,
    articles,
    feeds,
    positions,
    stories,
    topic_mentions,
)
from digests.vocab import Vocabulary, load_vocabulary

END = dt.datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
WINDOW_HOURS = (6, 12, 24, 24, 24, 48)
WORDS = [
    "talks",
    "minister",
    "border",
    "oil",
    "gas",
    "grain",
    "port",
    "army",
    "drone",
    "strike",
    "summit",
    "vote",
    "court",
    "deal",
    "aid",
    "election",
    "budget",
    "market",
    "bank",
    "rates",
    "inflation",
    "export",
    "import",
    "sanctions",
    "tariff",
    "ceasefire",
    "offensive",
    "missile",
    "energy",
    "pipeline",
    "refugees",
    "protest",
    "parliament",
    "treaty",
    "envoy",
    "nuclear",
    "embargo",
    "shipping",
    "wheat",
    "troops",
    "rebels",
    "funding",
    "alliance",
    "reform",
    "probe",
    "warning",
    "visit",
]
EXCLUDE = ("football", "weather", "celebrity", "sport", "oil")
STANCES = list(Stance)


def _zipf(size: int, skew: float = 1.0) -> list[float]:
    return [1.0 / (rank**skew) for rank in range(1, size + 1)]


def _actors(vocabulary: Vocabulary, rng: random.Random) -> list[str]:
    keys = [
        key
        for key, actor in vocabulary.actors.items()
        if actor.kind in (ActorKind.COUNTRY, ActorKind.ORGANISATION)
    ]
    rng.shuffle(keys)
    first = [key for key in ("russia", "ukraine", "united-states") if key in vocabulary.actors]
    return first + [key for key in keys if key not in first]


def fill(  # noqa: PLR0912 - one generator, read top to bottom
    store: Store, vocabulary: Vocabulary, args: argparse.Namespace
) -> dict[str, int]:
    rng = random.Random(args.seed)  # noqa: S311 - generated data
    actors = _actors(vocabulary, rng)
    actor_weights = _zipf(len(actors))
    people: dict[str, list[str]] = {}
    for key, offices in vocabulary.offices.items():
        people.setdefault(offices[0].affiliation, []).append(key)
    topics = list(vocabulary.topics)
    topic_weights = _zipf(len(topics), 0.7)
    claims = [f"claim {n} on the matter at hand" for n in range(600)]
    start = END - dt.timedelta(hours=24)
    feed_rows = []
    for n in range(args.feeds):
        row: dict[str, object] = {
            "id": n + 1,
            "url": f"https://outlet{n}.example/rss",
            "title": f"Outlet {n}",
            "full_text": "auto",
            "enabled": True,
            "added_at": start - dt.timedelta(days=30),
            "last_success_at": END - dt.timedelta(minutes=20),
            "failure_count": 0,
        }
        if n % 17 == 5:
            row.update(failure_count=2, last_error="HTTP 503")
        elif n % 23 == 7:
            row.update(enabled=False, disabled_reason="410 Gone")
        elif n % 19 == 3:
            row.update(last_success_at=END - dt.timedelta(hours=9))
        feed_rows.append(row)
    story_rows: list[dict[str, object]] = []
    article_rows: list[dict[str, object]] = []
    actor_rows: list[dict[str, object]] = []
    topic_rows: list[dict[str, object]] = []
    position_rows: list[dict[str, object]] = []
    while len(article_rows) < args.articles:
        story_id = len(story_rows) + 1
        who = list(dict.fromkeys(rng.choices(actors, actor_weights, k=rng.randint(1, 3))))
        what = list(dict.fromkeys(rng.choices(topics, topic_weights, k=rng.randint(1, 2))))
        words = rng.sample(WORDS, 4)
        names = [vocabulary.actors[key].name for key in who]
        headline = (
            f"{names[0]} {words[0]} {words[1]} as {' and '.join(names[1:]) or 'talks'} {words[2]}"
        )
        at = start + dt.timedelta(seconds=rng.uniform(0, 20 * 3600))
        size = min(rng.choices(range(1, 9), _zipf(8, 0.8))[0], args.articles - len(article_rows))
        times = sorted(at + dt.timedelta(minutes=rng.uniform(0, 240)) for _ in range(size))
        times = [min(when, END - dt.timedelta(seconds=1)) for when in times]
        for index, when in enumerate(times):
            article_id = len(article_rows) + 1
            title = headline if index == 0 else f"{headline}, {rng.choice(WORDS)} {words[3]}"
            article_rows.append(
                {
                    "id": article_id,
                    "feed_id": rng.randrange(args.feeds) + 1,
                    "key": f"k{article_id}",
                    "url": f"https://news.example/{article_id}",
                    "title": title,
                    "summary": "",
                    "text": f"{title}. More words follow.",
                    "text_source": "feed",
                    "published_at": when,
                    "first_seen_at": when,
                    "content_hash": f"h{article_id}",
                    "seen_on_first_poll": False,
                    "analysed_at": when,
                    "analysis_summary": [f"{title}."],
                    "story_id": story_id,
                }
            )
            for key in who:
                actor_rows.append({"article_id": article_id, "actor_key": key, "count": 1})
            for key in what:
                topic_rows.append({"article_id": article_id, "topic_key": key, "score": 0.5})
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                actor = rng.choice(who)
                speaker = rng.choice([*people.get(actor, []), None])
                position_rows.append(
                    {
                        "id": len(position_rows) + 1,
                        "article_id": article_id,
                        "actor_key": speaker or actor,
                        "stance": (
                            str(Stance.CLAIM) if rng.random() < 0.33 else str(rng.choice(STANCES))
                        ),
                        "claim": rng.choice(claims),
                        "evidence": "They said so.",
                        "speaker": vocabulary.actors[speaker].name if speaker else None,
                        "speaker_role": None,
                        "topic_key": rng.choice(what),
                        "target_key": rng.choice(actors[:30]) if rng.random() < 0.4 else None,
                        "channel": None,
                        "stated_at": when,
                        "confidence": 0.9,
                    }
                )
        story_rows.append(
            {
                "id": story_id,
                "headline": headline,
                "summary": f"What happened: {headline.lower()}.",
                "first_seen_at": times[0],
                "updated_at": times[-1],
            }
        )
    with store.engine.begin() as db:
        for table, rows in (
            (feeds, feed_rows),
            (stories, story_rows),
            (articles, article_rows),
            (actor_mentions, actor_rows),
            (topic_mentions, topic_rows),
            (positions, position_rows),
        ):
            db.execute(table.insert(), rows)
        if store.engine.dialect.name == "postgresql":
            for table in ("feeds", "stories", "articles", "positions"):
                db.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        db.execute(sa.text("ANALYZE"))
    return {
        "feeds": len(feed_rows),
        "stories": len(story_rows),
        "articles": len(article_rows),
        "positions": len(position_rows),
    }


def subscriptions(
    vocabulary: Vocabulary, count: int, feeds: int, seed: int
) -> list[tuple[SubscriptionFilters, dt.datetime, dt.datetime]]:
    rng = random.Random(seed + 1)  # noqa: S311 - generated data
    actors = _actors(vocabulary, random.Random(seed))  # noqa: S311 - same order as the data
    weights = _zipf(len(actors))
    topics = list(vocabulary.topics)
    found = []
    for _ in range(count):
        kind = rng.random()
        picks: dict[str, tuple[str, ...]] = {}
        if kind < 0.1:
            pass  # everything
        elif kind < 0.4:
            picks["actors"] = tuple(rng.choices(actors, weights, k=rng.randint(1, 3)))
        elif kind < 0.55:
            picks["topics"] = tuple(rng.sample(topics, rng.randint(1, 2)))
        elif kind < 0.65:
            picks["feeds"] = (f"Outlet {rng.randrange(feeds)}",)
        elif kind < 0.75:
            picks["keywords"] = tuple(rng.sample(WORDS, rng.randint(1, 3)))
        elif kind < 0.8:
            picks["exclude_keywords"] = (rng.choice(EXCLUDE),)
        else:  # a mix
            picks["actors"] = tuple(rng.choices(actors, weights, k=rng.randint(1, 2)))
            if rng.random() < 0.5:
                picks["topics"] = (rng.choice(topics),)
            if rng.random() < 0.3:
                picks["keywords"] = (rng.choice(WORDS),)
            if rng.random() < 0.3:
                picks["exclude_keywords"] = (rng.choice(EXCLUDE),)
        hours = rng.choice(WINDOW_HOURS)
        found.append((SubscriptionFilters(**picks), END - dt.timedelta(hours=hours), END))
    return found


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(store: Store, vocabulary: Vocabulary, args: argparse.Namespace) -> None:
    settings = DigestSettings()
    requests = subscriptions(vocabulary, args.subscriptions, args.feeds, args.seed)
    resolver = ActorResolver(vocabulary)
    gc.collect()
    started = time.perf_counter()
    cpu_started = time.process_time()
    snapshot = DigestSnapshot.read(
        store, vocabulary, min(r[1] for r in requests), max(r[2] for r in requests)
    )
    read = time.perf_counter() - started
    timings: list[float] = []
    digests = []
    for filters, start, end in requests:
        begun = time.perf_counter()
        digests.append(snapshot.compose(filters, start, end, settings=settings, resolver=resolver))
        timings.append((time.perf_counter() - begun) * 1000)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    stories = [len(d.stories) for d in digests]
    print(
        f"{len(requests):,} digests in {total:.2f} s (CPU {cpu:.2f} s; reading the window "
        f"{read * 1000:.0f} ms), {len(requests) / total:,.0f} digests/s"
    )
    print(
        f"per digest ms: p50 {statistics.median(timings):.2f}  p99 {_pct(timings, 0.99):.2f}  "
        f"max {max(timings):.2f}; stories per digest: median {statistics.median(stories):.0f}, "
        f"empty digests {sum(1 for d in digests if d.empty)}; "
        f"matching stories median {statistics.median(d.matching_stories for d in digests):.0f}"
    )
    print(f"peak RSS {_peak_mb():.0f} MB", flush=True)
    if args.check:
        rng = random.Random(args.seed + 2)  # noqa: S311 - a sample
        sample = rng.sample(range(len(requests)), min(args.check, len(requests)))
        plain: list[float] = []
        for index in sample:
            filters, start, end = requests[index]
            begun = time.perf_counter()
            alone = compose_digest(
                store, vocabulary, filters, start, end, settings=settings, resolver=resolver
            )
            plain.append(time.perf_counter() - begun)
            if alone != digests[index]:
                raise SystemExit(f"subscription {index}: compose_digest gives another digest")
        print(
            f"check: {len(sample)} digests by compose_digest one at a time are the same; "
            f"{statistics.mean(plain) * 1000:.1f} ms each on average, so a plain loop would "
            f"take about {statistics.mean(plain) * len(requests):.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)))
    parser.add_argument("--check", type=int, default=0, metavar="N")
    parser.add_argument("--postgres-url", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(
        f"Python {platform.python_version()}, commit {commit or '?'}, pinned to CPU {args.cpu} "
        f"of {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}"
    )
    vocabulary = load_vocabulary()
    backends: list[tuple[str, object]] = []
    if not args.no_sqlite:
        backends.append(("sqlite", sqlite_database))
    if args.postgres_url:
        backends.append(("postgresql", lambda: postgres_database(args.postgres_url)))
    for name, make in backends:
        with make() as url, Store.open(url) as store:  # type: ignore[operator]
            started = time.perf_counter()
            sizes = fill(store, vocabulary, args)
            print(
                f"\n{name}: built in {time.perf_counter() - started:.1f} s: "
                + ", ".join(f"{value:,} {key}" for key, value in sizes.items()),
                flush=True,
            )
            measure(store, vocabulary, args)


if __name__ == "__main__":
    main()
