"""The command model: what a command is, who called it, and what it answers.

A command is declared once (:class:`Command`: name, description, typed parameters with help,
who may run it, its handler) and every platform registers it from that declaration. Its handler
gets the service, the :class:`Caller` and the parsed :class:`Args`, and returns a
:class:`Reply` of platform-neutral views.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.views import ErrorView, View
from digests.model import Platform
from digests.service import Channel, Service


class Kind(enum.StrEnum):
    """A parameter's type, as every platform can ask for it."""

    TEXT = "text"
    BOOLEAN = "boolean"


class Suggest(enum.StrEnum):
    """Where a parameter's autocomplete choices come from."""

    ACTOR = "actor"
    TOPIC = "topic"
    FEED = "feed"
    TIMEZONE = "timezone"


class Access(enum.StrEnum):
    """Who may run a command."""

    ANYONE = "anyone"
    #: The platform's channel-management right (Discord: Manage Channels; Slack: see docs).
    MANAGE = "manage"
    #: The bot's operators only: what changes every server's news (the feeds).
    OPERATE = "operate"


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    name: str
    description: str
    kind: Kind = Kind.TEXT
    required: bool = False
    suggest: Suggest | None = None
    #: Who may give it (``all`` of /subscriptions: managers only).
    access: Access = Access.ANYONE
    #: Shown in usage messages: "7d", "07:30".
    example: str | None = None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who ran a command, and where."""

    channel: Channel
    user_id: str
    user_name: str
    #: The platform says this user may manage the channel.
    can_manage: bool
    #: How people see the channel ("#general"), for confirmations.
    channel_name: str | None = None
    #: One of the bot's operators (the ``operators`` setting; on Discord also the app's owner).
    is_operator: bool = False

    @property
    def platform(self) -> Platform:
        return self.channel.platform


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: views in reading order, and whether only the caller sees them."""

    views: tuple[View, ...]
    private: bool = True


class CommandError(Exception):
    """Bad input or a refusal: the view says what went wrong and what to do."""

    def __init__(self, view: ErrorView) -> None:
        super().__init__(view.message)
        self.view = view


Args = Mapping[str, str | int | bool]
Handler = Callable[[Service, Caller, Args], Reply | Awaitable[Reply]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One command, declared once for every platform.

    ``name`` may hold a space: "feeds add" is the subcommand "add" of "feeds" (Discord: a
    command group; Slack: the first word of the text of /feeds).
    """

    name: str
    description: str
    handler: Handler
    params: tuple[Param, ...] = ()
    access: Access = Access.ANYONE
    #: Its answer is for the channel (a subscription changed), not only for the caller.
    public: bool = False

    @property
    def group(self) -> str | None:
        return self.name.split()[0] if " " in self.name else None

    @property
    def leaf(self) -> str:
        return self.name.split()[-1]

    def usage(self) -> str:
        """ "/positions ACTOR [topic:ceasefire] [since:7d] [post]": how a person types it, on
        Slack as words, on Discord in the command's option fields of the same names."""
        parts = [f"/{self.name}"]
        for param in self.params:
            if param.required:
                parts.append(param.name.upper())
            elif param.kind is Kind.BOOLEAN:
                parts.append(f"[{param.name}]")
            else:
                parts.append(f"[{param.name}:{param.example or '…'}]")
        return " ".join(parts)

    def needs(self, args: Mapping[str, object]) -> set[Access]:
        """The rights running it with ``args`` takes: the command's, and those of the
        parameters given (a platform asks for them only when they are needed)."""
        given = {p.access for p in self.params if args.get(p.name) not in (None, "", False)}
        return ({self.access} | given) - {Access.ANYONE}

    def param(self, name: str) -> Param:
        return next(param for param in self.params if param.name == name)
