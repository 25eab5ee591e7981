"""`newsdigest doctor`: what this installation is set to, and whether its database is ready.

It only reads: it never creates, migrates or writes the database.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from enum import Enum

from bot.settings import LoadedSettings, Settings
from digests import __version__
from digests.errors import StoreError
from digests.model import utc_now
from digests.schedule import next_delivery
from digests.store import Store, display_url, head_revision, sqlite_path

_SECRETS = (
    "discord_token",
    "slack_bot_token",
    "slack_app_token",
    "slack_signing_secret",
    "slack_client_secret",
)


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    topic: str
    status: Status
    detail: str


def diagnose(loaded: LoadedSettings) -> list[Finding]:
    """Every finding, in the order a person would read them."""
    settings = loaded.settings
    return [
        Finding(
            "version",
            Status.INFO,
            f"newsdigest {__version__}, Python {platform.python_version()}",
        ),
        Finding("settings", Status.INFO, "; ".join(loaded.sources())),
        *_unknown_variables(loaded),
        Finding("database", Status.INFO, display_url(settings.resolved_database_url())),
        _schema(settings),
        *_next_deliveries(settings),
        Finding("adapters", Status.INFO, _adapters(settings)),
        *_discord(settings),
        Finding("secrets", Status.INFO, _secrets(settings)),
        _private_networks(settings),
    ]


def _unknown_variables(loaded: LoadedSettings) -> list[Finding]:
    return [
        Finding("settings", Status.WARN, f"{name} is not a setting: it changes nothing")
        for name in loaded.unknown_env_names()
    ]


def _schema(settings: Settings) -> Finding:
    url = settings.resolved_database_url()
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return Finding(
            "schema", Status.FAIL, f"no database yet at {path}: run `newsdigest db upgrade`"
        )
    try:
        with Store.open(url, migrate=False) as store:
            counts = store.counts()
    except StoreError as error:  # includes not migrated
        return Finding("schema", Status.FAIL, str(error))
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    return Finding("schema", Status.OK, f"migrated to {head_revision()} (head); {summary}")


#: Deliveries `doctor` lists, the soonest first.
NEXT_SHOWN = 5


def _next_deliveries(settings: Settings) -> list[Finding]:
    """The next few digests `newsdigest run` will send (none when the store cannot be read:
    the schema finding says why)."""
    url = settings.resolved_database_url()
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return []
    try:
        with Store.open(url, migrate=False) as store:
            subscriptions = [s for s in store.list_subscriptions() if s.enabled]
    except StoreError:
        return []
    if not subscriptions:
        return [Finding("schedule", Status.INFO, "no digest subscription yet")]
    now = utc_now()
    upcoming = sorted(((next_delivery(s, now), s) for s in subscriptions), key=lambda p: p[0])
    upcoming = upcoming[:NEXT_SHOWN]
    return [
        Finding(
            "schedule",
            Status.INFO,
            f"next digest {when:%Y-%m-%d %H:%M} UTC: {s.platform} {s.channel_id} "
            f"({s.local_time:%H:%M} {s.timezone})",
        )
        for when, s in upcoming
    ]


def _adapters(settings: Settings) -> str:
    adapters = settings.adapters()
    if adapters == ["console"]:
        return "console (no chat credentials configured)"
    return ", ".join(adapters)


def _discord(settings: Settings) -> list[Finding]:
    """Where the bot connects, and the URL that invites it with the permissions it needs."""
    if settings.discord_token is None:
        return []
    from bot.discord import application_id, invite_url  # noqa: PLC0415 - discord.py on demand

    where = Finding("discord", Status.INFO, f"API {settings.discord_api_url}, gateway "
                    f"{settings.discord_gateway_url}; commands registered "
                    + (f"in guild {settings.discord_dev_guild}" if settings.discord_dev_guild
                       else "globally"))  # fmt: skip
    app_id = application_id(settings)
    if app_id is None:
        return [where, Finding("discord", Status.WARN, "set discord_application_id to get the "
                               "invite URL (the token does not hold it)")]  # fmt: skip
    return [where, Finding("discord", Status.INFO, f"invite: {invite_url(app_id)}")]


def _secrets(settings: Settings) -> str:
    shown = []
    for name in _SECRETS:
        value = getattr(settings, name)
        shown.append(f"{name} {value if value else 'not set'}")
    return "; ".join(shown)


def _private_networks(settings: Settings) -> Finding:
    if settings.fetch.allow_private_networks:
        return Finding(
            "fetch",
            Status.WARN,
            "fetch.allow_private_networks is ON: feeds on private and loopback addresses "
            "can be polled",
        )
    return Finding("fetch", Status.OK, "feeds on private and loopback addresses are refused")
