"""What a person typed, resolved to an actor or a topic of the vocabulary.

Exact first: an actor's id, name, alias, demonym, capital or institution, a person's surname
(when only one person of the vocabulary has it) and a country's ISO 3166 code, compared without
case, accents or punctuation ("US", "zelenskyy", "Russian", "Kremlin"). Then near misses
("rusia"), scored with rapidfuzz; a guess counts only when it is close and clearly the best.
Anything else raises :class:`UnknownActorError` with up to five suggestions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from digests.errors import NotFoundError
from digests.model import Actor, ActorKind, Topic
from digests.vocab import Vocabulary

#: How many suggestions an unknown name gets.
MAX_SUGGESTIONS = 5
#: A near miss resolves when it scores at least this (rapidfuzz ratio, 0-100) ...
_ACCEPT = 80.0
#: ... and beats the best other actor by this much; else it is only a suggestion.
_MARGIN = 6.0
#: Suggestions score at least this on rapidfuzz's ratio (spelling), or on its WRatio (a part
#: of a longer name: "zel").
_SUGGEST = {"ratio": 55.0, "WRatio": 80.0}
#: Queries shorter than this are never guessed at: "ir" is not "Iran".
_MIN_GUESS = 4
#: Which reading of a form wins when two actors share it: a name over an alias, and so on.
_RANK = {"id": 0, "name": 0, "alias": 1, "iso": 2, "demonym": 3, "surname": 4}
_OTHER_RANK = 5  # capitals, institutions
_KIND_RANK = {
    ActorKind.COUNTRY: 0,
    ActorKind.ORGANISATION: 1,
    ActorKind.ARMED_GROUP: 2,
    ActorKind.POLITICAL_GROUP: 2,
    ActorKind.PERSON: 3,
}


class UnknownActorError(NotFoundError):
    """No actor of the vocabulary answers to what was typed; ``suggestions`` are the closest."""

    def __init__(self, typed: str, suggestions: Iterable[Actor]) -> None:
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            names = ", ".join(f"{actor.name} ({actor.key})" for actor in self.suggestions)
            message = f"unknown actor; did you mean: {names}?"
        else:
            message = (
                "unknown actor, and no name of the vocabulary is close; give a country, "
                "organisation, group or person by name, alias, demonym or ISO code"
            )
        super().__init__(typed, message)

    def __str__(self) -> str:
        return f"{self.key!r}: {self.message}"


class UnknownTopicError(NotFoundError):
    """No topic of the taxonomy has that id or label; ``suggestions`` are the closest ids."""

    def __init__(self, typed: str, suggestions: Iterable[str]) -> None:
        self.suggestions = tuple(suggestions)
        close = f"did you mean: {', '.join(self.suggestions)}? " if self.suggestions else ""
        super().__init__(typed, f"unknown topic; {close}see config/topics.toml for every id")

    def __str__(self) -> str:
        return f"{self.key!r}: {self.message}"


@dataclass(frozen=True, slots=True)
class ActorMatch:
    """An actor found for what a person typed, and how."""

    actor: Actor
    #: What was typed, as typed.
    typed: str
    #: id, name, alias, iso, demonym, surname, metonym, institution, or fuzzy (a near miss)
    how: str
    #: 100 for an exact match; the rapidfuzz ratio of a near miss.
    score: float = 100.0

    @property
    def exact(self) -> bool:
        return self.how != "fuzzy"


def normalise(text: str) -> str:
    """Lower case, no accents, no dots or apostrophes, hyphens as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = re.sub(r"[.'\u2019`]", "", plain.casefold())
    plain = re.sub(r"[^\w]+", " ", plain)
    plain = re.sub(r"^the ", "", plain.strip())
    return plain


class ActorResolver:
    """Resolves typed names against one vocabulary; build once, use for every lookup."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        candidates: dict[str, list[tuple[int, int, str, str]]] = {}

        def add(text: str, key: str, how: str) -> None:
            written = normalise(text)
            if not written or key not in vocabulary.actors:
                return
            actor = vocabulary.actors[key]
            rank = (_RANK.get(how, _OTHER_RANK), _KIND_RANK[actor.kind])
            candidates.setdefault(written, []).append((*rank, key, how))

        for key, actor in vocabulary.actors.items():
            add(key, key, "id")
            add(actor.name, key, "name")
        for form in vocabulary.forms:
            add(form.text, form.actor, form.how)
        for code, key in vocabulary.iso_codes.items():
            add(code, key, "iso")
        for written, key in _surnames(vocabulary.actors).items():
            add(written, key, "surname")
        self._exact: dict[str, tuple[str, str]] = {
            text: min(found)[2:] for text, found in candidates.items()
        }
        # Fuzzy matching is over names, aliases and demonyms: what people type.
        self._choices: dict[str, str] = {
            text: key
            for text, (key, how) in self._exact.items()
            if how in ("name", "alias", "demonym", "surname", "id")
        }

    def resolve(self, typed: str) -> ActorMatch:
        """The actor ``typed`` names; raise :class:`UnknownActorError` with suggestions."""
        query = normalise(typed)
        if query in self._exact:
            key, how = self._exact[query]
            return ActorMatch(self.vocabulary.actors[key], typed.strip(), how)
        if len(query) >= _MIN_GUESS:
            scored = self._scored(query, fuzz.ratio, _ACCEPT - _MARGIN - 20)
            if scored:
                (best, score), *rest = scored
                runner_up = rest[0][1] if rest else 0.0
                if score >= _ACCEPT and score - runner_up >= _MARGIN:
                    return ActorMatch(self.vocabulary.actors[best], typed.strip(), "fuzzy", score)
        raise UnknownActorError(typed.strip(), self.suggest(typed))

    def suggest(self, typed: str, limit: int = MAX_SUGGESTIONS) -> list[Actor]:
        """The actors whose names come closest to ``typed``, best first (maybe none)."""
        query = normalise(typed)
        if not query:
            return []
        # Spelling first ("austrai": Austria, Australia), then names that contain what was
        # typed ("zel": Zelensky), never a short alias inside the query ("au" in "austrai").
        ranked = [key for key, _score in self._scored(query, fuzz.ratio, _SUGGEST["ratio"])]
        longer = {text: key for text, key in self._choices.items() if len(text) > len(query)}
        for text, _score, _index in process.extract(
            query, list(longer), scorer=fuzz.WRatio, limit=50, score_cutoff=_SUGGEST["WRatio"]
        ):
            if longer[text] not in ranked:
                ranked.append(longer[text])
        return [self.vocabulary.actors[key] for key in ranked[:limit]]

    def _scored(
        self, query: str, scorer: Callable[..., float], cutoff: float = 0.0
    ) -> list[tuple[str, float]]:
        """Distinct actors with their best score for ``query``, best first."""
        found = process.extract(
            query, list(self._choices), scorer=scorer, limit=50, score_cutoff=cutoff
        )
        best: dict[str, float] = {}
        for text, score, _index in found:
            key = self._choices[text]
            best[key] = max(best.get(key, 0.0), float(score))
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))


def _surnames(actors: Mapping[str, Actor]) -> dict[str, str]:
    """Each person's surnames (of the name and every alias) that no other person shares."""
    owners: dict[str, set[str]] = {}
    for key, actor in actors.items():
        if actor.kind is not ActorKind.PERSON:
            continue
        for written in (actor.name, *actor.aliases):
            words = normalise(written).split()
            if len(words) > 1:
                owners.setdefault(words[-1], set()).add(key)
    return {surname: next(iter(keys)) for surname, keys in owners.items() if len(keys) == 1}


def resolve_topic(vocabulary: Vocabulary, typed: str) -> Topic:
    """The topic ``typed`` names (an id or a label, any case); raise
    :class:`UnknownTopicError` with the closest ids."""
    query = normalise(typed)
    labels = {normalise(key): key for key in vocabulary.topics}
    labels.update({normalise(entry.label): key for key, entry in vocabulary.topics.items()})
    if query in labels:
        return vocabulary.topics[labels[query]].topic
    suggestions: list[str] = []
    for scorer, cutoff in ((fuzz.ratio, 60.0), (fuzz.WRatio, 85.0)):
        for text, _score, _index in process.extract(
            query, list(labels), scorer=scorer, limit=15, score_cutoff=cutoff
        ):
            if labels[text] not in suggestions:
                suggestions.append(labels[text])
    raise UnknownTopicError(typed.strip(), suggestions[:MAX_SUGGESTIONS])
