"""The layering the architecture promises, checked rather than hoped for."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
CHAT_SIDE = ("bot", "discord", "slack_bolt", "slack_sdk")


def _imports(path: Path) -> set[str]:
    """Top-level names of every module a file imports, at any depth in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _python_files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**clean, **env},
        check=False,
        timeout=60,
    )


def test_importing_digests_pulls_in_no_chat_code() -> None:
    code = """
import importlib, json, pkgutil, sys
import digests
for info in pkgutil.walk_packages(digests.__path__, "digests."):
    if not info.name.startswith("digests.store.migrations"):  # alembic runs those
        importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""
    result = _run_python(code)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "digests.store" in loaded  # the walk really imported the library
    offenders = [name for name in loaded if name.split(".")[0] in CHAT_SIDE]
    assert offenders == []


@pytest.mark.parametrize("path", _python_files("digests"), ids=lambda p: str(p.relative_to(SRC)))
def test_no_digests_module_imports_chat_code(path: Path) -> None:
    assert _imports(path).isdisjoint(CHAT_SIDE)


def test_sql_lives_only_in_the_store_package() -> None:
    outside = [
        str(path.relative_to(SRC))
        for package in ("digests", "bot")
        for path in _python_files(package)
        if {"sqlalchemy", "alembic"} & _imports(path) and "digests/store" not in path.as_posix()
    ]
    assert outside == []


def test_nothing_reads_settings_at_import_time() -> None:
    # Settings this bad would fail validation, so importing must not build them.
    result = _run_python(
        "import bot.cli, bot.settings, bot.doctor, digests.service",
        NEWSDIGEST_DATABASE_URL="mysql://nope",
        NEWSDIGEST_FETCH__CONCURRENCY="many",
    )
    assert result.returncode == 0, result.stderr


def test_a_parsing_worker_imports_neither_the_store_nor_aiohttp() -> None:
    # Worker processes unpickle digests.fetch._parse.parse_feed: they must stay light.
    result = _run_python(
        "import json, sys\n"
        "import digests.fetch._parse, digests.fetch._fulltext\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "feedparser" in loaded
    assert loaded.isdisjoint({"aiohttp", "sqlalchemy", "alembic", "digests.service"})


def test_the_cli_module_imports_neither_the_store_nor_aiohttp() -> None:
    # Worker processes re-import the console script, and so bot.cli: it must stay light too.
    result = _run_python("import json, sys, bot.cli\nprint(json.dumps(sorted(sys.modules)))")
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert loaded.isdisjoint({"aiohttp", "sqlalchemy", "alembic", "feedparser", "digests.service"})


PLATFORM_LIBRARIES = {"discord", "slack_bolt", "slack_sdk"}


@pytest.mark.parametrize(
    "path",
    [*_python_files("bot/commands"), *_python_files("bot/views")],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_the_command_layer_and_the_views_import_no_chat_library(path: Path) -> None:
    # One command model and neutral views; only the adapters know a platform.
    assert _imports(path).isdisjoint(PLATFORM_LIBRARIES)


def test_each_platform_adapter_imports_only_its_own_library() -> None:
    discord_side = {name for path in _python_files("bot/discord") for name in _imports(path)}
    assert "discord" in discord_side
    assert discord_side.isdisjoint({"slack_bolt", "slack_sdk"})
