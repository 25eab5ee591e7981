"""How the analysis copes with hostile articles: time per article and peak memory of the queue.

Three measurements, each a `newsdigest` subprocess on a throwaway SQLite database, with no
inherited NEWSDIGEST_ variables and an empty default feed list:

- ``photo``: `newsdigest analyse FILE --json` of a 480 KB article whose one line is
  "(photo by x" repeated (the shape that made a boilerplate expression backtrack);
- ``statements``: the same command on a 990 KB article of varied reported statements ("Russia's
  foreign minister said Moscow rejects the plan." with other actors, verbs and objects), which
  gave thousands of positions;
- ``pending``: ``--articles`` (default 20) articles of about 1 MB each (statements, with every
  fifth one the photo line) queued in the store, then `/usr/bin/time -v newsdigest analyse
  --pending`: wall time and the peak resident memory ("Maximum resident set size").

The text is generated here; nothing is read from outside. Not a test; see benchmarks/README.md.
Run from the repository root:

    .venv/bin/python benchmarks/hostile_analysis.py [--articles 20] [--only photo,pending]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
NEWSDIGEST = REPO_DIR / ".venv" / "bin" / "newsdigest"
KB = 1024
MB = 1024 * 1024
#: Every this many queued articles, one is the photo line instead of statements.
PHOTO_EVERY = 5

_SPEAKERS = (
    ("Russia's foreign minister", "Moscow"),
    ("China's foreign ministry spokesman", "Beijing"),
    ("The French president", "Paris"),
    ("Germany's chancellor", "Berlin"),
    ("Iran's foreign minister", "Tehran"),
    ("The Turkish president", "Ankara"),
    ("Ukraine's foreign minister", "Kyiv"),
    ("The NATO secretary general", "the alliance"),
    ("The European Commission president", "the European Union"),
    ("Japan's prime minister", "Tokyo"),
    ("Israel's defence minister", "Israel"),
    ("The UN secretary general", "the United Nations"),
)
_VERBS = ("said", "warned", "stated", "told reporters", "insisted", "declared")
_CLAIMS = (
    "rejects the plan",
    "supports new sanctions",
    "will not accept the ceasefire terms",
    "condemns the missile strikes",
    "calls for talks without conditions",
    "is ready to send more troops to the border",
    "opposes the arms deal",
    "welcomes the agreement on grain exports",
)


def statements_text(size: int) -> str:
    """Paragraphs of five varied reported statements each, up to ``size`` characters."""
    sentences = (
        f"{speaker} {verb} {place} {claim}."
        for (speaker, place), verb, claim in zip(
            itertools.cycle(_SPEAKERS),
            itertools.cycle(_VERBS),
            itertools.cycle(_CLAIMS[::-1] + _CLAIMS),
            strict=False,
        )
    )
    paragraphs: list[str] = []
    length = 0
    while length < size:
        paragraph = " ".join(itertools.islice(sentences, 5))
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:size]


def photo_text(size: int) -> str:
    """One line of "(photo by x" repeated: ``size`` characters."""
    return ("(photo by x" * (size // 11 + 1))[:size]


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    no_feeds = work / "no-default-feeds.toml"
    no_feeds.write_text("feeds = []\n")
    env["NEWSDIGEST_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    env["NEWSDIGEST_FEEDS_FILE"] = str(no_feeds)
    return env


def _time_v(command: list[str], env: dict[str, str], timeout: float) -> dict[str, object]:
    """Run ``command`` under /usr/bin/time -v: wall seconds, peak RSS in MB, exit status."""
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603 - our own command line
            ["/usr/bin/time", "-v", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "timed_out": timeout}
    seconds = time.perf_counter() - started
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    result: dict[str, object] = {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(int(found.group(1)) / KB, 1) if found else None,
        "exit": done.returncode,
    }
    if command[-1].endswith(".json"):
        try:
            result["positions"] = len(json.loads(done.stdout.splitlines()[0])["positions"])
        except (ValueError, IndexError, KeyError):
            result["stdout"] = done.stdout[:200]
    else:
        result["output"] = done.stdout.strip()[-300:] or done.stderr.strip()[-300:]
    return result


def one_article(work: Path, name: str, text: str, timeout: float) -> dict[str, object]:
    path = work / f"{name}.json"
    path.write_text(json.dumps({"title": f"A {name} article", "text": text}))
    return _time_v([str(NEWSDIGEST), "analyse", "--json", str(path)], _env(work), timeout)


def pending(work: Path, articles: int, timeout: float) -> dict[str, object]:
    """Queue ``articles`` articles of about 1 MB and time `analyse --pending` over them."""
    env = _env(work)
    sys.path.insert(0, str(REPO_DIR / "src"))
    from digests.model import Article, Feed  # noqa: PLC0415
    from digests.store import Store  # noqa: PLC0415

    statements = statements_text(MB)
    photo = photo_text(MB)
    now = dt.datetime.now(dt.UTC)
    with Store.open(env["NEWSDIGEST_DATABASE_URL"]) as store:
        feed = store.add_feed(Feed(url="http://127.0.0.1:9/hostile.xml", title="hostile"))
        assert feed.id is not None
        for i in range(articles):
            text = photo if i % PHOTO_EVERY == PHOTO_EVERY - 1 else f"Article {i}.\n\n{statements}"
            store.add_article(
                Article(
                    feed_id=feed.id,
                    key=f"a{i}",
                    title=f"Hostile article {i}",
                    text=text,
                    content_hash=f"h{i}",
                    published_at=now,
                )
            )
    return _time_v([str(NEWSDIGEST), "analyse", "--pending"], env, timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--only", default="photo,statements,pending")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        if "photo" in wanted:
            report["photo_480kb"] = one_article(work, "photo", photo_text(480 * KB), args.timeout)
        if "statements" in wanted:
            report["statements_990kb"] = one_article(
                work, "statements", statements_text(990 * KB), args.timeout
            )
        if "pending" in wanted:
            report[f"pending_{args.articles}x1mb"] = pending(work, args.articles, args.timeout)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
