"""How late the event loop wakes up: a probe for `newsdigest run`.

Everything in `run` (Slack's 3 s acks, Discord's heartbeats, `/healthz`, the outbox) shares one
asyncio loop, so anything that holds it (a slow regex, a big parse outside a worker) delays all
of them at once. The probe sleeps a short interval again and again and records how much later
than asked it woke up: the latest lag and the worst since start go to the metrics, and a lag over
a second is logged (at most once a minute, with the count of the others).
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.metrics import EVENT_LOOP_LAG, EVENT_LOOP_LAG_MAX

log = logging.getLogger(__name__)

#: How often the probe wakes up, in seconds.
INTERVAL = 0.1
#: A lag over this many seconds is logged.
WARN_AFTER = 1.0
#: At most one such line in this many seconds.
WARN_EVERY = 60.0


class LoopWatch:
    """The latest and the worst lag seen, and when it last warned."""

    def __init__(self, *, warn_after: float = WARN_AFTER, warn_every: float = WARN_EVERY) -> None:
        self.warn_after = warn_after
        self.warn_every = warn_every
        self.latest = 0.0
        self.worst = 0.0
        self._warned_at: float | None = None
        self._unwarned = 0

    def record(self, lag: float, now: float) -> None:
        """Note one wake-up ``lag`` seconds late, seen at monotonic time ``now``."""
        self.latest = lag
        self.worst = max(self.worst, lag)
        EVENT_LOOP_LAG.set(lag)
        EVENT_LOOP_LAG_MAX.set(self.worst)
        if lag <= self.warn_after:
            return
        if self._warned_at is not None and now - self._warned_at < self.warn_every:
            self._unwarned += 1
            return
        others = f" ({self._unwarned} more since the last warning)" if self._unwarned else ""
        log.warning(
            "the event loop was blocked for %.1f s; worst since start %.1f s%s",
            lag,
            self.worst,
            others,
        )
        self._warned_at = now
        self._unwarned = 0

    async def run(self, interval: float = INTERVAL) -> None:
        """Sleep ``interval`` again and again, recording how late each wake-up was; until
        cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + interval
            await asyncio.sleep(interval)
            self.record(max(0.0, loop.time() - asked), time.monotonic())


async def watch_loop(interval: float = INTERVAL) -> None:
    """The probe of the running loop, for `newsdigest run` (a task it cancels on stop)."""
    await LoopWatch().run(interval)
