"""Hostile articles: whatever an article holds, its analysis reads a bounded part of it, keeps a
bounded number of positions and ends in bounded time; the queue holds a bounded amount of text.

The time bounds are generous guards (an article that took minutes before must not take 60 s),
not speed goals. Texts are our own.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import signal
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import pytest

from bot.runner import ConsoleSender, Runner
from bot.settings import RunSettings, Settings
from bot.work import Analysed
from digests.analysis import Analysis, Analyzer, ArticleText, analyse_queue, load_analyzer
from digests.analysis._prepare import MAX_WORD_CHARS, cut_text
from digests.analysis._run import MAX_GROUP_CHARS
from digests.model import Article, Feed, Platform
from digests.service import Service
from digests.settings import AnalysisSettings
from digests.store import Store

#: Seconds one analysis may take here (under 10 s on the development machine, and the whole
#: analysis of these articles took minutes before the caps).
BOUND = 60
SPEAKERS = ("Russia", "China", "France", "Germany", "Iran", "Turkey", "Japan", "Ukraine")
CLAIMS = ("rejects the plan", "supports the sanctions", "opposes the arms deal")


def statements(size: int) -> str:
    """Paragraphs of three reported statements each, about ``size`` characters in all."""
    sentences = (
        f"{speaker}'s foreign minister said the government {claim}."
        for speaker, claim in zip(
            itertools.cycle(SPEAKERS), itertools.cycle(CLAIMS[::-1] + CLAIMS), strict=False
        )
    )
    paragraphs: list[str] = []
    while sum(len(p) + 2 for p in paragraphs) < size:
        paragraphs.append(" ".join(itertools.islice(sentences, 3)))
    return "\n\n".join(paragraphs)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return load_analyzer(AnalysisSettings(max_text_chars=20_000, max_positions_per_article=30))


class _TooSlowError(Exception):
    pass


def _too_slow(_signum: int, _frame: FrameType | None) -> None:
    raise _TooSlowError


def _analyse_within_bound(analyzer: Analyzer, text: str) -> Analysis:
    previous = signal.signal(signal.SIGALRM, _too_slow)
    signal.alarm(BOUND)
    try:
        return analyzer.analyse("A hostile article", text)
    except _TooSlowError:
        pytest.fail(f"the analysis of {text[:30]!r}... took over {BOUND} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_long_text_is_cut_at_a_paragraph_break() -> None:
    text = "The first paragraph is a little longer.\nThe second one goes past the limit.\nEnd."
    assert cut_text(text, 50) == "The first paragraph is a little longer."
    assert cut_text(text, len(text)) == text
    assert cut_text("word " * 100, 52) == ("word " * 10).rstrip()


def test_the_settings_reach_the_analyzer(analyzer: Analyzer) -> None:
    assert (analyzer.max_text_chars, analyzer.max_positions) == (20_000, 30)


def test_a_huge_article_of_statements_keeps_the_most_confident_positions_in_order(
    analyzer: Analyzer,
) -> None:
    text = statements(1_000_000)
    capped = _analyse_within_bound(analyzer, text)
    assert len(capped.positions) == analyzer.max_positions
    head = cut_text(text, analyzer.max_text_chars)
    uncapped = Analyzer(
        analyzer.nlp, analyzer.vocabulary, max_text_chars=len(head), max_positions=10_000
    ).analyse("A hostile article", head)
    assert len(uncapped.positions) > analyzer.max_positions  # the cap did cut
    remaining = iter(uncapped.positions)
    assert all(any(p == q for q in remaining) for p in capped.positions)  # in the article's order
    least_kept = min(p.confidence for p in capped.positions)
    most_left = sorted((p.confidence for p in uncapped.positions), reverse=True)[
        len(capped.positions)
    ]
    assert most_left <= least_kept
    assert all(p.evidence in head for p in capped.positions)  # nothing past the cut is read


@pytest.mark.parametrize(
    "text",
    [
        "(photo by x" * 90_000,
        "(" * 1_000_000,
        "said " * 200_000,
        "Russia said " * 100_000,
        "a." * 500_000,
        "Russia said it rejects the plan.\n" * 30_000,
        '"' * 1_000_000,
    ],
    ids=["photo-credits", "brackets", "cues", "run-on", "dots", "lines", "quotes"],
)
def test_a_hostile_article_is_analysed_in_bounded_time(analyzer: Analyzer, text: str) -> None:
    found = _analyse_within_bound(analyzer, text)
    assert len(found.positions) <= analyzer.max_positions


def test_a_word_longer_than_any_word_is_not_read(analyzer: Analyzer) -> None:
    junk = "x" * (MAX_WORD_CHARS + 1)
    found = analyzer.analyse("A title", f"Russia said it rejects the plan {junk}.")
    assert [p.actor for p in found.positions] == ["russia"]
    assert all(junk not in p.evidence for p in found.positions)


class _RecordingAnalyzer:
    """Records the texts of each group it analyses; finds nothing."""

    max_text_chars = 20_000

    def __init__(self) -> None:
        self.groups: list[list[str]] = []

    def analyse_many(self, texts: Sequence[ArticleText]) -> list[Analysis]:
        self.groups.append([t.text for t in texts])
        return [Analysis(t.title, (), (), (), ()) for t in texts]


def _queued(store: Store, texts: Sequence[str]) -> Iterator[int]:
    feed = store.add_feed(Feed(url="https://news.example/hostile.xml"))
    for i, text in enumerate(texts):
        article = Article(
            feed_id=feed.id or 0, key=f"k{i}", title=f"T{i}", text=text, content_hash=f"h{i}"
        )
        yield store.add_article(article).id or 0


def test_the_queue_holds_a_bounded_amount_of_text_at_once(store: Store) -> None:
    ids = list(_queued(store, ["a b c\n" * 200_000] * 12 + ["short text"] * 3))
    recording = _RecordingAnalyzer()
    run = analyse_queue(store, recording)  # type: ignore[arg-type]
    assert run.analysed == len(ids)
    assert all(len(text) <= recording.max_text_chars for g in recording.groups for text in g)
    assert all(sum(map(len, group)) <= MAX_GROUP_CHARS for group in recording.groups)
    assert sum(len(group) for group in recording.groups) == len(ids)


def test_the_stored_text_is_not_cut(store: Store) -> None:
    (article_id,) = _queued(store, ["word " * 10_000])
    analyse_queue(store, _RecordingAnalyzer())  # type: ignore[arg-type]
    stored = store.get_article(article_id)
    assert stored.text == "word " * 10_000
    assert stored.analysed_at is not None


# -- `newsdigest run`: the analysis process -----------------------------------------------------


def _runner(tmp_path: Path) -> Runner:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'newsdigest.db'}")
    service = Service.open(settings.resolved_database_url(), fetch=settings.fetch)
    out = io.StringIO()
    return Runner(service, settings, {Platform.CONSOLE: ConsoleSender(out)}, out=out)


def _loop_lag(lags: list[float]) -> asyncio.Task[None]:
    """A task that notes how late the event loop wakes it, every 50 ms."""

    async def probe() -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(0.05)
            lags.append(loop.time() - started - 0.05)

    return asyncio.create_task(probe())


async def test_the_event_loop_answers_while_hostile_articles_are_analysed(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    store = runner.service.store
    ids = list(_queued(store, ["(photo by x" * 45_000, statements(1_000_000), "(" * 1_000_000]))
    lags: list[float] = []
    probe = _loop_lag(lags)
    try:
        await asyncio.wait_for(runner.intake(), 300)
    finally:
        probe.cancel()
        await runner.analysis.close(10)
    assert store.count_queued() == 0
    assert all(store.get_article(i).analysis_error is None for i in ids)
    assert len(lags) > 10
    assert max(lags) < 1.0  # Slack's 3 s acknowledgement deadline, with room to spare


async def test_a_killed_analysis_process_is_logged_and_the_queue_still_drained(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runner = _runner(tmp_path)
    store = runner.service.store
    ids = list(_queued(store, [statements(200_000)] * 4))
    batch = asyncio.create_task(runner.analysis.analyse(50))
    try:
        async with asyncio.timeout(120):
            while not (pool := runner.analysis._pool) or not pool._processes:
                await asyncio.sleep(0.1)
        for process in list(pool._processes.values()):
            process.kill()
        with caplog.at_level(logging.ERROR, logger="bot.work"):
            first = await asyncio.wait_for(batch, 120)
        assert "the analysis process died" in caplog.text
        second = await asyncio.wait_for(runner.analysis.analyse(50), 300)
    finally:
        await runner.analysis.close(10)
    assert first.analysed + second.analysed == len(ids)
    assert store.count_queued() == 0
    assert all(store.get_article(i).analysis_error is None for i in ids)


async def test_a_worker_that_cannot_start_marks_no_article_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'newsdigest.db'}",
        analysis=AnalysisSettings(spacy_model="no_such_model_here"),
    )
    service = Service.open(settings.resolved_database_url(), fetch=settings.fetch)
    out = io.StringIO()
    runner = Runner(service, settings, {Platform.CONSOLE: ConsoleSender(out)}, out=out)
    ids = list(_queued(service.store, ["Russia said it rejects the plan."]))
    try:
        with caplog.at_level(logging.ERROR, logger="bot.work"):
            done = await asyncio.wait_for(runner.analysis.analyse(50), 120)
    finally:
        await runner.analysis.close(10)
    assert done.analysed == done.failed == 0
    assert "analysis is off: " in caplog.text
    assert "no_such_model_here" in caplog.text
    assert service.store.count_queued() == len(ids)


async def test_a_backlog_is_analysed_over_several_ticks_and_the_feeds_are_polled_at_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'newsdigest.db'}",
        run=RunSettings(poll_every_seconds=5),
    )
    service = Service.open(settings.resolved_database_url(), fetch=settings.fetch)
    out = io.StringIO()
    runner = Runner(service, settings, {Platform.CONSOLE: ConsoleSender(out)}, out=out)
    polls: list[float] = []

    async def poll(*_args: object, **_kwargs: object) -> list[object]:
        polls.append(time.monotonic())
        return []

    async def endless_backlog(limit: int) -> Analysed:
        await asyncio.sleep(0.5)  # a batch of a queue that never empties
        return Analysed(analysed=limit)

    monkeypatch.setattr(service, "ingest", poll)
    monkeypatch.setattr(runner.analysis, "analyse", endless_backlog)
    started = time.monotonic()
    for _tick in range(2):
        await asyncio.wait_for(runner.intake(), 30)
    assert len(polls) == 2
    assert time.monotonic() - started < 2 * 5  # each tick gave the feeds their turn in time


async def test_a_worker_that_died_while_idle_marks_no_article_failed(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    store = runner.service.store
    ids = list(_queued(store, ["Russia said it rejects the plan.", *[statements(2_000)] * 3]))
    later = ids[1:]
    try:
        assert (await asyncio.wait_for(runner.analysis.analyse(1), 120)).analysed == 1
        pool = runner.analysis._pool
        assert pool is not None
        for process in list(pool._processes.values()):
            process.kill()  # the kernel's out-of-memory killer, between two batches
            process.join(10)
        for _tick in range(3):
            await asyncio.wait_for(runner.analysis.analyse(50), 120)
    finally:
        await runner.analysis.close(10)
    assert store.count_queued() == 0
    assert [store.get_article(i).analysis_error for i in later] == [None] * len(later)
