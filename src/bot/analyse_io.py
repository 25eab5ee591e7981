"""`newsdigest analyse`: reading its inputs and writing the contract other tools rely on.

Inputs: a plain-text file (the first non-empty line is the title), an HTML page, or a JSON
object with "title" and "text"; "-" is standard input. Output with --json: one JSON object per
input, one per line, in the schema of docs/analysis.md. The schema changes only on purpose.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from bot.terminal import terminal_line

if TYPE_CHECKING:
    from digests.analysis import Analysis

_KINDS = {
    "country": "country",
    "organisation": "organisation",
    "armed_group": "group",
    "political_group": "group",
    "person": "person",
}


class InputError(Exception):
    """An input that cannot be analysed; the message says why in a few words."""


@dataclass(frozen=True, slots=True)
class Article:
    source: str
    title: str
    text: str


def read_input(name: str) -> Article:
    """One input, by path or "-" for standard input."""
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError("not UTF-8 text") from error
    if not text.strip():
        raise InputError("empty")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _from_json(name, stripped)
    if (
        stripped[:200].lower().startswith(("<!doctype html", "<html"))
        or "<body" in stripped[:2000].lower()
    ):
        return _from_html(name, text)
    return _from_plain(name, text)


def _from_json(name: str, text: str) -> Article:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON ({error.msg} at line {error.lineno})") from error
    if not isinstance(document, dict) or not isinstance(document.get("text"), str):
        raise InputError('a JSON input needs an object with "title" and "text"')
    if not document["text"].strip():
        raise InputError("empty text")
    return Article(name, str(document.get("title") or ""), document["text"])


def _from_html(name: str, text: str) -> Article:
    import trafilatura  # noqa: PLC0415 - only HTML inputs need it

    extracted = trafilatura.bare_extraction(text, with_metadata=True, deduplicate=False)
    body = getattr(extracted, "text", None) if extracted is not None else None
    if not body:
        raise InputError("no article text found in the HTML")
    return Article(name, getattr(extracted, "title", None) or "", body)


def _from_plain(name: str, text: str) -> Article:
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip())
    return Article(name, lines[first].strip(), "\n".join(lines[first + 1 :]))


def as_json(source: str, analysis: Analysis) -> dict[str, Any]:
    """The `analyse --json` object for one input."""
    return {
        "source": source,
        "title": analysis.title,
        "summary": list(analysis.summary),
        "actors": [
            {
                "id": found.actor.key,
                "name": found.actor.name,
                "kind": _KINDS[found.actor.kind.value],
                "affiliation": found.affiliation,
                "role": found.role,
            }
            for found in analysis.actors
        ],
        "topics": [
            {"id": topic.key, "label": topic.label, "iptc": topic.iptc, "score": topic.score}
            for topic in analysis.topics
        ],
        "positions": [
            {
                "actor": position.actor,
                "actor_name": position.actor_name,
                "speaker": position.speaker,
                "stance": position.stance.value,
                "topic": position.topic,
                "target": position.target,
                "claim": position.claim,
                "evidence": position.evidence,
                "via": position.via,
                "confidence": position.confidence,
            }
            for position in analysis.positions
        ],
    }


def print_analysis(out: Console, source: str, analysis: Analysis) -> None:
    """The same, for a person to read. The article's words go in as ``Text`` parts with their
    control characters gone, never into markup: a title may hold ``[/]`` or escape sequences."""
    safe = terminal_line
    out.print(
        Text.assemble((safe(analysis.title or "(no title)"), "bold"), "  ", (safe(source), "dim"))
    )
    for sentence in analysis.summary:
        out.print(Text(f"  {safe(sentence)}"))
    actors = ", ".join(found.actor.name for found in analysis.actors) or "none"
    topics = ", ".join(f"{t.label} ({t.score:.2f})" for t in analysis.topics) or "none"
    out.print(Text.assemble("  ", ("Actors:", "bold"), f" {safe(actors)}"))
    out.print(Text.assemble("  ", ("Topics:", "bold"), f" {safe(topics)}"))
    if not analysis.positions:
        out.print(Text.assemble("  ", ("Positions:", "bold"), " none"))
    for position in analysis.positions:
        who = position.actor_name + (f" ({position.speaker})" if position.speaker else "")
        about = f" on {safe(position.topic)}" if position.topic else ""
        target = f", aimed at {safe(position.target)}" if position.target else ""
        via = f", via {safe(position.via)}" if position.via else ""
        out.print(
            Text.assemble(
                f"  - {safe(who)} ",
                (position.stance.value, "bold"),
                f"{about}{target}{via}: {safe(position.claim)}",
            )
        )
    out.print()
