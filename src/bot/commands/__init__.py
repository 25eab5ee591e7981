"""The command layer: every chat command declared once, with one handler returning neutral
views, run the same way on every platform (see docs/commands.md)."""

from bot.commands._catalog import COMMANDS, find_command
from bot.commands._home import workspace_home
from bot.commands._model import (
    Access,
    Args,
    Caller,
    Command,
    CommandError,
    Handler,
    Kind,
    Param,
    Reply,
    Suggest,
)
from bot.commands._run import MAX_CHOICES, Choice, failure_view, run_command, suggest

__all__ = [
    "COMMANDS",
    "MAX_CHOICES",
    "Access",
    "Args",
    "Caller",
    "Choice",
    "Command",
    "CommandError",
    "Handler",
    "Kind",
    "Param",
    "Reply",
    "Suggest",
    "failure_view",
    "find_command",
    "run_command",
    "suggest",
    "workspace_home",
]
