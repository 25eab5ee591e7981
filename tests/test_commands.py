"""The command layer, without any chat platform: declarations fit every platform, who may do
what, bad input refused with a short private message that loses nothing, handlers answering
with views, autocomplete choices, and failures kept out of chat.

Every test that stores something runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Mapping

import pytest

from bot.commands import (
    COMMANDS,
    MAX_CHOICES,
    Access,
    Caller,
    Command,
    Kind,
    Reply,
    Suggest,
    find_command,
    run_command,
    suggest,
)
from bot.views import ErrorView, ListView, NoticeView, PositionsView
from digests.model import Feed, Platform, Stance, utc_now
from digests.service import Channel, Service
from digests.settings import FetchSettings
from digests.store import Store
from tests.test_positions_lookup import Newsroom, said

CHANNEL = Channel(platform=Platform.DISCORD, workspace_id="g1", channel_id="c1")
#: Discord's rule for command and option names (lower case).
NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture
def service(store: Store) -> Service:
    return Service(store, fetch=FetchSettings())


def caller(*, manager: bool = False, operator: bool = False, channel: Channel = CHANNEL) -> Caller:
    return Caller(
        channel=channel,
        user_id="u-manager" if manager else "u-reader",
        user_name="Max" if manager else "Rita",
        can_manage=manager,
        channel_name="#general",
        is_operator=operator,
    )


async def run(
    service: Service, name: str, *, manager: bool = False, operator: bool = False, **args: object
) -> Reply:
    command = find_command(name)
    assert command is not None, name
    who = caller(manager=manager, operator=operator)
    return await run_command(service, command, who, args)


def only(reply: Reply) -> object:
    assert len(reply.views) == 1
    return reply.views[0]


def error_of(reply: Reply) -> ErrorView:
    view = only(reply)
    assert isinstance(view, ErrorView), view
    assert reply.private
    return view


# -- the declarations --------------------------------------------------------------------------


def test_every_command_is_declared_once_with_names_and_texts_every_platform_takes() -> None:
    names = [command.name for command in COMMANDS]
    assert len(names) == len(set(names))
    for command in COMMANDS:
        assert all(NAME.match(part) for part in command.name.split()), command.name
        assert 1 <= len(command.description) <= 100, command.name  # Discord's limit
        params = [param.name for param in command.params]
        assert len(params) == len(set(params)), command.name
        assert all(NAME.match(name) for name in params), command.name
        assert all(1 <= len(param.description) <= 100 for param in command.params)
        required = [param.required for param in command.params]
        assert required == sorted(required, reverse=True), f"{command.name}: required first"


def test_a_group_does_not_clash_with_a_command_of_the_same_name() -> None:
    groups = {command.group for command in COMMANDS if command.group}
    assert groups == {"feeds"}
    assert not groups & {command.name for command in COMMANDS}


def test_the_commands_the_product_promises_are_declared() -> None:
    promised = {
        "positions", "digest", "subscribe", "unsubscribe", "subscriptions", "feeds add",
        "feeds remove", "feeds list", "feeds status", "watch", "unwatch", "actors", "topics",
        "search", "help",
    }  # fmt: skip
    assert promised <= {command.name for command in COMMANDS}
    changing = {"subscribe", "unsubscribe", "watch", "unwatch"}
    assert {c.name for c in COMMANDS if c.access is Access.MANAGE} == changing
    every_server = {"feeds add", "feeds remove"}
    assert {c.name for c in COMMANDS if c.access is Access.OPERATE} == every_server


# -- lookups -----------------------------------------------------------------------------------


async def test_positions_answers_privately_unless_asked_to_post(service: Service) -> None:
    room = Newsroom(service.store)
    room.report(0, utc_now() - dt.timedelta(hours=2), said("russia", Stance.REJECT, "no monitors"))

    reply = await run(service, "positions", actor="rusia")
    posted = await run(service, "positions", actor="russia", post=True)

    view = only(reply)
    assert isinstance(view, PositionsView)
    assert reply.private
    assert (view.actor_id, view.approximate) == ("russia", True)
    assert [item.claim for section in view.sections for item in section.items] == ["no monitors"]
    assert not posted.private


async def test_an_unknown_actor_gets_suggestions_and_what_to_do(service: Service) -> None:
    problem = error_of(await run(service, "positions", actor="austrai"))
    assert "austrai" in problem.message
    assert {"Austria", "Australia"} <= set(problem.suggestions)
    assert problem.hint == "/actors NAME finds actors by name"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"actor": "russia", "since": "a week"}, "since: not a duration"),
        ({"actor": "russia", "topic": "weather"}, "no topic called 'weather'"),
        ({"actor": ""}, "actor: give a value"),
        ({"actor": "x" * 1001}, "actor: at most 1000 characters"),
        ({"actor": 5}, "actor: expected text"),
    ],
)
async def test_bad_lookup_input_is_one_short_line(
    service: Service, args: Mapping[str, object], expected: str
) -> None:
    problem = error_of(await run(service, "positions", **args))
    assert problem.message.startswith(expected)
    assert "\n" not in problem.message


async def test_search_refuses_an_empty_query_and_help_lists_every_command(
    service: Service,
) -> None:
    assert "at least one word" in error_of(await run(service, "search", query="  !! ")).message
    listing = only(await run(service, "help"))
    assert isinstance(listing, ListView)
    assert len(listing.items) == len(COMMANDS)


# -- subscriptions -----------------------------------------------------------------------------


async def test_a_member_who_may_not_manage_the_channel_cannot_subscribe(
    service: Service,
) -> None:
    problem = error_of(await run(service, "subscribe", actors="russia"))
    assert "manage" in problem.message
    assert service.find_subscription(CHANNEL) is None


async def test_subscribe_echoes_its_settings_and_an_edit_keeps_what_it_does_not_name(
    service: Service,
) -> None:
    first = await run(
        service, "subscribe", manager=True, actors="rusia, NATO", timezone="europe/berlin"
    )
    edited = await run(service, "subscribe", manager=True, time="6:45 pm", days="Monday, wed")

    created, changed = only(first), only(edited)
    assert isinstance(created, NoticeView)
    assert isinstance(changed, NoticeView)
    assert not first.private
    assert created.title == "Subscribed #general"
    assert changed.title == "Updated the digest of #general"
    fields = {field.name: field.value for field in changed.fields}
    assert fields["When"] == "18:45 Europe/Berlin, Mon, Wed"
    assert fields["Actors"] == "Russia, NATO"
    stored = service.find_subscription(CHANNEL)
    assert stored is not None
    assert stored.filters.actors == ("russia", "nato")
    assert (stored.local_time, stored.days) == (dt.time(18, 45), frozenset({0, 2}))
    next_at = next(field.when for field in changed.fields if field.name == "Next digest")
    assert next_at is not None
    assert next_at.astimezone(dt.UTC).hour == 17  # 18:45 in Berlin, winter time


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"time": "25:00"}, "time: '25:00' is not a time of day"),
        ({"timezone": "Europe/Berln"}, "timezone: 'Europe/Berln' is not an IANA timezone"),
        ({"days": "someday"}, "days: 'someday' is not a set of days"),
        ({"days": "monkey"}, "days: 'monkey' is not a set of days"),
        ({"timezone": "localtime"}, "timezone: 'localtime' is not an IANA timezone"),
        ({"actors": ","}, "',': give names separated by commas, or all"),
        ({"actors": "russia, atlantis"}, "no actor called 'atlantis'"),
        ({"feeds": "no such outlet"}, "no feed called 'no such outlet'"),
    ],
)
async def test_bad_subscription_input_changes_nothing(
    service: Service, args: Mapping[str, object], expected: str
) -> None:
    await run(service, "subscribe", manager=True, topics="sanctions")
    before = service.find_subscription(CHANNEL)

    problem = error_of(await run(service, "subscribe", manager=True, **args))

    assert problem.message.startswith(expected)
    assert service.find_subscription(CHANNEL) == before


async def test_a_mistyped_timezone_gets_the_closest_names(service: Service) -> None:
    problem = error_of(await run(service, "subscribe", manager=True, timezone="Europe/Berln"))
    assert "Europe/Berlin" in problem.suggestions


async def test_keywords_with_a_minus_are_excluded_and_all_clears_a_filter(
    service: Service,
) -> None:
    await run(service, "subscribe", manager=True, actors="russia", keywords="grain, -football")
    await run(service, "subscribe", manager=True, actors="all")
    stored = service.find_subscription(CHANNEL)
    assert stored is not None
    assert stored.filters.actors == ()
    assert (stored.filters.keywords, stored.filters.exclude_keywords) == (("grain",), ("football",))


async def test_unsubscribe_and_the_lists_of_subscriptions(service: Service) -> None:
    assert (
        "no digest subscription"
        in error_of(await run(service, "unsubscribe", manager=True)).message
    )
    await run(service, "subscribe", manager=True)
    listing = await run(service, "subscriptions")
    everywhere_refused = error_of(await run(service, "subscriptions", all=True))

    digests, watches = listing.views
    assert isinstance(digests, ListView)
    assert isinstance(watches, ListView)
    assert len(digests.items) == 1
    assert watches.empty
    assert "manage" in everywhere_refused.message
    gone = only(await run(service, "unsubscribe", manager=True))
    assert isinstance(gone, NoticeView)
    assert service.find_subscription(CHANNEL) is None


# -- watches and feeds -------------------------------------------------------------------------


async def test_watch_once_then_unwatch(service: Service) -> None:
    first = only(await run(service, "watch", manager=True, actor="zelenskyy", topic="ceasefire"))
    again = await run(service, "watch", manager=True, actor="Volodymyr Zelensky",
                      topic="Ceasefire")  # fmt: skip
    assert isinstance(first, NoticeView)
    assert first.title.startswith("Watching Volodymyr Zelensky on ")
    assert only(again).title.endswith("is watched already")  # type: ignore[attr-defined]
    assert again.private
    assert len(service.watches(CHANNEL)) == 1
    await run(service, "unwatch", manager=True, actor="zelensky", topic="ceasefire")
    assert service.watches(CHANNEL) == []
    missing = error_of(await run(service, "unwatch", manager=True, actor="zelensky"))
    assert missing.message == "that is not watched in this channel"


async def test_feeds_commands_and_the_url_guard(service: Service) -> None:
    service.store.add_feed(Feed(url="https://wire.example/world.xml", title="World Wire"))

    listing = only(await run(service, "feeds list"))
    status = only(await run(service, "feeds status"))
    private = error_of(await run(service, "feeds add", operator=True, url="http://127.0.0.1/x"))
    not_http = error_of(await run(service, "feeds add", operator=True, url="file:///etc/passwd"))
    unknown = error_of(await run(service, "feeds remove", operator=True, feed="999"))
    not_operator = error_of(await run(service, "feeds remove", manager=True, feed="World Wire"))

    assert isinstance(listing, ListView)
    assert [item.title for item in listing.items] == ["World Wire"]
    assert isinstance(status, ListView)
    assert {field.name for field in status.items[0].fields} >= {"State", "Last success"}
    assert private.message.startswith("cannot add http://127.0.0.1/x")
    assert "http and https" in not_http.message
    assert unknown.hint == "/feeds list shows the feeds"
    assert "for the bot's operators" in not_operator.message
    assert len(service.list_feeds()) == 1
    removed = only(await run(service, "feeds remove", operator=True, feed="World Wire"))
    assert isinstance(removed, NoticeView)
    assert service.list_feeds() == []


# -- failures and autocomplete -----------------------------------------------------------------


async def test_a_failure_is_logged_and_the_user_gets_a_short_private_message(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object) -> Reply:
        raise RuntimeError("secret internals")

    command = Command(name="broken", description="fails", handler=broken)
    with caplog.at_level(logging.ERROR):
        reply = await run_command(service, command, caller(), {})

    problem = error_of(reply)
    assert problem.message == "something went wrong while answering /broken"
    assert "secret" not in (problem.hint or "")
    assert "secret internals" in caplog.text  # the traceback is in the log


async def test_autocomplete_offers_at_most_25_choices(service: Service) -> None:
    service.store.add_feed(Feed(url="https://wire.example/world.xml", title="World Wire"))
    actors = suggest(service, Suggest.ACTOR, "rus")
    zones = suggest(service, Suggest.TIMEZONE, "berlin")
    many = suggest(service, Suggest.TIMEZONE, "a")
    topics = suggest(service, Suggest.TOPIC, "cease")
    feeds = suggest(service, Suggest.FEED, "wire")

    assert "russia" in [choice.value for choice in actors]
    assert [choice.value for choice in zones] == ["Europe/Berlin"]
    assert len(many) == MAX_CHOICES
    assert "ceasefire" in [choice.value for choice in topics]
    assert [choice.name for choice in feeds] == ["World Wire"]


def test_every_parameter_kind_is_used_and_typed() -> None:
    kinds = {param.kind for command in COMMANDS for param in command.params}
    assert kinds == {Kind.TEXT, Kind.BOOLEAN}


async def test_commands_at_the_same_time_all_succeed_and_one_subscription_is_made(
    service: Service,
) -> None:
    """Handlers run in threads: two users' writes meet in the database (on SQLite a write
    lock taken late used to fail at once with "database is locked")."""
    channels = [
        Channel(platform=Platform.DISCORD, workspace_id="g1", channel_id=f"c{n}") for n in range(8)
    ]
    watch = find_command("watch")
    subscribe = find_command("subscribe")
    assert watch is not None
    assert subscribe is not None
    watches = [
        run_command(service, watch, caller(manager=True, channel=channel), {"actor": "russia"})
        for channel in channels
    ]
    subscriptions = [
        run_command(service, subscribe, caller(manager=True), {"time": f"0{n}:00"})
        for n in range(5)
    ]

    replies = await asyncio.gather(*watches, *subscriptions)

    assert [type(only(reply)).__name__ for reply in replies] == ["NoticeView"] * 13
    titles = [only(reply).title for reply in replies[8:]]  # type: ignore[attr-defined]
    assert sum(title.startswith("Subscribed") for title in titles) == 1
    assert len(service.store.list_subscriptions()) == 1
    assert len(service.store.list_watches()) == 8


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat-mon", {5, 6, 0}),
        ("Tuesday thurs", {1, 3}),
        ("every day", set(range(7))),
    ],
)
def test_days_by_name_prefix_or_range(typed: str, expected: set[int]) -> None:
    from bot.commands._parse import days

    assert days(typed) == expected


async def test_the_time_to_answer_a_command_is_measured(service: Service) -> None:
    from prometheus_client import REGISTRY

    def answered(outcome: str) -> float:
        labels = {"command": "topics", "outcome": outcome}
        return REGISTRY.get_sample_value("newsdigest_command_seconds_count", labels) or 0.0

    before = answered("answered")
    await run(service, "topics")
    assert answered("answered") == before + 1
