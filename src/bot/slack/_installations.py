"""Slack's OAuth v2 installs kept in our database, so one deployment serves many workspaces.

:class:`StoreInstallationStore` and :class:`StoreOAuthStateStore` are slack_sdk's async
installation and OAuth state stores on our :class:`~digests.store.Store` (bolt's OAuth flow and
its authorisation call them). They behave as slack_sdk's own SQLAlchemy stores do, on our
schema and migrations: one ``slack_installations`` table keeps each installation whole as a
JSON document (``Installation.to_dict_for_copying``), and the bot of a workspace is the one of
its newest installation that has a bot token. The store is synchronous: every call runs in a
worker thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import secrets
from collections.abc import Callable
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from digests.model import UTC, utc_now
from digests.store import Store
from digests.store._slack import (
    add_oauth_state,
    consume_oauth_state,
    delete_slack_installations,
    find_slack_installation,
    save_slack_installation,
)

log = logging.getLogger(__name__)

#: What Installation() takes: a document written by another slack_sdk version may hold more.
_INSTALLATION_ARGUMENTS = frozenset(inspect.signature(Installation).parameters)


def _document(installation: Installation) -> dict[str, Any]:
    """An installation as a JSON document: its values, datetimes as ISO 8601 text (which
    Installation() reads back)."""
    values = installation.to_dict_for_copying()
    return {
        name: value.isoformat() if isinstance(value, dt.datetime) else value
        for name, value in values.items()
    }


def _installation(document: dict[str, Any]) -> Installation:
    """The installation a document holds. A value of None is left to the constructor's default
    (the scopes' is "": no scopes, a list)."""
    arguments = {
        name: value
        for name, value in document.items()
        if value is not None and name in _INSTALLATION_ARGUMENTS
    }
    return Installation(**arguments)


class StoreInstallationStore(AsyncInstallationStore):
    """The installations of the Slack app ``client_id``, kept in the store."""

    def __init__(self, store: Store, client_id: str) -> None:
        self._store = store
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        """Store an installation; one stored already (same workspace, installer and time: a
        token rotation) has its document replaced."""
        await asyncio.to_thread(
            save_slack_installation,
            self._store,
            client_id=self.client_id,
            enterprise_id=installation.enterprise_id,
            team_id=installation.team_id,
            is_enterprise_install=bool(installation.is_enterprise_install),
            user_id=installation.user_id,
            installed_at=dt.datetime.fromtimestamp(installation.installed_at, UTC),
            data=_document(installation),
        )

    async def async_save_bot(self, bot: Bot) -> None:
        """Keep a bot's new tokens (bolt rotates them on its ``find_bot`` path) in the
        installation that bot came from; nothing if a newer one has come since, or none is
        left."""
        found = await self._find(
            bot.enterprise_id, bot.team_id, None, bot.is_enterprise_install, with_bot_token=True
        )
        if found is None or found.installed_at != bot.installed_at:
            log.info(
                "not saving the bot of team %s (enterprise %s): its installation is gone",
                bot.team_id,
                bot.enterprise_id,
            )
            return
        _take_bot(found, bot)
        await self.async_save(found)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot of the newest installation of the workspace (or, enterprise-wide, of the
        org) that has a bot token."""
        found = await self._find(
            enterprise_id, team_id, None, is_enterprise_install, with_bot_token=True
        )
        return None if found is None else found.to_bot()

    async def find_team_bot(self, team_id: str) -> Bot | None:
        """The bot of the workspace's newest installation that has a bot token, whether or not
        the workspace belongs to an Enterprise Grid org (for the sender, which knows only the
        workspace of a channel)."""
        document = await asyncio.to_thread(
            find_slack_installation,
            self._store,
            client_id=self.client_id,
            enterprise_id=None,
            team_id=team_id,
            with_bot_token=True,
            any_enterprise=True,
        )
        return None if document is None else _installation(document).to_bot()

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The newest installation of the workspace (or org), or the newest ``user_id`` made.

        Its bot is the workspace's current one: a user's installation, or one without a bot
        token, takes the bot of the newest installation that has one (as slack_sdk's stores
        do, so an older user installation never brings back a replaced bot token).
        """
        found = await self._find(enterprise_id, team_id, user_id, is_enterprise_install)
        if found is None or (user_id is None and found.bot_token is not None):
            return found
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None and bot.bot_token != found.bot_token:
            _take_bot(found, bot)
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The bot's tokens were revoked: delete the workspace's installations, since every one
        of them carries a bot token of it (the app asks for no user tokens to keep)."""
        await self._delete(enterprise_id, team_id, None)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        """Delete the workspace's installations, or only those ``user_id`` made."""
        await self._delete(enterprise_id, team_id, user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The app was uninstalled from the workspace: forget every installation of it."""
        await self._delete(enterprise_id, team_id, None)

    async def _find(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        is_enterprise_install: bool | None,
        *,
        with_bot_token: bool = False,
    ) -> Installation | None:
        document = await asyncio.to_thread(
            find_slack_installation,
            self._store,
            client_id=self.client_id,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=bool(is_enterprise_install),
            with_bot_token=with_bot_token,
        )
        return None if document is None else _installation(document)

    async def _delete(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> None:
        deleted = await asyncio.to_thread(
            delete_slack_installations,
            self._store,
            client_id=self.client_id,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )
        log.info(
            "deleted %d Slack installation(s) of team %s (enterprise %s%s)",
            deleted,
            team_id,
            enterprise_id,
            "" if user_id is None else f", user {user_id}",
        )


def _take_bot(installation: Installation, bot: Bot) -> None:
    """Give an installation the bot's identity and tokens."""
    installation.bot_id = bot.bot_id
    installation.bot_user_id = bot.bot_user_id
    installation.bot_token = bot.bot_token
    installation.bot_scopes = bot.bot_scopes
    installation.bot_refresh_token = bot.bot_refresh_token
    installation.bot_token_expires_at = bot.bot_token_expires_at


class StoreOAuthStateStore(AsyncOAuthStateStore):
    """The OAuth states of install links, kept in the store: each is a random value, good once
    and for ``expiration_seconds`` (make it bolt's ``state_expiration_seconds``)."""

    def __init__(
        self,
        store: Store,
        expiration_seconds: int = 600,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._store = store
        self.expiration_seconds = expiration_seconds
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        expires_at = self._clock() + dt.timedelta(seconds=self.expiration_seconds)
        await asyncio.to_thread(add_oauth_state, self._store, state, expires_at)
        return state

    async def async_consume(self, state: str) -> bool:
        """True if ``state`` was issued here and has not expired; it is used up either way."""
        return await asyncio.to_thread(consume_oauth_state, self._store, state, self._clock())
