"""The store's side of Slack's OAuth v2 installs (multi-workspace HTTP mode): installations and
the OAuth states of install links. Plain functions taking the ``Store``.

Installations come and go as JSON documents the Slack adapter writes and reads
(``bot.slack._installations``); the store keeps them with the columns that find them and knows
nothing of the chat library. One key of the document it does read: ``"bot_token"``, to find the
newest installation that has one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from digests.store._store import Store
from digests.store._tables import slack_installations, slack_oauth_states

_installs = slack_installations.c


def _of_team(
    client_id: str, enterprise_id: str | None, team_id: str | None
) -> list[sa.ColumnElement[bool]]:
    # == None compiles to IS NULL: an install outside an Enterprise Grid has no enterprise_id.
    return [
        _installs.client_id == client_id,
        _installs.enterprise_id == enterprise_id,
        _installs.team_id == team_id,
    ]


def save_slack_installation(
    store: Store,
    *,
    client_id: str,
    enterprise_id: str | None,
    team_id: str | None,
    is_enterprise_install: bool,
    user_id: str,
    installed_at: dt.datetime,
    data: dict[str, Any],
) -> None:
    """Store an installation (``data``, a JSON document) of the app ``client_id``.

    An installation is known by its workspace (or org), its installer and when it was installed:
    saving one that is stored already (a token rotation saves the same installation with new
    tokens) replaces its document; any other is a new row, and the newest is the one in force.
    """
    values = {
        "client_id": client_id,
        "enterprise_id": enterprise_id,
        "team_id": team_id,
        "is_enterprise_install": is_enterprise_install,
        "user_id": user_id,
        "installed_at": installed_at,
        "data": data,
    }
    same = sa.select(_installs.id).where(
        *_of_team(client_id, enterprise_id, team_id),
        _installs.user_id == user_id,
        _installs.installed_at == installed_at,
    )
    with store._begin() as db:
        existing = db.scalar(same.order_by(_installs.id.desc()).limit(1))
        if existing is None:
            db.execute(slack_installations.insert().values(values))
        else:
            db.execute(slack_installations.update().where(_installs.id == existing).values(values))


def find_slack_installation(
    store: Store,
    *,
    client_id: str,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str | None = None,
    is_enterprise_install: bool = False,
    with_bot_token: bool = False,
    any_enterprise: bool = False,
) -> dict[str, Any] | None:
    """The document of the newest installation of a workspace, or None.

    ``any_enterprise``: match the workspace by its id alone, in or outside an Enterprise Grid
    org (a sender knows a channel's workspace, not its org).

    ``is_enterprise_install``: the newest enterprise-wide install of the org ``enterprise_id``,
    whatever ``team_id`` is (events from any of the org's workspaces carry their own).
    ``user_id``: the newest that user installed. ``with_bot_token``: the newest whose document
    holds a ``"bot_token"``.
    """
    if is_enterprise_install:
        conditions = [
            _installs.client_id == client_id,
            _installs.enterprise_id == enterprise_id,
            _installs.is_enterprise_install.is_(True),
        ]
    else:
        conditions = _of_team(client_id, enterprise_id, team_id)
        if any_enterprise:
            conditions = [_installs.client_id == client_id, _installs.team_id == team_id]
    if user_id is not None:
        conditions.append(_installs.user_id == user_id)
    if with_bot_token:  # JSON null comes out of both backends' extraction as SQL NULL
        conditions.append(_installs.data["bot_token"].as_string().is_not(None))
    query = (
        sa.select(_installs.data)
        .where(*conditions)
        .order_by(_installs.installed_at.desc(), _installs.id.desc())
        .limit(1)
    )
    row = store._first(query)
    return None if row is None else dict(row.data)


def delete_slack_installations(
    store: Store,
    *,
    client_id: str,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str | None = None,
) -> int:
    """Delete the installations of a workspace (``team_id`` None: of an enterprise-wide
    install), or only those ``user_id`` made; return how many there were."""
    conditions = _of_team(client_id, enterprise_id, team_id)
    if user_id is not None:
        conditions.append(_installs.user_id == user_id)
    with store._begin() as db:
        return db.execute(slack_installations.delete().where(*conditions)).rowcount


def add_oauth_state(store: Store, state: str, expires_at: dt.datetime) -> None:
    """Remember an OAuth state issued with an install link, good until ``expires_at``."""
    with store._begin() as db:
        db.execute(slack_oauth_states.insert().values(state=state, expires_at=expires_at))


def consume_oauth_state(store: Store, state: str, now: dt.datetime) -> bool:
    """Use up an OAuth state: True if it was issued and had not expired at ``now``.

    The state is gone afterwards either way, so it is good once: of two callers at once only
    one sees it. The states that expired by ``now`` go too.
    """
    states = slack_oauth_states.c
    with store._begin() as db:
        taken = db.execute(
            slack_oauth_states.delete().where(states.state == state).returning(states.expires_at)
        ).scalar()
        db.execute(slack_oauth_states.delete().where(states.expires_at <= now))
    return taken is not None and taken > now
