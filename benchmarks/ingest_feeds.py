"""Hand-run benchmark: our feed intake (`newsdigest ingest`) against lemon24/reader's
``update_feeds``, both polling the same loopback feed server twice (a first poll, then a poll
the server answers with 304 Not Modified). Not a test; see benchmarks/README.md.

Run it with any python3: ``python3 benchmarks/ingest_feeds.py``. It creates
benchmarks/.venv-reader on first use (reader, aiohttp, psutil) and re-executes itself there.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

try:
    import psutil
except ModuleNotFoundError:  # a bare python3: main() re-executes inside .venv-reader first
    psutil = None  # type: ignore[assignment]

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
BENCH_VENV = BENCH_DIR / ".venv-reader"
REQUIREMENTS = BENCH_DIR / "requirements.txt"
REQUIREMENTS_STAMP = BENCH_VENV / ".requirements.sha256"
SERVER_SCRIPT = BENCH_DIR / "feed_server.py"
READER_SCRIPT = BENCH_DIR / "reader_side.py"
OURS_CLI = REPO_DIR / ".venv" / "bin" / "newsdigest"
REEXEC_GUARD = "INGEST_BENCH_REEXECUTED"

SAMPLE_SECONDS = 0.02
SERVER_START_SECONDS = 120.0
EXIT_NOT_BUILT = 3
MB = 1024 * 1024
BACKGROUND_CPU_SHARE = 0.1  # of one core, over a poll: more, and the report warns
BACKGROUND_TOP = 3  # the busiest other processes named in that warning
BACKGROUND_LABEL_CHARS = 70
OURS_ENV = {
    "NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS": "true",  # loopback is refused by default
    "NEWSDIGEST_FETCH__CONCURRENCY": "64",
    "NEWSDIGEST_FETCH__PER_HOST_CONCURRENCY": "64",  # every feed is on one host
}


# -- The benchmark's own environment (standard library only: runs under any python3) ----------


def _venv_python() -> Path:
    return BENCH_VENV / "bin" / "python"


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _running_in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == BENCH_VENV.resolve()


def ensure_bench_venv() -> None:
    """Create .venv-reader with `python3 -m venv` and install requirements.txt when changed."""
    if not _venv_python().exists():
        _progress(f"creating {BENCH_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)  # noqa: S603
    digest = _requirements_digest()
    if REQUIREMENTS_STAMP.exists() and REQUIREMENTS_STAMP.read_text().strip() == digest:
        return
    _progress(f"installing {REQUIREMENTS.name} into {BENCH_VENV.name}")
    install = [str(_venv_python()), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)]
    subprocess.run(install, check=True)  # noqa: S603
    REQUIREMENTS_STAMP.write_text(digest + "\n")


def reexec_in_bench_venv() -> NoReturn:
    if os.environ.get(REEXEC_GUARD):
        sys.exit(f"error: {_venv_python()} did not start inside {BENCH_VENV}")
    os.environ[REEXEC_GUARD] = "1"
    python = str(_venv_python())
    os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606


# -- Measuring one process tree -----------------------------------------------------------------


def _process_tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


class TreeSampler:
    """Samples a process tree every 20 ms on a thread.

    Keeps the largest sum of RSS over the tree, and the CPU time each process was last seen
    with. Sampling counts CPU that ``getrusage(RUSAGE_CHILDREN)`` misses: descendants nobody
    waits for, such as a multiprocessing forkserver and the workers it forks.
    """

    def __init__(self, pid: int) -> None:
        self.peak_bytes = 0
        self.samples = 0
        self._cpu: dict[tuple[int, float], float] = {}
        self._root = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values())

    def _sample(self) -> None:
        rss = 0
        for process in _process_tree(self._root):
            try:
                with process.oneshot():
                    rss += process.memory_info().rss
                    times = process.cpu_times()
                    key = (process.pid, process.create_time())
            except psutil.Error:
                continue
            self._cpu[key] = max(self._cpu.get(key, 0.0), times.user + times.system)
        self.peak_bytes = max(self.peak_bytes, rss)
        self.samples += 1

    def _run(self) -> None:
        self._sample()
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measured:
    """One process run: wall time, CPU and peak RSS of its tree, and what it printed."""

    command: list[str]
    wall_seconds: float
    cpu_seconds: float
    cpu_seconds_reaped: float
    peak_rss_bytes: int
    rss_samples: int
    returncode: int
    timed_out: bool
    stdout: str
    stderr: str


def _kill_tree(pid: int) -> None:
    """Kill a process we started, and its descendants, by id."""
    try:
        root = psutil.Process(pid)
        for process in [*root.children(recursive=True), root]:
            process.kill()
    except psutil.Error:
        pass


def _children_cpu_seconds() -> float:
    """User and system CPU time of every child process waited for so far (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(command: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> Measured:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        cpu_before = _children_cpu_seconds()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)  # noqa: S603
        timed_out = False
        with TreeSampler(process.pid) as sampler:
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_tree(process.pid)
                returncode = process.wait()
        wall = time.perf_counter() - started
        reaped = _children_cpu_seconds() - cpu_before
        out.seek(0)
        err.seek(0)
        return Measured(
            command=command,
            wall_seconds=wall,
            cpu_seconds=max(sampler.cpu_seconds, reaped),
            cpu_seconds_reaped=reaped,
            peak_rss_bytes=sampler.peak_bytes,
            rss_samples=sampler.samples,
            returncode=returncode,
            timed_out=timed_out,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


# -- The loopback feed server -------------------------------------------------------------------


@dataclass
class FeedServer:
    process: subprocess.Popen[bytes]
    port: int
    feeds: int
    bytes_total: int

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.port}/feeds/{index}.xml"

    def stats(self) -> dict[str, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", "/stats")
            data: dict[str, Any] = json.loads(connection.getresponse().read())
            return data
        finally:
            connection.close()


def _server_ready_line(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert process.stdout is not None
    ready: dict[str, Any] = {}

    def read() -> None:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line:
            ready.update(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(SERVER_START_SECONDS)
    if not ready:
        raise RuntimeError(f"the feed server did not start (exit status {process.poll()})")
    return ready


@contextmanager
def feed_server(feeds: int, items: int, seed: int) -> Iterator[FeedServer]:
    """The server in its own process; it stops when we close its standard input."""
    command = [
        sys.executable,
        str(SERVER_SCRIPT),
        f"--feeds={feeds}",
        f"--items={items}",
        f"--seed={seed}",
        "--stop-on-stdin-eof",
    ]
    process = subprocess.Popen(  # noqa: S603
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=BENCH_DIR
    )
    try:
        ready = _server_ready_line(process)
        yield FeedServer(process, ready["port"], ready["feeds"], ready["bytes"])
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the server served between two /stats snapshots."""
    delta: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict):
            counts = Counter(value)
            counts.subtract(before.get(key, {}))
            delta[key] = {name: n for name, n in counts.items() if n}
        else:
            delta[key] = value - before.get(key, 0)
    return delta


# -- One poll, either client ----------------------------------------------------------------------


@dataclass
class PollResult:
    """One timed poll of every feed by one client."""

    client: str
    poll: str
    feeds: int
    ok: bool
    wall_seconds: float
    cpu_seconds: float
    cpu_seconds_reaped: float
    peak_rss_bytes: int
    server: dict[str, Any]
    output: dict[str, Any]
    note: str = ""
    in_call_seconds: float | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    server_cpu_seconds: float = 0.0
    background_cpu_seconds: float = 0.0
    background_top: list[tuple[str, float]] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    returncode: int = 0
    stdout_bytes: int = 0
    stderr_tail: str = ""

    @classmethod
    def from_run(
        cls, client: str, poll: str, feeds: int, run: PollRun, **details: Any
    ) -> PollResult:
        measured = run.measured
        return cls(
            client=client,
            poll=poll,
            feeds=feeds,
            ok=measured.returncode == 0,
            wall_seconds=measured.wall_seconds,
            cpu_seconds=measured.cpu_seconds,
            cpu_seconds_reaped=measured.cpu_seconds_reaped,
            peak_rss_bytes=measured.peak_rss_bytes,
            command=measured.command,
            returncode=measured.returncode,
            stdout_bytes=len(measured.stdout.encode()),
            stderr_tail=_tail(measured.stderr),
            server=run.served,
            server_cpu_seconds=run.server_cpu_seconds,
            background_cpu_seconds=run.background_cpu_seconds,
            background_top=run.background_top,
            **details,
        )

    @property
    def feeds_per_second(self) -> float | None:
        return self.feeds / self.wall_seconds if self.ok and self.wall_seconds else None

    @property
    def feeds_per_cpu_second(self) -> float | None:
        return self.feeds / self.cpu_seconds if self.ok and self.cpu_seconds else None

    @property
    def in_call_feeds_per_second(self) -> float | None:
        if not self.ok or not self.in_call_seconds:
            return None
        return self.feeds / self.in_call_seconds


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass(frozen=True)
class CpuClocks:
    """CPU seconds used so far: by the whole machine, by the server, by this harness."""

    machine: float
    server: float
    harness: float

    @classmethod
    def read(cls, server: FeedServer) -> CpuClocks:
        machine = psutil.cpu_times()
        server_times = psutil.Process(server.process.pid).cpu_times()
        harness = resource.getrusage(resource.RUSAGE_SELF)
        return cls(
            machine=machine.user + machine.nice + machine.system + machine.irq + machine.softirq,
            server=server_times.user + server_times.system,
            harness=harness.ru_utime + harness.ru_stime,
        )


ProcessKey = tuple[int, float]  # pid and start time: a pid alone can be reused


def _cpu_by_process(exclude: set[int]) -> dict[ProcessKey, tuple[str, float]]:
    """Every running process's command line (shortened) and CPU seconds so far."""
    snapshot = {}
    for process in psutil.process_iter():
        if process.pid in exclude:
            continue
        try:
            with process.oneshot():
                key = (process.pid, process.create_time())
                label = " ".join(process.cmdline())[:BACKGROUND_LABEL_CHARS] or process.name()
                times = process.cpu_times()
        except psutil.Error:
            continue
        snapshot[key] = (label, times.user + times.system)
    return snapshot


def _top_background(
    before: dict[ProcessKey, tuple[str, float]], after: dict[ProcessKey, tuple[str, float]]
) -> list[tuple[str, float]]:
    """The processes (alive at the end) that used the most CPU in between, over a second each."""
    used = [(label, cpu - before.get(key, (label, 0.0))[1]) for key, (label, cpu) in after.items()]
    busy = sorted((item for item in used if item[1] >= 1.0), key=lambda item: -item[1])
    return [(label, round(cpu, 1)) for label, cpu in busy[:BACKGROUND_TOP]]


@dataclass
class PollRun:
    """A measured poll with what the server served and the CPU others used meanwhile."""

    measured: Measured
    served: dict[str, Any]
    server_cpu_seconds: float
    background_cpu_seconds: float
    background_top: list[tuple[str, float]]


def measured_poll(
    server: FeedServer,
    command: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    timeout: float,
) -> PollRun:
    ours = {os.getpid(), server.process.pid}
    before = server.stats()
    processes = _cpu_by_process(ours)
    clocks = CpuClocks.read(server)
    measured = run_measured(command, env=env, cwd=cwd, timeout=timeout)
    clocks_after = CpuClocks.read(server)
    top = _top_background(processes, _cpu_by_process(ours))
    served = stats_delta(before, server.stats())
    server_cpu = clocks_after.server - clocks.server
    others = (
        clocks_after.machine
        - clocks.machine
        - server_cpu
        - (clocks_after.harness - clocks.harness)
        - measured.cpu_seconds
    )
    return PollRun(measured, served, server_cpu, max(others, 0.0), top)


# -- Our side -------------------------------------------------------------------------------------


def summarise_ours_output(stdout: str) -> dict[str, Any]:
    """Our --json output, read defensively: its schema is still being written."""
    text = stdout.strip()
    if not text:
        return {"json": "empty"}
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as error:
            return {"json": f"not JSON ({error.msg})", "head": text[:200]}
    if isinstance(data, list) and data and all(isinstance(x, dict) and "status" in x for x in data):
        return {
            "json": "list",
            "length": len(data),
            "statuses": dict(Counter(str(x["status"]) for x in data)),
            "article_ids": sum(len(x.get("article_ids") or ()) for x in data),
        }
    if isinstance(data, list | dict | str):
        return {"json": type(data).__name__, "length": len(data)}
    return {"json": type(data).__name__}


def _ours_env(work: Path) -> dict[str, str]:
    """Our settings for the run; inherited NEWSDIGEST_ variables would change what we measure.

    The default feed list is replaced by an empty one: a new database would otherwise get the
    bundled default feeds (real hosts on the internet), which have no place in a loopback run.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("NEWSDIGEST_")}
    env.pop(REEXEC_GUARD, None)
    no_default_feeds = work / "no-default-feeds.toml"
    no_default_feeds.write_text("feeds = []\n")
    env["NEWSDIGEST_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    env["NEWSDIGEST_FEEDS_FILE"] = str(no_default_feeds)
    env.update(OURS_ENV)
    return env


def _failure_note(measured: Measured) -> str:
    if measured.timed_out:
        return "killed: over --timeout"
    return f"exit status {measured.returncode}"


def _ours_note(measured: Measured, output: dict[str, Any]) -> str:
    if measured.returncode == EXIT_NOT_BUILT and "not built yet" in measured.stderr:
        return "not built yet: " + _tail(measured.stderr, 1)
    if measured.returncode != 0:
        return _failure_note(measured)
    if "statuses" in output:
        statuses = ", ".join(f"{name}={n}" for name, n in sorted(output["statuses"].items()))
        return f"{statuses}; {output['article_ids']} article ids"
    return f"json {output.get('json')} length {output.get('length', '?')}"


#: The line our ingest logs after a poll: the poll alone, without start-up and imports.
_POLLED = re.compile(r"polled \d+ feeds in ([0-9.]+) s")


def run_ours(
    server: FeedServer, program: list[str], work: Path, timeout: float
) -> list[PollResult]:
    feeds_file = work / "feeds.toml"
    feeds_file.write_text(
        "".join(f'[[feeds]]\nurl = "{server.url(i)}"\n' for i in range(server.feeds))
    )
    command = [*program, "ingest", "--feeds", str(feeds_file), "--no-analysis", "--json"]
    env = _ours_env(work)
    results = []
    for poll in ("first", "304"):
        _progress(f"ours: {poll} poll of {server.feeds} feeds")
        run = measured_poll(server, command, env=env, cwd=work, timeout=timeout)
        output = summarise_ours_output(run.measured.stdout)
        note = _ours_note(run.measured, output)
        in_call = _POLLED.search(run.measured.stderr)
        result = PollResult.from_run(
            "ours",
            poll,
            server.feeds,
            run,
            output=output,
            note=note,
            in_call_seconds=float(in_call.group(1)) if in_call else None,
        )
        results.append(result)
        if not result.ok:
            break
    return results


# -- reader's side --------------------------------------------------------------------------------


def _reader_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop(REEXEC_GUARD, None)
    return env


def _last_json_line(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            return data
    return {}


def _reader_note(measured: Measured, checks: dict[str, Any], items: int) -> str:
    if measured.returncode != 0:
        return _failure_note(measured)
    if "entries_total" not in checks:
        return "check failed: " + str(checks.get("error", "?"))
    good, feeds = checks["feeds_with_expected_entries"], checks["feeds"]
    notes = [
        f"{checks['entries_total']} entries",
        f"{good}/{feeds} feeds with {items}",
        f"{checks['broken']} broken",
    ]
    warnings = sum(1 for line in measured.stderr.splitlines() if "WARNING" in line.upper())
    if warnings:
        notes.append(f"{warnings} warning lines on stderr")
    return ", ".join(notes)


def _reader_check(database: Path, urls_file: Path, items: int) -> dict[str, Any]:
    command = [str(_venv_python()), str(READER_SCRIPT), "check", f"--db={database}"]
    command += [f"--urls={urls_file}", f"--items={items}"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return _last_json_line(completed.stdout) or {"error": _tail(completed.stderr, 1)}


def run_reader(
    server: FeedServer, work: Path, *, items: int, workers: int, timeout: float
) -> list[PollResult]:
    urls_file = work / "urls.txt"
    urls_file.write_text("".join(server.url(i) + "\n" for i in range(server.feeds)))
    database = work / "reader.db"
    base = [str(_venv_python()), str(READER_SCRIPT)]
    commands = {
        "first": [*base, "first", f"--db={database}", f"--urls={urls_file}", f"--items={items}"],
        "304": [*base, "second", f"--db={database}"],
    }
    commands = {poll: [*command, f"--workers={workers}"] for poll, command in commands.items()}
    results = []
    for poll, command in commands.items():
        _progress(f"reader: {poll} poll of {server.feeds} feeds")
        run = measured_poll(server, command, env=_reader_env(), cwd=work, timeout=timeout)
        output = _last_json_line(run.measured.stdout)
        checks = _reader_check(database, urls_file, items)
        result = PollResult.from_run(
            "reader",
            poll,
            server.feeds,
            run,
            output=output,
            note=_reader_note(run.measured, checks, items),
            in_call_seconds=output.get("update_seconds"),
            checks=checks,
        )
        result.ok = result.ok and bool(output)
        results.append(result)
        if not result.ok:
            break
    return results


def run_parse_baseline(server: FeedServer, work: Path, limit: int) -> dict[str, Any]:
    """feedparser alone on one core over ``limit`` of the same feeds: a CPU ceiling."""
    urls_file = work / "parse-urls.txt"
    urls_file.write_text("".join(server.url(i) + "\n" for i in range(min(limit, server.feeds))))
    command = [str(_venv_python()), str(READER_SCRIPT), "parse", f"--urls={urls_file}"]
    _progress(f"feedparser alone: {limit} feeds")
    completed = subprocess.run(  # noqa: S603
        [*command, f"--limit={limit}"], capture_output=True, text=True, check=False
    )
    return _last_json_line(completed.stdout) or {"error": _tail(completed.stderr)}


# -- Report ---------------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _served(result: PollResult, status: str) -> str:
    counts: dict[str, int] = result.server.get("by_status", {})
    return str(counts.get(status, 0))


def _other_requests(result: PollResult) -> str:
    by_path: dict[str, int] = result.server.get("by_path", {})
    return str(sum(n for path, n in by_path.items() if path != "feeds"))


Column = tuple[str, int, Callable[[PollResult], str]]

#: The table: heading, width (negative: left-aligned) and cell of each column.
COLUMNS: tuple[Column, ...] = (
    ("client", -7, lambda r: r.client),
    ("poll", -6, lambda r: r.poll),
    ("wall s", 8, lambda r: _number(r.wall_seconds, 2)),
    ("cpu s", 8, lambda r: _number(r.cpu_seconds)),
    ("srv cpu", 8, lambda r: _number(r.server_cpu_seconds)),
    ("bg cpu", 8, lambda r: _number(r.background_cpu_seconds)),
    ("feeds/s", 9, lambda r: _number(r.feeds_per_second)),
    ("in-call", 9, lambda r: _number(r.in_call_feeds_per_second)),
    ("per cpu-s", 10, lambda r: _number(r.feeds_per_cpu_second)),
    ("200", 7, lambda r: _served(r, "200")),
    ("304", 7, lambda r: _served(r, "304")),
    ("other", 7, _other_requests),
    ("peak MB", 9, lambda r: _number(r.peak_rss_bytes / MB)),
    ("  notes", -1, lambda r: "  " + r.note),
)

LEGEND = """\
feeds/s: feeds / wall time of the whole process (start-up, imports and store included).
in-call: the poll alone (reader's update_feeds() call; ours: the poll time our ingest logs).
per cpu-s: feeds / cpu s (less swayed by bg cpu).
cpu s: CPU seconds of the client's process tree; srv cpu: the server's; bg cpu: the rest
  of the machine meanwhile (other work, which skews the figures).
200/304/other: what the server answered (other: requests outside /feeds/).
peak MB: the largest sum of RSS over the client's process tree, sampled every 20 ms."""


def _line(cells: Sequence[str]) -> str:
    return "".join(
        f"{cell:<{-width}}" if width < 0 else f"{cell:>{width}}"
        for cell, (_, width, _) in zip(cells, COLUMNS, strict=True)
    ).rstrip()


_RATES: dict[str, Callable[[PollResult], float | None]] = {
    "whole process": lambda r: r.feeds_per_second,
    "in-call": lambda r: r.in_call_feeds_per_second,
    "per CPU second": lambda r: r.feeds_per_cpu_second,
}


def _ratio(
    results: Sequence[PollResult], poll: str, rate: Callable[[PollResult], float | None]
) -> str:
    rates = {r.client: rate(r) for r in results if r.poll == poll}
    ours, reader = rates.get("ours"), rates.get("reader")
    return f"{ours / reader:.2f}x" if ours and reader else "-"


def _ratios_line(results: Sequence[PollResult]) -> str:
    parts = []
    for name, rate in _RATES.items():
        first, second = (_ratio(results, poll, rate) for poll in ("first", "304"))
        parts.append(f"{name}: first poll {first}, 304 poll {second}")
    return "ours/reader feeds/s, " + "; ".join(parts)


def _background_warning(results: Sequence[PollResult]) -> list[str]:
    busy = [r for r in results if r.background_cpu_seconds > BACKGROUND_CPU_SHARE * r.wall_seconds]
    if not busy:
        return []
    polls = ", ".join(f"{r.client} {r.poll}" for r in busy)
    lines = [f"WARNING: other work used the CPU during ({polls}); re-run on an idle machine."]
    for result in busy:
        top = "; ".join(f"{cpu:.0f} s {label}" for label, cpu in result.background_top)
        lines.append(f"  {result.client} {result.poll}: {top or 'short-lived processes'}")
    return lines


def _served_warnings(results: Sequence[PollResult]) -> list[str]:
    """A poll the server did not answer as expected: every feed 200 first, then every one 304."""
    warnings = []
    for result in results:
        status = "200" if result.poll == "first" else "304"
        served = int(_served(result, status))
        if result.ok and served != result.feeds:
            warnings.append(
                f"WARNING: {result.client} {result.poll} poll: the server answered {served} of "
                f"{result.feeds} feeds with {status}."
            )
    return warnings


def format_report(
    args: argparse.Namespace,
    server: FeedServer,
    results: Sequence[PollResult],
    parse: dict[str, Any] | None,
) -> str:
    lines = [
        f"ingest benchmark: {server.feeds} feeds x {args.items} items "
        f"({server.bytes_total / MB:.1f} MB of feeds), loopback port {server.port}, "
        f"{os.cpu_count()} cores shared by server and client",
        "",
        _line([heading for heading, _, _ in COLUMNS]),
        *(_line([cell(result) for _, _, cell in COLUMNS]) for result in results),
        "",
        _ratios_line(results),
        *_served_warnings(results),
        *_background_warning(results),
    ]
    if parse and "feeds_per_second" in parse:
        lines.append(
            f"feedparser {parse['feedparser_version']} alone, one core: "
            f"{parse['feeds_per_second']:.0f} feeds/s over {parse['feeds']} feeds"
        )
    lines += ["", LEGEND]
    failed = [r for r in results if not r.ok and r.stderr_tail]
    lines.extend(f"\n{r.client} {r.poll} poll stderr (tail):\n{r.stderr_tail}" for r in failed)
    return "\n".join(lines)


def report_json(
    args: argparse.Namespace,
    server: FeedServer,
    results: Sequence[PollResult],
    parse: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "feeds": server.feeds,
        "items": args.items,
        "seed": args.seed,
        "reader_workers": args.reader_workers,
        "feed_bytes": server.bytes_total,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "results": [
            {
                **asdict(r),
                "feeds_per_second": r.feeds_per_second,
                "in_call_feeds_per_second": r.in_call_feeds_per_second,
                "feeds_per_cpu_second": r.feeds_per_cpu_second,
            }
            for r in results
        ],
        "ratio_ours_over_reader": {
            name: {poll: _ratio(results, poll, rate) for poll in ("first", "304")}
            for name, rate in _RATES.items()
        },
        "feedparser_alone": parse,
    }


# -- Main -----------------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(f"[ingest-bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000, help="feeds served (default 2000)")
    parser.add_argument("--items", type=int, default=30, help="items per feed (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated text")
    parser.add_argument("--skip-ours", action="store_true", help="do not run newsdigest")
    parser.add_argument("--skip-reader", action="store_true", help="do not run reader")
    parser.add_argument(
        "--ours-cmd",
        default=str(OURS_CLI),
        help="our program, split like a shell would; 'ingest --feeds FILE --no-analysis --json' "
        f"is appended (default {OURS_CLI})",
    )
    parser.add_argument("--reader-workers", type=int, default=16, help="default 16")
    parser.add_argument(
        "--parse-sample",
        type=int,
        default=200,
        help="feeds for the feedparser-alone figure, run with reader's side (0: skip)",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="per poll, in seconds")
    parser.add_argument("--json-out", type=Path, help="also write the results here as JSON")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    results: list[PollResult] = []
    parse: dict[str, Any] | None = None
    _progress(f"starting the feed server ({args.feeds} feeds x {args.items} items)")
    with (
        feed_server(args.feeds, args.items, args.seed) as server,
        tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp,
    ):
        work = Path(tmp)
        if not args.skip_ours:
            program = shlex.split(args.ours_cmd)
            results += run_ours(server, program, work, args.timeout)
        if not args.skip_reader:
            results += run_reader(
                server, work, items=args.items, workers=args.reader_workers, timeout=args.timeout
            )
            if args.parse_sample > 0:
                parse = run_parse_baseline(server, work, args.parse_sample)
        print(format_report(args, server, results, parse), flush=True)
        if args.json_out:
            document = report_json(args, server, results, parse)
            args.json_out.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if all(r.ok for r in results) else 1


def main() -> None:
    args = parse_args()
    ensure_bench_venv()
    if psutil is None or not _running_in_bench_venv():
        reexec_in_bench_venv()
    sys.exit(run(args))


if __name__ == "__main__":
    main()
