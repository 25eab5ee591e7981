"""Every command, declared once. Discord and Slack register them from here."""

from __future__ import annotations

from bot.commands import _handlers as handle
from bot.commands._model import Access, Args, Caller, Command, Kind, Param, Reply, Suggest
from bot.views import ListItemView, ListView
from digests.service import Service

_POST = Param(
    name="post",
    description="Post the answer in the channel for everyone (default: only you see it)",
    kind=Kind.BOOLEAN,
)


def _since(default: str) -> Param:
    return Param(
        name="since",
        description=f"How far back: 90m, 24h, 7d or 2w (default {default})",
        example=default,
    )


def _actor(description: str) -> Param:
    return Param(
        name="actor",
        description=description,
        required=True,
        suggest=Suggest.ACTOR,
        example="russia",
    )


_TOPIC = Param(
    name="topic",
    description="Only this topic, such as ceasefire or sanctions (/topics lists them)",
    suggest=Suggest.TOPIC,
    example="ceasefire",
)


def help_command(service: Service, caller: Caller, args: Args) -> Reply:
    items = tuple(
        ListItemView(title=command.usage(), detail=command.description + _needs(command))
        for command in COMMANDS
    )
    return Reply((ListView(title="newsdigest commands", items=items),))


_NEEDS = {
    Access.ANYONE: "",
    Access.MANAGE: " (needs the right to manage the channel)",
    Access.OPERATE: " (for the bot's operators)",
}


def _needs(command: Command) -> str:
    return _NEEDS[command.access]


COMMANDS: tuple[Command, ...] = (
    Command(
        name="positions",
        description="What an actor said lately, by topic, with sources, and what changed",
        handler=handle.positions,
        params=(
            _actor("A country, organisation, group or person: russia, US, zelensky"),
            _TOPIC,
            _since(handle.DEFAULT_POSITIONS_SINCE),
            _POST,
        ),
    ),
    Command(
        name="digest",
        description="This channel's digest now: its subscription's filters, or all the news",
        handler=handle.digest,
        params=(_POST,),
    ),
    Command(
        name="subscribe",
        description="Send this channel a morning digest; run again to change its settings",
        handler=handle.subscribe,
        access=Access.MANAGE,
        public=True,
        params=(
            Param(
                name="actors",
                description="Only news about these, comma-separated (all: no filter)",
                suggest=Suggest.ACTOR,
                example="russia,nato",
            ),
            Param(
                name="topics",
                description="Only these topics, comma-separated (all: no filter)",
                suggest=Suggest.TOPIC,
                example="ceasefire,sanctions",
            ),
            Param(
                name="feeds",
                description="Only these feeds: titles, hosts or ids (all: no filter)",
                suggest=Suggest.FEED,
            ),
            Param(
                name="keywords",
                description="Words a story must have; -word leaves stories out (replaces both)",
                example="grain,-football",
            ),
            Param(
                name="time",
                description="Local time of the digest, 24-hour clock (default 07:30)",
                example="07:30",
            ),
            Param(
                name="timezone",
                description="IANA timezone of that time (default UTC)",
                suggest=Suggest.TIMEZONE,
                example="Europe/Berlin",
            ),
            Param(
                name="days",
                description="weekdays (default), every day, weekends, or days: mon,wed,fri",
                example="weekdays",
            ),
        ),
    ),
    Command(
        name="unsubscribe",
        description="Stop this channel's morning digest",
        handler=handle.unsubscribe,
        access=Access.MANAGE,
        public=True,
    ),
    Command(
        name="subscriptions",
        description="This channel's digest and watches (all: every channel's, for managers)",
        handler=handle.subscriptions,
        params=(
            Param(
                name="all",
                description="Every channel's subscription in this server or workspace",
                kind=Kind.BOOLEAN,
                access=Access.MANAGE,
            ),
        ),
    ),
    Command(
        name="watch",
        description="Post here when an actor states something new or changes its stance",
        handler=handle.watch,
        access=Access.MANAGE,
        public=True,
        params=(_actor("The actor to watch: russia, nato, zelensky"), _TOPIC),
    ),
    Command(
        name="unwatch",
        description="Stop a watch of this channel",
        handler=handle.unwatch,
        access=Access.MANAGE,
        public=True,
        params=(_actor("The watched actor"), _TOPIC),
    ),
    Command(
        name="feeds add",
        description="Add a news feed (RSS, Atom or JSON Feed) to every digest (operators)",
        handler=handle.feeds_add,
        access=Access.OPERATE,
        public=True,
        params=(
            Param(
                name="url",
                description="The feed's address, http or https",
                required=True,
                example="https://news.example/world.xml",
            ),
        ),
    ),
    Command(
        name="feeds remove",
        description="Remove a feed and its articles from every digest (operators)",
        handler=handle.feeds_remove,
        access=Access.OPERATE,
        public=True,
        params=(
            Param(
                name="feed",
                description="The feed: its id, title or address",
                required=True,
                suggest=Suggest.FEED,
            ),
        ),
    ),
    Command(
        name="feeds list",
        description="The feeds newsdigest reads",
        handler=handle.feeds_list_command,
    ),
    Command(
        name="feeds status",
        description="Each feed's last success, last error and next poll",
        handler=handle.feeds_status,
    ),
    Command(
        name="actors",
        description="Actors newsdigest knows, or those named like a query",
        handler=handle.actors,
        params=(Param(name="query", description="A name, alias or ISO code", example="zel"),),
    ),
    Command(name="topics", description="The topics newsdigest tags", handler=handle.topics),
    Command(
        name="search",
        description="Stored articles and statements holding every word of a query",
        handler=handle.search,
        params=(
            Param(name="query", description="Words to look for", required=True),
            _since(handle.DEFAULT_SEARCH_SINCE),
            _POST,
        ),
    ),
    Command(name="help", description="What each command does", handler=help_command),
)


def find_command(name: str) -> Command | None:
    """The command called ``name`` ("feeds add"), if any."""
    wanted = " ".join(name.lower().split())
    return next((command for command in COMMANDS if command.name == wanted), None)
