"""How the command line shows feeds, poll results and stories on a terminal (or a pipe).

Feed text (titles, URLs, errors quoting them) is printed as one line with its control
characters gone (:func:`~bot.terminal.terminal_line`), and in tables as ``Text``, which Rich never
reads as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from bot.terminal import plain, terminal_line
from digests.model import Feed

if TYPE_CHECKING:
    from digests.analysis import QueueRun
    from digests.analysis.evaluate import Scores
    from digests.compose import StoryDetail
    from digests.fetch import FeedResult

_PROBLEMS = ("failed", "disabled")  # PollStatus values; the fetch package loads lazily


def when(moment: dt.datetime | None, empty: str = "never") -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else empty


def _state(feed: Feed) -> str:
    return "enabled" if feed.enabled else f"disabled: {feed.disabled_reason or 'by a user'}"


def _title(feed: Feed) -> str:
    return terminal_line(feed.title or "(untitled)")


def print_feed_list(console: Console, feeds: Sequence[Feed]) -> None:
    if not feeds:
        console.print("No feeds.")
        return
    for feed in feeds:
        mark = "" if feed.enabled else "  (disabled)"
        console.print(f"{feed.id:>4}  {_title(feed)}{mark}", markup=False)
        console.print(f"      {terminal_line(feed.url)}", markup=False)


def print_feed_status(console: Console, feeds: Sequence[Feed]) -> None:
    if not feeds:
        console.print("No feeds.")
        return
    for feed in feeds:
        console.print(f"{feed.id:>4}  {_title(feed)}", markup=False)
        console.print(f"      {terminal_line(feed.url)}", markup=False)
        console.print(f"      state         {terminal_line(_state(feed))}", markup=False)
        console.print(f"      last success  {when(feed.last_success_at)}", markup=False)
        if feed.items_skipped:
            console.print(
                f"      skipped       {feed.items_skipped} oldest items in the last poll "
                "(over fetch.max_items_per_poll)",
                markup=False,
            )
        if feed.failure_count or feed.last_error:
            console.print(
                f"      last error    {terminal_line(feed.last_error or '')} "
                f"({feed.failure_count} in a row)",
                markup=False,
            )
        next_poll = when(feed.next_check_at, "now") if feed.enabled else "not polled"
        console.print(f"      next poll     {next_poll}", markup=False)


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[tuple[Progress, TaskID]]:
    """A bar that counts done of total, labelled ``label``; gone once done."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        yield progress, progress.add_task(label, total=None)


def print_ingest_summary(
    console: Console, results: Sequence[FeedResult], queued: int, *, analysing: bool = True
) -> None:
    """The poll's table and totals; ``analysing``: whether the queue is analysed next."""
    if not results:
        console.print("No feed was due.")
        return
    table = Table("feed", "result", "new", "updated", "unchanged", "seen", "note")
    for result in results:
        note = result.error or (f"moved to {result.moved_to}" if result.moved_to else "")
        if result.skipped:
            note = f"{note}; " if note else ""
            note += f"skipped {result.skipped} oldest items"
        table.add_row(
            plain(result.title or result.url),
            str(result.status),
            str(result.new),
            str(result.updated),
            str(result.unchanged),
            str(result.seen),
            plain(note),
        )
    console.print(table)
    problems = sum(1 for result in results if result.status in _PROBLEMS)
    console.print(
        f"{len(results)} feeds: {sum(r.new for r in results)} new articles, "
        f"{sum(r.updated for r in results)} updated, {sum(r.seen for r in results)} stored as "
        f"already seen (a new feed's first poll); {problems} with problems. "
        f"{queued} articles wait for analysis"
        + ("." if analysing or not queued else " (`newsdigest analyse --pending` analyses them).")
    )


def print_analysis_run(console: Console, run: QueueRun, queued: int) -> None:
    """One line: what a run over the analysis queue did, and what still waits."""
    removed = f", {run.removed} removed meanwhile" if run.removed else ""
    console.print(
        f"Analysed {run.analysed} articles: {run.positions} positions found, {run.failed} failed"
        f"{removed}, {queued} still queued."
    )


def print_scores(console: Console, scores: Scores) -> None:
    """`newsdigest eval`'s report."""
    data = scores.as_dict()
    table = Table("what", "precision", "recall", "F1")
    for name in ("actors", "topics", "positions"):
        part = data[name]
        table.add_row(
            name, f"{part['precision']:.3f}", f"{part['recall']:.3f}", f"{part['f1']:.3f}"
        )
    console.print(f"{data['articles']} articles")
    console.print(table)
    accuracy = ", ".join(
        f"{name} {data[name + '_accuracy']:.3f}"
        for name in ("stance", "speaker", "topic", "target")
    )
    console.print(f"accuracy over {scores.matched} matched positions: {accuracy}")
    rouge = Table("summary", "ROUGE-1", "ROUGE-2", "ROUGE-L")
    for label, values in (("newsdigest", data["summary_rouge"]), ("lead-3", data["lead_rouge"])):
        rouge.add_row(label, *(f"{values.get(k, 0.0):.3f}" for k in ("rouge1", "rouge2", "rougeL")))
    console.print(rouge)


def stories_json(stories: Sequence[StoryDetail]) -> list[dict[str, object]]:
    """`newsdigest stories --format json`: one object per story, newest first."""
    return [
        {
            "id": detail.story.id,
            "headline": detail.story.headline,
            "summary": detail.story.summary,
            "first_seen_at": detail.story.first_seen_at.isoformat(),
            "updated_at": detail.story.updated_at.isoformat(),
            "outlets": list(detail.outlets),
            "sources": [
                {
                    "outlet": source.outlet,
                    "title": source.title,
                    "url": source.url,
                    "published_at": source.published_at.isoformat(),
                }
                for source in detail.sources
            ],
            "actors": list(detail.actors),
            "topics": list(detail.topics),
            "positions": len(detail.positions),
        }
        for detail in stories
    ]


def print_stories(console: Console, stories: Sequence[StoryDetail], since: str) -> None:
    """`newsdigest stories`: headline, sources and outlets, actors and topics of each story."""
    if not stories:
        console.print(f"No stories in the last {since}.")
        return
    for detail in stories:
        count = len(detail.sources)
        plural = "source" if count == 1 else "sources"
        headline = terminal_line(detail.story.headline)
        console.print(f"{when(detail.story.updated_at)}  {headline}", markup=False)
        outlets = terminal_line(", ".join(detail.outlets))
        console.print(f"      {count} {plural}: {outlets}", markup=False)
        if detail.actors:
            console.print(f"      actors  {terminal_line(', '.join(detail.actors))}", markup=False)
        if detail.topics:
            console.print(f"      topics  {terminal_line(', '.join(detail.topics))}", markup=False)
    noun = "story" if len(stories) == 1 else "stories"
    console.print(f"{len(stories)} {noun} in the last {since}.")
