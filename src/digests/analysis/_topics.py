"""Topics: which topics of the taxonomy (``config/topics.toml``) an article is about.

**Evidence.** The cues of every topic are found in the title and in each paragraph by phrase
matching on lower-case tokens. There are no lemmas at this point (the text is only tokenised and
split into sentences; tagging and lemmatising every paragraph would make this step some
eighteen times slower), so the vocabulary lists each inflection it wants ("truce", "truces").
Where cues overlap, the longest wins: in "International Atomic Energy Agency" the cue is
"atomic energy" (nuclear), not "energy"; "prime minister" counts once, not also as "minister".
A phrase that is a cue of two topics ("arms embargo": arms and sanctions) counts for both. A cue
weighs :data:`TITLE_WEIGHT` in the title, :data:`LEAD_WEIGHT` in the first paragraph and 1
elsewhere: a topic's evidence is the sum.

**Choice.**

1. Specific before broad. A topic that is another's parent (the top-level topics: conflict,
   politics, economy, ...) is broad: its cues ("war", "minister", "market") run through most
   news, and a child topic implies its parent anyway. So broad topics are considered only when
   no specific topic qualifies, and a child is never crowded out by its parent.
2. A topic qualifies with at least :data:`MIN_EVIDENCE`: one cue in the title or in the lead,
   which in a wire story say what it is about, or two in the body (a passing mention does not
   count); and with at least :data:`MIN_SHARE` of the evidence of the strongest topic.
3. At most :data:`MAX_TOPICS`, strongest first (ties: the taxonomy's order).

**Score.** A chosen topic's share of the evidence of all the topics considered with it (the
specific ones, or in the fallback the broad ones), rounded to three places.

The constants are deliberately not settings: they are part of how the taxonomy is read, and
``newsdigest eval`` measures them (docs/analysis.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc

from digests.analysis._match import Gazetteer
from digests.vocab import TopicEntry

#: Weight of a cue in the title, and in the first paragraph (the lead); elsewhere 1.
TITLE_WEIGHT = 3
LEAD_WEIGHT = 2
#: Least evidence a topic needs: one cue in the title or the lead, or two in the body.
MIN_EVIDENCE = 2
#: Least evidence a topic needs, as a share of the strongest topic's: a fifth.
MIN_SHARE = 0.2
#: Most topics an article is tagged with.
MAX_TOPICS = 4


@dataclass(frozen=True, slots=True)
class ScoredTopic:
    key: str
    #: The topic's share of the evidence of the topics considered with it.
    score: float
    evidence: int


class TopicScorer:
    """Chooses an article's topics from the topic cues the gazetteer finds."""

    def __init__(self, gazetteer: Gazetteer, topics: Mapping[str, TopicEntry]) -> None:
        self._gazetteer = gazetteer
        self._order = {key: index for index, key in enumerate(topics)}
        self._broad = frozenset(
            entry.topic.parent for entry in topics.values() if entry.topic.parent is not None
        )

    def evidence(self, title: Doc, paragraphs: Sequence[Doc]) -> Counter[str]:
        """Weighted cue counts per topic: ``paragraphs`` in order, the first being the lead."""
        weights: Counter[str] = Counter()
        for key in self._cues(title):
            weights[key] += TITLE_WEIGHT
        for index, doc in enumerate(paragraphs):
            for key in self._cues(doc):
                weights[key] += LEAD_WEIGHT if index == 0 else 1
        return weights

    def score(self, title: Doc, paragraphs: Sequence[Doc]) -> tuple[ScoredTopic, ...]:
        """The topics the article is about, strongest first."""
        weights = self.evidence(title, paragraphs)
        specific = {key: weight for key, weight in weights.items() if key not in self._broad}
        chosen = self._choose(specific)
        if not chosen:
            chosen = self._choose({k: w for k, w in weights.items() if k in self._broad})
        return chosen

    def _choose(self, weights: Mapping[str, int]) -> tuple[ScoredTopic, ...]:
        total = sum(weights.values())
        if not total:
            return ()
        ranked = sorted(weights, key=lambda key: (-weights[key], self._order.get(key, 0)))
        strongest = weights[ranked[0]]
        return tuple(
            ScoredTopic(key, round(weights[key] / total, 3), weights[key])
            for key in ranked[:MAX_TOPICS]
            if weights[key] >= MIN_EVIDENCE and weights[key] >= MIN_SHARE * strongest
        )

    def _cues(self, doc: Doc) -> Iterable[str]:
        """The topic of every cue in ``doc`` that no longer cue overlaps."""
        spans = sorted(set(self._gazetteer.topic_spans(doc)), key=lambda s: (s[1] - s[2], s[1]))
        kept: list[tuple[str, int, int]] = []
        for key, start, end in spans:
            if all((start, end) == (s, e) or end <= s or e <= start for _, s, e in kept):
                kept.append((key, start, end))
        return [key for key, _, _ in kept]
