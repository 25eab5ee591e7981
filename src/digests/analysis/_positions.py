"""Positions: who stated, demanded, accused, rejected, warned, proposed or supported what.

Read from the dependency parse of a sentence that holds a reporting cue. The speaker is the
cue's subject, the by-agent of a passive or the source of "according to"; a cue without a
subject shares the one of the verb it is joined to. A person resolves to the actor they speak
for; a titled person the vocabulary does not know, to the actor beside their title; "he" or
"the minister" to the last person named, "It said" to the last body that spoke, "both nations"
to the last two states named. What the speaker said is the cue's reported clause, whose words
decide the stance when the verb only says (``_stance``); an actor named there (or the accused)
is the target. Unattributed reporting ("is reported to") yields nothing. One position per actor
and sentence, unless joined cues say different things.
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
    PARTICLE_VERBS,
    VERBS,
)
from digests.analysis._match import Mention
from digests.analysis._stance import content_stance
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
#: Words of a title that are not part of a name ("Saudi Energy Minister Prince Abdulaziz").
_TITLE_WORDS = _TITLE_NOUNS | frozenset(
    [
        "deputy",
        "foreign",
        "defence",
        "defense",
        "prime",
        "vice",
        "commodore",
        "colonel",
        "lieutenant",
        "sheikh",
        "dr",
        "mr",
        "ms",
        "mrs",
        "adviser",
        "advisor",
        "aide",
        "governor",
        "mayor",
        "prosecutor",
        "coordinator",
        "commissioner",
        "chairman",
        "chairwoman",
        "chair",
        "special",
        "senior",
        "top",
        "mission",
        "state",
        "of",
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
    #: The last state or organisation that spoke without a named person: for "it said".
    last_voice: Speaker | None = None
    #: The actor of the last position read: the side of a titled speaker named without one.
    last_side: str | None = None
    #: People outside the vocabulary met in this article, by surname ("Qassem said").
    surnames: dict[str, Speaker] = field(default_factory=dict)

    def saw_country(self, key: str) -> None:
        if key in self.countries:
            self.countries.remove(key)
        self.countries.append(key)


def cue_stance(token: Token) -> Stance | None:
    """The stance a token signals as a reporting cue, or None."""
    if token.pos_ not in ("VERB", "AUX") and not (token.pos_ == "NOUN" and token.dep_ == "ROOT"):
        return None
    lemma = token.lemma_.lower()
    phrase = _phrase_stance(token, lemma)
    if phrase is not None:
        return phrase
    if token.dep_ == "nsubjpass" or token.pos_ != "VERB":
        return None
    return _verb_stance(token, lemma)


def _phrase_stance(token: Token, lemma: str) -> Stance | None:
    """ "Call for", "rule out" (a particle) and "voice concern", "lay out conditions" (an
    object)."""
    for child in token.children:
        particle = PARTICLE_VERBS.get((lemma, child.lower_))
        if particle is not None and child.dep_ in ("prt", "prep", "advmod"):
            return particle
        if child.dep_ in ("dobj", "ccomp", "oprd", "acomp", "nsubjpass", "prt"):
            kind = OBJECT_VERBS.get((lemma, child.lemma_.lower()))
            if kind is not None:
                return kind
            for grandchild in child.children:  # "lay out conditions", "make it clear"
                kind = OBJECT_VERBS.get((lemma, grandchild.lemma_.lower()))
                if kind is not None:
                    return kind
    return None


def _verb_stance(token: Token, lemma: str) -> Stance | None:
    if lemma == "call" and any(c.dep_ == "oprd" for c in token.children):
        return Stance.CLAIM  # "called the sanctions illegal": the words say which stance
    if lemma == "decline" and any(c.dep_ == "xcomp" for c in token.children):
        return None  # "declined to comment" takes no position
    if lemma == "ask" and any(c.dep_ == "xcomp" for c in token.children):
        return Stance.DEMAND  # "asked the court to confirm"; not "asked whether"
    return VERBS.get(lemma)


#: Verbs of speech: "It said", "It urged", where "it" is the last state or body that spoke.
_SPEECH = frozenset(
    ["say", "tell", "add", "urge", "call", "warn", "accuse", "deny", "reject", "state", "announce"]
)


def _speaks(pronoun: Token) -> bool:
    """ "It said ..." opening a sentence: a statement, not a plan that "would require"."""
    verb = pronoun.head
    if pronoun.i != pronoun.sent.start or verb.dep_ != "ROOT" or verb.lemma_ not in _SPEECH:
        return False
    return not any(c.tag_ == "MD" for c in verb.children)  # "it would add": a plan


def _source_stance(token: Token) -> Stance | None:
    """ "..., according to the health ministry": the ministry states what the clause says."""
    if token.lower_ != "according":
        return None
    return Stance.CLAIM if _source(token) is not None else None


def _source(token: Token) -> Token | None:
    for child in token.children:
        if child.lower_ == "to":
            objects = [c for c in child.children if c.dep_ == "pobj"]
            return objects[0] if objects else None
    return None


def _subject(cue: Token) -> Token | None:
    """The cue's speaker token: its subject, the by-agent of a passive ("concerns were voiced
    by Putin") or the source of "according to"; None for "X is reported to ..."."""
    if cue.lower_ == "according":
        return _source(cue)
    agent = next((c for c in cue.children if c.dep_ == "agent"), None)
    if agent is not None:
        return next((c for c in agent.children if c.dep_ == "pobj"), None)
    subject = next((c for c in cue.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is not None:
        return subject if subject.dep_ == "nsubj" else None
    return _shared_subject(cue)


def _shared_subject(cue: Token) -> Token | None:
    """The subject a cue without its own shares: of the verb it is coordinated with ("said
    ... and urged"), or of the verb a participle hangs on ("rejected it, saying ...")."""
    if _reattached(cue):
        return _subject(cue.head.head)
    if cue.dep_ in ("conj", "xcomp"):
        return _subject(cue.head)
    if _participle(cue):
        return next((c for c in cue.head.children if c.dep_ == "nsubj"), None)
    return None


#: Cues only a person or a body can be the subject of ("called on", "urged", "accused").
_SPOKEN = frozenset(
    [
        "say",
        "tell",
        "add",
        "urge",
        "call",
        "warn",
        "accuse",
        "demand",
        "insist",
        "condemn",
        "welcome",
        "praise",
        "criticise",
        "criticize",
        "blame",
        "denounce",
        "appeal",
        "vow",
        "pledge",
        "promise",
        "thank",
    ]
)


def _reattached(cue: Token) -> bool:
    """ "X said the launch violated ... and called on ...": the parser joins "called" to
    "violated", but a launch calls on no one; the call is X's, coordinated with "said"."""
    if not _clause_conj(cue) or cue.lemma_.lower() not in _SPOKEN:
        return False  # "an agreement must guarantee ... and rule out ...": the agreement's
    subjects = [c for c in cue.head.children if c.dep_ in ("nsubj", "nsubjpass")]
    return all(s.pos_ == "NOUN" for s in subjects)


def _clause_conj(cue: Token) -> bool:
    """A second statement joined to the clause of a first: "said Beijing did not recognise
    the sanctions and called on all parties to ..." (a reject and a demand)."""
    head = cue.head
    if cue.dep_ != "conj" or head.dep_ != "ccomp" or cue_stance(head) is not None:
        return False
    if any(c.dep_ in ("nsubj", "nsubjpass") for c in cue.children):
        return False
    return cue_stance(head.head) is not None


def _participle(cue: Token) -> bool:
    """ "rejected the accusation, saying ...", "went further, accusing Bangkok of ...": a
    participle that shares its head's subject."""
    return (
        cue.dep_ == "advcl"
        and cue.tag_ == "VBG"
        and not any(c.dep_ in ("nsubj", "nsubjpass", "mark") for c in cue.children)
    )


def _hearsay(cue: Token, sentence: Span) -> bool:
    if any(token.lower_ in HEARSAY for token in sentence):
        return True
    head = cue.head
    # "Russia is reported to control ...": a hearsay verb in the passive above the cue
    return head.lemma_ in HEARSAY_VERBS and any(c.dep_ == "auxpass" for c in head.children)


class PositionReader:
    """Reads positions from parsed sentences, in article order (it keeps a memory)."""

    def __init__(self, vocabulary: Vocabulary, article_topics: Sequence[str] = ()) -> None:
        self.vocabulary = vocabulary
        self.memory = Memory()
        self.article_topics = tuple(article_topics)
        self._broad = frozenset(
            e.topic.parent for e in vocabulary.topics.values() if e.topic.parent is not None
        )

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
        found: list[tuple[Token, Found]] = []
        via = channels[0].label_.split(":", 1)[1] if channels else None
        cues = [(t, s) for t in doc if (s := cue_stance(t) or _source_stance(t)) is not None]
        cues.sort(key=lambda item: _depth(item[0]))
        for cue, verb_stance in cues:
            stance = _negated_stance(cue, verb_stance)
            if stance is None or _hearsay(cue, doc[:]) or _not_done(cue):
                continue
            subject = _subject(cue)
            if subject is None:
                continue
            span = doc[subject.left_edge.i : subject.right_edge.i + 1]
            if any(c.start >= span.start and c.end <= span.end for c in channels):
                continue  # "Izvestia reported": a channel, not a speaker
            for speaker in self._speakers(span, subject, mentions, people):
                position = self._position(
                    doc,
                    cue=cue,
                    stance=stance,
                    speaker=speaker,
                    mentions=mentions,
                    via=via,
                    topic_of=topic_of,
                )
                _merge(found, cue, position)
                if speaker.person is not None:
                    self.memory.last_person = speaker  # "..., he said, ..." later in the sentence
        for _, position in found:
            self.memory.last_side = position.actor
            if position.speaker is None:
                self.memory.last_voice = Speaker(position.actor, confidence=0.6)
        return [position for _, position in found]

    def _speakers(
        self, span: Span, head: Token, mentions: Sequence[Mention], people: dict[str, Speaker]
    ) -> list[Speaker]:
        inside = [
            m
            for m in mentions
            if m.start >= span.start and m.end <= span.end and _attached(span.doc, m, head)
        ]
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
        if not others:
            return []
        if any(t.dep_ == "conj" for t in span):
            return _unique(others)
        return [self._in_context(span, inside, others[0])]

    def _in_context(self, span: Span, inside: Sequence[Mention], actor: Speaker) -> Speaker:
        """ "Hamas spokesman Hazem Qassem", "Chen Binhua, a spokesman for China's Taiwan Affairs
        Office": a person the vocabulary does not know, who speaks for the actor named beside
        their title. Remembered by surname for later sentences."""
        taken = {i for m in inside for i in range(m.start, m.end)}
        found = _name_and_role(span.root, taken)
        if found is None:
            return actor
        name, role = found
        speaker = Speaker(actor.actor, name, role, confidence=0.8)
        self.memory.surnames[name.split()[-1]] = speaker
        self.memory.last_person = speaker
        return speaker

    def _carried_over(self, head: Token) -> list[Speaker]:
        """ "He", "they" and "the minister": the speaker named last."""
        memory = self.memory
        lower = head.lower_
        if head.pos_ == "PROPN" and head.text in memory.surnames:
            memory.last_person = memory.surnames[head.text]
            return [memory.last_person]
        if lower in _PERSON_PRONOUNS and memory.last_person is not None:
            return [dataclasses.replace(memory.last_person, confidence=0.75)]
        if lower == "it" and memory.last_voice is not None and _speaks(head):
            return [memory.last_voice]
        if lower in _GROUP_PRONOUNS and memory.last_actor is not None:
            return [dataclasses.replace(memory.last_actor, confidence=0.6)]
        is_title = head.lemma_.lower() in _TITLE_NOUNS and any(
            c.lower_ == "the" for c in head.children
        )
        if is_title and memory.last_person is not None:
            return [dataclasses.replace(memory.last_person, confidence=0.7)]
        return self._on_the_same_side(head)

    def _on_the_same_side(self, head: Token) -> list[Speaker]:
        """ "Information Minister Yemane Gebremeskel said", "a foreign ministry spokesperson
        said": a title without a state speaks, in wire style, for the side that spoke last."""
        side = self.memory.last_side
        titles = [t for t in head.subtree if t.lemma_.lower() in _TITLE_NOUNS]
        if side is None or not titles or head.tag_ in ("NNS", "NNPS", "PRP"):
            return []  # "diplomats said": no one side
        if any(c.dep_ in ("poss", "prep") for t in titles for c in t.children):
            return []  # "the authority's chairman": the title of a body we do not know
        found = _name_and_role(head, set())
        if found is None:
            return [Speaker(side, confidence=0.5)]
        speaker = Speaker(side, found[0], found[1], confidence=0.5)
        self.memory.surnames[found[0].split()[-1]] = speaker
        self.memory.last_person = speaker
        return [speaker]

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
        said = _said(cue)
        about = [c for c in cue.children if c.dep_ == "prep" and c.lower_ in _TARGET_PREPS]
        tokens = sorted({*said, *(t.i for c in about for t in c.subtree)})
        if stance is Stance.CLAIM:
            ours = {
                i
                for m in mentions
                if self._side(m.actor) == speaker.actor
                for i in range(m.start, m.end)
            }
            words = [doc[i] for i in said]
            stance = content_stance(words, _nested_stance, lambda t: t.i in ours) or stance
        target = self._target(speaker, mentions, tokens)
        topic = self._topic(topic_of, set(tokens))
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

    def _topic(self, topic_of: dict[int, str], said: set[int]) -> str | None:
        """What a position is about: the first specific topic named in the words said, else
        in the rest of the sentence, else the article's main topic; a broad one ("politics")
        only when there is nothing else."""
        inside = [topic_of[i] for i in sorted(topic_of) if i in said]
        around = [topic_of[i] for i in sorted(topic_of) if i not in said]
        for key in inside:
            if key in self.article_topics:
                return key
        for key in (*inside, *around):
            if key not in self._broad:
                return key
        if self.article_topics:
            return self.article_topics[0]
        return next(iter((*inside, *around)), None)

    def _side(self, key: str) -> str:
        """The actor a named actor speaks for: a minister's state, a state itself."""
        actor = self.vocabulary.actors.get(key)
        return actor.speaks_for if actor is not None and actor.speaks_for else key

    def _target(
        self, speaker: Speaker, mentions: Sequence[Mention], tokens: list[int]
    ) -> str | None:
        wanted = set(tokens)
        for mention in mentions:
            if mention.start not in wanted:
                continue
            key = self._side(mention.actor)
            if key not in (speaker.actor, speaker.person):
                return key
        return None


def _depth(token: Token) -> int:
    depth = 0
    while token.head.i != token.i:  # spaCy makes a new Token object on every access
        token, depth = token.head, depth + 1
    return depth


def _said(cue: Token) -> list[int]:
    """The reported words: the cue's complements, or for a cue set in the middle ("Mexico, he
    said, had to do more") the clause around it."""
    clauses = _clauses(cue)
    complements = clauses or [
        c for c in cue.children if c.dep_ in _COMPLEMENTS and not _trails(c, cue)
    ]
    said = {t.i for c in complements for t in c.subtree}  # "told reporters that ...": the clause
    for token in [cue.doc[i] for i in said]:
        if cue_stance(token) is not None and _clause_conj(token):
            said -= {t.i for t in token.subtree}
    if not said and (cue.dep_ == "parataxis" or cue.lower_ == "according"):
        own = {t.i for t in cue.subtree}
        said = {t.i for t in cue.head.subtree if t.i not in own and not t.is_punct}
    return sorted(said)


#: Links by which a name belongs to the subject it is in; anything else ("an agreement to end
#: the war in Ukraine", "a council which handles policy towards China") leads away from it.
_BLOCKING = frozenset(["acl", "relcl", "advcl", "ccomp", "xcomp", "pcomp", "dobj"])
_AFFILIATING = frozenset(["for", "of", "at", "to"])


def _attached(doc: Doc, mention: Mention, head: Token) -> bool:
    """Whether an actor named in a subject is the subject's own ("Hamas spokesman", "a
    spokesperson for China's foreign ministry") rather than something said of it."""
    token = next(
        (
            t
            for t in doc[mention.start : mention.end]
            if not mention.start <= t.head.i < mention.end
        ),
        doc[mention.end - 1],
    )
    while token.i != head.i:
        blocked = token.dep_ in _BLOCKING or (
            token.dep_ == "prep" and token.lower_ not in _AFFILIATING
        )
        if blocked or token.head.i == token.i:
            return False
        token = token.head
    return True


def _clauses(cue: Token) -> list[Token]:
    """The clauses a cue reports: "said (that) ...", and for "made it clear that ..." the
    clause under "clear"."""
    found = []
    for child in cue.children:
        if child.dep_ != "ccomp" or _trails(child, cue):
            continue
        if child.pos_ == "ADJ":
            inner = [
                g
                for g in child.children
                if g.dep_ in ("ccomp", "advcl") and any(m.lower_ == "that" for m in g.children)
            ]
            found.extend(inner or [child])
        else:
            found.append(child)
    return found


def _trails(clause: Token, cue: Token) -> bool:
    """ "Grushko stressed ..., the Izvestia newspaper reported": an attribution after a comma
    that the parser hung under the cue; it is not what was said."""
    if clause.i < cue.i or cue_stance(clause) is None:
        return False
    start = clause.left_edge.i
    return start > 0 and clause.doc[start - 1].text == ","


def _name_and_role(head: Token, taken: set[int]) -> tuple[str, str | None] | None:
    """The full name at ``head`` (or in its apposition) and the title beside it, if the subject
    is a titled person: at least two capitalised words that name no actor."""
    for candidate in (head, *(c for c in head.children if c.dep_ == "appos")):
        name = _proper_name(candidate, taken)
        if name is not None:
            role = _role(head, candidate, taken)
            return (name, role) if role is not None else None
    return None


def _proper_name(head: Token, taken: set[int]) -> str | None:
    if head.pos_ != "PROPN" or head.i in taken or head.lower_ in _TITLE_WORDS:
        return None
    start = head.i
    doc = head.doc
    while start > 0:
        before = doc[start - 1]
        joins = before.text == "-" or before.lower_ in ("bin", "al", "el", "de", "van", "von")
        if before.i in taken or before.lower_ in _TITLE_WORDS:
            break
        if not (before.pos_ == "PROPN" and before.text[:1].isupper()) and not joins:
            break
        start -= 1
    words = doc[start : head.i + 1]
    if len([t for t in words if t.text[:1].isupper()]) < 2:  # noqa: PLR2004 - first and last
        return None
    return words.text


def _role(head: Token, name: Token, taken: set[int]) -> str | None:
    """The title word of a titled subject and the words that qualify it ("mission chief")."""
    for token in head.subtree:
        if token.lemma_.lower() in _TITLE_NOUNS and token.i not in taken and token.i != name.i:
            words = [
                t
                for t in token.subtree
                if t.i <= token.i and t.i not in taken and t.pos_ in ("NOUN", "PROPN", "ADJ")
            ]
            words = [t for t in words if t.text[:1].islower() or t.lower_ in _TITLE_WORDS]
            return " ".join(t.lower_ for t in words) or token.lower_
    return None


def _not_done(cue: Token) -> bool:
    """ "Declined to criticise", "failed to condemn": a statement not made."""
    head = cue.head
    return cue.dep_ == "xcomp" and head.lemma_.lower() in ("decline", "fail", "hesitate")


def _nested_stance(token: Token) -> Stance | None:
    """The stance of a cue inside reported words; a passive one ("backed by Rwanda") tells
    what another party did, not what the speaker says."""
    stance = cue_stance(token)
    if stance is None or any(c.dep_ in ("auxpass", "agent") for c in token.children):
        return None
    if token.lemma_.lower() == "veto" and any(c.tag_ == "MD" for c in token.children):
        return Stance.WARN  # "said Budapest would veto any measure that ...": a threat
    return _negated_stance(token, stance)


def _negated_stance(cue: Token, stance: Stance) -> Stance | None:
    """ "Did not say" states nothing; "would not support" rejects."""
    if not any(c.dep_ == "neg" or c.lower_ in ("never", "nor") for c in cue.children):
        return stance
    if stance is Stance.SUPPORT:
        return Stance.REJECT
    if stance is Stance.REJECT:
        return Stance.WARN  # "did not rule out strikes"
    return None


def _merge(found: list[tuple[Token, Found]], cue: Token, position: Found) -> None:
    """One position per actor and sentence, except for coordinated cues that say different
    things ("accused NATO of ... and called on it to ..."); a cue inside the words of another
    ("said that Russia rejects ...") tells the stance of the statement."""
    earlier = [(i, item) for i, item in enumerate(found) if item[1].actor == position.actor]
    if not earlier:
        found.append((cue, position))
        return
    partners = [p for _, (other, p) in earlier if _coordinated(cue, other)]
    if partners:
        if _participle(cue) and position.stance is Stance.CLAIM:
            return  # "rejected the charge, saying ...": the saying explains the rejection
        if all(p.stance is not position.stance for p in partners):
            speaker = next((p for p in partners if p.speaker), None)
            if position.speaker is None and speaker is not None:  # "Guo said Beijing ..."
                position = dataclasses.replace(position, speaker=speaker.speaker, role=speaker.role)
            found.append((cue, position))
        return
    index, (other, first) = earlier[0]
    if first.stance is Stance.CLAIM and position.stance is not Stance.CLAIM:
        found[index] = (other, dataclasses.replace(first, stance=position.stance))


def _coordinated(cue: Token, other: Token) -> bool:
    """Whether two cues are conjuncts of one another ("said ... and urged ...")."""
    for first, second in ((cue, other), (other, cue)):
        if _clause_conj(first) and first.head.head.i == second.i:
            return True
        if _participle(first) and first.head.i == second.i:
            return True
        token = first
        while token.dep_ == "conj" and token.head.i != token.i:
            token = token.head
            if token.i == second.i:
                return True
    return False


def _claim(doc: Doc, tokens: list[int]) -> str:
    while tokens and (doc[tokens[-1]].dep_ == "cc" or doc[tokens[-1]].is_punct):
        tokens = tokens[:-1]  # "... neutral status and": the rest was another statement
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
