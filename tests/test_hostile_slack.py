"""Slack HTTP mode under hostile input: a signed request Slack would never send (an interaction
with no actions, no type, a payload that is not JSON, an empty command, JSON nested too deep, a
huge body) gets a 4xx, never a 500 or a traceback in the log; and the server listens only
where the settings say."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.settings import Settings
from bot.slack import serve
from digests.service import Service
from tests.slack_double import SlackDouble, sign
from tests.test_slack import SECRET, Http, http, service, settings_for

__all__ = ["http", "service"]  # fixtures, from the Slack adapter's tests

FORM = "application/x-www-form-urlencoded"
ACTION = {"action_id": "subscribe", "block_id": "b1", "type": "button", "value": "x"}
BLOCK_ACTIONS = {
    "type": "block_actions",
    "team": {"id": "T0001", "domain": "newsroom"},
    "user": {"id": "U0001", "team_id": "T0001"},
    "enterprise": None,
    "api_app_id": "A0001",
    "token": "x",
    "trigger_id": "1.2.3",
    "actions": [],
}


def interaction(**changes: object) -> bytes:
    payload = {key: value for key, value in {**BLOCK_ACTIONS, **changes}.items() if value != ...}
    return urlencode({"payload": json.dumps(payload)}).encode()


def command(**changes: str) -> bytes:
    fields = {
        "command": "/positions", "text": "russia", "team_id": "T0001", "user_id": "U0001",
        "channel_id": "C0001", "response_url": "http://127.0.0.1:9/respond", **changes,
    }  # fmt: skip
    return urlencode({key: value for key, value in fields.items() if value != "-"}).encode()


def event(body: object) -> bytes:
    return json.dumps(body).encode()


JSON = "application/json"
HOME = {"type": "app_home_opened"}


DEEP = b"[" * 100_000 + b"]" * 100_000
#: Signed bodies Slack never sends: (name, body, content type).
MALFORMED = [
    ("block_actions with empty actions", interaction(), FORM),
    ("block_actions with actions a string", interaction(actions="x"), FORM),
    ("block_actions with an action a number", interaction(actions=[1]), FORM),
    ("block_actions with no team and empty actions", interaction(team=...), FORM),
    ("interaction without a type", interaction(type=..., actions=[ACTION]), FORM),
    ("interaction with a numeric type", interaction(type=5, actions=[ACTION]), FORM),
    ("interaction of an unknown type", interaction(type="whatever", actions=[ACTION]), FORM),
    ("view_submission without a view", interaction(type="view_submission", actions=...), FORM),
    ("view_submission with a string view", interaction(type="view_submission", view="x"), FORM),
    ("view_closed with a null view", interaction(type="view_closed", view=None), FORM),
    ("interaction with a string user", interaction(user="U1", actions=[ACTION]), FORM),
    ("payload that is not JSON", urlencode({"payload": "{not json"}).encode(), FORM),
    ("payload that is a list", urlencode({"payload": "[1]"}).encode(), FORM),
    ("payload nested too deep", b"payload=" + DEEP, FORM),
    ("two payloads", b"payload=%7B%7D&payload=%7B%7D", FORM),
    ("empty command", command(command=""), FORM),
    ("command that is not a slash command", command(command="positions"), FORM),
    ("command without response_url", command(response_url="-"), FORM),
    ("command without user", command(user_id="-"), FORM),
    ("command of no one's", command(text="-", team_id="-", user_id="-", channel_id="-"), FORM),
    ("event_callback without event", event({"type": "event_callback"}), JSON),
    ("event_callback with null event", event({"type": "event_callback", "event": None}), JSON),
    ("event_callback with a list event", event({"type": "event_callback", "event": []}), JSON),
    ("event, string authorizations", event({"type": "event_callback", "event": HOME,
                                            "authorizations": "x"}), JSON),
    ("JSON nested too deep", DEEP, JSON),
    ("huge body", b"command=/positions&text=" + b"a" * 2_000_000, FORM),
]  # fmt: skip


async def post(http: Http, body: bytes, kind: str) -> int:
    headers = {"Content-Type": kind, **sign(SECRET, body)}
    data = io.BytesIO(body)  # aiohttp warns of large raw bytes
    async with http.session.post(f"{http.url}/slack/events", data=data, headers=headers) as r:
        await r.read()
        return r.status


@pytest.mark.parametrize(("name", "body", "kind"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_a_signed_malformed_request_gets_a_4xx_and_no_traceback(
    http: Http, caplog: pytest.LogCaptureFixture, name: str, body: bytes, kind: str
) -> None:
    caplog.set_level(logging.WARNING)
    status = await post(http, body, kind)
    await asyncio.sleep(0.1)  # anything the app does after its ack

    assert 400 <= status < 500, name
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not [r for r in caplog.records if r.exc_info or r.exc_text], name


async def test_an_app_home_event_of_the_wrong_shape_is_ignored_quietly(
    http: Http, caplog: pytest.LogCaptureFixture
) -> None:
    home = {**HOME, "user": {"id": 1}, "tab": "home"}
    body = event(
        {"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001", "event": home}
    )
    status = await post(http, body, JSON)
    await asyncio.sleep(0.2)

    assert status == 200
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


# -- where HTTP mode listens ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def answers(host: str, port: int) -> bool:
    """Whether something answers /healthz at host:port."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{host}:{port}/healthz", timeout=aiohttp.ClientTimeout(5)) as r,
        ):
            return r.status == 200
    except aiohttp.ClientConnectionError:
        return False


async def served(service: Service, settings: Settings, host: str) -> dict[str, bool]:
    """Run HTTP mode, then ask 127.0.0.1 and 127.0.0.2 (both loopback on Linux)."""
    task = asyncio.create_task(serve(service, settings))
    try:
        for _ in range(100):
            if await answers(host, settings.slack_http_port):
                break
            await asyncio.sleep(0.05)
        return {
            address: await answers(address, settings.slack_http_port)
            for address in ("127.0.0.1", "127.0.0.2")
        }
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_http_mode_listens_on_loopback_by_default(service: Service) -> None:
    async with SlackDouble() as slack:
        settings = settings_for(slack, slack_http_port=free_port())
        assert settings.slack_http_host == "127.0.0.1"
        reached = await served(service, settings, "127.0.0.1")

    assert reached == {"127.0.0.1": True, "127.0.0.2": False}


async def test_http_mode_listens_where_the_settings_say(service: Service) -> None:
    async with SlackDouble() as slack:
        settings = settings_for(slack, slack_http_port=free_port(), slack_http_host="127.0.0.2")
        reached = await served(service, settings, "127.0.0.2")

    assert reached == {"127.0.0.1": False, "127.0.0.2": True}
