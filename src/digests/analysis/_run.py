"""Running the analysis over the store's queue: articles that are new, or changed since their
last analysis, oldest first.

Each article's results (mentions, positions, summary) replace what an earlier analysis found,
in one transaction. An article whose analysis fails is logged with its id and marked analysed
with no results and the error (``Article.analysis_error``): it is not retried until its content
changes, since the same text would fail the same way. A database error stops the run; what was
stored before it stays.

After an article's results are stored, ``on_analysed`` (if given) gets the article as stored
(with its new summary) and its mentions: the story clustering hooks in there
(``digests.compose.StoryClusterer.on_analysed``) without this package importing it. An error
it raises is logged, never a failure of the article's analysis.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from digests.analysis._pipeline import Analysis, Analyzer, ArticleText
from digests.analysis._prepare import cut_text
from digests.errors import ArticleNotFoundError
from digests.model import ActorMention, Article, Position, TopicMention, utc_now
from digests.store import Store

log = logging.getLogger(__name__)

#: Called after an article's analysis is stored: the article, its actor and topic mentions.
OnAnalysed = Callable[[Article, Sequence[ActorMention], Sequence[TopicMention]], None]

#: Articles read from the queue at once: until each text is cut to what the analysis reads,
#: their whole texts are in memory together.
BATCH_SIZE = 16
#: The most characters of text (as the analysis reads them) analysed in one go: the parses of a
#: group's sentences are in memory together.
MAX_GROUP_CHARS = 200_000
#: The longest error message kept with a failed article.
MAX_ERROR_CHARS = 500


class Outcome(enum.StrEnum):
    ANALYSED = "analysed"
    FAILED = "failed"
    #: The article was removed (with its feed) before its results were stored.
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ArticleDone:
    """What happened to one queued article."""

    article_id: int
    outcome: Outcome
    positions: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class QueueRun:
    """What one run over the queue did."""

    analysed: int = 0
    positions: int = 0
    failed: int = 0
    removed: int = 0

    @classmethod
    def of(cls, done: Sequence[ArticleDone]) -> QueueRun:
        outcomes = Counter(item.outcome for item in done)
        return cls(
            analysed=outcomes[Outcome.ANALYSED],
            positions=sum(item.positions for item in done),
            failed=outcomes[Outcome.FAILED],
            removed=outcomes[Outcome.REMOVED],
        )


def analyse_queue(
    store: Store,
    analyzer: Analyzer,
    *,
    limit: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ArticleDone], None] | None = None,
    on_analysed: OnAnalysed | None = None,
) -> QueueRun:
    """Analyse queued articles until the queue is empty, or ``limit`` articles are done."""
    if batch_size < 1 or (limit is not None and limit < 0):
        raise ValueError("batch_size must be positive and limit not negative")
    started = time.perf_counter()
    done: list[ArticleDone] = []
    while limit is None or len(done) < limit:
        wanted = batch_size if limit is None else min(batch_size, limit - len(done))
        batch = [_cut(article, analyzer.max_text_chars) for article in store.analysis_queue(wanted)]
        if not batch:
            break
        for group in _groups(batch, MAX_GROUP_CHARS):
            for article, result in zip(group, _analyse_batch(analyzer, group), strict=True):
                done.append(_store_result(store, article, result, on_analysed))
                if progress is not None:
                    progress(done[-1])
    run = QueueRun.of(done)
    log.info(
        "analysed %d articles (%d positions, %d failed) in %.2f s",
        run.analysed,
        run.positions,
        run.failed,
        time.perf_counter() - started,
    )
    return run


def analyse_article(
    store: Store, analyzer: Analyzer, article: Article, *, on_analysed: OnAnalysed | None = None
) -> ArticleDone:
    """Analyse one stored article and store what was found, or why it failed."""
    return _store_result(store, article, _analyse_batch(analyzer, [article])[0], on_analysed)


def _cut(article: Article, max_chars: int) -> Article:
    """The article with only the part of its text the analysis reads (the rest is freed)."""
    text = cut_text(article.text, max_chars)
    return article if text is article.text else dataclasses.replace(article, text=text)


def _groups(batch: Sequence[Article], max_chars: int) -> list[list[Article]]:
    """``batch`` in groups of consecutive articles of at most ``max_chars`` characters of text
    together (an article longer than that alone)."""
    groups: list[list[Article]] = []
    chars = 0
    for article in batch:
        if not groups or chars + len(article.text) > max_chars:
            groups.append([])
            chars = 0
        groups[-1].append(article)
        chars += len(article.text)
    return groups


def _analyse_batch(analyzer: Analyzer, batch: Sequence[Article]) -> list[Analysis | Exception]:
    """The analysis of each article, or the error it raised: all at once (the parser is faster
    on many sentences), and one by one only if that fails, to find which article it was."""
    texts = [ArticleText(a.title, a.text, _day(a)) for a in batch]
    try:
        return list(analyzer.analyse_many(texts))
    except Exception:
        results: list[Analysis | Exception] = []
        for text in texts:
            try:
                results.append(analyzer.analyse(text.title, text.text, day=text.day))
            except Exception as error:
                results.append(error)
        return results


def _store_result(
    store: Store,
    article: Article,
    result: Analysis | Exception,
    on_analysed: OnAnalysed | None = None,
) -> ArticleDone:
    if article.id is None:
        raise ValueError("only a stored article can be analysed")
    if isinstance(result, Analysis):
        return _save(store, article.id, article, result, on_analysed=on_analysed)
    log.error(
        "the analysis of article %d failed; it is not retried until its content changes",
        article.id,
        exc_info=result,
    )
    reason = " ".join(f"{type(result).__name__}: {result}".split())[:MAX_ERROR_CHARS]
    nothing = Analysis(article.title, summary=(), actors=(), topics=(), positions=())
    return _save(store, article.id, article, nothing, error=reason)


def _day(article: Article) -> dt.date | None:
    return article.published_at.date() if article.published_at else None


def _save(
    store: Store,
    article_id: int,
    article: Article,
    analysis: Analysis,
    *,
    error: str | None = None,
    on_analysed: OnAnalysed | None = None,
) -> ArticleDone:
    """Replace the article's results with ``analysis``, and its error with ``error``; then, for
    a successful analysis, call ``on_analysed``."""
    actors = _actor_mentions(article_id, analysis)
    topics = _topic_mentions(article_id, analysis)
    analysed_at = utc_now()
    try:
        stored = store.replace_analysis(
            article_id,
            actors=actors,
            topics=topics,
            found=_positions(article_id, analysis, article.published_at or article.first_seen_at),
            summary=analysis.summary,
            error=error,
            analysed_at=analysed_at,
            content_hash=article.content_hash,
        )
    except ArticleNotFoundError:
        log.info("article %d was removed while it was analysed", article_id)
        return ArticleDone(article_id, Outcome.REMOVED)
    if error is None and on_analysed is not None:
        saved = dataclasses.replace(
            article, analysed_at=analysed_at, analysis_summary=tuple(analysis.summary)
        )
        try:
            on_analysed(saved, actors, topics)
        except Exception:
            log.exception("what follows the analysis of article %d failed", article_id)
    outcome = Outcome.ANALYSED if error is None else Outcome.FAILED
    return ArticleDone(article_id, outcome, len(stored), error)


def _actor_mentions(article_id: int, analysis: Analysis) -> list[ActorMention]:
    counts: Counter[str] = Counter()
    for found in analysis.actors:
        counts[found.actor.key] += found.count
    return [
        ActorMention(article_id=article_id, actor_key=key, count=count)
        for key, count in counts.items()
    ]


def _topic_mentions(article_id: int, analysis: Analysis) -> list[TopicMention]:
    scores = {found.key: found.score for found in analysis.topics}
    return [
        TopicMention(article_id=article_id, topic_key=key, score=score)
        for key, score in scores.items()
    ]


def _positions(
    article_id: int, analysis: Analysis, stated_at: dt.datetime | None
) -> list[Position]:
    return [
        Position(
            article_id=article_id,
            actor_key=found.actor,
            stance=found.stance,
            claim=found.claim,
            evidence=found.evidence,
            speaker=found.speaker,
            speaker_role=found.role,
            topic_key=found.topic,
            target_key=found.target,
            channel=found.via,
            stated_at=stated_at,
            confidence=found.confidence,
        )
        for found in analysis.positions
    ]
