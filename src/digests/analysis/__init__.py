"""The analysis of articles: actors, topics, positions and a summary (see docs/analysis.md).

spaCy is imported only here, so intake and the store never pay for it.
"""

from __future__ import annotations

from digests.analysis._load import AnalysisModelError, load_analyzer, load_pipeline
from digests.analysis._pipeline import Analysis, Analyzer, FoundActor, FoundTopic
from digests.analysis._positions import Found as FoundPosition

__all__ = [
    "Analysis",
    "AnalysisModelError",
    "Analyzer",
    "FoundActor",
    "FoundPosition",
    "FoundTopic",
    "load_analyzer",
    "load_pipeline",
]
