"""Text preparation: an article's text as clean paragraphs, with the headline set apart.

News text as feeds and pages give it carries bylines, "Read more" lines, photo credits, and
headlines repeated at the top or run into the first sentence. A headline that reaches the
parser inside a sentence turns "Russian Official Demands Ukraine's Neutrality" into a person
who demands; so headline-like lines are taken out of the body before anything else reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Every quantifier over outside text is possessive (``*+``, ``++``) or bounded, and no two
#: unbounded runs can share characters: a line of any length is matched in linear time (a
#: backtracking expression took seconds on a crafted line). A name in a byline is any word but
#: "and"; "and" and "," separate names.
_NAME = r"(?!and\b)[A-Z][\w'.-]++"
_BOILERPLATE = re.compile(
    rf"""^(?:
        by\s++{_NAME}(?:\s++{_NAME}){{0,3}}+
          (?:\s*+(?:,|and\b)\s++{_NAME}(?:\s++{_NAME}){{0,3}}+)*+\s*+
      | \(?(?:reporting|writing|editing|additional\ reporting|compiled)\ by\b.*+
      | (?:read|see)\ (?:more|also)\b.*+
      | related(?:\ (?:articles?|stories|coverage))?:.*+
      | (?:advertisement|sponsored|skip\ advertisement)\s*+
      | (?:file\ )?(?:photo|image|picture|video)(?:\ credit)?:.*+
      | (?:sign\ up|subscribe|follow\ us|share\ (?:this|on)|click\ here)\b.*+
      | (?:copyright|©|all\ rights\ reserved)\b.*+
      | (?:updated|published|last\ updated):?\s++\d.*+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_CREDIT_OPENER = r"\((?:photo|image|picture)\ (?:by|:)"
#: A line that ends with a photo credit: "... (Photo by A. Name)". The credit's text runs to
#: the first ")"; it stops at the next "(photo by" too, which is tried in its turn and ends at
#: the same ")", so no character is read twice.
_CREDIT_AT_END = re.compile(
    rf"{_CREDIT_OPENER}(?:[^()]|\((?!(?:photo|image|picture)\ (?:by|:)))*+\)\s*+$",
    re.IGNORECASE | re.VERBOSE,
)
#: A line that ends, within 40 characters, after an agency's credit.
_AGENCY_AT_END = re.compile(
    r"""\b(?:getty\ images|afp\ via\ getty|reuters/[A-Z](?:\ *+\w++)++|ap\ photo)\b.{0,40}+$""",
    re.IGNORECASE | re.VERBOSE,
)
_TERMINAL = (".", "!", "?", '"', "'", "\u201d", "\u2019", ":", ")")
#: Headlines run to some twenty words; a longer first line ending in a full stop is the lead.
_LONGEST_HEADLINE = 20
_SHORTEST_HEADLINE = 3
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "under",
        "up",
        "with",
        "vs",
        "via",
    ]
)
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'\u2019-]{2,40}"  # MOSCOW
    r"(?:,\s{0,3}[A-Z][a-z]{2,9}\.?\s{1,3}\d{1,2})?"  # , Nov 28
    r"\s{0,3}(?:\([A-Za-z ]{1,40}\))?"  # (Reuters)
    r"\s{0,3}[-\u2013\u2014]{1,3}\s++"  # -
)
#: No word is longer: a longer run without spaces is dropped before the parser reads the text
#: (spaCy's tokenizer strips affixes one at a time, in time quadratic in a word's length).
MAX_WORD_CHARS = 200
_OVERLONG_WORD = re.compile(rf"(?<!\S)\S{{{MAX_WORD_CHARS + 1},}}+")
_NOT_WORD = re.compile(r"[^\w\s]")
_LINE_BREAKS = re.compile(r"\n+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Prepared:
    """An article ready for analysis."""

    title: str
    #: Body paragraphs: no headline lines, no boilerplate.
    paragraphs: tuple[str, ...]
    #: Headline-like lines found in the text (the title repeated, a standfirst in title case).
    headlines: tuple[str, ...] = ()


def _norm(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def looks_like_headline(line: str) -> bool:
    """A short line in title case without closing punctuation: a headline, not a sentence."""
    words = line.split()
    if not _SHORTEST_HEADLINE <= len(words) <= _LONGEST_HEADLINE:
        return False
    if line.rstrip().endswith(_TERMINAL):
        return False
    content = [w for w in words if w.lower().strip("'\u2019") not in _SMALL_WORDS]
    capitalised = sum(1 for w in content if w[:1].isupper() or w[:1].isdigit())
    return bool(content) and capitalised >= 0.8 * len(content)


def is_boilerplate(line: str) -> bool:
    line = line.strip()
    return bool(
        _BOILERPLATE.match(line) or _CREDIT_AT_END.search(line) or _AGENCY_AT_END.search(line)
    )


def strip_dateline(sentence: str) -> str:
    """ "MOSCOW, Nov 28 (Reuters) - Russia said ..." -> "Russia said ..."."""
    return _DATELINE.sub("", sentence, count=1)


def cut_text(text: str, limit: int) -> str:
    """``text``, or its first ``limit`` characters cut at the last paragraph break before them
    (at the last space if no break is in the second half; hard at ``limit`` if none is)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for separator in ("\n", " "):
        at = head.rfind(separator)
        if at > limit // 2:
            return head[:at]
    return head


def drop_overlong_words(text: str) -> str:
    """``text`` without its runs of more than ``MAX_WORD_CHARS`` characters without a space."""
    return _OVERLONG_WORD.sub("", text)


def prepare(title: str, text: str) -> Prepared:
    """Clean paragraphs of ``text``; ``title`` (may be empty) is the article's headline."""
    title = " ".join(title.split())
    wanted = _norm(title)
    paragraphs: list[str] = []
    headlines: list[str] = []
    for raw in _LINE_BREAKS.split(text.replace("\r", "\n")):
        line = " ".join(raw.split())
        if not line or is_boilerplate(line):
            continue
        if wanted and _norm(line) == wanted:
            headlines.append(line)
            continue
        if wanted and _norm(line).startswith(wanted + " "):
            headlines.append(line[: _prefix_length(line, title)])
            line = line[_prefix_length(line, title) :].lstrip(" :-\u2013\u2014")
        elif looks_like_headline(line):
            headlines.append(line)
            continue
        if line:
            paragraphs.append(line)
    if headlines and _reads_like_a_sentence(title):
        # The "title" was the lead (a plain-text file's first line); the headline is in the text.
        return Prepared(headlines[0], (title, *paragraphs), tuple(headlines))
    fallback = headlines[0] if headlines else ""
    return Prepared(title or fallback, tuple(paragraphs), tuple(headlines))


def _reads_like_a_sentence(line: str) -> bool:
    return line.rstrip().endswith((".", "!", "?")) and len(line.split()) > _LONGEST_HEADLINE


def _prefix_length(line: str, title: str) -> int:
    """How many characters of ``line`` the title takes up, punctuation and case aside."""
    wanted = _norm(title).split()
    taken = 0
    for match in _WORD.finditer(line):
        taken += len(_norm(match.group()).split())
        if taken >= len(wanted):
            return match.end()
    return len(line)
