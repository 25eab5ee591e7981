"""The Discord adapter end to end: the real discord.py client, started as the product starts it
(settings pointing it at the loopback Discord of tests/discord_double.py), answering slash
commands that arrive over the gateway, and the sender posting to channels."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from pydantic import SecretStr

from bot.commands import COMMANDS, Access
from bot.discord import DiscordSender, application_id, invite_url, make_client
from bot.discord._client import message_nonce
from bot.settings import Settings
from bot.views import DigestSectionView, DigestView
from digests.model import Platform, Stance, utc_now
from digests.service import Channel, Service
from digests.settings import FetchSettings
from digests.store import Store
from tests.discord_double import (
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    MANAGER_ID,
    OWNER_ID,
    DiscordDouble,
    Followup,
    SentInteraction,
    running_client,
)
from tests.run_process import start
from tests.test_positions_lookup import Newsroom, said
from tests.view_samples import HOSTILE, digest, story

MESSAGES = "/channels/{channel_id}/messages"
EPHEMERAL = 64
LOADING = 128


@dataclass
class World:
    api: DiscordDouble
    client: discord.Client
    service: Service

    async def command(
        self, name: str, options: dict[str, str | bool] | None = None, *, manager: bool = False
    ) -> SentInteraction:
        user = self.api.member(MANAGER_ID) if manager else None
        return await self.api.send_interaction(name, options or {}, user=user)

    async def answers(self, sent: SentInteraction, count: int = 1) -> list[Followup]:
        return await answers_of(self.api, sent, count)


async def answers_of(
    api: DiscordDouble, sent: SentInteraction, count: int = 1, *, timeout: float = 10
) -> list[Followup]:
    """A reply's messages: the deferred answer, filled in, then any follow-ups."""
    await api.wait_until(lambda: len(_answers(api, sent)) >= count, timeout=timeout)
    return _answers(api, sent)


def _answers(api: DiscordDouble, sent: SentInteraction) -> list[Followup]:
    try:
        original = api.original_response(sent)
    except KeyError:  # deleted: a private answer replaced a public acknowledgement
        original = None
    filled = [] if original is None or original.get("flags", 0) & LOADING else [original]
    first = [Followup(sent.id, message, bool(message["flags"] & EPHEMERAL)) for message in filled]
    return first + api.followups(sent)


@pytest.fixture
def service(sqlite_url: str) -> Iterator[Service]:
    with Service(Store.open(sqlite_url), fetch=FetchSettings()) as opened:
        yield opened


def settings_for(api: DiscordDouble, **extra: object) -> Settings:
    return Settings(
        discord_token=SecretStr(api.token),
        discord_api_url=api.rest_base,
        discord_gateway_url=api.gateway_url,
        discord_dev_guild=GUILD_ID,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def world(service: Service) -> AsyncIterator[World]:
    async with DiscordDouble(interaction_deadline=1.0) as api:
        client = make_client(service, settings_for(api), guild_ready_timeout=0.05)
        async with running_client(client, api):
            yield World(api, client, service)


def texts(followup: Followup) -> str:
    """Everything a reader sees in a follow-up: content and every embed's text."""
    message = followup.message
    parts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{field['name']} {field['value']}" for field in embed.get("fields", [])]
    return "\n".join(parts)


# -- registration ------------------------------------------------------------------------------


async def test_every_declared_command_is_registered_once(world: World) -> None:
    registered = {command["name"]: command for command in world.api.commands(GUILD_ID)}
    assert len(registered) == len(world.api.commands(GUILD_ID))  # no name twice
    top = {c.name for c in COMMANDS if c.group is None} | {c.group for c in COMMANDS if c.group}
    assert set(registered) == top
    for command in COMMANDS:
        entry = registered[command.group or command.name]
        if command.group is not None:  # a subcommand: an option of type 1 of its group
            entry = next(o for o in entry["options"] if o["name"] == command.leaf)
            assert entry["type"] == 1
        options = {option["name"]: option for option in entry.get("options", [])}
        assert list(options) == [param.name for param in command.params], command.name
        assert all(options[p.name].get("required", False) == p.required for p in command.params)
        assert all(options[p.name]["description"] == p.description for p in command.params)
        autocompleted = {name for name, option in options.items() if option.get("autocomplete")}
        assert autocompleted == {p.name for p in command.params if p.suggest}, command.name
    for name, entry in registered.items():
        declared = [c for c in COMMANDS if name in (c.name, c.group)]
        hidden = any(c.access is not Access.ANYONE for c in declared) and len(declared) == 1
        # A group cannot hide some of its subcommands: /feeds shows, the layer refuses.
        assert (entry.get("default_member_permissions") is not None) == hidden, name


# -- commands over the gateway -----------------------------------------------------------------


async def test_positions_russia_is_deferred_then_answered_privately_with_an_embed(
    world: World,
) -> None:
    room = Newsroom(world.service.store)
    room.report(0, utc_now() - dt.timedelta(hours=3), said("russia", Stance.REJECT, "no monitors"))

    sent = await world.command("positions", {"actor": "russia"})
    (followup,) = await world.answers(sent)

    (callback,) = world.api.callbacks(sent)
    assert callback.type == 5  # deferred: acknowledged before the lookup ran
    assert callback.data is not None
    assert callback.data["flags"] & EPHEMERAL
    assert followup.ephemeral
    assert "Russia" in followup.message["embeds"][0]["title"]
    assert "no monitors" in texts(followup)
    (request,) = world.api.requests("PATCH", "/webhooks/")  # the deferred answer, filled in
    assert request.json["allowed_mentions"] == {"parse": []}


async def test_a_slow_lookup_never_loses_the_interaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = world.service.positions

    def slow(*args: object, **kwargs: object) -> object:
        import time

        time.sleep(1.5)  # longer than the double's deadline for a first response (1 s)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(world.service, "positions", slow)
    sent = await world.command("positions", {"actor": "nato"})
    (followup,) = await world.answers(sent)

    assert [callback.type for callback in world.api.callbacks(sent)] == [5]
    assert "NATO" in texts(followup)


async def test_a_member_without_the_right_cannot_subscribe_and_is_told_privately(
    world: World,
) -> None:
    sent = await world.command("subscribe", {"actors": "russia"})
    (followup,) = await world.answers(sent)

    assert followup.ephemeral
    assert "manage this channel" in texts(followup)
    assert world.api.messages(GENERAL_CHANNEL_ID) == []  # the public "thinking" is gone
    channel = Channel(platform=Platform.DISCORD, workspace_id=str(GUILD_ID),
                      channel_id=str(GENERAL_CHANNEL_ID))  # fmt: skip
    assert world.service.find_subscription(channel) is None


async def test_a_manager_subscribes_the_channel_and_everyone_sees_the_settings(
    world: World,
) -> None:
    options: dict[str, str | bool] = {"actors": "rusia", "time": "08:15", "timezone": "Asia/Tokyo"}
    sent = await world.command("subscribe", options, manager=True)
    (followup,) = await world.answers(sent)

    assert not followup.ephemeral
    shown = texts(followup)
    assert "Subscribed #general" in shown
    assert "08:15 Asia/Tokyo, weekdays" in shown
    assert "Russia" in shown
    (stored,) = world.service.store.list_subscriptions(platform=Platform.DISCORD)
    assert (stored.workspace_id, stored.channel_id) == (str(GUILD_ID), str(GENERAL_CHANNEL_ID))
    assert stored.filters.actors == ("russia",)


async def test_only_an_operator_may_change_the_feeds_and_the_apps_owner_is_one(
    world: World,
) -> None:
    manager = await world.command("feeds remove", {"feed": "999"}, manager=True)
    owner = await world.api.send_interaction(
        "feeds remove", {"feed": "999"}, user=world.api.member(OWNER_ID)
    )
    (refused,) = await world.answers(manager)
    (allowed,) = await world.answers(owner)

    assert "for the bot's operators" in texts(refused)
    assert "no feed is exactly '999'" in texts(allowed)  # past the access check
    assert refused.ephemeral
    assert allowed.ephemeral


async def test_a_failure_to_answer_is_logged_and_the_caller_is_told(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.api.fail("PATCH", "/webhooks/{application_id}/{token}/messages/@original",
                   status=400, times=1)  # fmt: skip
    sent = await world.command("topics")
    await world.api.wait_until(
        lambda: "Something went wrong" in str(world.api.original_response(sent)), timeout=5
    )
    assert "answering /topics failed" in caplog.text


async def test_a_502_after_discord_took_a_public_answer_does_not_post_it_twice(
    world: World,
) -> None:
    world.api.accept_then_fail("PATCH", "/webhooks/{application_id}/{token}/messages/@original")
    sent = await world.command("digest", {"post": True})
    await world.api.wait_until(
        lambda: len(world.api.requests("PATCH", "/webhooks/")) >= 2, timeout=10
    )
    await asyncio.sleep(0.2)
    assert len(world.api.messages(GENERAL_CHANNEL_ID)) == 1
    assert world.api.followups(sent) == []


async def test_bad_input_gets_a_short_private_error_without_a_traceback(world: World) -> None:
    sent = await world.command("positions", {"actor": "russia", "since": "fortnight"})
    (followup,) = await world.answers(sent)

    assert followup.ephemeral
    assert "since: not a duration" in texts(followup)
    assert "Traceback" not in texts(followup)


async def test_actor_autocomplete_offers_choices(world: World) -> None:
    sent = await world.api.send_autocomplete("positions", {"actor": "ukr"}, focused="actor")
    callback = await world.api.wait_callback(sent)

    assert callback.type == 8
    assert callback.data is not None
    values = [choice["value"] for choice in callback.data["choices"]]
    assert "ukraine" in values
    assert len(values) <= 25


# -- the sender --------------------------------------------------------------------------------


async def test_a_digest_is_posted_with_no_mentions_and_feed_text_pings_nobody(
    world: World,
) -> None:
    window = digest()
    section = DigestSectionView(topic=HOSTILE, topic_id=None, stories=(story(HOSTILE),))
    hostile = DigestView(since=window.since, until=window.until, sections=(section,))

    ids = await DiscordSender(world.client).send(str(GENERAL_CHANNEL_ID), hostile, nonce="d-1")

    stored = world.api.messages(GENERAL_CHANNEL_ID)
    assert [message["id"] for message in stored] == list(ids)
    posts = world.api.requests("POST", f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert all(post.json["allowed_mentions"] == {"parse": []} for post in posts)
    nonces = [post.json["nonce"] for post in posts]
    assert nonces == [message_nonce("d-1", index) for index in range(len(posts))]
    assert all(len(nonce) <= 25 for nonce in nonces)
    shown = "\n".join(str(message.get("embeds")) for message in stored)
    assert "@everyone" not in shown.replace("@\u200beveryone", "")
    assert "<@&123>" not in shown


async def test_a_429_delays_the_digest_but_loses_nothing(world: World) -> None:
    world.api.rate_limit("POST", MESSAGES, times=2, retry_after=0.2)
    sender = DiscordSender(world.client)

    ids = await sender.send(str(GENERAL_CHANNEL_ID), digest(), nonce="d-2")

    stored = world.api.messages(GENERAL_CHANNEL_ID)
    assert [message["id"] for message in stored] == list(ids)
    limited = [r for r in world.api.requests("POST") if r.fault == "rate_limited"]
    assert len(limited) == 2


async def test_a_502_after_discord_accepted_the_message_does_not_post_it_twice(
    world: World,
) -> None:
    world.api.accept_then_fail("POST", MESSAGES, status=502)
    sender = DiscordSender(world.client)

    ids = await sender.send(str(GENERAL_CHANNEL_ID), digest(1), nonce="d-3")
    # The outbox retries a send it could not confirm with the same nonce: still one copy.
    again = await sender.send(str(GENERAL_CHANNEL_ID), digest(1), nonce="d-3")

    stored = world.api.messages(GENERAL_CHANNEL_ID)
    assert len(stored) == len(ids) == len(again)
    assert ids == again


async def test_a_channel_the_bot_may_not_post_in_is_reported_as_gone(world: World) -> None:
    from bot.sending import ChannelGoneError
    from tests.discord_double import ANNOUNCEMENTS_CHANNEL_ID

    with pytest.raises(ChannelGoneError):
        await DiscordSender(world.client).send(
            str(ANNOUNCEMENTS_CHANNEL_ID), digest(1), nonce="d-4"
        )
    with pytest.raises(ChannelGoneError):
        await DiscordSender(world.client).send("999", digest(1), nonce="d-5")


# -- settings ----------------------------------------------------------------------------------


def test_the_invite_url_asks_for_exactly_what_the_bot_needs() -> None:
    url = invite_url(1234)
    assert "client_id=1234" in url
    assert "scope=bot+applications.commands" in url
    permissions = discord.Permissions(int(url.split("permissions=")[1].split("&")[0]))
    assert permissions == discord.Permissions(
        view_channel=True, send_messages=True, embed_links=True
    )


def test_the_application_id_comes_from_the_setting_or_the_token() -> None:
    import base64

    token = base64.b64encode(b"987654321").decode().rstrip("=") + ".x.y"
    assert application_id(Settings(discord_token=SecretStr(token))) == 987654321
    assert application_id(Settings(discord_application_id=5)) == 5
    assert application_id(Settings(discord_token=SecretStr("not-a-token"))) is None


async def test_a_sharded_client_runs_when_asked(service: Service) -> None:
    async with DiscordDouble() as api:
        client = make_client(
            service, settings_for(api, discord_sharded=True), guild_ready_timeout=0.05
        )
        assert isinstance(client, discord.AutoShardedClient)
        async with running_client(client, api):
            (identify,) = api.identifies()
            assert identify["shard"][0] == 0
            assert client.get_guild(GUILD_ID) is not None


# -- `newsdigest run` with a Discord token -----------------------------------------------------


async def start_run(api: DiscordDouble, tmp_path: Path, token: str) -> asyncio.subprocess.Process:
    """`newsdigest run` in a process of its own, as a user starts it, pointed at the double."""
    return await start(
        tmp_path,
        NEWSDIGEST_DISCORD_TOKEN=token,
        NEWSDIGEST_DISCORD_API_URL=api.rest_base,
        NEWSDIGEST_DISCORD_GATEWAY_URL=api.gateway_url,
        NEWSDIGEST_DISCORD_DEV_GUILD=str(GUILD_ID),
    )


async def test_run_with_a_discord_token_answers_slash_commands(tmp_path: Path) -> None:
    async with DiscordDouble() as api:
        process = await start_run(api, tmp_path, api.token)
        try:
            await api.wait_until(lambda: bool(api.commands(GUILD_ID)), timeout=60)
            await api.wait_identified()
            sent = await api.send_interaction("topics")
            (followup,) = await answers_of(api, sent, timeout=30)
        finally:
            process.send_signal(signal.SIGINT)
            stdout, _stderr = await asyncio.wait_for(process.communicate(), 30)

    assert "Ceasefire" in texts(followup)
    assert followup.ephemeral
    assert b"Delivering to: discord" in stdout


async def test_run_with_a_token_discord_refuses_says_so_in_one_line_and_runs_on(
    tmp_path: Path,
) -> None:
    async with DiscordDouble() as api:
        process = await start_run(api, tmp_path, "not-the-token")
        assert process.stderr is not None
        seen_both = (b"refused", b"analysed")
        try:
            lines = []
            async with asyncio.timeout(60):  # until refused, and the intake ran (either first)
                while not all(any(word in line for line in lines) for word in seen_both):
                    lines.append(await process.stderr.readline())
            await asyncio.sleep(1)
            assert process.returncode is None  # the feeds and the console go on
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 0
    assert any(b"discord: Discord refused the token (401)" in line for line in lines)
    assert b"Traceback" not in b"".join(lines)
