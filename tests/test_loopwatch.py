"""The event-loop lag probe: a loop held by blocking code is seen, exported and logged."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from bot.loopwatch import LoopWatch
from bot.metrics import EVENT_LOOP_LAG, EVENT_LOOP_LAG_MAX
from bot.runner import Runner
from bot.settings import RunSettings, Settings
from digests.service import Service
from digests.settings import FetchSettings
from digests.store import Store


def worst_exported() -> float:
    value = REGISTRY.get_sample_value("newsdigest_event_loop_lag_max_seconds")
    assert value is not None
    return value


@pytest.fixture(autouse=True)
def _fresh_gauges() -> Iterator[None]:
    EVENT_LOOP_LAG.set(0)
    EVENT_LOOP_LAG_MAX.set(0)
    yield
    EVENT_LOOP_LAG.set(0)
    EVENT_LOOP_LAG_MAX.set(0)


async def wait_for(check: object, timeout: float = 10.0) -> None:
    assert callable(check)
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def test_a_callback_that_blocks_the_loop_is_seen_and_exported() -> None:
    watch = LoopWatch()
    probe = asyncio.create_task(watch.run(interval=0.02))
    try:
        await asyncio.sleep(0.1)
        asyncio.get_running_loop().call_soon(time.sleep, 0.5)  # holds the loop, as a slow regex
        await wait_for(lambda: watch.worst >= 0.4)
    finally:
        probe.cancel()

    assert watch.worst < 5  # the lag of the blocked wake-up, not the time since start
    assert worst_exported() == watch.worst
    assert REGISTRY.get_sample_value("newsdigest_event_loop_lag_seconds") is not None


async def test_an_idle_loop_shows_no_lag_to_speak_of() -> None:
    watch = LoopWatch()
    probe = asyncio.create_task(watch.run(interval=0.01))
    await asyncio.sleep(0.2)
    probe.cancel()

    assert watch.worst < 1.0  # generous: the machine is shared; a blocked loop shows 0.5+


def test_a_blocked_loop_is_logged_once_a_minute_with_the_count_of_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = LoopWatch(warn_after=1.0, warn_every=60.0)
    with caplog.at_level(logging.WARNING, logger="bot.loopwatch"):
        watch.record(0.5, now=0.0)  # under the threshold: silent
        watch.record(1.5, now=1.0)
        watch.record(3.0, now=20.0)  # within the minute: counted, not logged
        watch.record(2.0, now=40.0)
        watch.record(1.2, now=61.5)

    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "the event loop was blocked for 1.5 s; worst since start 1.5 s",
        "the event loop was blocked for 1.2 s; worst since start 3.0 s "
        "(2 more since the last warning)",
    ]


async def test_run_starts_the_probe_and_stops_it(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def idle(_self: Runner) -> None:
        return None

    monkeypatch.setattr(Runner, "intake", idle)  # the probe alone: no polls, no digests
    monkeypatch.setattr(Runner, "deliver", idle)
    with Store.open(sqlite_url) as store:
        runner = Runner(
            Service(store, fetch=FetchSettings()),
            Settings(run=RunSettings(console=[])),
            {},
            out=io.StringIO(),
        )
        running = asyncio.create_task(runner.run())
        await asyncio.sleep(0.3)
        asyncio.get_running_loop().call_soon(time.sleep, 0.6)
        try:
            await wait_for(lambda: worst_exported() >= 0.5)
        finally:
            runner.stop()
            await asyncio.wait_for(running, 30)

    assert not [t for t in asyncio.all_tasks() if t.get_name() == "loopwatch"]
