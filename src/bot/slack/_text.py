"""Slack slash commands as typed: `/positions vladimir putin since:30d post`.

Slack hands a command its text as one string. The rules, the same for every command and shown
in every usage message:

- ``name:value`` (or ``name=value``) sets that parameter; quote a value with spaces
  (``days:"every day"``), or join a list with commas (``actors:russia,nato``);
- the name of a yes/no parameter alone, at the end, sets it (``/search grain post``; but
  ``/search washington post editorial`` searches for all three words);
- the remaining words, together, are the first parameter not set by name (``/positions
  vladimir putin``: the actor; ``/search grain deal``: the query).

A group command takes its subcommand as its first word: ``/feeds add URL``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from bot.commands import Command, CommandError, Kind
from bot.views import ErrorView

_NAMED = re.compile(r"(?P<name>[A-Za-z_]+)[:=](?P<value>.*)", re.DOTALL)
_LINK = re.compile(r"<(?P<target>[^<>|]+)(?:\|(?P<label>[^<>]*))?>")
#: Typographic quotes (phones type them) as the plain ones the parser knows.
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def split_group(commands: Sequence[Command], name: str, text: str) -> tuple[Command, str]:
    """The command a Slack slash command means, and the text left for its parameters.

    ``name`` is the slash command without its slash; for a group ("feeds") the first word of
    the text picks the subcommand.
    """
    direct = next((command for command in commands if command.name == name), None)
    if direct is not None:
        return direct, text
    members = [command for command in commands if command.group == name]
    if not members:
        raise CommandError(ErrorView(message=f"/{name} is not a newsdigest command",
                                     hint="/help lists them"))  # fmt: skip
    word, _, rest = text.strip().partition(" ")
    chosen = next((command for command in members if command.leaf == word.lower()), None)
    if chosen is None:
        leaves = ", ".join(command.leaf for command in members)
        raise CommandError(
            ErrorView(
                message=f"/{name} needs one of: {leaves}",
                hint="; ".join(command.usage() for command in members),
            )
        )
    return chosen, rest


def parse_text(command: Command, text: str) -> dict[str, str | bool]:
    """The parameters ``text`` gives ``command`` (checked by the command layer afterwards)."""
    values: dict[str, str | bool] = {}
    free: list[str] = []
    words = _words(unescape(text))
    while words and _is_flag(command, words[-1]):  # flags count at the end only
        values[words.pop().lower()] = True
    for word in words:
        named = _NAMED.fullmatch(word)
        name = named["name"].lower() if named else ""
        if named and name in _names(command):
            values[name] = _value(command, name, named["value"])
        elif named and not named["value"].startswith("/"):  # "https://...": a word
            raise _unknown(command, named["name"])
        else:
            free.append(word)
    if free:
        target = next((p for p in command.params if p.name not in values and p.kind is Kind.TEXT),
                      None)  # fmt: skip
        if target is None:
            raise CommandError(
                ErrorView(message=f"{' '.join(free)!r}: not understood", hint=command.usage())
            )
        values[target.name] = " ".join(free)
    return values


def unescape(text: str) -> str:
    """The text as the person typed it: Slack sends ``&``, ``<`` and ``>`` as entities, and a
    link or a channel it recognised as ``<https://x|label>`` or ``<#C123|general>``."""
    text = _LINK.sub(lambda found: found["target"] if found["target"][0] != "#"
                     else f"#{found['label'] or found['target'][1:]}", text)  # fmt: skip
    text = text.translate(_QUOTES)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote ("Cote d'Ivoire"): plain words then
        return text.split()


def _names(command: Command) -> set[str]:
    return {param.name for param in command.params}


def _is_flag(command: Command, word: str) -> bool:
    return any(p.name == word.lower() and p.kind is Kind.BOOLEAN for p in command.params)


def _value(command: Command, name: str, raw: str) -> str | bool:
    if command.param(name).kind is not Kind.BOOLEAN:
        return raw
    answer = raw.strip().lower()
    if answer in ("", "yes", "true", "on", "1"):
        return True
    if answer in ("no", "false", "off", "0"):
        return False
    raise CommandError(ErrorView(message=f"{name}: give yes or no", hint=command.usage()))


def _unknown(command: Command, name: str) -> CommandError:
    known = ", ".join(param.name for param in command.params) or "nothing"
    return CommandError(
        ErrorView(
            message=f"/{command.name} has no option {name!r} (it takes: {known})",
            hint=command.usage(),
        )
    )
