"""Store.batch() and BatchedWrites: many store calls, one transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from digests.errors import AlreadyExistsError, FeedExistsError
from digests.fetch._writes import BatchedWrites
from digests.model import Article, Feed, TextSource, utc_now
from digests.store import Store

R = TypeVar("R")


class AbortError(Exception):
    """Raised inside a batch to roll it back."""


def url(name: str) -> str:
    return f"https://{name}.example/feed.xml"


def stored_urls(store: Store) -> list[str]:
    return [feed.url for feed in store.list_feeds()]


def in_other_thread(call: Callable[..., R], *args: Any) -> R:
    with ThreadPoolExecutor(1) as other:
        return other.submit(call, *args).result(timeout=10)


@pytest.fixture
def writes(store: Store) -> Iterator[BatchedWrites]:
    batched = BatchedWrites(store)
    yield batched
    batched.close()


@pytest.fixture
def batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One entry per batch() block the store opens."""
    opened: list[None] = []
    real_batch = store.batch

    def counting(*, savepoints: bool = True) -> AbstractContextManager[None]:
        opened.append(None)
        return real_batch(savepoints=savepoints)

    monkeypatch.setattr(store, "batch", counting)
    return opened


@pytest.fixture
def commits(store: Store) -> Iterator[list[None]]:
    """One entry per transaction the store's engine commits."""
    seen: list[None] = []

    def count(_connection: sa.Connection) -> None:
        seen.append(None)

    sa.event.listen(store.engine, "commit", count)
    yield seen
    sa.event.remove(store.engine, "commit", count)


# -- Store.batch ------------------------------------------------------------------------------


def test_batch_commits_every_call_and_they_see_each_other(store: Store) -> None:
    with store.batch():
        first = store.add_feed(Feed(url=url("a")))
        second = store.add_feed(Feed(url=url("b")))
        assert store.find_feed(url("a")) == first  # same transaction: visible before commit
    assert first.id is not None
    assert second.id is not None
    assert store.list_feeds() == [first, second]


def test_batch_commits_once_for_all_its_calls(store: Store, commits: list[None]) -> None:
    with store.batch():
        for name in "abc":
            store.add_feed(Feed(url=url(name)))
    assert len(commits) == 1


def test_an_exception_in_a_batch_rolls_back_every_call(store: Store) -> None:
    def add_then_fail() -> None:
        with store.batch():
            store.add_feed(Feed(url=url("a")))
            store.add_feed(Feed(url=url("b")))
            raise AbortError

    with pytest.raises(AbortError):
        add_then_fail()
    assert store.list_feeds() == []


def test_a_failed_call_in_a_batch_rolls_back_the_calls_before_it(store: Store) -> None:
    store.add_feed(Feed(url=url("old")))

    def add_then_duplicate() -> None:
        with store.batch():
            store.add_feed(Feed(url=url("new")))
            store.add_feed(Feed(url=url("old")))

    with pytest.raises(FeedExistsError):
        add_then_duplicate()
    assert stored_urls(store) == [url("old")]


def test_batch_does_not_nest(store: Store) -> None:
    with store.batch():
        store.add_feed(Feed(url=url("a")))
        with pytest.raises(RuntimeError, match="does not nest"), store.batch():
            pass
        store.add_feed(Feed(url=url("b")))  # the outer batch goes on
    assert stored_urls(store) == [url("a"), url("b")]


def test_calls_after_a_batch_are_their_own_transactions_again(store: Store) -> None:
    def fail() -> None:
        with store.batch():
            store.add_feed(Feed(url=url("rolled-back")))
            raise AbortError

    with pytest.raises(AbortError):
        fail()
    store.add_feed(Feed(url=url("alone")))  # not in a leftover batch connection
    with store.batch():
        store.add_feed(Feed(url=url("batched")))
    assert stored_urls(store) == [url("alone"), url("batched")]


def test_another_threads_calls_are_not_part_of_the_batch(store: Store) -> None:
    other = ThreadPoolExecutor(1)
    writing: list[Future[Feed]] = []

    def batch_in_this_thread() -> None:
        with store.batch():
            store.add_feed(Feed(url=url("mine")))
            assert in_other_thread(store.find_feed, url("mine")) is None  # not committed yet
            # Another thread's write (on SQLite it waits for the batch's write lock) is not
            # part of the batch: the batch's rollback does not undo it.
            writing.append(other.submit(store.add_feed, Feed(url=url("other"))))
            raise AbortError

    with pytest.raises(AbortError):
        batch_in_this_thread()
    other.shutdown(wait=True)
    assert writing[0].result().url == url("other")
    assert stored_urls(store) == [url("other")]


# -- BatchedWrites ----------------------------------------------------------------------------


async def test_concurrent_calls_all_succeed_in_few_transactions(
    store: Store, writes: BatchedWrites, batches: list[None], commits: list[None]
) -> None:
    urls = [url(f"feed{number}") for number in range(20)]
    added = await asyncio.gather(*(writes.run(store.add_feed, Feed(url=each)) for each in urls))
    assert [feed.url for feed in added] == urls  # each caller gets its own feed back
    assert all(feed.id is not None for feed in added)
    assert len({feed.id for feed in added}) == 20
    assert 1 <= len(batches) < 20
    assert 1 <= len(commits) < 20
    assert store.list_feeds() == sorted(added, key=lambda feed: feed.id or 0)


async def test_a_batch_of_mixed_calls_gives_each_caller_its_own_result(
    store: Store, writes: BatchedWrites, batches: list[None]
) -> None:
    old = store.add_feed(Feed(url=url("old"), enabled=False))
    new, found, missing, enabled = await asyncio.gather(
        writes.run(store.add_feed, Feed(url=url("new"))),
        writes.run(store.find_feed, url("old")),
        writes.run(store.find_feed, url("nowhere")),
        writes.run(store.list_feeds, enabled_only=True),
    )
    assert len(batches) == 1
    assert new.url == url("new")
    assert found == old
    assert missing is None
    assert enabled == [new]  # the batch's own write, seen by a later call in it


async def test_a_failing_call_fails_alone_and_the_others_are_stored(
    store: Store, writes: BatchedWrites, batches: list[None]
) -> None:
    store.add_feed(Feed(url=url("taken")))
    urls = [url("a"), url("b"), url("taken"), url("c"), url("d")]
    results = await asyncio.gather(
        *(writes.run(store.add_feed, Feed(url=each)) for each in urls), return_exceptions=True
    )
    assert len(batches) >= 1  # they were tried as a batch first
    failed = results[2]
    assert isinstance(failed, FeedExistsError)
    assert failed.url == url("taken")
    added = [result for result in results if not isinstance(result, BaseException)]
    assert [feed.url for feed in added] == [url("a"), url("b"), url("c"), url("d")]
    for feed in added:  # the ids handed back are those stored, not the rolled-back batch's
        assert feed.id is not None
        assert store.get_feed(feed.id) == feed
    assert stored_urls(store) == [url("taken"), url("a"), url("b"), url("c"), url("d")]


async def test_the_same_new_url_twice_in_a_batch_is_stored_for_the_first_caller(
    store: Store, writes: BatchedWrites
) -> None:
    first, second, other = await asyncio.gather(
        writes.run(store.add_feed, Feed(url=url("twice"), title="first")),
        writes.run(store.add_feed, Feed(url=url("twice"), title="second")),
        writes.run(store.add_feed, Feed(url=url("other"))),
        return_exceptions=True,
    )
    assert isinstance(first, Feed)
    assert first.title == "first"
    assert isinstance(second, FeedExistsError)
    assert isinstance(other, Feed)
    assert store.find_feed(url("twice")) == first
    assert stored_urls(store) == [url("twice"), url("other")]


async def test_calls_run_on_one_thread_that_close_ends(writes: BatchedWrites) -> None:
    def where() -> threading.Thread:
        return threading.current_thread()

    threads = await asyncio.gather(*(writes.run(where) for _ in range(5)))
    threads.append(await writes.run(where))  # a later batch: the same thread again
    assert len(set(threads)) == 1
    thread = threads[0]
    assert thread is not threading.current_thread()
    assert thread.is_alive()
    writes.close()
    assert not thread.is_alive()


class Holder:
    """A store call that keeps the store's thread busy until released."""

    def __init__(self) -> None:
        self.started, self.released = threading.Event(), threading.Event()

    def __call__(self) -> None:
        self.started.set()
        self.released.wait(timeout=10)

    async def wait_started(self) -> None:
        while not self.started.is_set():
            await asyncio.sleep(0.01)


async def test_calls_that_arrive_during_a_batch_wait_for_the_next_one_together(
    store: Store, writes: BatchedWrites, batches: list[None]
) -> None:
    hold = Holder()
    async with asyncio.timeout(10):
        holding = asyncio.ensure_future(writes.run(hold))
        await hold.wait_started()
        waiting = [
            asyncio.ensure_future(writes.run(store.add_feed, Feed(url=url(name)))) for name in "abc"
        ]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in waiting)
        hold.released.set()
        await holding
        added = await asyncio.gather(*waiting)
    assert [feed.url for feed in added] == [url("a"), url("b"), url("c")]
    assert len(batches) == 1  # the held call ran alone, the three waiting ones together


async def test_a_cancelled_caller_does_not_stop_the_others(
    store: Store, writes: BatchedWrites
) -> None:
    hold = Holder()
    async with asyncio.timeout(10):
        holding = asyncio.ensure_future(writes.run(hold))
        await hold.wait_started()
        cancelled = asyncio.ensure_future(writes.run(store.add_feed, Feed(url=url("cancelled"))))
        kept = asyncio.ensure_future(writes.run(store.add_feed, Feed(url=url("kept"))))
        await asyncio.sleep(0)
        cancelled.cancel()
        hold.released.set()
        await holding
        assert (await kept).url == url("kept")
        assert (await writes.run(store.find_feed, url("kept"))) is not None  # still working
    assert cancelled.cancelled()


# -- Failures inside a batch stay where they happened ----------------------------------------


def test_a_call_that_fails_inside_a_batch_undoes_only_itself(store: Store) -> None:
    store.add_feed(Feed(url=url("a")))
    with store.batch():
        store.add_feed(Feed(url=url("b")))
        with pytest.raises(FeedExistsError):
            store.add_feed(Feed(url=url("a")))
        store.add_feed(Feed(url=url("c")))  # the transaction is still usable, on PostgreSQL too
    assert sorted(stored_urls(store)) == [url("a"), url("b"), url("c")]


def test_a_duplicate_article_inside_a_batch_raises_already_exists(store: Store) -> None:
    feed = store.add_feed(Feed(url=url("a")))
    assert feed.id is not None
    article = Article(
        feed_id=feed.id,
        key="urn:example:1",
        title="Talks resume",
        url="https://a.example/1",
        summary="Teaser.",
        text="Teaser.",
        text_source=TextSource.FEED,
        author=None,
        published_at=None,
        updated_at=None,
        first_seen_at=utc_now(),
        content_hash="f" * 64,
        seen_on_first_poll=False,
    )
    store.add_article(article)
    with store.batch(), pytest.raises(AlreadyExistsError):
        store.add_article(article)


async def test_a_call_after_close_is_refused_not_left_waiting(store: Store) -> None:
    writes = BatchedWrites(store)
    writes.close()
    with pytest.raises(RuntimeError, match="closed"):
        await asyncio.wait_for(writes.run(store.list_feeds), timeout=10)


async def test_a_call_that_ends_the_batch_abnormally_fails_its_batch_instead_of_hanging(
    writes: BatchedWrites, store: Store
) -> None:
    class HaltError(BaseException):
        """Not an Exception, like KeyboardInterrupt and SystemExit."""

    def interrupted() -> None:
        raise HaltError

    calls = asyncio.gather(
        writes.run(store.add_feed, Feed(url=url("a"))),
        writes.run(interrupted),
        return_exceptions=True,
    )
    outcomes = await asyncio.wait_for(calls, timeout=10)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes), outcomes


def test_a_batch_without_savepoints_is_still_all_or_nothing(store: Store) -> None:
    store.add_feed(Feed(url=url("a")))

    def add_new_then_duplicate() -> None:
        with store.batch(savepoints=False):
            store.add_feed(Feed(url=url("b")))
            store.add_feed(Feed(url=url("a")))

    with pytest.raises(FeedExistsError):
        add_new_then_duplicate()
    assert stored_urls(store) == [url("a")]
    with store.batch(savepoints=False):
        store.add_feed(Feed(url=url("c")))
    assert sorted(stored_urls(store)) == [url("a"), url("c")]
