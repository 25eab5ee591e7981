"""Hand-run measurement of intake on hostile feeds: peak memory and duration of
``newsdigest ingest --no-analysis`` against a loopback server. Not a test; see
benchmarks/README.md.

The builders (:func:`json_feed_body`, :func:`rss_body`, :func:`teaser_feed_body`,
:func:`page_body`, :func:`deep_json_body`) and :class:`HostileServer` are importable, so that
other hand-run scripts (a soak test) can serve the same bodies. Every feed path serves new
GUIDs on each request (a *generation* counted per path), so a second poll finds every item new:
the case that makes a poll look up, fetch pages for and store every item.

Run it from the repository root with the project's environment::

    .venv/bin/python benchmarks/hostile_feeds.py            # all cases, SQLite
    .venv/bin/python benchmarks/hostile_feeds.py --case json --database-url postgresql://...

Each case gets a fresh database; ``ingest`` runs twice (a first poll, which stores history
without fetching pages, then a poll that finds everything new). Each run is measured with
``/usr/bin/time -v`` (the largest single process) and by sampling the summed RSS of the CLI and
its worker processes every 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
CLI = REPO_DIR / ".venv" / "bin" / "newsdigest"
MB = 1024 * 1024
SAMPLE_SECONDS = 0.02
PAGE_BYTES = 4_900_000  # just under the default fetch.max_bytes (5,000,000): it is fetched

_WORDS = [
    "council",
    "budget",
    "minister",
    "vote",
    "report",
    "harbour",
    "bridge",
    "school",
    "rail",
    "energy",
    "price",
]


# -- builders ---------------------------------------------------------------------------------


def _short_id(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def json_feed_body(items: int = 300_000, generation: int = 0) -> bytes:
    """A JSON Feed of ``items`` tiny items (an id each): about 4.2 MB for 300,000, under the
    default fetch.max_bytes."""
    first = generation * items
    entries = ",".join(f'{{"id":"{_short_id(first + i)}"}}' for i in range(items))
    head = '{"version":"https://jsonfeed.org/version/1.1","title":"Many","items":['
    return (head + entries + "]}").encode()


def rss_body(items: int = 70_000, generation: int = 0) -> bytes:
    """A plain RSS 2.0 feed of ``items`` tiny undated items: about 3.4 MB for 70,000, under
    the default fetch.max_bytes."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Huge</title><link>http://example.invalid/</link>"
    ]
    for i in range(items):
        parts.append(f"<item><title>Item {i}</title><guid>u:{generation}:{i}</guid></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def teaser_feed_body(page_base: str, items: int = 30, generation: int = 0) -> bytes:
    """An RSS feed of ``items`` one-line teasers whose links point at ``page_base``/gen/i."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Teasers</title><link>{page_base}/</link>"
    ]
    for i in range(items):
        parts.append(
            f"<item><title>Teaser {i}</title><link>{page_base}/{generation}/{i}.html</link>"
            f"<guid>urn:teaser:{generation}:{i}</guid>"
            "<pubDate>Tue, 08 Dec 2026 10:00:00 +0000</pubDate>"
            "<description>Read on.</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def page_body(size: int = PAGE_BYTES, seed: int = 0) -> bytes:
    """An article page of about ``size`` bytes: one <article> of many plain paragraphs."""
    head = b"<!doctype html><html><head><title>Long page</title></head><body><article>"
    tail = b"</article></body></html>"
    paragraphs: list[bytes] = []
    total, n = len(head) + len(tail), seed
    while total < size:
        words = [_WORDS[(n * 7 + k * 13) % len(_WORDS)] for k in range(40)]
        line = f"<p>{' '.join(words).capitalize()} number {n}.</p>\n".encode()
        paragraphs.append(line)
        total += len(line)
        n += 1
    return head + b"".join(paragraphs) + tail


def deep_json_body(depth: int = 200_000) -> bytes:
    """A JSON Feed whose items list holds one value nested ``depth`` deep."""
    head = '{"version":"https://jsonfeed.org/version/1.1","title":"Deep","items":['
    return (head + "[" * depth + "]" * depth + "]}").encode()


# -- the server -------------------------------------------------------------------------------


class HostileServer:
    """A loopback HTTP server (a thread) for the hostile bodies; each feed path counts its
    requests and serves the next generation of GUIDs."""

    def __init__(self, *, json_items: int = 300_000, rss_items: int = 70_000) -> None:
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._page = page_body()
        self._json_items = json_items
        self._rss_items = rss_items
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                body, kind = server.answer(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *_args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _generation(self, path: str) -> int:
        with self._lock:
            self.hits[path] += 1
            return self.hits[path] - 1

    def answer(self, path: str) -> tuple[bytes | None, str]:
        feeds: dict[str, Callable[[int], tuple[bytes, str]]] = {
            "/many.json": lambda g: (json_feed_body(self._json_items, g), "application/json"),
            "/huge.xml": lambda g: (rss_body(self._rss_items, g), "application/rss+xml"),
            "/teasers.xml": lambda g: (
                teaser_feed_body(f"{self.base}/pages", generation=g),
                "application/rss+xml",
            ),
            "/deep.json": lambda _g: (deep_json_body(), "application/json"),
        }
        if path in feeds:
            return feeds[path](self._generation(path))
        if path.startswith("/pages/"):
            self._generation("/pages/")
            return self._page, "text/html; charset=utf-8"
        return None, "text/plain"


CASES = {"json": "/many.json", "rss": "/huge.xml", "pages": "/teasers.xml", "deep": "/deep.json"}


# -- measuring --------------------------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """Summed RSS in bytes of ``root`` and its descendants (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def _measure(command: list[str], env: dict[str, str]) -> dict[str, object]:
    timed = ["/usr/bin/time", "-v", *command]
    started = time.monotonic()
    # Files, not pipes: --json can print megabytes, and a full pipe would stop the CLI.
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(timed, env=env, stdout=stdout, stderr=stderr)  # noqa: S603
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(SAMPLE_SECONDS)
        seconds = time.monotonic() - started
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    max_rss_kb = next(
        (int(line.split(":")[1]) for line in err.splitlines() if "Maximum resident" in line), 0
    )
    try:
        results = json.loads(out)
    except json.JSONDecodeError:
        results = out.strip()[-400:]
    tail = [line for line in err.splitlines() if not line.startswith("\t")][-5:]
    return {
        "exit": process.returncode,
        "seconds": round(seconds, 1),
        "max_rss_one_process_mb": round(max_rss_kb / 1024),
        "peak_tree_rss_mb": round(peak / MB),
        "results": results,
        "stderr_tail": tail,
    }


def run_case(case: str, server: HostileServer, database_url: str | None) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="hostile-") as work:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
        empty = Path(work) / "no-feeds.toml"
        empty.write_text("")
        env.update(
            NEWSDIGEST_DATABASE_URL=database_url or f"sqlite:///{work}/hostile.db",
            NEWSDIGEST_FEEDS_FILE=str(empty),
            NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS="true",
        )
        url = server.base + CASES[case]
        command = [str(CLI), "ingest", url, "--no-analysis", "--json"]
        return [_measure(command, env) for _run in ("first poll", "second poll")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args()
    cases = args.case or ["json", "rss", "pages", "deep"]
    with HostileServer() as server:
        for case in cases:
            polls = run_case(case, server, args.database_url)
            for poll, figures in zip(("first", "second"), polls, strict=True):
                results = figures.pop("results")
                brief = results
                if isinstance(results, list):
                    brief = [
                        {k: r.get(k) for k in ("status", "new", "seen", "skipped", "error")}
                        for r in results
                    ]
                print(json.dumps({"case": case, "poll": poll, **figures, "results": brief}))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
