"""Slack installations and OAuth states kept in the store (bot.slack._installations), on both
backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.slack._installations import StoreInstallationStore, StoreOAuthStateStore
from digests.model import UTC
from digests.store import Store
from digests.store._slack import add_oauth_state, consume_oauth_state
from digests.store._tables import slack_installations, slack_oauth_states

CLIENT_ID = "111.222"
DAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _at(minutes: float) -> float:
    """An installation time: ``minutes`` after DAY, as slack_sdk keeps it (a Unix time)."""
    return (DAY + dt.timedelta(minutes=minutes)).timestamp() + 0.123456


def _install(
    *,
    minutes: float = 0,
    team_id: str | None = "T1",
    enterprise_id: str | None = None,
    user_id: str = "U1",
    bot_token: str | None = "xoxb-1",
    **more: Any,
) -> Installation:
    bot: dict[str, Any] = (
        {"bot_token": bot_token, "bot_id": f"B-{bot_token}", "bot_user_id": "UBOT"}
        if bot_token
        else {}
    )
    return Installation(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name="Newsroom",
        user_id=user_id,
        bot_scopes=["commands", "chat:write"] if bot_token else "",
        installed_at=_at(minutes),
        **bot,
        **more,
    )


def _rows(store: Store) -> int:
    with store.engine.connect() as db:
        return db.scalar(sa.select(sa.func.count()).select_from(slack_installations)) or 0


async def test_an_installation_comes_back_whole(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    saved = _install(
        user_token="xoxp-1",
        user_scopes="search:read",
        bot_refresh_token="xoxe-1",
        bot_token_expires_at=int(DAY.timestamp()) + 43200,
        incoming_webhook_url="https://hooks.slack.test/1",
        custom_values={"plan": "newsroom"},
    )
    await installations.async_save(saved)

    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert found.to_dict_for_copying() == saved.to_dict_for_copying()
    assert found.installed_at == saved.installed_at
    assert found.bot_scopes == ["commands", "chat:write"]
    assert found.get_custom_value("plan") == "newsroom"

    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert (bot.bot_token, bot.bot_id, bot.bot_refresh_token) == ("xoxb-1", "B-xoxb-1", "xoxe-1")
    assert bot.bot_token_expires_at == int(DAY.timestamp()) + 43200


async def test_the_newest_installation_of_a_workspace_wins(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(minutes=10, bot_token="xoxb-new", user_id="U2"))
    await installations.async_save(_install(minutes=0, bot_token="xoxb-old", user_id="U1"))
    await installations.async_save(_install(minutes=20, team_id="T2", bot_token="xoxb-other"))

    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    other = await installations.async_find_bot(enterprise_id=None, team_id="T2")
    assert found is not None
    assert bot is not None
    assert other is not None
    assert (found.bot_token, found.user_id) == ("xoxb-new", "U2")
    assert bot.bot_token == "xoxb-new"
    assert other.bot_token == "xoxb-other"


async def test_a_users_installation_takes_the_workspaces_newest_bot(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(minutes=0, user_id="U1", user_token="xoxp-u1"))
    await installations.async_save(_install(minutes=5, user_id="U2", bot_token="xoxb-2"))

    mine = await installations.async_find_installation(
        enterprise_id=None, team_id="T1", user_id="U1"
    )
    assert mine is not None
    assert (mine.user_id, mine.user_token) == ("U1", "xoxp-u1")
    assert (mine.bot_token, mine.bot_id) == ("xoxb-2", "B-xoxb-2")  # the newest bot, not U1's
    nobody = await installations.async_find_installation(
        enterprise_id=None, team_id="T1", user_id="U3"
    )
    assert nobody is None


async def test_an_installation_without_a_bot_token_keeps_the_workspaces_bot(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(minutes=0, bot_token="xoxb-1"))
    await installations.async_save(
        _install(minutes=5, user_id="U2", bot_token=None, user_token="xoxp-2")
    )

    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    latest = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert latest is not None
    assert bot.bot_token == "xoxb-1"  # the newest installation with a bot token
    assert (latest.user_token, latest.bot_token) == ("xoxp-2", "xoxb-1")


async def test_an_enterprise_wide_installation_serves_every_workspace_of_the_org(
    store: Store,
) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(
        _install(enterprise_id="E1", team_id=None, is_enterprise_install=True, bot_token="xoxb-e")
    )
    await installations.async_save(_install(enterprise_id="E2", team_id="T9", bot_token="xoxb-9"))

    for team_id in ("T5", None):
        found = await installations.async_find_installation(
            enterprise_id="E1", team_id=team_id, is_enterprise_install=True
        )
        bot = await installations.async_find_bot(
            enterprise_id="E1", team_id=team_id, is_enterprise_install=True
        )
        assert found is not None
        assert bot is not None
        assert (found.bot_token, found.is_enterprise_install) == ("xoxb-e", True)
        assert (bot.bot_token, bot.is_enterprise_install) == ("xoxb-e", True)
    # Not for another org, nor for a workspace of it asked for as a workspace install.
    assert (
        await installations.async_find_bot(
            enterprise_id="E2", team_id="T5", is_enterprise_install=True
        )
        is None
    )
    assert await installations.async_find_bot(enterprise_id="E1", team_id="T5") is None
    workspace = await installations.async_find_bot(enterprise_id="E2", team_id="T9")
    assert workspace is not None
    assert workspace.bot_token == "xoxb-9"


async def test_installations_of_another_app_are_not_ours(store: Store) -> None:
    await StoreInstallationStore(store, "999.000").async_save(_install())
    installations = StoreInstallationStore(store, CLIENT_ID)
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await installations.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_saving_an_installation_again_replaces_it(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(bot_token="xoxb-1"))
    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    found.bot_token = "xoxb-rotated"  # what a token rotation saves: the same installation
    await installations.async_save(found)

    again = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert again is not None
    assert again.bot_token == "xoxb-rotated"
    assert _rows(store) == 1


async def test_a_rotated_bot_goes_back_into_its_installation(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(bot_token="xoxb-1", user_token="xoxp-1"))
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    bot.bot_token, bot.bot_refresh_token = "xoxb-rotated", "xoxe-2"
    await installations.async_save_bot(bot)

    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == ("xoxb-rotated", "xoxe-2")
    assert found.user_token == "xoxp-1"  # the rest of the installation is as it was
    assert _rows(store) == 1


async def test_deleting_a_users_installations_keeps_the_others(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(minutes=0, user_id="U1", bot_token="xoxb-1"))
    await installations.async_save(_install(minutes=5, user_id="U2", bot_token="xoxb-2"))
    await installations.async_save(_install(minutes=9, team_id="T2", bot_token="xoxb-9"))

    await installations.async_delete_installation(enterprise_id=None, team_id="T1", user_id="U2")
    assert (
        await installations.async_find_installation(enterprise_id=None, team_id="T1", user_id="U2")
        is None
    )
    left = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert left is not None
    assert left.bot_token == "xoxb-1"


async def test_uninstalling_forgets_the_workspace_only(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(minutes=0, user_id="U1"))
    await installations.async_save(_install(minutes=5, user_id="U2"))
    await installations.async_save(_install(minutes=9, team_id="T2", bot_token="xoxb-9"))

    await installations.async_delete_all(enterprise_id=None, team_id="T1")
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await installations.async_find_installation(enterprise_id=None, team_id="T1") is None
    other = await installations.async_find_bot(enterprise_id=None, team_id="T2")
    assert other is not None
    assert other.bot_token == "xoxb-9"


async def test_revoking_the_bot_leaves_no_bot_token_behind(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    await installations.async_save(_install(minutes=0))
    await installations.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await installations.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_no_installation_finds_no_bot(store: Store) -> None:
    installations = StoreInstallationStore(store, CLIENT_ID)
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await installations.async_find_installation(enterprise_id=None, team_id="T1") is None
    await installations.async_save(_install(bot_token=None, user_token="xoxp-1"))
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None


class Clock:
    def __init__(self) -> None:
        self.now = DAY

    def __call__(self) -> dt.datetime:
        return self.now


async def test_a_state_is_good_once(store: Store) -> None:
    states = StoreOAuthStateStore(store, expiration_seconds=600, clock=Clock())
    first = await states.async_issue()
    second = await states.async_issue()
    assert first != second
    assert len(first) >= 32

    assert await states.async_consume(first) is True
    assert await states.async_consume(first) is False  # used up
    assert await states.async_consume(second) is True
    assert await states.async_consume("never-issued") is False


async def test_an_expired_state_is_refused(store: Store) -> None:
    clock = Clock()
    states = StoreOAuthStateStore(store, expiration_seconds=600, clock=clock)
    late = await states.async_issue()
    in_time = await states.async_issue()

    clock.now = DAY + dt.timedelta(seconds=599)
    assert await states.async_consume(in_time) is True
    clock.now = DAY + dt.timedelta(seconds=600)
    assert await states.async_consume(late) is False
    clock.now = DAY  # and it is gone, not merely refused
    assert await states.async_consume(late) is False


def test_consuming_a_state_clears_the_expired_ones(store: Store) -> None:
    add_oauth_state(store, "old", DAY)
    add_oauth_state(store, "fresh", DAY + dt.timedelta(hours=1))
    add_oauth_state(store, "used", DAY + dt.timedelta(hours=1))

    assert consume_oauth_state(store, "used", DAY + dt.timedelta(minutes=1)) is True
    with store.engine.connect() as db:
        left = db.scalars(sa.select(slack_oauth_states.c.state)).all()
    assert left == ["fresh"]
