"""Positions: who stated, demanded, accused, rejected, warned, proposed or supported what.

Read from the dependency parse of a sentence that holds a reporting cue: the cue's subject (or
the by-agent of a passive) is the speaker; a person resolves to the actor they speak for, a
pronoun or "the minister" to the last person named, "both nations" to the last two states
named. What the speaker said is the cue's complement; an actor named there (or the object of
an accusation) is the target. Unattributed reporting ("is reported to") yields nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from digests.analysis._cues import (
    HEARSAY,
    HEARSAY_VERBS,
    OBJECT_VERBS,
    OBLIGATION,
    PARTICLE_VERBS,
    VERBS,
)
from digests.analysis._match import Mention
from digests.model import ActorKind, Stance
from digests.vocab import Vocabulary

_PERSON_PRONOUNS = frozenset(["he", "she"])
_GROUP_PRONOUNS = frozenset(["they", "we"])
_TITLE_NOUNS = frozenset(
    [
        "minister",
        "president",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "official",
        "envoy",
        "ambassador",
        "diplomat",
        "leader",
        "chief",
        "secretary",
        "premier",
        "chancellor",
        "king",
        "emir",
        "prince",
        "representative",
        "negotiator",
        "commander",
        "general",
        "director",
        "head",
    ]
)
_GROUP_NOUNS = frozenset(
    ["nation", "country", "side", "government", "leader", "capital", "party", "power", "state"]
)
_COMPLEMENTS = frozenset(["ccomp", "xcomp", "dobj", "dative", "attr", "oprd"])
#: A complement shorter than this is no claim of its own ("said so"): the sentence is.
_SHORTEST_CLAIM = 4
_TARGET_PREPS = frozenset(["of", "against", "on", "over", "to", "with", "for", "about"])


@dataclass(frozen=True, slots=True)
class Speaker:
    actor: str
    person: str | None = None  # a full name
    role: str | None = None
    confidence: float = 0.9


@dataclass(frozen=True, slots=True)
class Found:
    """A position as read from one sentence."""

    actor: str
    actor_name: str
    speaker: str | None
    role: str | None
    stance: Stance
    topic: str | None
    target: str | None
    claim: str
    evidence: str
    via: str | None
    confidence: float


@dataclass
class Memory:
    """What earlier sentences named: for "he", "the minister" and "both nations"."""

    last_person: Speaker | None = None
    last_actor: Speaker | None = None
    countries: list[str] = field(default_factory=list)

    def saw_country(self, key: str) -> None:
        if key in self.countries:
            self.countries.remove(key)
        self.countries.append(key)


def cue_stance(token: Token) -> Stance | None:
    """The stance a token signals as a reporting cue, or None."""
    if token.pos_ not in ("VERB", "AUX") and not (token.pos_ == "NOUN" and token.dep_ == "ROOT"):
        return None
    lemma = token.lemma_.lower()
    for child in token.children:
        particle = PARTICLE_VERBS.get((lemma, child.lower_))
        if particle is not None and child.dep_ in ("prt", "prep"):
            return particle
        if child.dep_ in ("dobj", "ccomp", "oprd", "acomp", "nsubjpass", "prt"):
            kind = OBJECT_VERBS.get((lemma, child.lemma_.lower()))
            if kind is not None:
                return kind
            for grandchild in child.children:  # "lay out conditions", "make it clear"
                kind = OBJECT_VERBS.get((lemma, grandchild.lemma_.lower()))
                if kind is not None:
                    return kind
    if token.dep_ == "nsubjpass" or token.pos_ != "VERB":
        return None
    return VERBS.get(lemma)


def _subject(cue: Token) -> tuple[Token | None, bool]:
    """The cue's speaker token and whether it was a by-agent; (None, _) if there is none."""
    for child in cue.children:
        if child.dep_ == "agent":
            objects = [c for c in child.children if c.dep_ == "pobj"]
            return (objects[0] if objects else None), True
    for child in cue.children:
        if child.dep_ == "nsubj":
            return child, False
        if child.dep_ == "nsubjpass":
            return None, False  # "X is reported to ...", "concerns were raised": no speaker
    if cue.dep_ in ("conj", "xcomp"):
        return _subject(cue.head)
    return None, False


def _hearsay(cue: Token, sentence: Span) -> bool:
    if any(token.lower_ in HEARSAY for token in sentence):
        return True
    head = cue.head
    # "Russia is reported to control ...": a hearsay verb in the passive above the cue
    return head.lemma_ in HEARSAY_VERBS and any(c.dep_ == "auxpass" for c in head.children)


class PositionReader:
    """Reads positions from parsed sentences, in article order (it keeps a memory)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.memory = Memory()

    def remember(self, mentions: Sequence[Mention], people: dict[str, Speaker]) -> None:
        """Update the memory with the actors a sentence named, in order."""
        for mention in mentions:
            speaker = self._speaker_of(mention, people)
            if speaker is None:
                continue
            if speaker.person is not None:
                self.memory.last_person = speaker
            else:
                self.memory.last_actor = speaker
            actor = self.vocabulary.actors.get(mention.actor)
            if actor is not None and actor.kind is ActorKind.COUNTRY:
                self.memory.saw_country(actor.key)

    def _speaker_of(self, mention: Mention, people: dict[str, Speaker]) -> Speaker | None:
        if mention.actor in people:
            return people[mention.actor]
        actor = self.vocabulary.actors.get(mention.actor)
        if actor is None or actor.kind is ActorKind.PERSON:
            return None
        return Speaker(actor.key)

    def read(
        self,
        doc: Doc,
        mentions: Sequence[Mention],
        channels: Sequence[Span],
        people: dict[str, Speaker],
        topic_of: dict[int, str],
    ) -> list[Found]:
        """Positions in the parsed sentence ``doc`` (one sentence, with its own mentions)."""
        found: dict[str, Found] = {}  # one position per actor and sentence
        via = channels[0].label_.split(":", 1)[1] if channels else None
        cues = [(t, s) for t in doc if (s := cue_stance(t)) is not None]
        cues.sort(key=lambda item: _depth(item[0]))
        for cue, stance in cues:
            if _hearsay(cue, doc[:]):
                continue
            subject, _by_agent = _subject(cue)
            if subject is None:
                continue
            span = doc[subject.left_edge.i : subject.right_edge.i + 1]
            if any(c.start >= span.start and c.end <= span.end for c in channels):
                continue  # "Izvestia reported": a channel, not a speaker
            for speaker in self._speakers(span, subject, mentions, people):
                earlier = found.get(speaker.actor)
                if earlier is None:
                    found[speaker.actor] = self._position(
                        doc,
                        cue=cue,
                        stance=stance,
                        speaker=speaker,
                        mentions=mentions,
                        via=via,
                        topic_of=topic_of,
                    )
                elif earlier.stance is Stance.CLAIM and stance is not Stance.CLAIM:
                    # "X said that Russia rejects ...": the statement's own verb says more
                    found[speaker.actor] = dataclasses.replace(earlier, stance=stance)
        return list(found.values())

    def _speakers(
        self, span: Span, head: Token, mentions: Sequence[Mention], people: dict[str, Speaker]
    ) -> list[Speaker]:
        inside = [m for m in mentions if m.start >= span.start and m.end <= span.end]
        if head.lemma_.lower() in _GROUP_NOUNS and any(
            c.lower_ in ("both", "two") for c in head.children
        ):
            group = [Speaker(key, confidence=0.7) for key in self.memory.countries[-2:]]
            extra = [s for m in inside if (s := self._speaker_of(m, people)) is not None]
            return _unique([*group, *extra])
        named = self._named(span, inside, people)
        return named if named else self._carried_over(head)

    def _named(
        self, span: Span, inside: Sequence[Mention], people: dict[str, Speaker]
    ) -> list[Speaker]:
        persons = [people[m.actor] for m in inside if m.actor in people]
        if persons:
            return [persons[0]]
        others = [s for m in inside if (s := self._speaker_of(m, people)) is not None]
        if others:
            coordinated = any(t.dep_ == "conj" for t in span)
            return _unique(others if coordinated else others[:1])
        return []

    def _carried_over(self, head: Token) -> list[Speaker]:
        """ "He", "they" and "the minister": the speaker named last."""
        memory = self.memory
        lower = head.lower_
        if lower in _PERSON_PRONOUNS and memory.last_person is not None:
            return [dataclasses.replace(memory.last_person, confidence=0.75)]
        if lower in _GROUP_PRONOUNS and memory.last_actor is not None:
            return [dataclasses.replace(memory.last_actor, confidence=0.6)]
        is_title = head.lemma_.lower() in _TITLE_NOUNS and any(
            c.lower_ == "the" for c in head.children
        )
        if is_title and memory.last_person is not None:
            return [dataclasses.replace(memory.last_person, confidence=0.7)]
        return []

    def _position(
        self,
        doc: Doc,
        *,
        cue: Token,
        stance: Stance,
        speaker: Speaker,
        mentions: Sequence[Mention],
        via: str | None,
        topic_of: dict[int, str],
    ) -> Found:
        said = sorted({t.i for c in cue.children if c.dep_ in _COMPLEMENTS for t in c.subtree})
        about = [c for c in cue.children if c.dep_ == "prep" and c.lower_ in _TARGET_PREPS]
        tokens = sorted({*said, *(t.i for c in about for t in c.subtree)})
        if stance is Stance.CLAIM and _obliges(doc, tokens):
            stance = Stance.DEMAND
        target = self._target(speaker, mentions, tokens)
        topic = next((topic_of[i] for i in sorted(topic_of) if not tokens or i in tokens), None)
        if topic is None and topic_of:
            topic = topic_of[min(topic_of)]
        claim = _claim(doc, said or tokens)
        known = self.vocabulary.actors.get(speaker.actor)
        return Found(
            actor=speaker.actor,
            actor_name=known.name if known is not None else speaker.actor,
            speaker=speaker.person,
            role=speaker.role,
            stance=stance,
            topic=topic,
            target=target,
            claim=claim,
            evidence=doc.text,
            via=via,
            confidence=speaker.confidence,
        )

    def _target(
        self, speaker: Speaker, mentions: Sequence[Mention], tokens: list[int]
    ) -> str | None:
        wanted = set(tokens)
        for mention in mentions:
            if mention.start not in wanted:
                continue
            actor = self.vocabulary.actors.get(mention.actor)
            key = actor.speaks_for if actor is not None and actor.speaks_for else mention.actor
            if key not in (speaker.actor, speaker.person):
                return key
        return None


def _depth(token: Token) -> int:
    depth = 0
    while token.head.i != token.i:  # spaCy makes a new Token object on every access
        token, depth = token.head, depth + 1
    return depth


def _obliges(doc: Doc, tokens: list[int]) -> bool:
    for i in tokens:
        word = doc[i].lower_
        if word in OBLIGATION and (
            word not in ("have", "has") or (i + 1 < len(doc) and doc[i + 1].lower_ == "to")
        ):
            return True
    return False


def _claim(doc: Doc, tokens: list[int]) -> str:
    text = doc[tokens[0] : tokens[-1] + 1].text if len(tokens) >= _SHORTEST_CLAIM else doc.text
    text = text.strip(" ,;:\"'\u201c\u201d")
    if text.lower().startswith("that "):
        text = text[5:]
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _unique(speakers: list[Speaker]) -> list[Speaker]:
    seen: dict[str, Speaker] = {}
    for speaker in speakers:
        seen.setdefault(speaker.actor, speaker)
    return list(seen.values())
