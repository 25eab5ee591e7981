"""The declared commands as discord.py application commands, and the answer to an interaction.

Each :class:`~bot.commands.Command` becomes an ``app_commands.Command`` whose callback has the
declared parameters as its signature (discord.py reads options from the signature), with the
declared help as option descriptions and autocomplete where the declaration asks for it.
Commands with a space in their name ("feeds add") become subcommands of a group. Nothing here
decides anything: the command layer does; this only translates.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.commands import (
    Access,
    Caller,
    Command,
    Kind,
    Param,
    Reply,
    run_command,
    suggest,
)
from bot.discord.render import render
from digests.model import Platform
from digests.service import Channel, Service

log = logging.getLogger(__name__)

_ANNOTATIONS: dict[Kind, type] = {Kind.TEXT: str, Kind.BOOLEAN: bool}
#: Discord's limit on an autocomplete choice's name and value.
_CHOICE_LIMIT = 100
#: Every message the bot sends: text from feeds never pings anyone.
NO_MENTIONS = discord.AllowedMentions.none()
#: Parameters that take a comma-separated list: autocomplete completes the last item.
_LISTS = frozenset({"actors", "topics", "feeds"})


def register(
    tree: app_commands.CommandTree[Any],
    commands: tuple[Command, ...],
    service: Service,
    operators: frozenset[str] = frozenset(),
) -> None:
    """Add every command to ``tree`` (top-level ones, and groups for "group sub" names)."""
    groups: dict[str, app_commands.Group] = {}
    for command in commands:
        app_command = _app_command(command, service, operators)
        if command.group is None:
            tree.add_command(app_command)
            continue
        group = groups.get(command.group)
        if group is None:
            group = app_commands.Group(
                name=command.group,
                description=f"/{command.group} commands",
                guild_only=True,
            )
            groups[command.group] = group
            tree.add_command(group)
        group.add_command(app_command)


def _app_command(
    command: Command, service: Service, operators: frozenset[str]
) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await answer(service, interaction, command, values, operators=operators)

    callback.__signature__ = _signature(command)  # type: ignore[attr-defined]
    callback.__name__ = command.leaf
    if command.params:
        descriptions = {param.name: param.description for param in command.params}
        app_commands.describe(**descriptions)(callback)
        completers = {
            param.name: _completer(service, param)
            for param in command.params
            if param.suggest is not None
        }
        if completers:
            app_commands.autocomplete(**completers)(callback)
    if command.access is not Access.ANYONE and command.group is None:
        # Discord keeps default permissions on top-level commands only: /feeds add shows to
        # everyone, and the command layer refuses whoever may not run it.
        app_commands.default_permissions(manage_channels=True)(callback)
    if command.group is None:
        app_commands.guild_only()(callback)
    return app_commands.Command(
        name=command.leaf, description=command.description, callback=callback
    )


def _signature(command: Command) -> inspect.Signature:
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for param in command.params:
        parameters.append(
            inspect.Parameter(
                param.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_ANNOTATIONS[param.kind],
                default=inspect.Parameter.empty if param.required else None,
            )
        )
    return inspect.Signature(parameters)


def _completer(
    service: Service, param: Param
) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
    source = param.suggest
    assert source is not None

    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        done, _, typing = current.rpartition(",") if param.name in _LISTS else ("", "", current)
        prefix = f"{done.strip()}, " if done.strip() else ""
        try:  # off the event loop: the vocabulary, and the feeds from the store
            choices = await asyncio.to_thread(suggest, service, source, typing)
        except Exception:  # autocomplete must never break the interaction
            log.exception("autocomplete of %s failed", param.name)
            return []
        return [
            app_commands.Choice(name=prefix + choice.name, value=prefix + choice.value)
            for choice in choices
            if len(prefix + choice.name) <= _CHOICE_LIMIT
            and len(prefix + choice.value) <= _CHOICE_LIMIT
        ]

    return complete


def caller_of(interaction: discord.Interaction, operators: frozenset[str] = frozenset()) -> Caller:
    """Who ran the command, where, whether Discord says they may manage the channel, and
    whether they are one of the bot's operators (the setting, or the application's owner)."""
    channel = interaction.channel
    name = getattr(channel, "name", None)
    return Caller(
        channel=Channel(
            platform=Platform.DISCORD,
            workspace_id=str(interaction.guild_id or ""),
            channel_id=str(interaction.channel_id or ""),
        ),
        user_id=str(interaction.user.id),
        user_name=interaction.user.display_name,
        can_manage=interaction.permissions.manage_channels,
        channel_name=f"#{name}" if name else None,
        is_operator=f"discord:{interaction.user.id}" in operators
        or interaction.user.id in _owners(interaction.client),
    )


def _owners(client: discord.Client) -> set[int]:
    """The application's owner, or its team's members (discord.py reads them at login)."""
    application = client.application
    if application is None:
        return set()
    if application.team is not None:
        return {member.id for member in application.team.members}
    return {application.owner.id}


async def answer(
    service: Service,
    interaction: discord.Interaction,
    command: Command,
    values: Mapping[str, object],
    *,
    operators: frozenset[str] = frozenset(),
) -> None:
    """Acknowledge at once (Discord allows 3 s), run the command, then answer in order.

    The acknowledgement is private unless the command's success is for the channel (a
    subscription changed) or the caller asked to post; an answer whose privacy differs (a
    refusal of a public command) replaces the acknowledgement with a private message. A
    failure to answer is logged and, where Discord still takes it, said privately.
    """
    public = command.public or values.get("post") is True
    await interaction.response.defer(ephemeral=not public, thinking=True)
    try:
        reply = await run_command(service, command, caller_of(interaction, operators), values)
        await send_reply(interaction, reply, replace_original=reply.private and public)
    except Exception:
        log.exception("answering /%s failed", command.name)
        await _apologise(interaction, command)


async def send_reply(
    interaction: discord.Interaction, reply: Reply, *, replace_original: bool = False
) -> None:
    """The reply's messages in order. The first fills the deferred answer (an edit, which a
    retry cannot double, unlike a follow-up); with ``replace_original`` that answer is deleted
    first and every message is a private follow-up."""
    messages = [message for view in reply.views for message in render(view)]
    first = not replace_original
    if replace_original:
        await interaction.delete_original_response()
    for message in messages:
        content = message.content or None
        if first:
            await interaction.edit_original_response(
                content=content, embeds=list(message.embeds), allowed_mentions=NO_MENTIONS
            )
            first = False
            continue
        await interaction.followup.send(
            content=content or discord.utils.MISSING,
            embeds=list(message.embeds),
            ephemeral=reply.private,
            allowed_mentions=NO_MENTIONS,
        )


async def _apologise(interaction: discord.Interaction, command: Command) -> None:
    text = f"Something went wrong while answering /{command.name}; it has been logged."
    try:
        await interaction.edit_original_response(content=text, embeds=[])
    except discord.HTTPException:
        log.warning("could not tell the caller of /%s that it failed", command.name)
