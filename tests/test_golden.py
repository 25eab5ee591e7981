"""Golden outputs: `newsdigest analyse --json` on a handful of development articles gives
exactly what tests/golden/ holds.

A change to the analysis that changes any of these outputs fails here, so that it is looked at
on purpose. When the new output is the better one, rewrite the files and read the diff before
committing it:

    NEWSDIGEST_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
ARTICLES = [
    "001-kremlin-neutrality-terms",
    "012-china-drills-taiwan",
    "015-unsc-houthi-detentions",
    "022-eritrea-rejects-abiy-red-sea",
    "031-sheinbaum-rejects-us-strikes-mexico",
]
UPDATE = os.environ.get("NEWSDIGEST_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict[str, Any]]:
    """Every article analysed in one run of the command, as a user would call it."""
    paths = [str(ROOT / "eval" / "dev" / f"{name}.json") for name in ARTICLES]
    result = CliRunner().invoke(cli, ["analyse", "--json", *paths])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(ARTICLES)
    return {name: _without_source(line) for name, line in zip(ARTICLES, lines, strict=True)}


def _without_source(output: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in output.items() if key != "source"}


@pytest.mark.parametrize("name", ARTICLES)
def test_the_analysis_of_an_article_is_its_golden_output(
    outputs: dict[str, dict[str, Any]], name: str
) -> None:
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        text = json.dumps(outputs[name], indent=1, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert outputs[name] == expected
