"""Deterministic, news-like RSS 2.0 feeds for the ingest benchmark.

Every word list below was written for this benchmark; nothing is taken from real articles.
The same (seed, feed index, item count, base URL) always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

PLACES = (
    "Northbridge", "Port Alma", "Valdera", "Kestrel Bay", "Ostrava Plains", "Marenne",
    "Lower Tessa", "Saint Corvin", "Hallam", "Drevno", "Amberley", "Cape Lorin",
    "Tessaly", "New Harwick", "Qaryat Salim", "Brenmoor", "Isla Verde", "Karsk",
)  # fmt: skip
ACTORS = (
    "the interior ministry", "the finance minister", "opposition leaders", "the central bank",
    "union representatives", "the coastal authority", "regional governors", "the defence council",
    "the election commission", "aid agencies", "the port operator", "the trade envoy",
    "the health ministry", "border officials", "the supreme court", "city councillors",
)  # fmt: skip
ORGANISATIONS = (
    "Northern Grain Board", "Harbour Workers Union", "Continental Energy Forum",
    "Valdera Press Council", "Maritime Safety Office", "Regional Water Compact",
    "Eastern Rail Consortium", "Public Health Institute", "Lowland Farmers League",
)  # fmt: skip
TITLE_ACTORS = (
    "finance minister", "central bank", "supreme court", "port operator", "union",
    "governor", "election commission", "health ministry", "opposition", "trade envoy",
)  # fmt: skip
TITLE_VERBS = (
    "rejects", "backs", "delays", "announces", "questions", "expands", "suspends", "approves",
    "warns over", "pushes for", "criticises", "defends", "revives", "halts",
)  # fmt: skip
PAST_VERBS = (
    "rejected", "endorsed", "postponed", "unveiled", "challenged", "extended", "suspended",
    "approved", "revised", "welcomed", "criticised", "defended", "renewed", "halted",
)  # fmt: skip
INFINITIVES = (
    "reshape", "delay", "strengthen", "undermine", "fund", "limit", "restore", "review",
    "accelerate", "complicate", "protect", "reopen",
)  # fmt: skip
ADJECTIVES = (
    "disputed", "emergency", "long-awaited", "regional", "controversial", "temporary",
    "cross-border", "revised", "provisional", "sweeping", "modest", "fragile", "annual",
)  # fmt: skip
NOUNS = (
    "budget", "ceasefire", "tariff plan", "water deal", "fuel subsidy", "rail project",
    "grain corridor", "pension reform", "port expansion", "vaccine programme", "curfew",
    "housing scheme", "fishing quota", "energy levy", "border agreement", "wage settlement",
)  # fmt: skip
GROUPS = (
    "farmers", "dock workers", "small businesses", "commuters", "pensioners", "students",
    "fishing crews", "hospital staff", "exporters", "local councils",
)  # fmt: skip
EVENTS = ("displaced", "evacuated", "detained", "injured", "relocated", "stranded")
PERIODS = ("quarter", "month", "season", "fiscal year", "week")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TITLE_TAILS = (
    "after overnight talks", "amid growing protests", "despite fresh warnings",
    "ahead of key vote", "as deadline nears", "following weeks of pressure",
    "in surprise move", "after court ruling",
)  # fmt: skip

TITLE_MIN_WORDS = 9
TITLE_MAX_WORDS = 11
DESCRIPTION_WORDS = 60
EPOCH = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FeedDocument:
    """One generated feed: its bytes and the validators a server sends with it."""

    body: bytes
    etag: str
    last_modified: str


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title(rng: random.Random) -> str:
    head = f"{rng.choice(PLACES)} {rng.choice(TITLE_ACTORS)} {rng.choice(TITLE_VERBS)}"
    adjective, noun, tail = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(TITLE_TAILS)
    words = f"{head} {adjective} {noun} {tail}".split()
    if len(words) > TITLE_MAX_WORDS:
        words = f"{head} {noun} {tail}".split()
    while len(words) < TITLE_MIN_WORDS:
        words.append(rng.choice(("again", "today", "officially")))
    return " ".join(words)


def _said_that(rng: random.Random) -> str:
    return (
        f"{_capitalise(rng.choice(ACTORS))} said on {rng.choice(WEEKDAYS)} that the "
        f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} would {rng.choice(INFINITIVES)} "
        f"the {rng.choice(NOUNS)} before the end of the {rng.choice(PERIODS)}."
    )


def _organisation(rng: random.Random) -> str:
    return (
        f"The {rng.choice(ORGANISATIONS)} {rng.choice(PAST_VERBS)} the {rng.choice(NOUNS)} "
        f"after {rng.randint(2, 40)} days of {rng.choice(ADJECTIVES)} talks, "
        "according to a written statement."
    )


def _people(rng: random.Random) -> str:
    return (
        f"About {rng.randint(12, 9000)} people were {rng.choice(EVENTS)} near "
        f"{rng.choice(PLACES)} as the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "
        "spread tension across the region."
    )


def _analysts(rng: random.Random) -> str:
    return (
        f"Analysts in {rng.choice(PLACES)} said the move could {rng.choice(INFINITIVES)} "
        f"{rng.choice(ADJECTIVES)} support for {rng.choice(GROUPS)} in the coming "
        f"{rng.choice(PERIODS)}."
    )


def _no_comment(rng: random.Random) -> str:
    return (
        f"A spokesperson for the {rng.choice(ORGANISATIONS)} declined to comment on the "
        f"{rng.choice(NOUNS)} ahead of {rng.choice(WEEKDAYS)}'s meeting."
    )


SENTENCES: tuple[Callable[[random.Random], str], ...] = (
    _said_that,
    _organisation,
    _people,
    _analysts,
    _no_comment,
)


def _description(rng: random.Random) -> str:
    sentences: list[str] = []
    words = 0
    while words < DESCRIPTION_WORDS - 5:  # sentences run 15-25 words: 55-80 in all
        sentence = rng.choice(SENTENCES)(rng)
        sentences.append(sentence)
        words += len(sentence.split())
    return " ".join(sentences)


def _item(rng: random.Random, feed: int, item: int, base_url: str, seed: int) -> str:
    published = EPOCH - timedelta(minutes=feed * 3 + item * 47 + rng.randint(0, 30))
    return (
        "<item>"
        f"<title>{escape(_title(rng))}</title>"
        f"<link>{base_url}/articles/{feed}/{item}</link>"
        f"<description>{escape(_description(rng))}</description>"
        f'<guid isPermaLink="false">bench-{seed}-{feed}-{item}</guid>'
        f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
        "</item>\n"
    )


def make_feed(index: int, items: int, base_url: str, seed: int) -> FeedDocument:
    """Feed number ``index`` with ``items`` items whose links point under ``base_url``."""
    rng = random.Random(f"{seed}:{index}")  # noqa: S311 - reproducible text, not secrets
    desk = rng.choice(PLACES)
    last_modified = format_datetime(EPOCH - timedelta(minutes=index * 3), usegmt=True)
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Bench Wire {index}: {escape(desk)} desk</title>"
        f"<link>{base_url}/</link>"
        f"<description>Generated news for the ingest benchmark, feed {index}.</description>"
        "<language>en</language>"
        f"<lastBuildDate>{last_modified}</lastBuildDate>\n"
        + "".join(_item(rng, index, item, base_url, seed) for item in range(items))
        + "</channel></rss>\n"
    ).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return FeedDocument(body=body, etag=etag, last_modified=last_modified)
