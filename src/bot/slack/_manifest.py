"""The Slack app manifest: every slash command, scope and event the bot needs, built from the
command declarations so that it cannot fall out of step with them. Slack takes a manifest in
JSON as well as YAML (api.slack.com/apps, Create New App, From an app manifest)."""

from __future__ import annotations

import json
from typing import Any

from bot.commands import COMMANDS, Command
from bot.slack._app import BOT_SCOPES
from bot.slack._http import EVENTS_PATH, REDIRECT_PATH

#: Where an HTTP-mode manifest points until the user gives their own address.
PLACEHOLDER_URL = "https://newsdigest.example.com"
_DESCRIPTION_LIMIT = 2000
_HINT_LIMIT = 1000


def manifest(*, socket_mode: bool, url: str = PLACEHOLDER_URL) -> dict[str, Any]:
    """The manifest for Socket Mode, or for HTTP mode at ``url`` (its events and OAuth
    redirect under that address)."""
    base = url.rstrip("/")
    events = f"{base}{EVENTS_PATH}"
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": ["app_home_opened"]},
        "interactivity": {"is_enabled": False},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    if not socket_mode:
        settings["event_subscriptions"]["request_url"] = events
        # Many workspaces: an uninstall removes the workspace's installation.
        settings["event_subscriptions"]["bot_events"] += ["app_uninstalled", "tokens_revoked"]
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if not socket_mode:
        oauth["redirect_urls"] = [f"{base}{REDIRECT_PATH}"]
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "newsdigest",
            "description": "World news digests, and who said what, for your team",
            "long_description": _long_description(),
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": False,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "newsdigest", "always_online": True},
            "slash_commands": [
                _slash_command(name, None if socket_mode else events) for name in _names()
            ],
        },
        "oauth_config": oauth,
        "settings": settings,
    }


def manifest_json(*, socket_mode: bool, url: str = PLACEHOLDER_URL) -> str:
    return json.dumps(manifest(socket_mode=socket_mode, url=url), indent=2) + "\n"


def _names() -> list[str]:
    return list(dict.fromkeys(command.group or command.name for command in COMMANDS))


def _slash_command(name: str, url: str | None) -> dict[str, Any]:
    members = [c for c in COMMANDS if (c.group or c.name) == name]
    entry: dict[str, Any] = {
        "command": f"/{name}",
        "description": _description(name, members),
        "should_escape": False,
    }
    if hint := _hint(members):
        entry["usage_hint"] = hint
    if url is not None:
        entry["url"] = url
    return entry


def _description(name: str, members: list[Command]) -> str:
    if len(members) == 1 and members[0].group is None:
        return members[0].description
    return f"/{name} " + ", ".join(command.leaf for command in members)


def _hint(members: list[Command]) -> str:
    if len(members) == 1 and members[0].group is None:
        return members[0].usage().partition(" ")[2][:_HINT_LIMIT]
    return " | ".join(command.usage().partition(" ")[2] for command in members)[:_HINT_LIMIT]


def _long_description() -> str:
    text = (
        "newsdigest polls news feeds, groups reports of one event into a story, and tells "
        "who said what: which country, organisation or official stated, demanded, accused, "
        "rejected, warned, proposed or supported what, with the sources. Subscribe a channel "
        "to a morning digest at its local time with /subscribe; ask /positions russia; "
        "/watch an actor to hear when it shifts. /help lists every command."
    )
    return text[:_DESCRIPTION_LIMIT]
