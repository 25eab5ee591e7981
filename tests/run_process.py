"""`newsdigest` in a process of its own, as a user starts it: a clean environment (no
NEWSDIGEST_ variable of the developer's), a SQLite file and a feeds file in the test's folder."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def environment(tmp_path: Path, feeds: Sequence[str] = (), **extra: str) -> dict[str, str]:
    """The environment of a newsdigest process: these starting feeds (loopback allowed), a
    database in ``tmp_path``, and ``extra`` variables."""
    listing = tmp_path / "feeds.toml"
    listing.write_text("".join(f'[[feeds]]\nurl = "{url}"\n' for url in feeds) or "feeds = []\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    return {
        **clean,
        "NEWSDIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "NEWSDIGEST_FEEDS_FILE": str(listing),
        "NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS": "true",
        **extra,
    }


async def start(
    tmp_path: Path,
    *arguments: str,
    feeds: Sequence[str] = (),
    output: int = asyncio.subprocess.PIPE,
    **extra: str,
) -> asyncio.subprocess.Process:
    """``newsdigest ARGUMENTS`` (``run`` when none), its output piped (or ``output``)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *(arguments or ("run",)),
        env=environment(tmp_path, feeds, **extra), cwd=tmp_path, stdout=output, stderr=output,
    )  # fmt: skip
