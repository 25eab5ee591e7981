"""Soak test: the real `newsdigest run` for N minutes against changing, partly hostile feeds and
a flaky loopback Discord and Slack. Run by hand, never in the test suite (docs/performance.md).

    .venv/bin/python benchmarks/soak.py --minutes 10 [--json]

What it starts, all on 127.0.0.1:

* a feed server (aiohttp, in this process) with feeds that get new items every minute: five
  news-like feeds (one with short teasers whose article pages are fetched) and hostile ones: an
  RSS feed of 70,000 items, a 4.7 MB JSON Feed of tiny items, a feed whose later items are a
  480 KB run of "(photo by x" and a 1 MB article of thousands of statements, a JSON Feed whose
  title and items carry Rich markup and escape sequences, a body that drips a byte a second,
  and a feed that answers 500;
* the loopback Discord and Slack of the tests (tests/discord_double.py, tests/slack_double.py),
  with failures of posting armed one after the other (the next once the last was used up and
  a post went through since):
  429s, 5xx, "took it, then 5xx"; and every 20 s in turn a dropped, refreshed or invalidated
  gateway or Socket Mode connection; a slash command is sent to each every 20 s;
* `python -m bot run` with both tokens pointing at them, subscriptions on two Discord channels,
  two Slack channels and two console entries due inside the window (UTC and named zones), and
  one Discord subscription due hours later (it must get nothing).

It scrapes `run.metrics_port` every 5 s (the event-loop lag, the deliveries) and samples the
process's memory, then stops the process with SIGTERM and reports digests per subscription
(from the database and as the platforms and the console got them), the worst loop lag, memory
at start, after the first minute and at the end, the Slack acks and tracebacks in the log.
It exits 1 when a goal is missed: exactly one digest for each subscription due in the window
(none for the other), memory growth after the first minute at most 10 %, no traceback, the
worst loop lag at most --max-lag seconds (1) and no Slack ack later than 3 s.

Every sentence below was written for this script; nothing is taken from real articles.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from aiohttp import ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests import discord_double as dd  # noqa: E402
from tests import slack_double as sd  # noqa: E402
from tests.run_process import environment  # noqa: E402

from bot.discord._client import message_nonce  # noqa: E402
from bot.slack._sender import message_key  # noqa: E402
from digests.model import EVERY_DAY, DeliveryKind, Platform, Subscription  # noqa: E402
from digests.store import Store  # noqa: E402

GOAL_GROWTH_PERCENT = 10.0
#: The bound on the peak memory of each process (the run, the analysis worker).
GOAL_PEAK_MB = 400.0
SLACK_ACK_DEADLINE = 3.0
SCRAPE_EVERY = 5.0
MINUTE = 60.0
CHAOS_EVERY = 20.0
COMMAND_EVERY = 20.0
STOP_SECONDS = 45.0
MAX_PROCESSES = 200
MINUTES = (2.0, 240.0)

# -- text: templates of actors, verbs and topics --------------------------------------------------

ACTORS = (
    "Russia", "Ukraine", "China", "France", "Germany", "Japan", "Brazil", "India", "Turkey",
    "the United Nations", "the European Union", "NATO", "Kenya", "Mexico", "Canada",
)  # fmt: skip
SAYING = ("said", "warned", "insisted", "argued", "announced", "stated", "told reporters")
CLAIMS = (
    "the ceasefire must hold through the winter",
    "new tariffs on steel would hurt trade between the two economies",
    "troops would stay at the border until the talks resumed",
    "the climate agreement needed stronger targets for coal",
    "grain exports through the sea corridor would restart next week",
    "sanctions on the energy sector would remain in place",
    "the election had been free and fair despite the protests",
    "aid convoys must be allowed into the besieged city",
    "interest rates would stay high until inflation slowed",
    "the peace plan offered no guarantee of security",
)  # fmt: skip
PLACES = ("Geneva", "Ankara", "Brussels", "Nairobi", "Doha", "Vienna", "Jakarta", "Lima")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DESKS = ("world", "politics", "economy", "climate")
#: The minute from which the hostile articles are in their feed, and the long one's size.
PHOTO_MINUTE = 1
STATEMENTS_MINUTE = 2
STATEMENTS_BYTES = 1_000_000


def statement(rng: random.Random) -> str:
    actor = rng.choice(ACTORS)
    return (
        f"{actor[:1].upper()}{actor[1:]} {rng.choice(SAYING)} on {rng.choice(DAYS)} that "
        f"{rng.choice(CLAIMS)}, according to officials in {rng.choice(PLACES)}."
    )


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(statement(rng) for _ in range(sentences))


def headline(rng: random.Random) -> str:
    claim = rng.choice(CLAIMS).split(" ")
    return f"{rng.choice(ACTORS).removeprefix('the ')}: {' '.join(claim[:7])}"


# -- feed documents ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    text: str
    link: str
    published: dt.datetime


def rss(title: str, entries: list[Entry]) -> bytes:
    items = "".join(
        f"<item><title>{escape(e.title)}</title><guid isPermaLink='false'>{e.guid}</guid>"
        f"<link>{escape(e.link)}</link><description>{escape(e.text)}</description>"
        f"<pubDate>{e.published:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>\n"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>Soak feed</description>\n{items}</channel></rss>\n"
    ).encode()


def json_feed(title: str, items: list[dict[str, Any]]) -> bytes:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    return json.dumps(feed, separators=(",", ":")).encode()


def json_item(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.guid,
        "title": entry.title,
        "url": entry.link,
        "content_text": entry.text,
        "date_published": entry.published.isoformat(),
    }


class Feeds:
    """Every feed's document for the current minute of the soak (built once a minute)."""

    def __init__(self, base: str, started: float, huge_items: int, tiny_bytes: int) -> None:
        self.base = base
        self.started = started
        self.started_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.huge_items = huge_items
        self.tiny_bytes = tiny_bytes
        self._cache: dict[tuple[str, int], bytes] = {}
        self.served: dict[str, int] = {}

    def minute(self) -> int:
        return int((time.monotonic() - self.started) // 60)

    def entries(self, desk: str, minute: int, per_minute: int, *, long: bool) -> list[Entry]:
        """The newest 40 items of a desk: ``per_minute`` new ones each minute."""
        found = []
        for m in range(max(0, minute - 40 // per_minute), minute + 1):
            for j in range(per_minute):
                rng = random.Random(f"{desk}:{m}:{j}")  # noqa: S311 - text, not secrets
                found.append(
                    Entry(
                        guid=f"soak-{desk}-{m}-{j}",
                        title=headline(rng),
                        text=paragraph(rng, 7 if long else 1),
                        link=f"{self.base}/articles/{desk}/{m}/{j}",
                        published=self.started_at + dt.timedelta(minutes=m, seconds=j),
                    )
                )
        return found[::-1]

    def document(self, name: str) -> bytes:
        minute = self.minute()
        key = (name, minute)
        if key not in self._cache:
            self._cache = {k: v for k, v in self._cache.items() if k[1] >= minute - 1}
            self._cache[key] = self._build(name, minute)
        self.served[name] = self.served.get(name, 0) + 1
        return self._cache[key]

    def _build(self, name: str, minute: int) -> bytes:
        if name in DESKS:
            return rss(f"Soak {name} desk", self.entries(name, minute, 3, long=True))
        if name == "briefs":  # short teasers: the article pages are fetched
            return rss("Soak briefs", self.entries(name, minute, 2, long=False))
        if name == "huge":
            return self._huge(minute)
        if name == "tiny":
            return self._tiny(minute)
        if name == "articles":
            return self._hostile_articles(minute)
        if name == "markup":
            return self._markup(minute)
        raise KeyError(name)

    def _huge(self, minute: int) -> bytes:
        """70,000 items (and a few more each minute): more than any bind-parameter limit."""
        new = self.entries("huge", minute, 2, long=True)
        old = "".join(
            f"<item><guid>h{i}</guid><title>t{i}</title></item>\n" for i in range(self.huge_items)
        )
        body = rss("Soak huge", new).decode()
        return body.replace("</channel>", old + "</channel>").encode()

    def _tiny(self, minute: int) -> bytes:
        """A JSON Feed of about 4.7 MB of tiny items, and a few real ones each minute."""
        items = [json_item(e) for e in self.entries("tiny", minute, 2, long=True)]
        size = len(json_feed("Soak tiny", items))
        count = 0
        while size < self.tiny_bytes:
            entry = {"id": f"t{count}", "content_text": "a"}
            items.append(entry)
            size += len(json.dumps(entry, separators=(",", ":"))) + 1
            count += 1
        return json_feed("Soak tiny", items)

    def _hostile_articles(self, minute: int) -> bytes:
        """A benign item from the start; the 480 KB "(photo by x" run from minute 1 and the
        1 MB article of statements from minute 2 (a new feed's first poll only marks what it
        holds as seen, so hostile items must come later to be analysed)."""
        entries = self.entries("articles", minute, 1, long=True)
        if minute >= PHOTO_MINUTE:
            text = "Officials spoke. " + "(photo by x" * (480_000 // 11)
            entries.insert(0, self._one("photo", "Gallery of the summit", text, 1))
        if minute >= STATEMENTS_MINUTE:
            rng = random.Random("statements")  # noqa: S311
            sentences: list[str] = []
            size = 0
            while size < STATEMENTS_BYTES:
                sentences.append(statement(rng))
                size += len(sentences[-1]) + 1
            entries.insert(0, self._one("statements", "Everyone said", " ".join(sentences), 2))
        return rss("Soak hostile articles", entries)

    def _markup(self, minute: int) -> bytes:
        """Rich markup and terminal escapes in the feed's title and its items' titles."""
        title = "[/]Soak [bold red]wire[/] \x1b[2J\x1b[H\x1b]8;;http://127.0.0.1/x\x1b\\link\x1b]8;;\x1b\\"
        items = [
            {**json_item(e), "title": f"[/][blink]{e.title}\x1b[31m red\x1b[0m"}
            for e in self.entries("markup", minute, 1, long=True)
        ]
        return json_feed(title, items)

    def _one(self, guid: str, title: str, text: str, minute: int) -> Entry:
        return Entry(
            guid=f"soak-hostile-{guid}",
            title=title,
            text=text,
            link=f"{self.base}/articles/hostile/{guid}",
            published=self.started_at + dt.timedelta(minutes=minute),
        )


FEED_PATHS = {
    **{f"/feeds/{desk}.xml": desk for desk in DESKS},
    "/feeds/briefs.xml": "briefs",
    "/hostile/huge.xml": "huge",
    "/hostile/tiny.json": "tiny",
    "/hostile/articles.xml": "articles",
    "/hostile/markup.json": "markup",
}
HOSTILE = ("briefs", "huge", "tiny", "articles", "markup", "drip", "error")
DRIP_PATH = "/hostile/drip.xml"
ERROR_PATH = "/hostile/error.xml"
DRIP_SECONDS = 90


async def feed_server(feeds: Feeds) -> web.AppRunner:
    async def serve(request: web.Request) -> web.Response:
        name = FEED_PATHS[request.path]
        kind = "application/feed+json" if request.path.endswith(".json") else "application/rss+xml"
        return web.Response(body=feeds.document(name), content_type=kind)

    async def article(request: web.Request) -> web.Response:
        rng = random.Random(request.path)  # noqa: S311
        paragraphs = "".join(f"<p>{escape(paragraph(rng, 4))}</p>" for _ in range(6))
        html = f"<html><head><title>{escape(headline(rng))}</title></head><body><article>"
        return web.Response(
            text=f"{html}{paragraphs}</article></body></html>", content_type="text/html"
        )

    async def drip(request: web.Request) -> web.StreamResponse:
        """A body that never ends in time: one byte a second, for at most DRIP_SECONDS."""
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for _ in range(DRIP_SECONDS):
                await response.write(b" ")
                await asyncio.sleep(1)
        feeds.served["drip"] = feeds.served.get("drip", 0) + 1
        return response

    async def error(_request: web.Request) -> web.Response:
        feeds.served["error"] = feeds.served.get("error", 0) + 1
        return web.Response(status=500, text="internal error")

    app = web.Application()
    for path in FEED_PATHS:
        app.router.add_get(path, serve)
    app.router.add_get("/articles/{tail:.*}", article)
    app.router.add_get(DRIP_PATH, drip)
    app.router.add_get(ERROR_PATH, error)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    return runner


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- subscriptions ------------------------------------------------------------------------------


@dataclass
class Planned:
    """A subscription of the soak and the UTC moment its digest is due (None: not in the
    window)."""

    name: str
    platform: str
    channel_id: str
    workspace_id: str
    timezone: str
    local_time: str
    due: dt.datetime | None
    id: int | None = None


def due_moments(start: dt.datetime, end: dt.datetime, count: int) -> list[dt.datetime]:
    """``count`` whole minutes between 15 s after the start and 45 s before the end, spread
    evenly (several subscriptions share one when the window is short)."""
    first = (start + dt.timedelta(seconds=15 + 59)).replace(second=0, microsecond=0)
    last = end - dt.timedelta(seconds=45)
    slots = []
    moment = first
    while moment <= last:
        slots.append(moment)
        moment += dt.timedelta(minutes=1)
    if not slots:
        raise SystemExit("the window is too short for a digest; use --minutes 2 or more")
    return [slots[round(i * (len(slots) - 1) / max(1, count - 1))] for i in range(count)]


def plan(start: dt.datetime, end: dt.datetime) -> list[Planned]:
    wanted = [
        ("discord-general", "discord", str(dd.GENERAL_CHANNEL_ID), str(dd.GUILD_ID), "UTC"),
        ("slack-general", "slack", sd.GENERAL_CHANNEL_ID, sd.TEAM_ID, "America/New_York"),
        ("console-berlin", "console", "soak-berlin", "", "Europe/Berlin"),
        ("discord-headlines", "discord", str(dd.HEADLINES_CHANNEL_ID), str(dd.GUILD_ID),
         "Asia/Tokyo"),
        ("slack-news", "slack", sd.NEWS_CHANNEL_ID, sd.TEAM_ID, "UTC"),
        ("console-utc", "console", "soak-utc", "", "UTC"),
    ]  # fmt: skip
    moments = due_moments(start, end, len(wanted))
    planned = [
        Planned(name, platform, channel, workspace, zone, local(moment, zone), moment)
        for (name, platform, channel, workspace, zone), moment in zip(wanted, moments, strict=True)
    ]
    later = start + dt.timedelta(hours=3)  # due after the soak: must get nothing
    planned.append(
        Planned("discord-later", "discord", str(dd.ANNOUNCEMENTS_CHANNEL_ID), str(dd.GUILD_ID),
                "UTC", local(later, "UTC"), None)
    )  # fmt: skip
    return planned


def local(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def save_chat_subscriptions(database_url: str, planned: list[Planned]) -> None:
    """Discord and Slack subscriptions straight into the store, as /subscribe would save them."""
    now = dt.datetime.now(dt.UTC)
    with Store.open(database_url) as store:
        for entry in planned:
            if entry.platform == "console":
                continue
            hour, minute = map(int, entry.local_time.split(":"))
            saved, _ = store.save_subscription(
                Subscription(
                    platform=Platform(entry.platform),
                    workspace_id=entry.workspace_id,
                    channel_id=entry.channel_id,
                    local_time=dt.time(hour, minute),
                    timezone=entry.timezone,
                    days=EVERY_DAY,
                    created_at=now - dt.timedelta(minutes=1),
                )
            )
            entry.id = saved.id


def console_settings(path: Path, planned: list[Planned]) -> None:
    lines = ["[run]\n"]
    for entry in planned:
        if entry.platform == "console":
            lines.append(
                f'[[run.console]]\nname = "{entry.channel_id}"\ntime = "{entry.local_time}"\n'
                f'timezone = "{entry.timezone}"\ndays = "every day"\n'
            )
    path.write_text("".join(lines))


# -- faults -------------------------------------------------------------------------------------

MESSAGES = "/channels/{channel_id}/messages"


def pending_faults(double: Any) -> bool:
    return any(fault.remaining > 0 for fault in double._faults)


Step = tuple[str, Callable[[], Awaitable[None] | None]]


def disconnects(discord: dd.DiscordDouble, slack: sd.SlackDouble) -> list[Step]:
    """Done in turn, one every CHAOS_EVERY seconds: the connections dropped or refreshed."""
    return [
        ("discord gateway dropped", lambda: discord.drop_connections(4000)),
        ("slack socket dropped", slack.drop_connections),
        ("discord gateway reconnect", discord.request_reconnect),
        ("slack socket refresh", slack.request_reconnect),
        ("discord session invalidated", lambda: discord.invalidate_sessions(resumable=True)),
    ]


def post_faults(discord: dd.DiscordDouble, slack: sd.SlackDouble) -> list[tuple[Any, list[Step]]]:
    """Per platform, the scripted failures of posting, in order (see :func:`arm_next`)."""
    post = "chat.postMessage"

    def both(*steps: Callable[[], None]) -> Callable[[], None]:
        def arm() -> None:
            for step in steps:
                step()

        return arm

    return [
        (discord, [
            ("discord 429 x2", lambda: discord.rate_limit("POST", MESSAGES, times=2,
                                                          retry_after=0.5)),
            ("discord took it, then 502", lambda: discord.accept_then_fail("POST", MESSAGES)),
            ("discord 502 x2", lambda: discord.fail("POST", MESSAGES, status=502, times=2)),
        ]),
        (slack, [
            ("slack took it, then 500", lambda: slack.accept_then_fail(post, status=500)),
            ("slack 429, then 503", both(lambda: slack.rate_limit(post, retry_after=1),
                                         lambda: slack.fail(post, status=503))),
            ("slack 503", lambda: slack.fail(post, status=503)),
        ]),
    ]  # fmt: skip


def posts_taken(double: Any) -> int:
    """How many posts the platform answered with success (a resend that found its message
    included)."""
    if isinstance(double, dd.DiscordDouble):
        return sum(1 for r in double.requests("POST", route=MESSAGES) if r.ok)
    return sum(1 for call in double.calls("chat.postMessage") if call.ok)


def arm_next(queues: list[tuple[Any, list[Step]]], seen: Observed, now: float) -> None:
    """Arm a platform's next failure once the last was used up and a post went through since,
    so a digest meets one kind and then gets through (a short window has digests for few)."""
    for double, queue in queues:
        mark = seen.armed_at.get(id(double))
        if not queue or pending_faults(double):
            continue
        if mark is not None and posts_taken(double) <= mark:
            continue
        name, arm = queue.pop(0)
        arm()
        seen.armed_at[id(double)] = posts_taken(double)
        seen.chaos.append(f"{round(now - seen.started)} s: armed {name}")


# -- measurements -------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo and len(found) < MAX_PROCESSES:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def memory(pid: int) -> dict[str, float]:
    """RSS and peak RSS (MB) of the process, the RSS of it and its children, and the largest
    peak RSS of any one of them (the analysis worker's, usually)."""
    tree = process_tree(pid)
    largest = max((status_kb(p, "VmHWM") for p in tree), default=0.0) / 1e3
    return {
        "rss_mb": status_kb(pid, "VmRSS") / 1e3,
        "hwm_mb": status_kb(pid, "VmHWM") / 1e3,
        "tree_rss_mb": sum(status_kb(p, "VmRSS") for p in tree) / 1e3,
        "largest_peak_mb": largest,
    }


def status_kb(pid: int, key: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0


METRIC = re.compile(r"^(newsdigest_[a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$")


def parse_metrics(text: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines()[:5000]:
        match = METRIC.match(line)
        if match:
            found[match[1] + (match[2] or "")] = float(match[3])
    return found


@dataclass
class Observed:
    started: float = field(default_factory=time.monotonic)
    memory: dict[str, dict[str, float]] = field(default_factory=dict)
    exit_code: int | None = None
    acks: list[float] = field(default_factory=list)
    copies: dict[str, int] = field(default_factory=dict)
    faults_hit: dict[str, int] = field(default_factory=dict)
    armed_at: dict[int, int] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    scrapes_failed: int = 0
    worst_lag: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    chaos: list[str] = field(default_factory=list)
    slack_commands: int = 0
    slack_command_errors: int = 0
    discord_commands: int = 0
    discord_command_errors: int = 0
    discord_answer_seconds: list[float] = field(default_factory=list)


async def scrape(
    session: ClientSession, port: int, pid: int, started: float, seen: Observed
) -> None:
    sample: dict[str, Any] = {"t": round(time.monotonic() - started, 1), **memory(pid)}
    try:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
            metrics = parse_metrics(await response.text())
    except (OSError, TimeoutError):
        seen.scrapes_failed += 1
    else:
        seen.metrics = metrics
        lag = metrics.get("newsdigest_event_loop_lag_max_seconds")
        if lag is not None:
            seen.worst_lag = max(seen.worst_lag, lag)
            sample["lag_max"] = lag
            sample["lag"] = metrics.get("newsdigest_event_loop_lag_seconds")
    seen.samples.append(sample)


async def slack_command(slack: sd.SlackDouble, seen: Observed) -> None:
    seen.slack_commands += 1
    try:
        await slack.send_slash_command("/feeds", "status", timeout=5)
    except Exception:
        seen.slack_command_errors += 1


async def discord_command(discord: dd.DiscordDouble, seen: Observed) -> None:
    seen.discord_commands += 1
    sent_at = time.monotonic()
    try:
        sent = await discord.send_interaction("topics")
        await discord.wait_callback(sent, timeout=10)
    except Exception:
        seen.discord_command_errors += 1
    else:
        seen.discord_answer_seconds.append(round(time.monotonic() - sent_at, 3))


# -- the run ------------------------------------------------------------------------------------


async def soak(
    minutes: float, workdir: Path, huge_items: int, tiny_bytes: int, without: set[str]
) -> dict[str, Any]:
    started = time.monotonic()
    start = dt.datetime.now(dt.UTC)
    planned = plan(start, start + dt.timedelta(minutes=minutes))
    database_url = f"sqlite:///{workdir / 'run.db'}"
    seen = Observed(started=started)

    feeds_port = free_port()
    base = f"http://127.0.0.1:{feeds_port}"
    feeds = Feeds(base, started, huge_items, tiny_bytes)
    paths = {**FEED_PATHS, DRIP_PATH: "drip", ERROR_PATH: "error"}
    urls = [base + path for path, name in paths.items() if name not in without]
    for name in FEED_PATHS.values():
        if name not in without:
            feeds.document(name)  # built before the process starts, not while it is measured
    feeds.served.clear()
    server = await feed_server(feeds)
    await web.TCPSite(server, "127.0.0.1", feeds_port).start()

    async with dd.DiscordDouble() as discord, sd.SlackDouble() as slack:
        save_chat_subscriptions(database_url, planned)
        config = workdir / "settings.toml"
        console_settings(config, planned)
        metrics_port = free_port()
        env = process_environment(
            workdir, urls, database_url=database_url, metrics_port=metrics_port,
            discord=discord, slack=slack,
        )  # fmt: skip
        with (workdir / "stdout.log").open("wb") as out, (workdir / "stderr.log").open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "--config", str(config), "run",
                env=env, cwd=workdir, stdout=out, stderr=err,
            )  # fmt: skip
            seen.memory["spawned"] = memory(process.pid)
            try:
                await watch(
                    process, discord=discord, slack=slack, metrics_port=metrics_port,
                    deadline=started + minutes * 60, seen=seen,
                )  # fmt: skip
            finally:
                seen.exit_code = await stop(process)
        seen.acks = [ack.after for ack in slack.acks() if ack.after is not None]
        seen.copies = platform_copies(planned, database_url, discord, slack)
        seen.faults_hit = faults_hit(discord, slack)
    await server.cleanup()
    return report(
        planned, database_url, workdir, seen, minutes=minutes, feeds=feeds, without=without
    )


def process_environment(
    workdir: Path,
    urls: list[str],
    *,
    database_url: str,
    metrics_port: int,
    discord: dd.DiscordDouble,
    slack: sd.SlackDouble,
) -> dict[str, str]:
    """`newsdigest run` with both chat platforms on the doubles, short ticks, every feed due
    each minute, and the metrics served."""
    return environment(
        workdir,
        urls,
        NEWSDIGEST_DATABASE_URL=database_url,
        NEWSDIGEST_LOG_LEVEL="INFO",
        NEWSDIGEST_DISCORD_TOKEN=discord.token,
        NEWSDIGEST_DISCORD_API_URL=discord.rest_base,
        NEWSDIGEST_DISCORD_GATEWAY_URL=discord.gateway_url,
        NEWSDIGEST_DISCORD_DEV_GUILD=str(dd.GUILD_ID),
        NEWSDIGEST_SLACK_BOT_TOKEN=slack.bot_token,
        NEWSDIGEST_SLACK_APP_TOKEN=slack.app_token,
        NEWSDIGEST_SLACK_API_URL=slack.api_url,
        NEWSDIGEST_RUN__METRICS_PORT=str(metrics_port),
        NEWSDIGEST_RUN__POLL_EVERY_SECONDS="20",
        NEWSDIGEST_RUN__DELIVER_EVERY_SECONDS="5",
        NEWSDIGEST_FETCH__POLL_INTERVAL_MINUTES="1",
        COLUMNS="400",  # Rich wraps log lines at 80 columns when not on a terminal
    )


async def watch(
    process: asyncio.subprocess.Process,
    *,
    discord: dd.DiscordDouble,
    slack: sd.SlackDouble,
    metrics_port: int,
    deadline: float,
    seen: Observed,
) -> None:
    """Until the deadline: scrape the metrics and the memory, arm the next fault, send the
    next slash commands; all on their own period."""
    started = time.monotonic()
    steps = disconnects(discord, slack)
    queues = post_faults(discord, slack)
    background: set[asyncio.Task[None]] = set()
    next_scrape = next_chaos = next_command = started + 5
    step = 0
    async with ClientSession(timeout=ClientTimeout(total=3)) as session:
        try:
            while time.monotonic() < deadline and process.returncode is None:
                now = time.monotonic()
                if now >= next_scrape:
                    await scrape(session, metrics_port, process.pid, seen.started, seen)
                    next_scrape = now + SCRAPE_EVERY
                    if "start" not in seen.memory and seen.metrics:  # it answers: started
                        seen.memory["start"] = memory(process.pid)
                    if "first_minute" not in seen.memory and now - seen.started >= MINUTE:
                        seen.memory["first_minute"] = memory(process.pid)
                arm_next(queues, seen, now)
                if now >= next_chaos:
                    name, action = steps[step % len(steps)]
                    step += 1
                    outcome = action()
                    if outcome is not None:
                        await outcome
                    seen.chaos.append(f"{round(now - seen.started)} s: {name}")
                    next_chaos = now + CHAOS_EVERY
                if now >= next_command:
                    for work in (slack_command(slack, seen), discord_command(discord, seen)):
                        task = asyncio.create_task(work)
                        background.add(task)
                        task.add_done_callback(background.discard)
                    next_command = now + COMMAND_EVERY
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 1)
            if process.returncode is None:
                await scrape(session, metrics_port, process.pid, seen.started, seen)
            seen.memory["end"] = memory(process.pid)
        finally:
            for task in list(background):
                task.cancel()


async def stop(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            return -9
    return process.returncode if process.returncode is not None else -1


def platform_copies(
    planned: list[Planned], database_url: str, discord: dd.DiscordDouble, slack: sd.SlackDouble
) -> dict[str, int]:
    """Per subscription, how many first messages of its digests the platform holds (a digest
    sent twice shows two)."""
    counts: dict[str, int] = {}
    with Store.open(database_url) as store:
        deliveries = [d for d in store.list_deliveries() if d.kind == DeliveryKind.DIGEST]
    for entry in planned:
        if entry.platform == "console" or entry.id is None:
            continue
        nonces = [d.nonce for d in deliveries if d.subscription_id == entry.id and d.nonce]
        if entry.platform == "discord":
            firsts = {message_nonce(nonce, 0) for nonce in nonces}
            messages = discord.messages(int(entry.channel_id))
            counts[entry.name] = sum(1 for m in messages if m.get("nonce") in firsts)
        else:
            keys = {message_key(nonce, 0) for nonce in nonces}
            posts = slack.messages(entry.channel_id)
            counts[entry.name] = sum(1 for m in posts if slack_key(m) in keys)
    return counts


def faults_hit(discord: dd.DiscordDouble, slack: sd.SlackDouble) -> dict[str, int]:
    """The scripted failures that requests met, and the connections each double saw."""
    hit: dict[str, int] = {}
    for name, faults in (
        ("discord", [r.fault for r in discord.requests()]),
        ("slack", [c.fault for c in slack.calls()]),
    ):
        for fault in faults:
            if fault is not None:
                hit[f"{name} {fault}"] = hit.get(f"{name} {fault}", 0) + 1
    hit["discord gateway connections"] = len(discord.connections)
    hit["discord identifies"] = len(discord.identifies())
    hit["slack socket connections"] = len(slack.socket_connections)
    return hit


def slack_key(message: sd.Message) -> str | None:
    metadata = message.args.get("metadata")
    if isinstance(metadata, str):
        with contextlib.suppress(ValueError):
            metadata = json.loads(metadata)
    if not isinstance(metadata, dict):
        return None
    payload = metadata.get("event_payload") or {}
    key = payload.get("key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) else None


TRACEBACK_LINE = re.compile(r'Traceback \(most recent call last\)|^\s*File ".*", line \d+')


def report(
    planned: list[Planned],
    database_url: str,
    workdir: Path,
    seen: Observed,
    *,
    minutes: float,
    feeds: Feeds,
    without: set[str],
) -> dict[str, Any]:
    with Store.open(database_url) as store:
        subscriptions = {s.id: s for s in store.list_subscriptions()}
        deliveries = [d for d in store.list_deliveries() if d.kind == DeliveryKind.DIGEST]
        feed_states = [
            {"url": f.url.rsplit("/", 2)[-1], "enabled": f.enabled, "failures": f.failure_count,
             "last_success": f"{f.last_success_at:%H:%M:%S}" if f.last_success_at else None,
             "last_error": (f.last_error or "")[:160] or None}
            for f in store.list_feeds()
        ]  # fmt: skip
    by_channel = {(str(s.platform), s.channel_id): s.id for s in subscriptions.values()}
    output = (workdir / "stdout.log").read_text(errors="replace")
    log = (workdir / "stderr.log").read_text(errors="replace")
    rows = []
    for entry in planned:
        entry.id = by_channel.get((entry.platform, entry.channel_id), entry.id)
        mine = [d for d in deliveries if d.subscription_id == entry.id]
        if entry.platform == "console":
            copies = len(re.findall(rf"^\[{re.escape(entry.channel_id)}\]$", output, re.M))
        else:
            copies = seen.copies.get(entry.name, 0)
        expected = 1 if entry.due is not None else 0
        sent = sum(1 for d in mine if str(d.status) == "sent")
        rows.append({
            "name": entry.name, "platform": entry.platform, "channel": entry.channel_id,
            "local_time": f"{entry.local_time} {entry.timezone}",
            "due_utc": entry.due.strftime("%H:%M") if entry.due else "later",
            "expected": expected, "sent_rows": sent, "copies": copies,
            "statuses": [f"{d.status}" + (f" ({d.error})" if d.error else "") for d in mine],
            "ok": sent == expected and copies == expected,
        })  # fmt: skip
    tracebacks = [line for line in (log + output).splitlines() if TRACEBACK_LINE.search(line)]
    base = seen.memory.get("first_minute") or {}
    last = seen.memory.get("end") or {}
    growth = None
    if base.get("rss_mb") and last.get("rss_mb"):
        growth = round(100 * (last["rss_mb"] - base["rss_mb"]) / base["rss_mb"], 1)
    largest_peak = max((m.get("largest_peak_mb", 0.0) for m in seen.memory.values()), default=0.0)
    acks = seen.acks
    late_acks = sum(1 for after in acks if after > SLACK_ACK_DEADLINE)
    goals = {
        "one digest per due subscription": all(row["ok"] for row in rows),
        "memory growth after the first minute <= 10 %": growth is not None
        and growth <= GOAL_GROWTH_PERCENT,
        "every process's peak RSS <= 400 MB": 0 < largest_peak <= GOAL_PEAK_MB,
        "no traceback in the log": not tracebacks,
        "worst event-loop lag <= max-lag": seen.metrics != {} and seen.worst_lag <= MAX_LAG[0],
        "no Slack ack later than 3 s": late_acks == 0,
    }
    warnings = [line for line in log.splitlines() if " WARNING " in line or '"WARNING"' in line]
    return {
        "minutes": minutes,
        "without": sorted(without),
        "workdir": str(workdir),
        "exit_code": seen.exit_code,
        "subscriptions": rows,
        "event_loop_lag_max_seconds": round(seen.worst_lag, 3),
        "metrics_scrapes": len(seen.samples),
        "metrics_scrapes_failed": seen.scrapes_failed,
        "memory_mb": {k: {n: round(v, 1) for n, v in m.items()} for k, m in seen.memory.items()},
        "rss_growth_after_first_minute_percent": growth,
        "traceback_lines": len(tracebacks),
        "tracebacks": log.count("Traceback (most recent call last)")
        + output.count("Traceback (most recent call last)"),
        "escape_bytes_on_stdout": output.count("\x1b"),
        "warning_lines": len(warnings),
        "slack_acks": len(acks),
        "slack_ack_max_seconds": round(max(acks), 3) if acks else None,
        "slack_acks_late": late_acks,
        "slack_commands": [seen.slack_commands, seen.slack_command_errors],
        "discord_commands": [seen.discord_commands, seen.discord_command_errors],
        "discord_answer_max_seconds": max(seen.discord_answer_seconds, default=None),
        "feed_requests": dict(sorted(feeds.served.items())),
        "feeds": feed_states,
        "chaos": seen.chaos,
        "faults_hit": seen.faults_hit,
        "final_metrics": {k: v for k, v in seen.metrics.items() if "_created" not in k},
        "samples": seen.samples,
        "goals": goals,
        "passed": all(goals.values()),
    }


MAX_LAG = [1.0]


def print_text(result: dict[str, Any]) -> None:
    r = result
    print(f"soak: {r['minutes']} min of `newsdigest run`; files in {r['workdir']}")
    if r["without"]:
        print(f"feeds left out: {', '.join(r['without'])}")
    print(f"process exit code after SIGTERM: {r['exit_code']}")
    print("digests per subscription (expected / sent in the store / copies on the platform):")
    for row in r["subscriptions"]:
        mark = "ok  " if row["ok"] else "MISS" if row["copies"] < row["expected"] else "BAD "
        counts = f"{row['expected']} / {row['sent_rows']} / {row['copies']}"
        print(
            f"  {mark} {row['name']:18} {row['local_time']:24} due {row['due_utc']:5}  "
            f"{counts}  {', '.join(row['statuses'])}"
        )
    print("memory, MB (rss / peak rss / rss of the process tree / largest peak of one process):")
    keys = ("rss_mb", "hwm_mb", "tree_rss_mb", "largest_peak_mb")
    for when in ("spawned", "start", "first_minute", "end"):
        m = r["memory_mb"].get(when, {})
        sizes = " / ".join(str(m.get(key, "-")) for key in keys)
        print(f"  {when:12} {sizes}")
    print(f"rss growth after the first minute: {r['rss_growth_after_first_minute_percent']} %")
    print(
        f"event loop: worst lag {r['event_loop_lag_max_seconds']} s "
        f"({r['metrics_scrapes']} scrapes, {r['metrics_scrapes_failed']} failed)"
    )
    print(
        f"slack acks: {r['slack_acks']}, max {r['slack_ack_max_seconds']} s, "
        f"{r['slack_acks_late']} late; commands sent/failed: slack {r['slack_commands']}, "
        f"discord {r['discord_commands']} (answer max {r['discord_answer_max_seconds']} s)"
    )
    print(
        f"log: {r['tracebacks']} tracebacks ({r['traceback_lines']} traceback lines), "
        f"{r['warning_lines']} warnings; {r['escape_bytes_on_stdout']} ESC bytes on stdout"
    )
    counters = ("feeds_polled_total", "articles_analysed_total", "deliveries_total")
    print("counters at the last scrape:")
    for name, value in r["final_metrics"].items():
        if name.removeprefix("newsdigest_").startswith(counters):
            print(f"  {name} {value:g}")
    print(f"faults met and connections: {r['faults_hit']}")
    print(f"feed requests: {r['feed_requests']}")
    print("feeds (failures, last success, last error):")
    for feed in r["feeds"]:
        print(f"  {feed['url']:14} {feed['failures']:3} {feed['last_success']}  ", end="")
        print(feed["last_error"] or "")
    print("goals:")
    for goal, met in r["goals"].items():
        print(f"  {'met   ' if met else 'MISSED'} {goal}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (>= 2)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--workdir", type=Path, help="keep the database and logs here")
    parser.add_argument("--max-lag", type=float, default=1.0, help="goal: worst loop lag, s")
    parser.add_argument("--huge-items", type=int, default=70_000)
    parser.add_argument("--tiny-bytes", type=int, default=4_700_000)
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=[*DESKS, *HOSTILE],
        help="leave this feed out (repeat for more), e.g. to see the others when one stalls",
    )
    args = parser.parse_args()
    if not MINUTES[0] <= args.minutes <= MINUTES[1]:
        parser.error("--minutes must be between 2 and 240")
    MAX_LAG[0] = args.max_lag
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsdigest-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.pop("NEWSDIGEST_DATABASE_URL", None)
    result = asyncio.run(
        soak(args.minutes, workdir, args.huge_items, args.tiny_bytes, set(args.without))
    )
    (workdir / "report.json").write_text(json.dumps(result, indent=2, default=str))
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print_text(result)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
