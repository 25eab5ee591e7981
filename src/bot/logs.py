"""Logging: JSON lines for log collectors (`log_format = "json"`), and the mask that keeps
secrets out of every log line, ours and the libraries' (slack_sdk logs response bodies with
bot tokens at DEBUG, aiohttp's access log the OAuth ``code``, Socket Mode its ``ticket`` URL).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable

from pydantic import SecretStr
from rich.console import ConsoleRenderable
from rich.logging import RichHandler

from bot.settings import Settings
from bot.terminal import terminal_text

#: What replaces a secret.
MASK = "***"
#: Configured secrets shorter than this are not masked word for word (they would mask
#: ordinary text); the patterns below still apply.
MIN_SECRET_LENGTH = 6

# Every pattern is bounded: no nested quantifier, no unbounded run.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Slack tokens: xoxb- xoxp- xoxa- xoxr- xoxs- xoxe- (and xoxe.xoxp- refresh), xapp-.
    (re.compile(r"\b(xox[a-z]?(?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{1,500}"), rf"\1-{MASK}"),
    # Discord bot tokens: three base64url parts (user id, timestamp, HMAC); JWTs too.
    (re.compile(r"\b[A-Za-z0-9_-]{20,100}\.[A-Za-z0-9_-]{4,40}\.[A-Za-z0-9_-]{20,300}"), MASK),
    # Authorization headers: "Bearer x", "Bot x", "Basic x" (x long enough to be a secret).
    (re.compile(r"\b(Bearer|Bot|Basic)\s{1,10}[A-Za-z0-9._~+/=-]{16,2000}"), rf"\1 {MASK}"),
    # Query values: the OAuth code and state, a Socket Mode ticket, tokens and secrets in URLs.
    (
        re.compile(
            r"([?&;](?:code|state|ticket|token|access_token|refresh_token|client_secret)=)"
            r"[^&;\s\"'#<>]{1,2000}",
            re.IGNORECASE,
        ),
        rf"\1{MASK}",
    ),
    # The same as fields of JSON or of a Python dict's repr: "code": "...", 'token': '...'.
    (
        re.compile(
            r"""(["'](?:code|state|ticket|token|bot_token|user_token|access_token|"""
            r"""refresh_token|client_secret|signing_secret|app_token)["']\s{0,5}:\s{0,5}["'])"""
            r"""[^"']{1,2000}""",
            re.IGNORECASE,
        ),
        rf"\1{MASK}",
    ),
    # A password in a URL: postgresql://user:password@host.
    (re.compile(r"(://[^:/\s@]{1,200}:)[^@\s/]{1,500}@"), rf"\1{MASK}@"),
)


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every token, code, ticket and given secret replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretMask(logging.Filter):
    """Masks secrets in a record before any handler formats it: its message with its
    arguments, its traceback and its stack. Installed on the root logger's handlers, so it
    sees every record that reaches the log, whichever logger made it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is masked whole.
        found = {secret for secret in secrets if len(secret) >= MIN_SECRET_LENGTH}
        self.secrets = tuple(sorted(found, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = mask_secrets(record.getMessage(), self.secrets)
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = mask_secrets(record.exc_text, self.secrets)
                record.exc_info = None  # what is shown is the masked text
            if record.stack_info:
                record.stack_info = mask_secrets(record.stack_info, self.secrets)
        except Exception:  # a message that cannot be formatted is not shown as it is
            record.msg, record.args = "(a log message that could not be masked)", None
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def configured_secrets(settings: Settings) -> list[str]:
    """Every secret the settings hold, to be masked word for word in the log."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        # The database URL is masked by its password (the pattern), not as a whole.
        if isinstance(value, SecretStr) and name != "database_url":
            values.append(value.get_secret_value())
    return values


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"}``, plus ``"error"`` with the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:  # already formatted (and masked)
            entry["error"] = record.exc_text
        elif record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class SafeRichHandler(RichHandler):
    """The terminal's log handler: a message (which may quote a feed's title, URL or error)
    reaches the terminal without control characters or escape sequences, and is never read as
    Rich markup."""

    def render_message(self, record: logging.LogRecord, message: str) -> ConsoleRenderable:
        return super().render_message(record, terminal_text(message))
