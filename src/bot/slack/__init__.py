"""The Slack adapter: the declared commands as slash commands (Socket Mode or HTTP mode, one
workspace or many), the views as Block Kit, the App Home tab, and a sender for channels (see
docs/slack.md)."""

from bot.slack._app import BOT_SCOPES, build_app
from bot.slack._http import http_app
from bot.slack._manifest import manifest, manifest_json
from bot.slack._sender import SlackSender
from bot.slack._serve import serve, slack_sender
from bot.slack.render import SlackMessage, message_payload, render

__all__ = [
    "BOT_SCOPES",
    "SlackMessage",
    "SlackSender",
    "build_app",
    "http_app",
    "manifest",
    "manifest_json",
    "message_payload",
    "render",
    "serve",
    "slack_sender",
]
