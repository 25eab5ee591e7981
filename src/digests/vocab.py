"""The actor and topic vocabularies: data in config/ (TOML), loaded once, checked as loaded.

Files, under the vocabulary directory (the bundled config/ unless ``analysis.vocabulary_dir``
names another):

- ``actors/countries.toml``, ``actors/organisations.toml``, ``actors/groups.toml``,
  ``actors/people.toml``: who can be an actor, with every name news uses for them;
- ``actors/channels.toml``: media outlets and news agencies, which relay statements and are
  never actors themselves;
- ``topics.toml``: the topic taxonomy, each topic with an IPTC Media Topic code and its cues.

A file that is missing or malformed raises :class:`VocabularyError`, which names the file and
the setting to change.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digests.errors import ConfigError
from digests.model import Actor, ActorKind, Topic
from digests.resources import config_dir

SETTING = "analysis.vocabulary_dir"
_GROUP_KINDS = {"armed_group": ActorKind.ARMED_GROUP, "political_group": ActorKind.POLITICAL_GROUP}


class VocabularyError(ConfigError):
    """A vocabulary file is missing or wrong; the message names the file and the setting."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(SETTING, f"{path}: {problem} (set {SETTING} to a directory that has it)")
        self.path = path


@dataclass(frozen=True, slots=True)
class Office:
    """A role a person holds, or held, for an actor."""

    affiliation: str
    role: str
    start: dt.date | None = None
    end: dt.date | None = None

    def held_on(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Form:
    """One way news text names an actor."""

    text: str
    actor: str
    #: name, alias, demonym, metonym or institution
    how: str
    #: Also an everyday word, a given name or a place elsewhere: needs context to count.
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class Channel:
    """A media outlet or news agency: the way a statement travelled, never its author."""

    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    state_owned: bool = False


@dataclass(frozen=True, slots=True)
class TopicEntry:
    topic: Topic
    label: str
    cues: tuple[str, ...]
    iptc_exact: bool = True


@dataclass(frozen=True)
class Vocabulary:
    """Every actor, the forms that name them, the channels and the topics."""

    actors: Mapping[str, Actor]
    forms: tuple[Form, ...]
    offices: Mapping[str, tuple[Office, ...]]
    channels: tuple[Channel, ...]
    topics: Mapping[str, TopicEntry]
    #: Country id by ISO 3166 code (alpha-2 and alpha-3, upper case).
    iso_codes: Mapping[str, str] = field(default_factory=dict)

    def actor(self, key: str) -> Actor:
        return self.actors[key]

    def affiliation(self, person: str, day: dt.date | None = None) -> Office | None:
        """The office a person speaks from: the one held on ``day``, else the newest."""
        offices = self.offices.get(person, ())
        if day is not None:
            for office in offices:
                if office.held_on(day):
                    return office
        return offices[0] if offices else None


def load_vocabulary(directory: str | Path | None = None) -> Vocabulary:
    """Load and check the vocabularies of ``directory`` (default: the bundled config/)."""
    root = Path(directory).expanduser() if directory else config_dir()
    actors: dict[str, Actor] = {}
    forms: list[Form] = []
    iso_codes: dict[str, str] = {}
    for entry in _entries(root / "actors" / "countries.toml", "country"):
        actor = _add(actors, entry, ActorKind.COUNTRY, root / "actors" / "countries.toml")
        forms.extend(_forms(actor.key, entry))
        iso_codes.update(
            {str(entry[code]).upper(): actor.key for code in ("iso2", "iso3") if entry.get(code)}
        )
    for entry in _entries(root / "actors" / "organisations.toml", "organisation"):
        actor = _add(actors, entry, ActorKind.ORGANISATION, root / "actors" / "organisations.toml")
        forms.extend(_forms(actor.key, entry))
    groups = root / "actors" / "groups.toml"
    for entry in _entries(groups, "group"):
        kind = _GROUP_KINDS.get(str(entry.get("kind", "")))
        if kind is None:
            raise VocabularyError(
                groups, f"group {entry.get('id')!r}: kind must be armed_group or political_group"
            )
        actor = _add(actors, entry, kind, groups)
        forms.extend(_forms(actor.key, entry))
    people = root / "actors" / "people.toml"
    offices: dict[str, tuple[Office, ...]] = {}
    for entry in _entries(people, "person"):
        held = tuple(_office(people, entry, office) for office in entry.get("offices", ()))
        if not held:
            raise VocabularyError(people, f"person {entry.get('id')!r} has no offices")
        actor = _add(
            actors,
            entry,
            ActorKind.PERSON,
            people,
            speaks_for=held[0].affiliation,
            role=held[0].role,
        )
        offices[actor.key] = held
        forms.extend(_forms(actor.key, entry))
    _check_references(people, actors, offices)
    channels = tuple(
        _channel(entry) for entry in _entries(root / "actors" / "channels.toml", "channel")
    )
    topics = _topics(root / "topics.toml")
    return Vocabulary(actors, tuple(forms), offices, channels, topics, iso_codes)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError as error:
        raise VocabularyError(path, "missing") from error
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise VocabularyError(path, f"not readable TOML ({error})") from error


def _entries(path: Path, table: str) -> list[dict[str, Any]]:
    entries = _read(path).get(table)
    if not isinstance(entries, list) or not entries:
        raise VocabularyError(path, f"no [[{table}]] entries")
    for entry in entries:
        if not isinstance(entry.get("id", entry.get("name")), str):
            raise VocabularyError(path, f"an entry of [[{table}]] has no id")
    return entries


def _add(
    actors: dict[str, Actor],
    entry: Mapping[str, Any],
    kind: ActorKind,
    path: Path,
    *,
    speaks_for: str | None = None,
    role: str | None = None,
) -> Actor:
    key, name = entry.get("id"), entry.get("name")
    if not isinstance(key, str) or not isinstance(name, str) or not key or not name:
        raise VocabularyError(path, f"entry {key!r} needs an id and a name")
    if key in actors:
        raise VocabularyError(path, f"id {key!r} is used twice")
    aliases = tuple(str(alias) for alias in entry.get("aliases", ()))
    actor = Actor(key=key, name=name, kind=kind, speaks_for=speaks_for, role=role, aliases=aliases)
    actors[key] = actor
    return actor


def _forms(key: str, entry: Mapping[str, Any]) -> Iterable[Form]:
    ambiguous = set(entry.get("ambiguous", ()))
    named: list[tuple[str, str]] = [(str(entry["name"]), "name")]
    if entry.get("official"):
        named.append((str(entry["official"]), "name"))
    for how, list_key in (
        ("alias", "aliases"),
        ("demonym", "demonyms"),
        ("metonym", "metonyms"),
        ("institution", "institutions"),
    ):
        named.extend((str(text), how) for text in entry.get(list_key, ()))
    seen = set()
    for written, how in named:
        text = written.strip()
        if text and text not in seen:
            seen.add(text)
            yield Form(text, key, how, text in ambiguous)


def _date(path: Path, value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if len(text) == len("YYYY-MM"):  # month precision: the first of the month
        text += "-01"
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise VocabularyError(path, f"not a date: {text!r}") from error


def _office(path: Path, entry: Mapping[str, Any], office: Mapping[str, Any]) -> Office:
    affiliation, role = office.get("affiliation"), office.get("role")
    if not isinstance(affiliation, str) or not isinstance(role, str):
        raise VocabularyError(
            path, f"person {entry.get('id')!r}: an office needs an affiliation and a role"
        )
    return Office(affiliation, role, _date(path, office.get("from")), _date(path, office.get("to")))


def _check_references(
    path: Path, actors: Mapping[str, Actor], offices: Mapping[str, tuple[Office, ...]]
) -> None:
    for person, held in offices.items():
        for office in held:
            if office.affiliation not in actors:
                raise VocabularyError(
                    path, f"person {person!r}: unknown affiliation {office.affiliation!r}"
                )


def _channel(entry: Mapping[str, Any]) -> Channel:
    return Channel(
        name=str(entry["name"]),
        aliases=tuple(str(alias) for alias in entry.get("aliases", ())),
        country=entry.get("country") or None,
        state_owned=bool(entry.get("state_owned", False)),
    )


def _topics(path: Path) -> dict[str, TopicEntry]:
    topics: dict[str, TopicEntry] = {}
    for entry in _entries(path, "topic"):
        key = str(entry["id"])
        if key in topics:
            raise VocabularyError(path, f"topic {key!r} is defined twice")
        label = str(entry.get("label") or key)
        topic = Topic(
            key=key,
            name=label,
            iptc_code=entry.get("iptc") or None,
            parent=entry.get("parent") or None,
        )
        cues = tuple(str(cue).lower() for cue in entry.get("cues", ()))
        topics[key] = TopicEntry(topic, label, cues, bool(entry.get("iptc_exact", True)))
    for loaded in topics.values():
        parent = loaded.topic.parent
        if parent is not None and parent not in topics:
            raise VocabularyError(path, f"topic {loaded.topic.key!r}: unknown parent {parent!r}")
    return topics
