"""Killed mid-work: `newsdigest ingest` and `analyse --pending` stopped with SIGKILL leave a
store with nothing half-written, and the next run finishes the work as if nothing had happened.

Each feed's poll is recorded in one transaction and each article's analysis in another, so a
kill at any moment leaves every feed either untouched or stored with all its entries, and every
article either queued or analysed with all its positions.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from tests import run_process
from tests.feeds import Item, rss
from tests.feedserver import FeedServer

_SAID = [
    "Russia's foreign minister said Moscow rejected the proposal for a ceasefire.",
    "The European Union demanded that both sides return to talks in Geneva.",
    "China warned that new sanctions would harm trade across the region.",
    "NATO's secretary general said the alliance supported Ukraine's request.",
]


def _items(feed: int, count: int) -> list[Item]:
    return [
        Item(
            title=f"Talks {feed}-{n}: envoys meet on the border dispute",
            guid=f"urn:crash:{feed}:{n}",
            link=f"https://news.example/crash/{feed}/{n}",
            description=" ".join(_SAID[(feed + n + k) % len(_SAID)] for k in range(3)),
        )
        for n in range(count)
    ]


def _feed(feed: int, count: int) -> str:
    return rss(_items(feed, count), title=f"Crash Feed {feed}")


def _counts(database: Path) -> dict[str, object]:
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        per_feed = db.execute(
            "SELECT feeds.id, feeds.last_success_at IS NOT NULL, count(articles.id)"
            " FROM feeds LEFT JOIN articles ON articles.feed_id = feeds.id"
            " GROUP BY feeds.id ORDER BY feeds.id"
        ).fetchall()
        queued = db.execute("SELECT count(*) FROM articles WHERE analysed_at IS NULL").fetchone()
        positions = db.execute("SELECT count(*) FROM positions").fetchone()
    return {"per_feed": per_feed, "queued": queued[0], "positions": positions[0]}


def _query(database: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.Error:  # not created or not migrated yet
        return 0


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the process never reached the point to kill it at"
        await asyncio.sleep(0.05)


async def _finish(folder: Path, urls: list[str], *arguments: str, **extra: str) -> None:
    process = await run_process.start(folder, *arguments, feeds=urls, **extra)
    out, err = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, (out + err).decode(errors="replace")[-2000:]


async def _kill_when(
    folder: Path, urls: list[str], arguments: tuple[str, ...], condition: Callable[[], bool]
) -> None:
    process = await run_process.start(
        folder, *arguments, feeds=urls, output=asyncio.subprocess.DEVNULL
    )
    try:
        await _until(condition, 120)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()


async def test_an_ingest_killed_between_feeds_keeps_the_recorded_ones_and_the_next_finishes(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    hang = asyncio.Event()  # never set: the last feed does not answer until the kill

    async def held(_request: web.Request) -> web.StreamResponse:
        await hang.wait()
        return web.Response()

    urls = [feed_server.serve(f"/quick/{n}.xml", _feed(n, 40)) for n in range(3)]
    urls.append(feed_server.route("/held.xml", held))
    database = tmp_path / "run.db"
    recorded = "SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL"
    await _kill_when(
        tmp_path, urls, ("ingest", "--no-analysis"), lambda: _query(database, recorded) == 3
    )
    assert _counts(database)["per_feed"] == [(1, 1, 40), (2, 1, 40), (3, 1, 40), (4, 0, 0)]

    feed_server.serve("/held.xml", _feed(3, 40))
    await _finish(tmp_path, urls, "ingest", "--no-analysis")
    after = _counts(database)
    assert after["per_feed"] == [(n, 1, 40) for n in (1, 2, 3, 4)]
    assert after["queued"] == 160


async def test_an_ingest_killed_while_writing_a_large_feed_stores_all_of_it_or_none(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    items = 8_000  # some 3.7 MB: within the default size cap
    every_item = {"NEWSDIGEST_FETCH__MAX_ITEMS_PER_POLL": str(items)}
    url = feed_server.serve("/large.xml", _feed(0, items))
    database = tmp_path / "run.db"
    for delay in (0.1, 0.3, 0.6, 1.0):  # after the body is served: parsing, then the one write
        served = len(feed_server.requests_to("/large.xml"))
        process = await run_process.start(
            tmp_path,
            "ingest",
            "--no-analysis",
            feeds=[url],
            output=asyncio.subprocess.DEVNULL,
            **every_item,
        )
        await _until(lambda: len(feed_server.requests_to("/large.xml")) > served, 60)  # noqa: B023
        await asyncio.sleep(delay)
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()
        assert _counts(database)["per_feed"] in ([(1, 0, 0)], [(1, 1, items)])
    await _finish(tmp_path, [url], "ingest", "--no-analysis", **every_item)
    assert _counts(database)["per_feed"] == [(1, 1, items)]


async def test_an_analysis_killed_midway_resumes_to_the_positions_of_an_unbroken_one(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = [feed_server.serve(f"/analyse/{n}.xml", _feed(n, 40)) for n in range(3)]
    unbroken, broken = tmp_path / "unbroken", tmp_path / "broken"
    for folder in (unbroken, broken):
        folder.mkdir()
        await _finish(folder, urls, "ingest", "--no-analysis")
    await _finish(unbroken, urls, "analyse", "--pending")
    expected = _counts(unbroken / "run.db")
    assert expected["queued"] == 0
    assert isinstance(expected["positions"], int)
    assert expected["positions"] > 120  # the texts hold statements: there is work to lose

    analysed = "SELECT count(*) FROM articles WHERE analysed_at IS NOT NULL"
    await _kill_when(
        broken,
        urls,
        ("analyse", "--pending"),
        lambda: _query(broken / "run.db", analysed) >= 10,
    )
    assert 0 < _counts(broken / "run.db")["queued"] < 120  # type: ignore[operator]
    await _finish(broken, urls, "analyse", "--pending")
    assert _counts(broken / "run.db") == expected
