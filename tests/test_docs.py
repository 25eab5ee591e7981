"""The docs name only tests that exist: docs/security.md says which test guards each defence,
and a renamed or removed test must not leave it pointing at nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: `test_file.py::test_name`, or `::test_name` after a file named earlier in the same cell.
_REFERENCE = re.compile(r"`(test_\w+\.py)?::(test_\w+)(?:\[[^\]`]*\])?`|`(test_\w+\.py)`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def _references(text: str) -> list[tuple[str, str | None]]:
    """(file, test) pairs as the doc writes them; a bare `::test` belongs to the file before."""
    found: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        current: str | None = None
        for match in _REFERENCE.finditer(line):
            named, test, alone = match.groups()
            current = named or alone or current
            if current is None:
                raise AssertionError(f"`::{test}` without a file before it: {line[:80]}")
            found.append((current, test))
    return found


def test_security_md_names_only_tests_that_exist() -> None:
    references = _references((ROOT / "docs" / "security.md").read_text(encoding="utf-8"))
    assert len(references) > 50
    missing = []
    for file, test in references:
        path = ROOT / "tests" / file
        if not path.is_file() or (test is not None and test not in _tests_in(path)):
            missing.append(f"{file}::{test}" if test else file)
    assert missing == []
