"""Loading the spaCy pipeline and the vocabularies, with errors that say what to change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digests.errors import ConfigError
from digests.settings import AnalysisSettings
from digests.vocab import load_vocabulary

if TYPE_CHECKING:
    from spacy.language import Language

    from digests.analysis._pipeline import Analyzer

MODEL_SETTING = "analysis.spacy_model"


class AnalysisModelError(ConfigError):
    """The spaCy model cannot be loaded; the message names the setting to change."""


def load_pipeline(name: str) -> Language:
    """The spaCy pipeline ``name`` (an installed package or a path)."""
    import spacy  # noqa: PLC0415 - heavy: only the analysis needs it

    try:
        nlp = spacy.load(name)
    except (OSError, ImportError, ValueError) as error:
        reason = " ".join(str(error).split())[:200]
        raise AnalysisModelError(
            MODEL_SETTING,
            f"cannot load the spaCy model {name!r} ({reason}); install it, or set "
            f"{MODEL_SETTING} (NEWSDIGEST_ANALYSIS__SPACY_MODEL) to an installed model",
        ) from error
    if "parser" not in nlp.pipe_names:
        raise AnalysisModelError(
            MODEL_SETTING, f"the spaCy model {name!r} has no dependency parser; positions need one"
        )
    return nlp


def load_analyzer(settings: AnalysisSettings) -> Analyzer:
    """An analyzer with the model and vocabularies the settings name."""
    from digests.analysis._pipeline import Analyzer  # noqa: PLC0415 - imports spaCy

    vocabulary = load_vocabulary(settings.vocabulary_dir or None)
    return Analyzer(
        load_pipeline(settings.spacy_model),
        vocabulary,
        max_text_chars=settings.max_text_chars,
        max_positions=settings.max_positions_per_article,
    )
