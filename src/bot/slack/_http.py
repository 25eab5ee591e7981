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
    """Whether ``body`` is one of the things Slack posts: a slash command or an interaction
    (a form), or an Events API callback (JSON with a type)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if content_type == "application/json":
        data = _json(text)
        return isinstance(data, dict) and isinstance(data.get("type"), str)
    form = parse_qs(text)
    if "payload" in form:
        return isinstance(_json(form["payload"][0]), dict)
    return "command" in form or "ssl_check" in form


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None
