"""How fast story clustering places analysed articles, one at a time (the goal: "clustering
keeps up with ingestion (articles per second reported)").

It generates its own synthetic articles (seeded): events spread over ``--days`` days, each
reported by 1 to 8 articles within 12 hours of each other: near-copies of the event's wire text
(3 words of 200 changed, as syndication does) or rewrites (other words, the lead naming 6 of the
event's 12 key words, the title 4). Each event has 2 or 3 actors drawn from a pool of 300 with
Zipf-like popularity (so some actors are in a large share of all articles, as Russia or the
United States are) and 1 or 2 topics of 25. Text is drawn from a 20,000-word vocabulary, also
Zipf-like.

Two measurements, each on one pinned core:

- ``index``: ``StoryIndex.find`` then ``add`` per article, in time order (the clustering's own
  work: MinHash, LSH query, candidates, TF-IDF cosine, window upkeep), no store;
- ``store``: ``StoryClusterer.place`` per article on a SQLite file (what runs after each
  analysis: the same, plus reading and writing the story), on the first ``--store-articles``.

Reported: articles per second (wall time of the whole pass), peak memory (``ru_maxrss``) after
each, and how well the placement matches the generated events (pairwise precision and recall
over articles of the same event). Not a test; see benchmarks/README.md. From the repository
root:

    .venv/bin/python benchmarks/cluster_speed.py [--articles 20000] [--store-articles 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from digests.compose import StoryClusterer, StoryIndex
from digests.model import ActorMention, Article, Feed, TopicMention
from digests.settings import StoriesSettings
from digests.store import Store

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
#: The share of an event's reports that are near-copies of its wire text; the rest are rewrites.
COPY_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Synthetic:
    event: int
    title: str
    text: str
    summary: tuple[str, ...]
    actors: tuple[str, ...]
    topics: tuple[str, ...]
    at: dt.datetime


def _zipf(rng: random.Random, size: int, skew: float = 1.1) -> list[float]:
    return [1.0 / (rank**skew) for rank in range(1, size + 1)]


def generate(count: int, days: float, seed: int) -> list[Synthetic]:
    rng = random.Random(seed)  # noqa: S311 - synthetic text, not secrets
    vocabulary = [f"w{index}" for index in range(20_000)]
    word_weights = _zipf(rng, len(vocabulary))
    actors = [f"actor-{index}" for index in range(300)]
    actor_weights = _zipf(rng, len(actors), 1.0)
    topics = [f"topic-{index}" for index in range(25)]

    def words(n: int) -> list[str]:
        return rng.choices(vocabulary, word_weights, k=n)

    found: list[Synthetic] = []
    event = 0
    while len(found) < count:
        event += 1
        at = START + dt.timedelta(seconds=rng.uniform(0, days * 86_400))
        keys = rng.sample(vocabulary[2_000:], 12)  # the event's own, rarer words
        wire = words(200)
        for spot in rng.sample(range(200), 12):
            wire[spot] = keys[spot % 12]
        title = " ".join(keys[:4] + words(6))
        who = tuple(dict.fromkeys(rng.choices(actors, actor_weights, k=rng.choice((2, 3)))))
        what = tuple(rng.sample(topics, rng.choice((1, 2))))
        for _ in range(min(rng.randint(1, 8), count - len(found))):
            when = at + dt.timedelta(hours=rng.uniform(0, 12))
            if rng.random() < COPY_SHARE:  # a near-copy: a few words changed
                text = list(wire)
                for spot in rng.sample(range(len(text)), 3):
                    text[spot] = rng.choice(vocabulary)
                this_title = title
            else:  # a rewrite: other words, its lead naming 6 of the event's key words
                text = words(150)
                for spot, key in zip(rng.sample(range(40), 6), rng.sample(keys, 6), strict=True):
                    text[spot] = key
                this_title = " ".join(rng.sample(keys, 4) + words(6))
            body = " ".join(text)
            summary = (" ".join(text[:40]),)
            found.append(Synthetic(event, this_title, body, summary, who, what, when))
    found.sort(key=lambda item: item.at)
    return found


def _articles(items: list[Synthetic]) -> list[Article]:
    return [
        Article(
            id=index + 1,
            feed_id=1,
            key=str(index),
            title=item.title,
            text=item.text,
            analysis_summary=item.summary,
            published_at=item.at,
            first_seen_at=item.at,
        )
        for index, item in enumerate(items)
    ]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_index(items: list[Synthetic], settings: StoriesSettings) -> tuple[float, list[int]]:
    index = StoryIndex(settings)
    articles = _articles(items)
    placed: list[int] = []
    stories = itertools.count(1)
    started = time.perf_counter()
    for article, item in zip(articles, items, strict=True):
        found = index.find(article, item.actors, item.topics)
        story = next(stories) if found is None else found[0]
        index.add(article, story, item.actors, item.topics)
        placed.append(story)
    return time.perf_counter() - started, placed


def run_store(
    items: list[Synthetic], settings: StoriesSettings, directory: Path
) -> tuple[float, list[int]]:
    store = Store.open(f"sqlite:///{directory / 'bench.db'}")
    feed = store.add_feed(Feed(url="https://bench.example/rss"))
    assert feed.id is not None
    stored = []
    with store.batch(savepoints=False):
        for article in _articles(items):
            saved = store.add_article(
                Article(**{**_fields(article), "id": None, "feed_id": feed.id})
            )
            stored.append(saved)
    for article, item in zip(stored, items, strict=True):
        assert article.id is not None
        store.replace_analysis(
            article.id,
            actors=[ActorMention(article_id=article.id, actor_key=k, count=1) for k in item.actors],
            topics=[
                TopicMention(article_id=article.id, topic_key=k, score=0.5) for k in item.topics
            ],
            found=[],
            summary=item.summary,
            analysed_at=item.at,
        )
    clusterer = StoryClusterer(store, settings)
    placed = []
    started = time.perf_counter()
    for article, item in zip(stored, items, strict=True):
        placed.append(clusterer.place(article, item.actors, item.topics).story_id)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, placed


def _fields(article: Article) -> dict[str, object]:
    return {name: getattr(article, name) for name in Article.__dataclass_fields__}


def quality(items: list[Synthetic], placed: list[int]) -> dict[str, float]:
    """Pairwise precision and recall: of the pairs put in one story, how many are one event;
    of the pairs of one event, how many were put in one story."""
    by_story: dict[int, list[int]] = defaultdict(list)
    for item, story in zip(items, placed, strict=True):
        by_story[story].append(item.event)

    def pairs(counts: Counter[int]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    together = sum(len(v) * (len(v) - 1) // 2 for v in by_story.values())
    right = sum(pairs(Counter(v)) for v in by_story.values())
    same_event = pairs(Counter(item.event for item in items))
    return {
        "precision": right / together if together else 1.0,
        "recall": right / same_event if same_event else 1.0,
        "stories": len(by_story),
        "events": len({item.event for item in items}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--store-articles", type=int, default=5_000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    settings = StoriesSettings()
    items = generate(args.articles, args.days, args.seed)
    report: dict[str, object] = {
        "python": platform.python_version(),
        "articles": len(items),
        "days": args.days,
        "settings": settings.model_dump(),
    }
    elapsed, placed = run_index(items, settings)
    report["index"] = {
        "seconds": round(elapsed, 2),
        "articles_per_second": round(len(items) / elapsed),
        "peak_rss_mb": round(_peak_mb()),
        **quality(items, placed),
    }
    if args.store_articles:
        subset = items[: args.store_articles]
        with tempfile.TemporaryDirectory() as directory:
            elapsed, placed = run_store(subset, settings, Path(directory))
        report["store"] = {
            "articles": len(subset),
            "seconds": round(elapsed, 2),
            "articles_per_second": round(len(subset) / elapsed),
            "peak_rss_mb": round(_peak_mb()),
            **quality(subset, placed),
        }
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    for key, value in report.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
