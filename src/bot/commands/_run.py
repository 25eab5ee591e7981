"""Running a command for any platform: who may, what was typed, the handler, and every failure
turned into a short private reply (tracebacks go to the log only). Autocomplete choices too."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bot.commands._model import Access, Args, Caller, Command, CommandError, Kind, Reply, Suggest
from bot.commands._parse import all_timezones
from bot.metrics import COMMAND_SECONDS
from bot.views import ErrorView, error_view
from digests.compose import EmptyQueryError, UnknownActorError, UnknownFeedError, UnknownTopicError
from digests.errors import (
    FeedError,
    FeedExistsError,
    FeedNotFoundError,
    SubscriptionNotFoundError,
    WatchNotFoundError,
)
from digests.service import Service

log = logging.getLogger(__name__)

#: Discord's limit on autocomplete choices; a sensible one anywhere.
MAX_CHOICES = 25
#: Longest argument taken; more is refused rather than stored or searched.
MAX_ARGUMENT = 1000
_TYPES: dict[Kind, type] = {Kind.TEXT: str, Kind.BOOLEAN: bool}
_CHAT_HINTS = {
    UnknownActorError: "/actors NAME finds actors by name",
    UnknownTopicError: "/topics lists the topics",
    UnknownFeedError: "/feeds list shows the feeds",
}


#: What the user can put right: anything else (a database error, a bug) is logged and answered
#: with a short apology, never with its message, which may hold details not meant for chat.
_USER_ERRORS = (
    UnknownActorError,
    UnknownTopicError,
    UnknownFeedError,
    EmptyQueryError,
    SubscriptionNotFoundError,
    WatchNotFoundError,
    FeedError,
)


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete choice: what the menu shows, and the value it puts in."""

    name: str
    value: str


async def run_command(
    service: Service, command: Command, caller: Caller, args: Mapping[str, object]
) -> Reply:
    """The command's reply; a refusal, bad input or a failure is a private :class:`ErrorView`.

    A synchronous handler runs in a thread (the store's calls block), so a slow lookup never
    stalls a platform's connection.
    """
    started = time.perf_counter()
    outcome = "answered"
    try:
        _check_access(command, caller, args)
        return await _call(command, service, caller, _check_args(command, args))
    except CommandError as error:
        outcome = "refused"
        return Reply((error.view,))
    except _USER_ERRORS as error:
        outcome = "refused"
        return Reply((_explain(error),))
    except Exception:
        outcome = "failed"
        log.exception("/%s failed for %s in %s", command.name, caller.user_id, caller.channel)
        return Reply((_failure(command),))
    finally:
        elapsed = time.perf_counter() - started
        COMMAND_SECONDS.labels(command=command.name, outcome=outcome).observe(elapsed)


async def _call(command: Command, service: Service, caller: Caller, args: Args) -> Reply:
    if not inspect.iscoroutinefunction(command.handler):
        return await asyncio.to_thread(_call_sync, command, service, caller, args)
    reply: Reply = await command.handler(service, caller, args)
    return reply


def _call_sync(command: Command, service: Service, caller: Caller, args: Args) -> Reply:
    outcome = command.handler(service, caller, args)
    assert isinstance(outcome, Reply)
    return outcome


def _check_access(command: Command, caller: Caller, args: Mapping[str, object]) -> None:
    needs = command.needs(args)
    if Access.MANAGE in needs and not caller.can_manage:
        given = [p.name for p in command.params if p.access is Access.MANAGE and args.get(p.name)]
        what = f"/{command.name} {given[0]}" if given else f"/{command.name}"
        raise CommandError(
            ErrorView(
                message=f"{what} needs the right to manage this channel",
                hint="ask someone who may manage the channel to run it",
            )
        )
    if Access.OPERATE in needs and not caller.is_operator:
        raise CommandError(
            ErrorView(
                message=f"/{command.name} is for the bot's operators: it changes the news of "
                "every server the bot is in",
                hint="ask whoever runs this newsdigest to add or remove the feed",
            )
        )


def _check_args(command: Command, args: Mapping[str, object]) -> Args:
    checked: dict[str, str | int | bool] = {}
    for param in command.params:
        value = args.get(param.name)
        if value is None or value == "":
            if param.required:
                raise CommandError(
                    ErrorView(message=f"{param.name}: give a value", hint=command.usage())
                )
            continue
        if not isinstance(value, _TYPES[param.kind]):
            raise CommandError(ErrorView(message=f"{param.name}: expected {param.kind}"))
        if isinstance(value, str) and len(value) > MAX_ARGUMENT:
            raise CommandError(
                ErrorView(message=f"{param.name}: at most {MAX_ARGUMENT} characters")
            )
        checked[param.name] = value  # type: ignore[assignment]  # checked just above
    return checked


def _explain(error: Exception) -> ErrorView:  # noqa: PLR0911 - one answer per kind of error
    if isinstance(error, UnknownActorError | UnknownTopicError | UnknownFeedError):
        view = error_view(error)
        return ErrorView(
            message=view.message, suggestions=view.suggestions, hint=_CHAT_HINTS[type(error)]
        )
    if isinstance(error, SubscriptionNotFoundError):
        return ErrorView(message="this channel has no digest subscription", hint="/subscribe")
    if isinstance(error, WatchNotFoundError):
        return ErrorView(
            message="that is not watched in this channel", hint="/subscriptions lists the watches"
        )
    if isinstance(error, FeedNotFoundError):
        return ErrorView(message=f"no feed {error.key!s}", hint="/feeds list shows the feeds")
    if isinstance(error, FeedExistsError):
        return ErrorView(message=f"{error.key!s} is a feed already")
    if isinstance(error, FeedError):
        return ErrorView(message=f"cannot add {error.key!s}: {error.message}")
    return ErrorView(message=str(error))  # EmptyQueryError: says what to give


def failure_view(name: str) -> ErrorView:
    """What a user is told when answering them failed (the log has the rest)."""
    return ErrorView(
        message=f"something went wrong while answering /{name}",
        hint="it has been logged; try again in a minute",
    )


def _failure(command: Command) -> ErrorView:
    return failure_view(command.name)


def suggest(service: Service, source: Suggest, typed: str) -> list[Choice]:
    """Up to 25 choices for what has been typed so far (the handler checks the final value)."""
    text = typed.strip()
    if source is Suggest.ACTOR:
        actors = service.actors(text or None, MAX_CHOICES)
        return [Choice(actor.name, actor.key) for actor in actors]
    if source is Suggest.TOPIC:
        folded = text.casefold()
        return [
            Choice(entry.label, entry.topic.key)
            for entry in service.topics()
            if folded in entry.label.casefold() or folded in entry.topic.key
        ][:MAX_CHOICES]
    if source is Suggest.FEED:
        folded = text.casefold()
        return [
            Choice((feed.title or feed.url)[:100], str(feed.id))
            for feed in service.list_feeds()
            if folded in (feed.title or "").casefold() or folded in feed.url.casefold()
        ][:MAX_CHOICES]
    folded = text.casefold().replace(" ", "_")
    return [Choice(name, name) for name in all_timezones() if folded in name.casefold()][
        :MAX_CHOICES
    ]
