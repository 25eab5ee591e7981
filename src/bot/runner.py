"""`newsdigest run`: one asyncio process with APScheduler as its clock.

Two jobs, each never running twice at once: the intake (poll the feeds that are due, then
analyse what came in, in a process) and the outbox (send the digests that came due). They
run independently, so a slow feed or a slow analysis never delays a digest. The state lives in
the database (subscriptions, deliveries), not in the scheduler: a restart picks up where the
last process stopped. Chat adapters, when configured, answer commands beside them; without
any, digests go to the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Callable, Coroutine, Mapping
from functools import partial
from typing import Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery import Outbox, Outcome
from bot.loopwatch import watch_loop
from bot.metrics import ARTICLES_ANALYSED, DELIVERIES, FEEDS_POLLED, serve_metrics
from bot.sending import Sender
from bot.settings import ConsoleSubscription, Settings
from bot.views import View, digest_view
from bot.views.render_console import render_text
from bot.work import AnalysisProcess
from digests.model import Platform, Subscription, SubscriptionFilters, utc_now
from digests.service import Service

log = logging.getLogger(__name__)

#: The first digest, printed once the first poll has been analysed, covers this much.
FIRST_DIGEST_WINDOW = dt.timedelta(hours=24)
#: Articles analysed per batch (a stop waits for one batch at most).
ANALYSE_BATCH = 50
#: The part of a poll interval one intake tick may take, polling and analysing a backlog.
ANALYSIS_SHARE = 0.8
#: How long a shutdown waits for the jobs in flight.
SHUTDOWN_SECONDS = 10.0


def _count(outcome: Outcome) -> None:
    for label, done in (
        ("sent", outcome.sent),
        ("failed", outcome.failed),
        ("skipped", outcome.skipped),
        ("retrying", outcome.retrying),
    ):
        for delivery in done:
            DELIVERIES.labels(kind=str(delivery.kind), outcome=label).inc()


def _adapter_ended(task: asyncio.Task[None]) -> None:
    """An adapter keeps itself connected (bot.supervise) and ends only when its credentials
    are refused, having said so; anything else that ends it is logged here, in one line,
    and the feeds, the outbox and the other adapters go on."""
    if task.cancelled() or task.exception() is None:
        return
    error = task.exception()
    log.error("a chat adapter stopped: %r; the rest keeps running", error)
    log.debug("the adapter's error", exc_info=error)


class ConsoleSender:
    """The console adapter's sender: a digest printed as text."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def send(
        self,
        channel_id: str,
        view: View,
        *,
        nonce: str,
        workspace_id: str | None = None,
        resend: bool = False,
    ) -> tuple[str, ...]:
        del workspace_id, resend
        self.out.write(f"\n[{channel_id}]\n{render_text(view)}")
        self.out.flush()
        return (nonce,)


def console_subscriptions(
    service: Service, wanted: list[ConsoleSubscription]
) -> list[Subscription]:
    """Make the stored console subscriptions what the settings say (kept by name, so their
    delivery history stays); remove the others. Bad names raise before anything is stored."""
    from tzlocal import get_localzone_name  # noqa: PLC0415

    from bot.commands import _parse as parse  # noqa: PLC0415 - the chat commands' parsers

    local = get_localzone_name() or "UTC"
    saved = []
    for entry in wanted:
        filters = service.resolve_filters(
            SubscriptionFilters(
                actors=tuple(entry.actors), topics=tuple(entry.topics), feeds=tuple(entry.feeds)
            )
        )
        include = tuple(word for word in entry.keywords if not word.startswith("-"))
        exclude = tuple(word[1:] for word in entry.keywords if word.startswith("-") and word[1:])
        subscription = Subscription(
            platform=Platform.CONSOLE,
            workspace_id="",
            channel_id=entry.name,
            filters=SubscriptionFilters(
                actors=filters.actors,
                topics=filters.topics,
                feeds=filters.feeds,
                keywords=include,
                exclude_keywords=exclude,
            ),
            local_time=parse.time_of_day(entry.time),
            timezone=entry.timezone or local,
            days=parse.days(entry.days),
        )
        saved.append(subscription)
    stored = {s.channel_id: s for s in service.store.list_subscriptions(platform=Platform.CONSOLE)}
    for name, old in stored.items():
        if name not in {s.channel_id for s in saved} and old.id is not None:
            service.store.remove_subscription(old.id)
    return [service.store.save_subscription(subscription)[0] for subscription in saved]


class Runner:
    """The long-running process: the clock, the intake, the outbox and the adapters."""

    def __init__(
        self,
        service: Service,
        settings: Settings,
        senders: Mapping[Platform, Sender],
        *,
        adapters: list[Callable[[], Coroutine[Any, Any, None]]] | None = None,
        out: TextIO,
    ) -> None:
        self.service = service
        self.settings = settings
        self.out = out
        self.outbox = Outbox(
            service,
            senders,
            grace=dt.timedelta(hours=settings.run.grace_hours),
            in_flight=dt.timedelta(seconds=settings.run.resend_after_seconds),
            alerts_per_pass=settings.run.max_alerts_per_pass,
        )
        self.adapters = adapters or []
        self.first_poll = asyncio.Event()
        self._stopping = asyncio.Event()
        #: The jobs' ticks in flight, waited for (briefly) when the process stops.
        self._jobs: set[asyncio.Task[Any]] = set()
        #: Started at the first batch that has work; spaCy never loads in this process.
        self.analysis = AnalysisProcess(service.store, settings)

    async def run(self) -> None:
        """Run until SIGINT or SIGTERM (or :meth:`stop`); then stop within a bounded time."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stop)
        scheduler = AsyncIOScheduler(timezone=dt.UTC)
        run = self.settings.run
        now = utc_now()
        every = {"max_instances": 1, "coalesce": True, "next_run_time": now}
        intake, deliver = (
            partial(self._until_stopped, self.intake),
            partial(self._until_stopped, self.deliver),
        )
        scheduler.add_job(
            intake, "interval", seconds=run.poll_every_seconds, id="intake", name="intake", **every
        )
        scheduler.add_job(
            deliver,
            "interval",
            seconds=run.deliver_every_seconds,
            id="outbox",
            name="outbox",
            **every,
        )
        scheduler.start()
        probe = asyncio.create_task(watch_loop(), name="loopwatch")  # see bot.loopwatch
        if run.metrics_port:
            serve_metrics(run.metrics_port, run.metrics_host)
        tasks = [asyncio.create_task(adapter()) for adapter in self.adapters]
        for task in tasks:  # an adapter that ends (a refused token) ends alone
            task.add_done_callback(_adapter_ended)
        try:
            await self._stopping.wait()
        finally:
            probe.cancel()
            log.info("stopping")
            if self._jobs:  # each ends at once on the stop, its work in flight abandoned
                await asyncio.wait(self._jobs, timeout=SHUTDOWN_SECONDS)
            scheduler.shutdown(wait=False)
            for task in tasks:
                task.cancel()
            try:
                await asyncio.wait_for(
                    asyncio.gather(*tasks, return_exceptions=True), SHUTDOWN_SECONDS
                )
            except TimeoutError:
                log.warning("a chat adapter did not close in %.0f s: left", SHUTDOWN_SECONDS)
            await self.analysis.close(SHUTDOWN_SECONDS)
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    def stop(self) -> None:
        self._stopping.set()

    async def _until_stopped(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """One tick of a job, ended quietly by a stop: a fetch or a send in flight is abandoned,
        which loses nothing (a poll is recorded whole or not at all; a delivery row written
        before its send is sent again, with its nonce, after the next start)."""
        this = asyncio.current_task()
        assert this is not None
        self._jobs.add(this)
        work = asyncio.ensure_future(job())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            self._jobs.discard(this)

    async def intake(self) -> None:
        """Poll the due feeds, analyse what came in (in the analysis process), and once, after
        the first poll, print a digest of the last day on the console. A tick ends within
        most of a poll interval (a poll that takes longer still gets one analysis batch)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + ANALYSIS_SHARE * self.settings.run.poll_every_seconds
        try:
            results = await self.service.ingest()
            for result in results:
                FEEDS_POLLED.labels(status=str(result.status)).inc()
            analysed = await self._analyse(until)
            log.info("polled %d feeds; analysed %d articles", len(results), analysed)
        except Exception:
            log.exception("the intake failed; it runs again at the next tick")
        if not self.first_poll.is_set():
            self.first_poll.set()
            if self.settings.run.console:
                await self._first_digest()

    async def _analyse(self, until: float) -> int:
        """Analyse the queue in batches, each in the analysis process (the event loop stays
        free): a stop waits for one batch at most, not for the whole queue. After the first
        batch, no new batch starts past ``until`` (the loop's time), so a backlog (a new feed's
        thousands of entries) is worked off over several ticks while the due feeds are still
        polled at each, and the next tick is not kept waiting."""
        loop = asyncio.get_running_loop()
        analysed = 0
        while not self._stopping.is_set():
            done = await self.analysis.analyse(ANALYSE_BATCH)
            ARTICLES_ANALYSED.labels(outcome="analysed").inc(done.analysed)
            ARTICLES_ANALYSED.labels(outcome="failed").inc(done.failed)
            analysed += done.analysed
            if done.analysed + done.failed + done.removed < ANALYSE_BATCH or loop.time() >= until:
                break
        return analysed

    async def _first_digest(self) -> None:
        digest = await asyncio.to_thread(
            self.service.digest, SubscriptionFilters(), FIRST_DIGEST_WINDOW
        )
        self.out.write(render_text(digest_view(digest)))
        self.out.flush()

    async def deliver(self) -> None:
        try:
            outcome = await self.outbox.run_once()
        except Exception:
            log.exception("the outbox failed; it runs again at the next tick")
            return
        _count(outcome)
        if outcome.sent or outcome.failed:
            log.info("sent %d digests, %d failed", len(outcome.sent), len(outcome.failed))
