"""`newsdigest run` as a user starts it: in a process of its own, on the embedded default with
no chat credentials, stopped by a signal; and refused at start when its console subscriptions
are wrong."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.feeds import Item, rss
from tests.feedserver import FeedServer


def environment(tmp_path: Path, feeds: list[str], **extra: str) -> dict[str, str]:
    listing = tmp_path / "feeds.toml"
    listing.write_text("".join(f'[[feeds]]\nurl = "{url}"\n' for url in feeds) or "feeds = []\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    return {
        **clean,
        "NEWSDIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "NEWSDIGEST_FEEDS_FILE": str(listing),
        "NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS": "true",
        **extra,
    }


async def read_until(stream: asyncio.StreamReader, marker: bytes, timeout: float) -> bytes:
    seen = b""
    async with asyncio.timeout(timeout):
        while marker not in seen:
            chunk = await stream.read(4096)
            if not chunk:
                break
            seen += chunk
    return seen


async def test_run_polls_prints_a_first_digest_and_stops_on_sigterm(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/world.xml", rss([Item(
        title="Ceasefire talks resume", description="Russia said talks on a ceasefire resumed "
        "in Ankara on Monday, according to officials.")], title="World"))  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        env=environment(tmp_path, [url]), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        shown = await read_until(process.stdout, b"News digest, since", timeout=120)
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _stderr = await asyncio.wait_for(process.communicate(), 30)

    assert b"Delivering to: console." in shown
    assert b"News digest, since" in shown  # the first digest, once the first poll is analysed
    assert process.returncode == 0
    assert b"Stopped." in rest


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('time = "25:00"', "run.console.0.time: '25:00' is not a time of day (line 3 of "),
        ('timezone = "Europe/Berln"', "run.console.0.timezone: 'Europe/Berln' is not an IANA"),
        ('actors = ["atlantis"]', "run.console: 'atlantis': unknown actor; did you mean"),
    ],
)
async def test_a_bad_console_subscription_is_refused_at_start(
    tmp_path: Path, entry: str, expected: str
) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(f'[[run.console]]\nname = "morning"\n{entry}\n')
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "run",
        env=environment(tmp_path, []), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 2
    assert stderr.decode().strip().splitlines()[-1].startswith(f"Error: {expected}")
    assert b"Running until" not in stdout  # nothing started half-configured
