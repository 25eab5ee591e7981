"""Finding the vocabulary in text: actors, channels and topic cues, by phrase matching.

Matching runs over every sentence (it is some two hundred times faster than parsing); only the
sentences that hold a reporting cue are parsed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from digests.vocab import Form, Vocabulary

CHANNEL = "channel"
#: Words before a capital or seat of government that make it a place, not the state.
_PLACE_WORDS = frozenset(
    ["in", "at", "to", "from", "near", "outside", "inside", "around", "across", "visit", "visited"]
)


@dataclass(frozen=True, slots=True)
class Mention:
    """An actor named in a sentence."""

    actor: str
    how: str
    start: int  # token offsets within the document
    end: int
    text: str
    #: The form is also an everyday word or a place elsewhere: it needs support to count.
    ambiguous: bool = False


class Gazetteer:
    """Phrase matchers for every form of every actor, every channel and every topic cue."""

    def __init__(self, nlp: Language, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._forms: dict[str, Form] = {}
        self._actors = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._topics = PhraseMatcher(nlp.vocab, attr="LOWER")
        tokenizer = nlp.tokenizer
        for index, form in enumerate(vocabulary.forms):
            label = f"a{index}"
            self._forms[label] = form
            self._actors.add(label, [tokenizer(form.text)])
        for channel in vocabulary.channels:
            patterns = [tokenizer(name) for name in (channel.name, *channel.aliases)]
            self._actors.add(f"{CHANNEL}:{channel.name}", patterns)
        for key, entry in vocabulary.topics.items():
            if entry.cues:
                self._topics.add(key, [tokenizer(cue) for cue in entry.cues])

    def actors(self, doc: Doc) -> tuple[list[Mention], list[Span]]:
        """Actor mentions and channel spans of ``doc``; the longest match wins, and a channel's
        name hides the actors inside it ("Voice of America" names no state)."""
        spans = []
        for match_id, start, end in self._actors(doc):
            spans.append(Span(doc, start, end, label=match_id))
        mentions, channels = [], []
        for span in filter_spans(spans):
            label = span.label_
            if label.startswith(CHANNEL + ":"):
                channels.append(span)
                continue
            form = self._forms[label]
            if form.how == "metonym" and _is_place(doc, span.start):
                continue
            mentions.append(
                Mention(form.actor, form.how, span.start, span.end, span.text, form.ambiguous)
            )
        return mentions, channels

    def topic_cues(self, doc: Doc) -> list[tuple[str, int]]:
        """(topic id, token offset) of every topic cue in ``doc``."""
        found = [(doc.vocab.strings[match_id], start) for match_id, start, _ in self._topics(doc)]
        return sorted(found, key=lambda item: item[1])

    def topic_spans(self, doc: Doc) -> list[tuple[str, int, int]]:
        """(topic id, start, end) of every topic cue in ``doc``, overlapping ones included."""
        return [
            (doc.vocab.strings[match_id], start, end) for match_id, start, end in self._topics(doc)
        ]


def _is_place(doc: Doc, start: int) -> bool:
    before = [token.lower_ for token in doc[max(0, start - 2) : start]]
    return bool(before) and (
        before[-1] in _PLACE_WORDS
        or (before[-1] == "the" and len(before) > 1 and before[0] in _PLACE_WORDS)
    )
