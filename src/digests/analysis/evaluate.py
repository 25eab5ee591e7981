"""`newsdigest eval`: the analysis scored against hand-made gold.

A gold file is a JSON object: id, title, text, actors (ids), topics (ids), positions (actor,
speaker, stance, topic, target, evidence, via) and summary (sentences). A found position
matches a gold one when their actor agrees and their evidence sentences are the same sentence
(compared without case, spaces and punctuation). Stance, speaker, topic and target accuracy are
over matched positions. ROUGE compares the summary with the gold one, and so does a lead
baseline: the first three sentences of the text as given, headline and all.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digests.analysis._pipeline import Analysis, Analyzer
from digests.errors import ConfigError

_LEAD_SENTENCES = 3
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d']))\s+(?=[\"\u201c]?[A-Z])")


@dataclass(frozen=True, slots=True)
class GoldPosition:
    actor: str
    speaker: str | None
    stance: str
    evidence: str
    topic: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Gold:
    id: str
    title: str
    text: str
    actors: frozenset[str]
    topics: frozenset[str]
    positions: tuple[GoldPosition, ...]
    summary: tuple[str, ...]


@dataclass
class Counts:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def add(self, found: set[Any], gold: set[Any]) -> None:
        self.true_positive += len(found & gold)
        self.false_positive += len(found - gold)
        self.false_negative += len(gold - found)

    @property
    def precision(self) -> float:
        tried = self.true_positive + self.false_positive
        return self.true_positive / tried if tried else 0.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


@dataclass
class Scores:
    articles: int = 0
    actors: Counts = field(default_factory=Counts)
    topics: Counts = field(default_factory=Counts)
    positions: Counts = field(default_factory=Counts)
    stance_right: int = 0
    speaker_right: int = 0
    topic_right: int = 0
    target_right: int = 0
    rouge: dict[str, list[float]] = field(default_factory=dict)
    lead_rouge: dict[str, list[float]] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return self.positions.true_positive

    def as_dict(self) -> dict[str, Any]:
        matched = self.matched or 1
        return {
            "articles": self.articles,
            "actors": self.actors.as_dict(),
            "topics": self.topics.as_dict(),
            "positions": self.positions.as_dict(),
            "stance_accuracy": round(self.stance_right / matched, 3),
            "speaker_accuracy": round(self.speaker_right / matched, 3),
            "topic_accuracy": round(self.topic_right / matched, 3),
            "target_accuracy": round(self.target_right / matched, 3),
            "summary_rouge": _means(self.rouge),
            "lead_rouge": _means(self.lead_rouge),
        }


def _means(values: dict[str, list[float]]) -> dict[str, float]:
    return {name: round(sum(v) / len(v), 3) if v else 0.0 for name, v in values.items()}


def load_gold(directory: Path) -> list[Gold]:
    """Every gold article in ``directory`` (``*.json``); a bad file is a ConfigError."""
    golds = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            golds.append(_gold(data))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ConfigError(str(path), f"not a gold article ({error})") from error
    if not golds:
        raise ConfigError(str(directory), "no gold articles (*.json) there")
    return golds


def _gold(data: dict[str, Any]) -> Gold:
    positions = tuple(
        GoldPosition(
            p["actor"],
            p.get("speaker"),
            p["stance"],
            p["evidence"],
            p.get("topic"),
            p.get("target"),
        )
        for p in data["positions"]
    )
    return Gold(
        id=str(data["id"]),
        title=str(data["title"]),
        text=str(data["text"]),
        actors=frozenset(data["actors"]),
        topics=frozenset(data["topics"]),
        positions=positions,
        summary=tuple(data["summary"]),
    )


def _key(sentence: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", sentence.lower()).split())


def _evidence_matches(found: str, gold: str) -> bool:
    """Same sentence: equal once normalised, or one holds the other (a dateline, a headline
    run into the first sentence, or a quote split differently)."""
    a, b = _key(found), _key(gold)
    return a == b or (min(len(a), len(b)) > 20 and (a in b or b in a))  # noqa: PLR2004


def evaluate(analyzer: Analyzer, golds: Iterable[Gold]) -> Scores:
    from rouge_score import rouge_scorer  # noqa: PLC0415 - only the evaluation needs it

    logging.getLogger("absl").setLevel(logging.WARNING)  # rouge-score narrates its tokenizer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    scores = Scores()
    for gold in golds:
        analysis = analyzer.analyse(gold.title, gold.text)
        _score_article(scores, analysis, gold)
        reference = " ".join(gold.summary)
        for target, summary in (
            (scores.rouge, " ".join(analysis.summary)),
            (scores.lead_rouge, " ".join(lead(gold.text))),
        ):
            for name, value in scorer.score(reference, summary).items():
                target.setdefault(name, []).append(value.fmeasure)
    return scores


def lead(text: str, count: int = _LEAD_SENTENCES) -> list[str]:
    """The first ``count`` sentences of a text as given."""
    sentences = [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]
    return sentences[:count]


def _score_article(scores: Scores, analysis: Analysis, gold: Gold) -> None:
    scores.articles += 1
    scores.actors.add({found.actor.key for found in analysis.actors}, set(gold.actors))
    scores.topics.add({topic.key for topic in analysis.topics}, set(gold.topics))
    unmatched = list(gold.positions)
    for position in analysis.positions:
        match = _find(unmatched, position.actor, position.evidence, position.stance.value)
        if match is None:
            scores.positions.false_positive += 1
            continue
        unmatched.remove(match)
        scores.positions.true_positive += 1
        scores.stance_right += position.stance.value == match.stance
        scores.speaker_right += (position.speaker or None) == (match.speaker or None)
        scores.topic_right += position.topic == match.topic
        scores.target_right += position.target == match.target
    scores.positions.false_negative += len(unmatched)


def _find(
    candidates: Sequence[GoldPosition], actor: str, evidence: str, stance: str
) -> GoldPosition | None:
    """The gold position a found one matches; of several for one actor and sentence ("accused
    ... and called on ..."), the one with the same stance."""
    matching = [
        c for c in candidates if c.actor == actor and _evidence_matches(evidence, c.evidence)
    ]
    same = [c for c in matching if c.stance == stance]
    best = same or matching
    return best[0] if best else None
