"""Keeping a chat adapter connected while the rest of `newsdigest run` goes on.

A platform that cannot be reached is retried with capped, jittered exponential backoff; the
log gets one line when the adapter goes down, comes up or is stopped (not one per retry), and
the gauge ``newsdigest_adapter_up`` follows it. Credentials the platform refuses stop that
adapter only: retrying them would be refused again, and the feeds, the console and the other
adapters do not need them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.metrics import ADAPTER_UP
from bot.settings import RunSettings

log = logging.getLogger(__name__)

#: How much of an error's text a log line keeps (a server's error page can be long).
REASON_CHARS = 200

State = Literal["starting", "up", "down", "stopped"]


@dataclass(frozen=True)
class Backoff:
    """The wait before the n-th retry: ``first`` doubling up to ``cap``, then a random part
    of it (half to all), so that many bots cut off at once do not come back at once."""

    first: float = 1.0
    cap: float = 300.0

    @classmethod
    def of(cls, run: RunSettings) -> Backoff:
        """The backoff the settings ask for."""
        return cls(run.adapter_retry_first_seconds, run.adapter_retry_max_seconds)

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """The wait after ``failures`` failures in a row (1 or more)."""
        exponent = min(max(failures - 1, 0), 60)  # 2**60 s is past any cap
        full = min(self.cap, self.first * 2.0**exponent)
        return full * (0.5 + rand() / 2)


class AdapterStatus:
    """One adapter's state, in the log (a line at each change) and in the gauge."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.state: State = "starting"
        #: How many times the adapter came up: a supervisor resets its backoff when it grows.
        self.ups = 0
        ADAPTER_UP.labels(adapter=name).set(0)

    def up(self) -> None:
        if self.state == "up":
            return
        again = self.state == "down"
        self.state = "up"
        self.ups += 1
        ADAPTER_UP.labels(adapter=self.name).set(1)
        log.info("%s: connected%s", self.name, " again" if again else "")

    def down(self, reason: str) -> None:
        if self.state in ("down", "stopped"):
            return
        was_up = self.state == "up"
        self.state = "down"
        ADAPTER_UP.labels(adapter=self.name).set(0)
        if was_up:
            log.warning("%s: disconnected (%s); reconnecting in the background", self.name, reason)
        else:
            log.warning(
                "%s: cannot connect (%s); retrying in the background, the rest keeps running",
                self.name,
                reason,
            )

    def stopped(self, reason: str) -> None:
        self.state = "stopped"
        ADAPTER_UP.labels(adapter=self.name).set(0)
        log.error("%s: %s; this adapter is stopped, the rest keeps running", self.name, reason)


def describe(error: BaseException) -> str:
    """An error as a short phrase for one log line: its text, else its type's name."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


async def supervise(
    status: AdapterStatus,
    start: Callable[[], Awaitable[None]],
    *,
    backoff: Backoff,
    refused: Callable[[Exception], str | None],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> None:
    """Run ``start`` (one connection, until it ends or fails; it cleans up after itself)
    again and again until cancelled. ``refused`` says why an error is final (a refused
    token), or None to retry it; an attempt that ends without an error is retried too."""
    failures = 0
    while True:
        ups = status.ups
        try:
            await start()
            error: Exception = ConnectionError("the connection ended")
        except Exception as caught:  # any failure of one adapter is its own
            error = caught
        reason = refused(error)
        if reason is not None:
            status.stopped(reason)
            return
        failures = 1 if status.ups != ups else failures + 1
        status.down(describe(error))
        await sleep(backoff.delay(failures, rand))
