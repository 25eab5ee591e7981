"""The analysis of one article: prepare, split, match, parse what needs it, read, summarise."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from digests.analysis._cues import cue_words
from digests.analysis._match import Gazetteer, Mention
from digests.analysis._positions import Found, PositionReader, Speaker
from digests.analysis._prepare import (
    Prepared,
    cut_text,
    drop_overlong_words,
    prepare,
    strip_dateline,
)
from digests.analysis._topics import TopicScorer
from digests.model import Actor, ActorKind
from digests.settings import AnalysisSettings
from digests.vocab import Vocabulary

#: Summary: at most this many sentences and words, from the lead.
SUMMARY_SENTENCES = 3
SUMMARY_WORDS = 75
#: Shorter sentences are scraps (a byline, a caption), not the lead.
MIN_SENTENCE_WORDS = 6
_PARSE_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
#: A title longer than this is cut: no headline runs so long.
MAX_TITLE_CHARS = 1_000
#: At most this many sentences of an article are parsed (the first that hold a reporting cue):
#: the parse is most of an analysis's time.
MAX_PARSED_SENTENCES = 1_000
#: A longer "sentence" is not parsed: news sentences run to some 60 words, and the reading of
#: positions takes time quadratic in a sentence's length.
MAX_SENTENCE_TOKENS = 250
_DEFAULTS = AnalysisSettings()


@dataclass(frozen=True, slots=True)
class FoundActor:
    actor: Actor
    #: For a person: the actor they speak for, and in which role.
    affiliation: str | None
    role: str | None
    count: int


@dataclass(frozen=True, slots=True)
class FoundTopic:
    key: str
    label: str
    iptc: str | None
    score: float


@dataclass(frozen=True, slots=True)
class Analysis:
    """What newsdigest reads from one article."""

    title: str
    summary: tuple[str, ...]
    actors: tuple[FoundActor, ...]
    topics: tuple[FoundTopic, ...]
    positions: tuple[Found, ...]


@dataclass(frozen=True, slots=True)
class _Sentence:
    span: Span
    paragraph: int
    mentions: tuple[Mention, ...]
    channels: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What the analysis reads: a title, a text and the day it was published, if known (the
    day dates who held which office)."""

    title: str
    text: str
    day: dt.date | None = None


@dataclass(frozen=True, slots=True)
class _Draft:
    """An article split, matched and tagged with topics, waiting for its parsed sentences."""

    prepared: Prepared
    sentences: tuple[_Sentence, ...]
    wanted: frozenset[int]  # the indexes of the sentences that hold a reporting cue
    people: dict[str, Speaker]
    topics: tuple[FoundTopic, ...]


class Analyzer:
    """Analyses articles with one loaded spaCy pipeline and one vocabulary."""

    def __init__(
        self,
        nlp: Language,
        vocabulary: Vocabulary,
        *,
        max_text_chars: int = _DEFAULTS.max_text_chars,
        max_positions: int = _DEFAULTS.max_positions_per_article,
    ) -> None:
        self.nlp = nlp
        self.vocabulary = vocabulary
        #: The analysis reads this much of a text and keeps this many positions, whatever the
        #: article: its time and memory are bounded.
        self.max_text_chars = max_text_chars
        self.max_positions = max_positions
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        self._gazetteer = Gazetteer(nlp, vocabulary)
        self._cue_words = cue_words()
        self._parse_pipes = [name for name in _PARSE_PIPES if name in nlp.pipe_names]
        self._surnames = _surnames(vocabulary)
        self._topic_scorer = TopicScorer(self._gazetteer, vocabulary.topics)

    def analyse(self, title: str, text: str, *, day: dt.date | None = None) -> Analysis:
        return self.analyse_many([ArticleText(title, text, day)])[0]

    def analyse_many(self, articles: Sequence[ArticleText]) -> list[Analysis]:
        """Analyse several articles; the sentences that need parsing are parsed together, which
        is faster than article by article."""
        drafts = [self._draft(self.bounded(article)) for article in articles]
        wanted = (
            sentence.span.text
            for draft in drafts
            for index, sentence in enumerate(draft.sentences)
            if index in draft.wanted
        )
        parsed = self.nlp.pipe(wanted, disable=self._disabled_for_parse())
        return [self._finish(draft, parsed) for draft in drafts]

    def bounded(self, article: ArticleText) -> ArticleText:
        """The part of ``article`` the analysis reads: its text cut to ``max_text_chars``."""
        title = drop_overlong_words(cut_text(article.title, MAX_TITLE_CHARS))
        text = drop_overlong_words(cut_text(article.text, self.max_text_chars))
        if title == article.title and text == article.text:
            return article
        return ArticleText(title, text, article.day)

    def _draft(self, article: ArticleText) -> _Draft:
        prepared = prepare(article.title, article.text)
        sentences = tuple(self._sentences(prepared))
        cued = (
            i
            for i, s in enumerate(sentences)
            if len(s.span) <= MAX_SENTENCE_TOKENS
            and any(t.lower_ in self._cue_words for t in s.span)
        )
        wanted = frozenset(itertools.islice(cued, MAX_PARSED_SENTENCES))
        people = self._people(sentences, article.day)
        return _Draft(prepared, sentences, wanted, people, self._topics(prepared, sentences))

    def _finish(self, draft: _Draft, parsed: Iterator[Doc]) -> Analysis:
        topics = draft.topics
        positions = _most_confident(
            self._positions(draft, parsed, [topic.key for topic in topics]), self.max_positions
        )
        actors = self._actors(draft.sentences, draft.people, positions)
        summary = _summary(draft.prepared, draft.sentences)
        return Analysis(draft.prepared.title, summary, actors, topics, tuple(positions))

    # -- splitting and matching ---------------------------------------------------------------

    def _sentences(self, prepared: Prepared) -> Iterator[_Sentence]:
        named: set[str] = set()  # people named in full so far
        with self.nlp.select_pipes(enable=["senter"]):
            docs = self.nlp.pipe(prepared.paragraphs)
            for index, doc in enumerate(docs):
                mentions, channels = self._gazetteer.actors(doc)
                named.update(m.actor for m in mentions if m.how in ("name", "alias"))
                mentions = self._with_surnames(doc, mentions, named)
                for span in doc.sents:
                    yield _Sentence(
                        span,
                        index,
                        tuple(m for m in mentions if span.start <= m.start < span.end),
                        tuple(c for c in channels if span.start <= c.start < span.end),
                    )

    def _with_surnames(
        self, doc: Doc, mentions: list[Mention], named: Container[str]
    ) -> list[Mention]:
        """A surname alone names a person of ``named``: one the article has named in full."""
        taken = {i for m in mentions for i in range(m.start, m.end)}
        extra = [
            Mention(person, "surname", token.i, token.i + 1, token.text)
            for token in doc
            if (person := self._surnames.get(token.text)) is not None
            and person in named
            and token.i not in taken
        ]
        return sorted([*mentions, *extra], key=lambda m: m.start)

    def _people(self, sentences: Sequence[_Sentence], day: dt.date | None) -> dict[str, Speaker]:
        people: dict[str, Speaker] = {}
        for sentence in sentences:
            for mention in sentence.mentions:
                actor = self.vocabulary.actors.get(mention.actor)
                if actor is None or actor.kind is not ActorKind.PERSON or actor.key in people:
                    continue
                office = self.vocabulary.affiliation(actor.key, day)
                if office is not None:
                    people[actor.key] = Speaker(office.affiliation, actor.name, office.role)
        return people

    # -- positions ----------------------------------------------------------------------------

    def _positions(
        self, draft: _Draft, parsed: Iterator[Doc], article_topics: Sequence[str]
    ) -> list[Found]:
        """Positions in the article's sentences, in order; ``parsed`` yields the parse of each
        sentence the draft wants, in the same order."""
        people = draft.people
        reader = PositionReader(self.vocabulary, article_topics)
        found: list[Found] = []
        for index, sentence in enumerate(draft.sentences):
            if index in draft.wanted:
                doc = next(parsed)
                mentions, channels = self._gazetteer.actors(doc)
                mentions = self._with_surnames(doc, mentions, people)
                topics = {start: key for key, start in self._gazetteer.topic_cues(doc)}
                found.extend(reader.read(doc, mentions, channels, people, topics))
            reader.remember(sentence.mentions, people)
        return found

    def _disabled_for_parse(self) -> list[str]:
        return [name for name in self.nlp.pipe_names if name not in self._parse_pipes]

    # -- actors and topics --------------------------------------------------------------------

    def _actors(
        self, sentences: Sequence[_Sentence], people: dict[str, Speaker], positions: Sequence[Found]
    ) -> tuple[FoundActor, ...]:
        counts: Counter[str] = Counter()
        for sentence in sentences:
            for mention in sentence.mentions:
                counts[mention.actor] += 1
        ambiguous_only = {m.actor for s in sentences for m in s.mentions if m.ambiguous} - {
            m.actor for s in sentences for m in s.mentions if not m.ambiguous
        }
        for key in ambiguous_only:
            del counts[key]
        for speaker in people.values():
            counts[speaker.actor] += 0  # a person's affiliation is an actor too
        for position in positions:
            counts[position.actor] += 0
            if position.target:
                counts[position.target] += 0
        found = []
        for key, count in counts.most_common():
            actor = self.vocabulary.actors.get(key)
            if actor is None:
                continue
            person = people.get(key)
            found.append(
                FoundActor(
                    actor, person.actor if person else None, person.role if person else None, count
                )
            )
        return tuple(found)

    def _topics(self, prepared: Prepared, sentences: Sequence[_Sentence]) -> tuple[FoundTopic, ...]:
        paragraphs = {sentence.paragraph: sentence.span.doc for sentence in sentences}
        scored = self._topic_scorer.score(
            self.nlp.make_doc(prepared.title), [paragraphs[index] for index in sorted(paragraphs)]
        )
        entries = self.vocabulary.topics
        return tuple(
            FoundTopic(t.key, entries[t.key].label, entries[t.key].topic.iptc_code, t.score)
            for t in scored
        )


def _surnames(vocabulary: Vocabulary) -> dict[str, str]:
    """Surname -> person, for surnames that belong to one person of the vocabulary only."""
    owners: dict[str, set[str]] = {}
    for actor in vocabulary.actors.values():
        if actor.kind is ActorKind.PERSON:
            for name in (actor.name, *actor.aliases):
                parts = name.split()
                if len(parts) > 1:
                    owners.setdefault(parts[-1], set()).add(actor.key)
    return {surname: keys.pop() for surname, keys in owners.items() if len(keys) == 1}


def _most_confident(positions: list[Found], limit: int) -> list[Found]:
    """The ``limit`` most confident positions (the first of equal ones), in the article's order."""
    if len(positions) <= limit:
        return positions
    ranked = sorted(range(len(positions)), key=lambda i: (-positions[i].confidence, i))
    return [positions[i] for i in sorted(ranked[:limit])]


_QUOTE_ONLY = re.compile(r"^[\"\u201c].*[\"\u201d]$")


def _summary(prepared: Prepared, sentences: Sequence[_Sentence]) -> tuple[str, ...]:
    """The lead: the first sentences of the body, without the headline, datelines or scraps."""
    chosen: list[str] = []
    words = 0
    title = prepared.title.lower().strip()
    for sentence in sentences:
        text = strip_dateline(sentence.span.text.strip())
        length = len(text.split())
        if length < MIN_SENTENCE_WORDS or text.lower() == title or _QUOTE_ONLY.match(text):
            continue
        if chosen and words + length > SUMMARY_WORDS:
            break
        chosen.append(text)
        words += length
        if len(chosen) == SUMMARY_SENTENCES:
            break
    return tuple(chosen)
