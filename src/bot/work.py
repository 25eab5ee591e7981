"""The intake's work, shared by the command line and `newsdigest run`: analysing what the polls
stored, with each analysed article joining or starting a story."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from digests.settings import AnalysisSettings, StoriesSettings
from digests.store import Store

if TYPE_CHECKING:  # spaCy loads with digests.analysis: only when there is work
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
