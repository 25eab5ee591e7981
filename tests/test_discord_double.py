"""Self-tests of the loopback Discord, driven by the real discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.app_commands import Choice
from discord.http import Route
from discord.ui import Button

from tests.discord_double import (
    ANNOUNCEMENTS_CHANNEL_ID,
    GENERAL_CHANNEL_ID,
    GUILD_ID,
    HEADLINES_CHANNEL_ID,
    MANAGER_ID,
    READER_ID,
    DiscordDouble,
    OptionValue,
    running_client,
    use_double,
)

GUILD = discord.Object(GUILD_ID)
MESSAGES = "/channels/{channel_id}/messages"


@dataclass
class Bot:
    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]

    def channel(self, channel_id: int) -> discord.TextChannel:
        channel = self.client.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        return channel


def contents(discord_api: DiscordDouble, channel_id: int) -> list[str]:
    return [message["content"] for message in discord_api.messages(channel_id)]


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordDouble]:
    async with DiscordDouble() as double:
        yield double


@pytest.fixture
async def bot(discord_api: DiscordDouble) -> AsyncIterator[Bot]:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)
    async with running_client(client, discord_api):
        yield Bot(client, tree)


async def test_client_connects_through_zlib_stream_and_caches_the_guild(
    discord_api: DiscordDouble,
) -> None:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    readies: list[str] = []

    @client.event
    async def on_ready() -> None:
        readies.append("ready")

    async with running_client(client, discord_api):
        await discord_api.wait_until(lambda: bool(discord_api.gateway_frames(op=1)))
        guild = client.get_guild(GUILD_ID)
        assert readies == ["ready"]
        assert guild is not None
        assert guild.name == "Newsroom"
        assert {channel.name for channel in guild.text_channels} >= {"general", "headlines"}
        assert guild.me.guild_permissions.send_messages
        assert not guild.me.guild_permissions.manage_channels
        announcements = guild.get_channel(ANNOUNCEMENTS_CHANNEL_ID)
        assert announcements is not None
        assert not announcements.permissions_for(guild.me).send_messages

    (connection,) = discord_api.connections
    assert connection.compression == "zlib-stream"
    assert connection.query["v"] == "10"
    (identify,) = discord_api.identifies()
    assert identify["token"] == discord_api.token
    assert identify["intents"] == discord.Intents.default().value
    assert [request.path for request in discord_api.requests("GET")] == [
        "/users/@me",
        "/oauth2/applications/@me",
    ]


async def test_guild_command_sync_and_ephemeral_reply(discord_api: DiscordDouble, bot: Bot) -> None:
    seen: list[tuple[str, int, bool, bool]] = []

    @bot.tree.command(name="brief", description="A short digest", guild=GUILD)
    async def brief(
        interaction: discord.Interaction, topic: str, count: int = 3, urgent: bool = False
    ) -> None:
        seen.append((topic, count, urgent, interaction.permissions.manage_channels))
        await interaction.response.send_message(f"{count} on {topic}", ephemeral=True)

    synced = await bot.tree.sync(guild=GUILD)

    assert [command.name for command in synced] == ["brief"]
    (registered,) = discord_api.commands(GUILD_ID)
    assert registered["name"] == "brief"
    assert int(registered["id"]) == synced[0].id
    assert [option["name"] for option in registered["options"]] == ["topic", "count", "urgent"]
    assert discord_api.commands() == []

    options: dict[str, OptionValue] = {"topic": "elections", "count": 2, "urgent": True}
    callback = await discord_api.wait_callback(await discord_api.send_interaction("brief", options))
    manager = discord_api.member(MANAGER_ID)
    as_manager = await discord_api.send_interaction("brief", {"topic": "x"}, user=manager)
    await discord_api.wait_callback(as_manager)

    assert callback.type == 4
    assert callback.data is not None
    assert (callback.data["content"], callback.data["flags"]) == ("2 on elections", 64)
    assert seen == [("elections", 2, True, False), ("x", 3, False, True)]
    (request, _) = discord_api.requests("POST", "/interactions/")
    assert request.query["with_response"] == "1"
    assert discord_api.messages(GENERAL_CHANNEL_ID) == []  # ephemeral: not a channel message


async def test_deferred_response_then_followup_with_an_embed(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    @bot.tree.command(name="digest", description="Today's digest", guild=GUILD)
    async def digest(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        embed = discord.Embed(title="Today", description="Three stories")
        await interaction.followup.send(embed=embed)

    await bot.tree.sync(guild=GUILD)
    sent = await discord_api.send_interaction("digest")
    (followup,) = await discord_api.wait_followups(sent)

    assert [callback.type for callback in discord_api.callbacks(sent)] == [5]
    assert followup.message["embeds"][0]["title"] == "Today"
    assert followup.message["embeds"][0]["description"] == "Three stories"
    (request,) = discord_api.requests("POST", "/webhooks/")
    assert request.json["embeds"][0]["title"] == "Today"
    (stored,) = discord_api.messages(GENERAL_CHANNEL_ID)  # the "thinking" message, now filled
    assert stored["id"] == followup.message["id"]
    assert stored["flags"] & 128 == 0  # no longer loading


async def test_allowed_mentions_none_is_recorded_and_pings_nobody(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    general = bot.channel(GENERAL_CHANNEL_ID)
    text = f"<@{READER_ID}> @everyone news"

    await general.send(text, allowed_mentions=discord.AllowedMentions.none())
    await general.send(text)

    quiet, loud = discord_api.requests("POST", route=MESSAGES)
    assert quiet.json["allowed_mentions"] == {"parse": []}
    assert "allowed_mentions" not in loud.json
    first, second = discord_api.messages(GENERAL_CHANNEL_ID)
    assert (first["mentions"], first["mention_everyone"]) == ([], False)
    assert [user["id"] for user in second["mentions"]] == [str(READER_ID)]
    assert second["mention_everyone"] is True


async def test_route_rate_limit_delays_the_send_and_stores_once(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    discord_api.rate_limit("POST", MESSAGES, retry_after=0.2)

    started = time.monotonic()
    await bot.channel(GENERAL_CHANNEL_ID).send("hello")

    assert time.monotonic() - started >= 0.2
    assert contents(discord_api, GENERAL_CHANNEL_ID) == ["hello"]
    limited, accepted = discord_api.requests("POST", route=MESSAGES)
    assert (limited.status, limited.fault) == (429, "rate_limited")
    assert (accepted.status, accepted.fault) == (200, None)


async def test_global_rate_limit_pauses_every_route(discord_api: DiscordDouble, bot: Bot) -> None:
    discord_api.rate_limit("POST", MESSAGES, retry_after=0.3, is_global=True)
    first = asyncio.create_task(bot.channel(GENERAL_CHANNEL_ID).send("one"))
    await discord_api.wait_until(lambda: bool(discord_api.requests("POST", route=MESSAGES)))
    await asyncio.sleep(0.05)  # let discord.py read the 429 and close its global gate

    started = time.monotonic()
    await bot.channel(HEADLINES_CHANNEL_ID).send("two")  # another route, not scripted
    waited = time.monotonic() - started
    await first

    assert waited >= 0.15
    assert len(discord_api.messages(GENERAL_CHANNEL_ID)) == 1
    assert len(discord_api.messages(HEADLINES_CHANNEL_ID)) == 1


async def test_502_is_retried_and_503_is_not(discord_api: DiscordDouble, bot: Bot) -> None:
    general = bot.channel(GENERAL_CHANNEL_ID)
    discord_api.fail("POST", MESSAGES, status=502)
    await general.send("retried")  # discord.py sleeps 1 s, then retries

    discord_api.fail("POST", MESSAGES, status=503)
    with pytest.raises(discord.DiscordServerError):
        await general.send("lost")  # 503 is not in discord.py's retry set {500, 502, 504, 524}

    assert contents(discord_api, GENERAL_CHANNEL_ID) == ["retried"]
    statuses = [request.status for request in discord_api.requests("POST", route=MESSAGES)]
    assert statuses == [502, 200, 503]


async def test_accepted_then_502_with_a_nonce_stores_one_message(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    discord_api.accept_then_fail("POST", MESSAGES, status=502)

    message = await bot.channel(GENERAL_CHANNEL_ID).send("once", nonce="digest-42")

    (stored,) = discord_api.messages(GENERAL_CHANNEL_ID)
    assert stored["id"] == str(message.id)
    assert stored["nonce"] == "digest-42"
    failed, retried = discord_api.requests("POST", route=MESSAGES)
    assert failed.fault == "accepted_then_failed"
    assert failed.json["enforce_nonce"] is True
    assert (retried.status, retried.json["nonce"]) == (200, "digest-42")


async def test_a_retry_by_the_caller_duplicates_unless_it_reuses_the_nonce(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    # discord.py 2.7 gives every send() a random nonce (with enforce_nonce), so its own retries
    # never duplicate. A caller that retries after an error (503 is raised, not retried) sends
    # a new random nonce: Discord stores the message twice. Reusing one nonce stores it once.
    general = bot.channel(GENERAL_CHANNEL_ID)
    discord_api.accept_then_fail("POST", MESSAGES, status=503, times=3)
    for nonce in ("", "", "stable", "stable"):
        with contextlib.suppress(discord.DiscordServerError):
            await (general.send("once", nonce=nonce) if nonce else general.send("twice"))

    assert contents(discord_api, GENERAL_CHANNEL_ID) == ["twice", "twice", "once"]


async def test_followup_accepted_then_502_is_stored_twice(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    # Follow-ups (webhooks) carry no nonce, and the webhook client retries every 5xx.
    @bot.tree.command(name="digest", description="Today's digest", guild=GUILD)
    async def digest(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Here it comes")
        await interaction.followup.send("Three stories")

    await bot.tree.sync(guild=GUILD)
    discord_api.accept_then_fail("POST", "/webhooks/{application_id}/{token}", status=502)
    sent = await discord_api.send_interaction("digest")
    await discord_api.wait_followups(sent, 2)

    assert [followup.message["content"] for followup in discord_api.followups(sent)] == [
        "Three stories"
    ] * 2
    assert contents(discord_api, GENERAL_CHANNEL_ID) == ["Here it comes"] + ["Three stories"] * 2


async def test_autocomplete_result_is_recorded(discord_api: DiscordDouble, bot: Bot) -> None:
    @bot.tree.command(name="follow", description="Follow a topic", guild=GUILD)
    async def follow(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(topic)

    @follow.autocomplete("topic")
    async def topics(_interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        names = ("elections", "economy", "sport")
        return [Choice(name=name, value=name) for name in names if name.startswith(current)]

    await bot.tree.sync(guild=GUILD)
    sent = await discord_api.send_autocomplete("follow", {"topic": "e"}, focused="topic")
    callback = await discord_api.wait_callback(sent)

    assert callback.type == 8
    choices = [{"name": name, "value": name} for name in ("elections", "economy")]
    assert callback.data == {"choices": choices}


async def test_button_click_updates_the_stored_message(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    class Confirm(discord.ui.View):
        @discord.ui.button(label="Confirm", custom_id="confirm")
        async def confirm(self, interaction: discord.Interaction, _button: Button[Confirm]) -> None:
            await interaction.response.edit_message(content="Confirmed", view=None)

    message = await bot.channel(GENERAL_CHANNEL_ID).send("Sure?", view=Confirm(timeout=None))
    sent = await discord_api.send_component(message.id, "confirm")
    callback = await discord_api.wait_callback(sent)

    assert callback.type == 7
    (stored,) = discord_api.messages(GENERAL_CHANNEL_ID)
    assert stored["content"] == "Confirmed"
    assert stored["components"] == []


async def test_platform_limits_and_permissions_are_enforced(
    discord_api: DiscordDouble, bot: Bot
) -> None:
    with pytest.raises(discord.HTTPException) as too_long:
        await bot.channel(GENERAL_CHANNEL_ID).send("x" * 2001)
    with pytest.raises(discord.Forbidden) as read_only:
        await bot.channel(ANNOUNCEMENTS_CHANNEL_ID).send("hi")

    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    assert read_only.value.code == 50013
    assert discord_api.messages(GENERAL_CHANNEL_ID) == []


async def test_reconnect_resumes_on_the_resume_url(discord_api: DiscordDouble, bot: Bot) -> None:
    resumed = asyncio.ensure_future(bot.client.wait_for("resumed", timeout=3))

    await discord_api.request_reconnect()
    await resumed

    (resume,) = discord_api.gateway_frames(op=6)
    assert resume.data["session_id"]
    assert resume.data["seq"] >= 2  # READY and GUILD_CREATE were seen
    paths = [connection.path for connection in discord_api.connections]
    assert paths == ["/gateway", "/resume-gateway"]
    assert len(discord_api.identifies()) == 1


async def test_unknown_routes_and_bad_tokens(discord_api: DiscordDouble, bot: Bot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.client.http.request(Route("GET", "/guilds/{guild_id}/bans", guild_id=1))
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bot {discord_api.token}"}
        async with session.get(discord_api.rest_base + "/users/@me", headers=headers) as response:
            content_type = response.headers["Content-Type"]
    stranger = discord.Client(intents=discord.Intents.default())
    with use_double(discord_api), pytest.raises(discord.LoginFailure):
        await stranger.login("not-the-token")
    await stranger.close()

    (unknown,) = discord_api.unknown_routes()
    assert (unknown.path, unknown.status) == ("/guilds/1/bans", 404)
    assert content_type == "application/json"
