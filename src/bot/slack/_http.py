"""HTTP mode: an aiohttp server in front of the bolt app, for production behind a load balancer.

- ``POST /slack/events``: slash commands, events and interactions. The signature is checked
  first (401 when it is wrong or older than five minutes), then the body must be something Slack
  sends (400 otherwise), then bolt handles it;
- ``GET /healthz``: 200 while the process runs;
- ``GET /slack/install`` and ``GET /slack/oauth_redirect``: the OAuth v2 install, when the app
  serves many workspaces.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: Slack's own rule: a request signed more than five minutes ago is refused.
MAX_AGE_SECONDS = 300
#: Larger bodies are not Slack's: refused before they are read in full.
MAX_BODY_BYTES = 1_000_000


def http_app(app: AsyncApp, signing_secret: str) -> web.Application:
    """The aiohttp application that serves ``app`` over HTTP."""
    key = signing_secret.encode()
    server = web.Application(client_max_size=MAX_BODY_BYTES)

    async def events(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if not signed(key, body, request.headers):
            return web.json_response({"error": "invalid signature"}, status=401)
        if not is_slack_payload(body, request.content_type):
            return web.json_response({"error": "not a Slack request"}, status=400)
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    async def install(request: web.Request) -> web.StreamResponse:
        if app.oauth_flow is None:
            raise web.HTTPNotFound
        bolt_response = await app.oauth_flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def redirect(request: web.Request) -> web.StreamResponse:
        if app.oauth_flow is None:
            raise web.HTTPNotFound
        bolt_response = await app.oauth_flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    server.router.add_post(EVENTS_PATH, events)
    server.router.add_get(HEALTH_PATH, health)
    server.router.add_get(INSTALL_PATH, install)
    server.router.add_get(REDIRECT_PATH, redirect)
    return server


def signed(key: bytes, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's request signature: ``v0=`` and the hex HMAC-SHA256 of ``v0:{timestamp}:{body}``
    (the raw bytes, whatever they hold), with a timestamp within five minutes."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(key, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def is_slack_payload(body: bytes, content_type: str) -> bool:
    """Whether ``body`` is one of the things Slack posts, in the shape bolt reads without
    failing: a slash command (a form), an interaction (a form with a JSON ``payload``), or an
    Events API callback (JSON with a type). A signed body of another shape (an interaction
    without actions, an event that is not an object, JSON nested too deep) is refused with a
    400, never handed to bolt to fail with a 500."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if content_type == "application/json":
        data = _json(text)
        return isinstance(data, dict) and _well_formed(data)
    form = parse_qs(text)
    if "payload" in form:
        payload = _json(form["payload"][0]) if len(form["payload"]) == 1 else None
        return isinstance(payload, dict) and _well_formed(payload)
    if "ssl_check" in form:
        return True
    return "command" in form and _command_well_formed(form)


#: What a slash command always carries, each a non-empty string.
_COMMAND_FIELDS = ("command", "team_id", "user_id", "channel_id", "response_url")
#: Parts of a payload that bolt reads as objects when they are there (null is allowed).
_OBJECT_FIELDS = ("team", "user", "channel", "enterprise", "container", "message", "view")
#: Payload types that bolt reads ``actions[0]`` of, and those it reads ``view`` of.
_ACTION_TYPES = frozenset({"block_actions", "interactive_message", "attachment_action"})
_VIEW_TYPES = frozenset({"view_submission", "view_closed"})


def _command_well_formed(form: Mapping[str, list[str]]) -> bool:
    values = [form.get(field, [""]) for field in _COMMAND_FIELDS]
    return all(len(value) == 1 and value[0] for value in values) and form["command"][0][0] == "/"


def _well_formed(data: dict[str, Any]) -> bool:
    """Whether a JSON payload has a type and the shape bolt reads."""
    kind = data.get("type")
    if not isinstance(kind, str):
        return False
    if any(not isinstance(data.get(field), dict | None) for field in _OBJECT_FIELDS):
        return False
    if kind == "event_callback" and not _objects(data.get("event"), "type"):
        return False
    if (kind in _ACTION_TYPES or "actions" in data) and not _list_of_objects(data.get("actions")):
        return False
    if kind in _VIEW_TYPES and not isinstance(data.get("view"), dict):
        return False
    return "authorizations" not in data or _list_of_objects(data["authorizations"], empty=True)


def _objects(value: object, key: str) -> bool:
    """Whether ``value`` is an object whose ``key`` is a string."""
    return isinstance(value, dict) and isinstance(value.get(key), str)


def _list_of_objects(value: object, *, empty: bool = False) -> bool:
    if not isinstance(value, list) or (not value and not empty):
        return False
    return all(isinstance(item, dict) for item in value)


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python goes
        return None
