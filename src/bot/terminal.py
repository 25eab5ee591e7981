"""Text from outside (feed titles, article text, error messages quoting them) made inert for a
terminal: nothing in it is read as Rich markup, and no control character reaches the terminal.

A feed's title is chosen by whoever runs the feed. Printed raw, an escape sequence in it can
clear the screen, retitle the window, plant a hyperlink (OSC 8) or hide text; Rich markup in it
(``[/]``) makes Rich raise. Every path of the command line that prints such text goes through
:class:`SafeConsole` (Rich) or :func:`terminal_text` (plain writes).
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.text import Text

# Whole escape sequences first, so that their parameters (a URL, "2J") do not stay behind as
# text: CSI (ESC [ ... final byte), and the string sequences OSC, DCS, SOS, PM, APC up to their
# terminator (BEL or ST) or the next ESC; then any other ESC and the one character after it.
# Each pattern starts with a fixed character and has one unbounded run of a class the next part
# cannot match, so matching is linear in the length of the text.
_SEQUENCES = re.compile(
    r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|[\x9b][\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b.?",
    re.DOTALL,
)
# What is left: C0 controls but tab and line feed, DEL, C1 controls, and the bidirectional
# embeddings, overrides and isolates (which can make text read in another order than stored).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """``text`` without escape sequences and control characters; tabs and line breaks stay."""
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


def terminal_line(text: str) -> str:
    """``text`` as one line for a terminal: :func:`terminal_text`, and every run of white
    space (line breaks too) one space, so a title cannot fake lines of its own."""
    return " ".join(terminal_text(text).split())


# JSON escapes C0 controls itself; these it writes as they are when not ensuring ASCII.
_JSON_RAW = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_json(document: str) -> str:
    """A JSON document with the controls JSON leaves raw (DEL, C1, bidi overrides) written as
    ``\\uXXXX`` escapes: the same data, and nothing a terminal acts on."""
    return _JSON_RAW.sub(lambda found: f"\\u{ord(found.group()):04x}", document)


def plain(text: str) -> Text:
    """A Rich ``Text`` of one line of outside text: never read as markup, controls gone."""
    return Text(terminal_line(text))


class SafeConsole(Console):
    """A Rich console that reads no markup (nor emoji codes) in any string it prints, a table
    cell included, and strips control characters from every one; our styles go in ``Text``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False)
        return super().render_str(terminal_text(text), **kwargs)
