"""The analysis of articles: actors, topics, positions and a summary (see docs/analysis.md).

spaCy is imported only here, so intake and the store never pay for it.
"""

from __future__ import annotations

from digests.analysis._load import AnalysisModelError, load_analyzer, load_pipeline
from digests.analysis._pipeline import Analysis, Analyzer, ArticleText, FoundActor, FoundTopic
from digests.analysis._positions import Found as FoundPosition
from digests.analysis._run import (
    BATCH_SIZE,
    ArticleDone,
    OnAnalysed,
    Outcome,
    QueueRun,
    analyse_article,
    analyse_queue,
)

__all__ = [
    "BATCH_SIZE",
    "Analysis",
    "AnalysisModelError",
    "Analyzer",
    "ArticleDone",
    "ArticleText",
    "FoundActor",
    "FoundPosition",
    "FoundTopic",
    "OnAnalysed",
    "Outcome",
    "QueueRun",
    "analyse_article",
    "analyse_queue",
    "load_analyzer",
    "load_pipeline",
]
