"""No regular expression takes super-linear time on text from outside.

Every pattern of the code (each module-level compiled pattern of ``digests`` and ``bot``, and each
pattern written inline in a call such as ``re.sub(r"...", ...)``) must be listed in the tables
below with the way the code applies it; the test fails on one that is not, so a new pattern gets
checked too. Each listed pattern is applied directly (not through any length cap of the code)
to inputs of about 1 MB made to make a backtracking pattern slow: a generic set (runs of
spaces, letters, digits, brackets, "(photo by x" repeated...) and the runs of each alternative's
start crafted for that pattern. A linear pattern needs milliseconds; a quadratic one takes
hours, so the generous bound (SIGALRM, which interrupts the regular expression engine) is a
correctness guard, not a speed goal.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType

import pytest

import bot
import digests

SIZE = 1_000_000
#: Seconds a pattern may take on one input (it needs milliseconds).
BOUND = 10

SRC = Path(digests.__file__).resolve().parent.parent
_RE_CALLS = frozenset(["compile", "sub", "subn", "match", "fullmatch", "search", "split",
                       "finditer", "findall"])  # fmt: skip

#: Units repeated to SIZE characters and tried on every pattern.
GENERIC = (
    " ", "a", "a ", "A", "Ab ", "1", "1 ", "-", "(", ")", "<", ">", "[", "\\", "&", "&a", ".", ". ",
    "\n", '"', "(photo by x", "by ", "and ", "Ab and ", "Ab, ", "reuters/a ", "getty images ",
    "<a", "<a|", "a:", "a=", "12:", "1 m", "\u201c", "x\\",
)  # fmt: skip
#: What a unit is put after, to reach the part of a pattern past its first element.
PREFIXES = ("", "x", "by ", "MOSCOW", "Ab ", "1", "a://", "(photo by ", "\u201c")

#: (module, name) of a module-level pattern -> how the code applies it, units crafted for it.
MODULE_PATTERNS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("digests.analysis._prepare", "_BOILERPLATE"): (
        "match",
        (
            "Ab Cd ",
            "Ab and ",
            "Ab, Cd and ",
            "Ferdinand ",
            "(reporting by ",
            "read more ",
            "updated 1",
            "advertisement ",
        ),
    ),
    ("digests.analysis._prepare", "_CREDIT_AT_END"): (
        "search",
        ("(photo by x", "(photo by x(", "(image: (", "(picture by x) "),
    ),
    ("digests.analysis._prepare", "_AGENCY_AT_END"): (
        "search",
        ("reuters/Ab ", "reuters/a", "getty images", "ap photo ", "afp via getty "),
    ),
    ("digests.analysis._prepare", "_DATELINE"): ("sub", (" ", "AB ", "A -", "A, Nov ", "A (Ab ")),
    ("digests.analysis._prepare", "_NOT_WORD"): ("sub", ()),
    ("digests.analysis._prepare", "_OVERLONG_WORD"): ("sub", ("a" * 150 + " ", "a" * 250 + " ")),
    ("digests.analysis._prepare", "_LINE_BREAKS"): ("split", ("\n\n",)),
    ("digests.analysis._prepare", "_WORD"): ("finditer", ()),
    ("digests.analysis._pipeline", "_QUOTE_ONLY"): ("match", ('"a', '"\n')),
    ("digests.analysis.evaluate", "_SENTENCE_END"): ("split", (". ", '." ', "! a")),
    ("digests.compose._positions", "_NOT_WORD"): ("sub", ()),
    ("digests.compose._stories", "_WORD"): ("findall", ()),
    ("digests.fetch._fastrss", "_W3CDTF"): ("fullmatch", ("2024-01-01T00:00:00.1",)),
    ("digests.fetch._fastrss", "_RFC822"): ("fullmatch", ("Mon, 1 Jan 2024 ",)),
    ("digests.fetch._fastrss", "_LINK_ENTITY"): ("sub", ("&ab", "&ab&")),
    ("digests.fetch._fastrss", "_EXTRA_SLASHES"): ("sub", ("a+", "/", "://")),
    ("digests.fetch._text", "_TAG"): ("sub", ("<", "<a", "<a <b")),
    ("digests.store._search", "_WORD"): ("findall", ()),
    ("bot.commands._parse", "_TIME"): ("fullmatch", ("1 ", "12:00 ")),
    ("bot.discord.render", "_ANGLE_OPENER"): ("sub", ()),
    ("bot.discord.render", "_BARE_BRACKET"): ("sub", ("\\\\", "\\\\[")),
    ("bot.discord.render", "_ORDERED_LIST"): ("sub", ("1",)),
    ("bot.durations", "_DURATION"): ("fullmatch", ("1 ", "123456 ")),
    ("bot.slack._text", "_NAMED"): ("fullmatch", ("ab", "ab:")),
    ("bot.slack._text", "_LINK"): ("sub", ("<a", "<a|b", "<a|")),
    ("bot.slack.render", "_CHANNEL_ID"): ("fullmatch", ("C1",)),
    ("bot.views.render_console", "_MARKDOWN_SPECIALS"): ("sub", ()),
    ("bot.terminal", "_SEQUENCES"): ("sub", ("\x1b[", "\x1b[0", "\x1b]8;;a", "\x9b1", "\x9d")),
    ("bot.terminal", "_CONTROLS"): ("sub", ("\x1b", "\x9f")),
    ("bot.terminal", "_JSON_RAW"): ("sub", ("\x9f",)),
    ("bot.logs", "_PATTERNS[0]"): ("sub", ("xoxb-", "xoxe.xoxp-a", "xapp-1")),
    ("bot.logs", "_PATTERNS[1]"): ("sub", ("a" * 30 + ".", "a" * 30 + ".abcd.", "a-", "a.")),
    ("bot.logs", "_PATTERNS[2]"): ("sub", ("Bot ", "Bearer " + "a" * 15 + " ", "Basic  ")),
    ("bot.logs", "_PATTERNS[3]"): ("sub", ("?code=", "&state=a", "?token=" + "a" * 100)),
    ("bot.logs", "_PATTERNS[4]"): ("sub", ('"code": "', "'token':'a", '"state":"')),
    ("bot.logs", "_PATTERNS[5]"): ("sub", ("://a:", "://a:b", "://" + "a" * 190 + ":b")),
}

#: Patterns written inline in a call (module, pattern) -> how the code applies it, units.
INLINE_PATTERNS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("digests.compose._resolve", r"[.'\u2019`]"): ("sub", ()),
    ("digests.compose._resolve", r"[^\w]+"): ("sub", ()),
    ("digests.compose._resolve", r"^the "): ("sub", ("the ",)),
    ("digests.analysis.evaluate", r"[^\w\s]"): ("sub", ()),
    ("bot.commands._parse", r"[,\s]+"): ("split", (", ",)),
}


def _phrase_pattern() -> re.Pattern[str]:
    from digests.compose._digest import _phrase

    return _phrase("ab cd ab")


#: Patterns built at run time (module, function) -> an example of what it builds, units.
BUILT_PATTERNS: dict[
    tuple[str, str], tuple[Callable[[], re.Pattern[str]], str, tuple[str, ...]]
] = {
    ("digests.compose._digest", "_phrase"): (_phrase_pattern, "search", ("ab ", "ab cd ")),
}


def _modules() -> Iterator[ModuleType]:
    for package in (digests, bot):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith("__main__") or ".migrations" in info.name:
                continue
            yield importlib.import_module(info.name)


def _patterns_in(name: str, value: object) -> Iterator[tuple[str, re.Pattern[str]]]:
    """A module-level pattern, or the patterns of a module-level tuple (of (pattern, ...)
    pairs too), named ``name`` or ``name[i]``."""
    if isinstance(value, re.Pattern):
        yield name, value
    elif isinstance(value, tuple) and not name.startswith("__"):
        for index, item in enumerate(value):
            inner = item[0] if isinstance(item, tuple) and item else item
            if isinstance(inner, re.Pattern):
                yield f"{name}[{index}]", inner


def _module_patterns() -> dict[tuple[str, str], re.Pattern[str]]:
    found = {}
    for module in _modules():
        for name, value in vars(module).items():
            for key, pattern in _patterns_in(name, value):
                found[(module.__name__, key)] = pattern
    return found


class _Calls(ast.NodeVisitor):
    """Calls of ``re.<function>`` inside functions: inline patterns, or patterns built there."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.function: str | None = None
        self.inline: set[tuple[str, str]] = set()
        self.built: set[tuple[str, str]] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            self.function is not None
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "re"
            and func.attr in _RE_CALLS
        ):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.inline.add((self.module, first.value))
            else:
                self.built.add((self.module, self.function))
        self.generic_visit(node)


def _source_calls() -> _Calls:
    every = _Calls("")
    for path in sorted(SRC.glob("*/**/*.py")):
        relative = path.relative_to(SRC).with_suffix("")
        if "migrations" in relative.parts:
            continue
        module = ".".join(relative.parts)
        calls = _Calls(module)
        calls.visit(ast.parse(path.read_text(), str(path)))
        every.inline |= calls.inline
        every.built |= calls.built
    return every


def _inputs(units: tuple[str, ...]) -> Iterator[str]:
    """Each generic unit repeated; each crafted one too, also after each prefix."""
    for unit in (*GENERIC, *units):
        yield unit * (SIZE // len(unit))
    for unit in units:
        for prefix in PREFIXES[1:]:
            yield prefix + unit * (SIZE // len(unit))


def _apply(pattern: re.Pattern[str], how: str, text: str) -> None:
    if how == "match":
        pattern.match(text)
    elif how == "fullmatch":
        pattern.fullmatch(text)
    elif how == "search":
        pattern.search(text)
    elif how == "split":
        pattern.split(text)
    else:  # sub, finditer, findall: a scan over every position
        pattern.subn("", text)


class _TooSlowError(Exception):
    pass


def _too_slow(_signum: int, _frame: FrameType | None) -> None:
    raise _TooSlowError


def _check(pattern: re.Pattern[str], how: str, units: tuple[str, ...]) -> None:
    previous = signal.signal(signal.SIGALRM, _too_slow)
    try:
        for text in _inputs(units):
            signal.alarm(BOUND)
            try:
                _apply(pattern, how, text)
            except _TooSlowError:
                pytest.fail(
                    f"{pattern.pattern[:80]!r} ({how}) took over {BOUND} s on {text[:30]!r}"
                )
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_every_module_pattern_is_listed() -> None:
    found = set(_module_patterns())
    assert found - set(MODULE_PATTERNS) == set(), "new patterns: list them in MODULE_PATTERNS"
    assert set(MODULE_PATTERNS) - found == set(), "patterns listed that no longer exist"


def test_every_inline_pattern_is_listed() -> None:
    calls = _source_calls()
    assert calls.inline - set(INLINE_PATTERNS) == set(), "new inline patterns: list them"
    assert calls.built - set(BUILT_PATTERNS) == set(), "new patterns built at run time: list them"


@pytest.mark.parametrize("key", sorted(MODULE_PATTERNS), ids=".".join)
def test_module_pattern_is_linear_on_hostile_text(key: tuple[str, str]) -> None:
    pattern = _module_patterns()[key]
    how, units = MODULE_PATTERNS[key]
    _check(pattern, how, units)


@pytest.mark.parametrize("key", sorted(INLINE_PATTERNS), ids=lambda key: key[1])
def test_inline_pattern_is_linear_on_hostile_text(key: tuple[str, str]) -> None:
    how, units = INLINE_PATTERNS[key]
    _check(re.compile(key[1]), how, units)


@pytest.mark.parametrize("key", sorted(BUILT_PATTERNS), ids=".".join)
def test_built_pattern_is_linear_on_hostile_text(key: tuple[str, str]) -> None:
    build, how, units = BUILT_PATTERNS[key]
    _check(build(), how, units)
