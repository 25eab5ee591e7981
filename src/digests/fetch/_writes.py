"""A poll's store calls, run on one thread of their own, as many per transaction as are waiting.

A poll makes a few small writes per feed. Committing each alone made the store the first
poll's bottleneck (see docs/performance.md): thousands of transactions on one thread while the
parsing processes waited. Here the calls that arrive while a batch is being written go into the
next batch, which is one transaction. If a batch fails, its calls run again one transaction
each, so that one feed's failure stays that feed's alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

from digests.store import Store

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class _Outcome:
    value: Any = None
    error: Exception | None = None


@dataclass(frozen=True, slots=True)
class _Waiting:
    call: Callable[[], Any]
    future: asyncio.Future[Any]


class BatchedWrites:
    """Store calls from many coroutines, batched into few transactions on one thread."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="newsdigest-store")
        self._waiting: list[_Waiting] = []
        self._flushing: asyncio.Task[None] | None = None
        self._closed = False

    async def run(self, call: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``call(*args, **kwargs)`` on the store's thread, in the next batch; its result.

        A caller that is cancelled stops waiting, but a call already handed over still runs.
        """
        if self._closed:
            raise RuntimeError("BatchedWrites is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append(_Waiting(functools.partial(call, *args, **kwargs), future))
        if self._flushing is None:
            self._flushing = loop.create_task(self._flush())
        return cast(R, await future)

    def close(self) -> None:
        self._closed = True
        self._thread.shutdown(wait=True)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                calls = [waiting.call for waiting in batch]
                try:
                    outcomes = await loop.run_in_executor(self._thread, self._write, calls)
                except BaseException as error:  # no caller may wait for ever
                    self._fail([*batch, *self._waiting], error)
                    self._waiting = []
                    return
                for waiting, outcome in zip(batch, outcomes, strict=True):
                    if waiting.future.done():  # its caller was cancelled meanwhile
                        continue
                    if outcome.error is not None:
                        waiting.future.set_exception(outcome.error)
                    else:
                        waiting.future.set_result(outcome.value)
        finally:
            self._flushing = None

    @staticmethod
    def _fail(waiting: list[_Waiting], error: BaseException) -> None:
        reason = (
            error if isinstance(error, Exception) else RuntimeError(f"store calls ended: {error!r}")
        )
        for each in waiting:
            if not each.future.done():
                each.future.set_exception(reason)

    def _write(self, calls: list[Callable[[], Any]]) -> list[_Outcome]:
        if len(calls) > 1:
            try:
                with self._store.batch(savepoints=False):  # a failure ends the batch
                    return [_Outcome(call()) for call in calls]
            except Exception:  # one of them failed: find out which, one transaction each
                log.debug("a batch of %d store calls failed; running them one by one", len(calls))
        return [_one(call) for call in calls]


def _one(call: Callable[[], Any]) -> _Outcome:
    try:
        return _Outcome(call())
    except Exception as error:  # handed to the caller's coroutine, which raises it
        return _Outcome(error=error)
