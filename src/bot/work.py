"""The intake's work, shared by the command line and `newsdigest run`: analysing what the polls
stored, with each analysed article joining or starting a story; in `run`, in a process of its
own (:class:`AnalysisProcess`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digests.errors import ArticleNotFoundError
from digests.model import utc_now
from digests.settings import AnalysisSettings, StoriesSettings
from digests.store import Store

if TYPE_CHECKING:  # spaCy loads with digests.analysis: only when there is work
    from bot.settings import Settings as AppSettings
    from digests.analysis import Analyzer, ArticleDone, OnAnalysed, QueueRun

log = logging.getLogger(__name__)


@functools.cache
def analyzer(settings: AnalysisSettings) -> Analyzer:
    """The model and vocabularies, loaded once per process (it takes a second or two)."""
    from digests.analysis import load_analyzer  # noqa: PLC0415 - loads spaCy

    return load_analyzer(settings)


def story_clusterer(store: Store, settings: StoriesSettings) -> OnAnalysed | None:
    """The story clustering's hook for the analysis queue, its window read from the store; None
    (logged) if that fails: stories never stop the analysis."""
    from digests.compose import StoryClusterer  # noqa: PLC0415 - datasketch on demand

    try:
        return StoryClusterer.open(store, settings).on_analysed
    except Exception:
        log.exception("story clustering is off for this run")
        return None


def analyse_pending(
    store: Store,
    analysis: AnalysisSettings,
    stories: StoriesSettings,
    *,
    limit: int | None = None,
    progress: Callable[[ArticleDone], None] | None = None,
) -> QueueRun:
    """Analyse the queue (at most ``limit`` articles), clustering each into its story."""
    from digests.analysis import QueueRun, analyse_queue  # noqa: PLC0415 - loads spaCy

    if not store.count_queued():
        return QueueRun()
    return analyse_queue(
        store,
        analyzer(analysis),
        limit=limit,
        progress=progress,
        on_analysed=story_clusterer(store, stories),
    )


# -- analysis in a process of its own ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Analysed:
    """What one batch of the queue's analysis did (plain numbers: the main process never
    imports the analysis, and so never spaCy)."""

    analysed: int = 0
    failed: int = 0
    removed: int = 0

    def __add__(self, other: Analysed) -> Analysed:
        return Analysed(
            self.analysed + other.analysed, self.failed + other.failed, self.removed + other.removed
        )


@dataclass(frozen=True, slots=True)
class _Worker:
    store: Store | None
    analysis: AnalysisSettings
    stories: StoriesSettings
    #: Why the worker could not start (the model did not load...), said on each batch.
    error: str | None = None


_worker: _Worker | None = None
#: An article the analysis process died on is marked failed with this error.
DIED_ERROR = "the analysis process ended while it analysed this article (out of memory?)"


class _WorkerError(Exception):
    """The analysis process could not start; the message says why."""


#: Loggers that tell each batch at INFO: the main process tells each tick's total instead.
_PER_BATCH_LOGGERS = ("digests.analysis._run", "digests.compose._stories")


def _start_worker(settings: AppSettings) -> None:
    """The analysis process's start: logging as the main process's (its secrets masked), its
    own store, the model loaded once. A failure is kept and said on each batch: the process
    stays up, so that a broken setting is never taken for an article that kills the process."""
    global _worker  # noqa: PLW0603 - one per worker process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    from bot.cli import _setup_logging  # noqa: PLC0415 - the same logging as the main process

    _setup_logging(settings.log_level, settings.log_format, settings)
    if settings.log_level != "DEBUG":
        for name in _PER_BATCH_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    analysis, stories = settings.analysis, settings.stories
    try:
        store = Store.connect(settings.resolved_database_url())
        analyzer(analysis)
    except Exception as error:
        reason = " ".join(str(error).split())[:300]
        log.error("the analysis process could not start: %s", reason)
        _worker = _Worker(None, analysis, stories, reason)
        return
    _worker = _Worker(store, analysis, stories)


def _analyse_in_worker(limit: int) -> Analysed:
    if _worker is None or _worker.store is None:
        raise _WorkerError(_worker.error if _worker else "the analysis process did not start")
    done = analyse_pending(_worker.store, _worker.analysis, _worker.stories, limit=limit)
    return Analysed(done.analysed, done.failed, done.removed)


class AnalysisProcess:
    """The queue's analysis in one worker process, for `newsdigest run`: spaCy and regular
    expressions hold the GIL, and in a thread they would stall the event loop (chat
    acknowledgements, heartbeats, the outbox). The worker loads the model once, at its start,
    and opens its own store.

    A worker that dies (killed by the kernel for memory...) is logged and started again at the
    next batch; that batch then goes one article at a time, and an article the worker dies on
    again is marked failed (``DIED_ERROR``) so that one article never stops the queue.
    """

    def __init__(self, store: Store, settings: AppSettings) -> None:
        self.store = store
        self.settings = settings
        self._pool: ProcessPoolExecutor | None = None
        self._running: asyncio.Future[Analysed] | None = None
        #: The last batch ended with the worker's death: go one article at a time.
        self._one_by_one = False
        self._closing = False

    async def analyse(self, limit: int) -> Analysed:
        """Analyse at most ``limit`` queued articles in the worker."""
        if not self.store.count_queued():
            return Analysed()
        if self._one_by_one:
            return await self._one_at_a_time(limit)
        try:
            return await self._submit(limit)
        except BrokenProcessPool:
            if not self._closing:  # else it was ended by close()
                log.error("the analysis process died; it is started again for the next batch")
                self._one_by_one = True
            return Analysed()

    async def _one_at_a_time(self, limit: int) -> Analysed:
        self._one_by_one = False
        total = Analysed()
        for _ in range(limit):
            head = self.store.analysis_queue(1)
            if not head or head[0].id is None:
                break
            try:
                done = await self._submit(1)
            except BrokenProcessPool:
                if self._closing:
                    break
                log.error("the analysis process died on article %d: marked failed", head[0].id)
                self._mark_failed(head[0].id, head[0].content_hash)
                total += Analysed(failed=1)
                break  # one article per tick at most: a worker that dies at start blames few
            if done == Analysed():  # the worker could not start: said, and tried next batch
                break
            total += done
        return total

    async def _submit(self, limit: int) -> Analysed:
        loop = asyncio.get_running_loop()
        try:
            # Inside the try: a worker that died while idle breaks the pool, and the submit
            # itself raises; the broken pool must be discarded, not used again.
            self._running = loop.run_in_executor(self._executor(), _analyse_in_worker, limit)
            # Shielded: a stop that cancels the intake leaves the batch to close(), which waits
            # for it (bounded) instead of leaving the worker running unobserved.
            return await asyncio.shield(self._running)
        except BrokenProcessPool:
            self._discard()
            raise
        except _WorkerError as error:
            log.error("analysis is off: %s", error)
            self._discard()
            return Analysed()
        finally:
            if self._running is not None and self._running.done():
                self._running = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            settings = self.settings
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(settings,),
            )
        return self._pool

    def _discard(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _mark_failed(self, article_id: int, content_hash: str) -> None:
        with contextlib.suppress(ArticleNotFoundError):
            self.store.replace_analysis(
                article_id,
                actors=(),
                topics=(),
                found=(),
                analysed_at=utc_now(),
                error=DIED_ERROR,
                content_hash=content_hash,
            )

    async def close(self, timeout: float) -> None:
        """Stop the worker: it ends the batch in flight (waited for ``timeout`` seconds at
        most, then it is ended; what it stored stays, each article being one transaction)."""
        pool, running = self._pool, self._running
        self._pool = None
        if pool is None:
            return
        self._closing = True
        pool.shutdown(wait=False, cancel_futures=True)
        if running is not None:
            try:
                await asyncio.wait_for(asyncio.shield(running), timeout)
            except TimeoutError:
                log.warning("the analysis process did not end its batch in %.0f s: ended", timeout)
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
            except Exception:  # noqa: S110 - its failure is logged where it is awaited
                pass
