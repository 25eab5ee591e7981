"""How fast newsdigest analyses articles on one core, against spaCy's full pipeline.

Both sides read the same few hundred articles of 300 to 900 words, built at run time from the
development set (eval/dev, text the team wrote): each article follows one dev article's
paragraphs from its lead and, when they run out, another's, up to a length drawn (seeded) in
300 to 900 words, under the first one's title.

- ours: ``load_analyzer(AnalysisSettings())``, then ``analyzer.analyse(title, text)`` per
  article (the whole analysis: preparation, sentences, matching, positions, topics, summary);
- the reference: ``spacy.load()`` of the same model with its full pipeline, then
  ``list(nlp.pipe(texts))`` at the default batch size, over the same texts (title + text).

Each side runs in a subprocess of its own, pinned to one CPU (``os.sched_setaffinity``) with
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS at 1. It loads (timed apart, imports
included), warms up on a few articles, then processes the whole corpus ``--repeat`` times; the
rate is articles over the wall time of one pass (best and median of the passes). Peak memory is
the subprocess's ``ru_maxrss``. Not a test; see benchmarks/README.md. Run from the repository
root, on an idle machine:

    .venv/bin/python benchmarks/analysis_speed.py [--articles 300] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO_DIR = Path(__file__).resolve().parent.parent
DEV_DIR = REPO_DIR / "eval" / "dev"
MIN_WORDS = 300
MAX_WORDS = 900
WORD_BINS = 100  # width of the corpus histogram's bins, in words
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: A pass whose CPU time is less than this share of its wall time was slowed by other work.
BUSY_CPU_SHARE = 0.95
#: More CPU than this (in cores) used by other processes during a pass, and the report warns.
BUSY_OTHER_CORES = 0.1
SIDES = ("ours", "reference")
KB = 1024
MB = 1024 * 1024


# -- The corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    title: str
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class _Source:
    title: str
    paragraphs: tuple[str, ...]


def _dev_sources(directory: Path) -> list[_Source]:
    """The dev articles' titles and paragraphs (a line repeating the title is dropped)."""
    sources = []
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        title = " ".join(document["title"].split())
        paragraphs = []
        for block in document["text"].split("\n\n"):
            lines = [line for line in block.splitlines() if " ".join(line.split()) != title]
            paragraph = "\n".join(lines).strip()
            if paragraph:
                paragraphs.append(paragraph)
        sources.append(_Source(title, tuple(paragraphs)))
    if len(sources) < 2:  # noqa: PLR2004 - an article needs a second source to go on with
        raise SystemExit(f"error: fewer than two articles in {directory}")
    return sources


def build_corpus(count: int, seed: int, directory: Path = DEV_DIR) -> list[Article]:
    """``count`` articles of MIN_WORDS to MAX_WORDS words, the same for the same seed.

    Paragraphs are taken in order from a dev article's lead; when they run out the article goes
    on from a random paragraph of another one. It stops before the paragraph that would pass a
    target drawn in MIN_WORDS..MAX_WORDS, once it has MIN_WORDS (no dev paragraph is longer than
    MAX_WORDS - MIN_WORDS words, so none passes MAX_WORDS).
    """
    sources = _dev_sources(directory)
    longest = max(len(p.split()) for s in sources for p in s.paragraphs)
    if longest > MAX_WORDS - MIN_WORDS:
        raise SystemExit(f"error: a paragraph of {longest} words in {directory}")
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
    corpus = []
    for _ in range(count):
        target = rng.randint(MIN_WORDS, MAX_WORDS)
        first = source = rng.choice(sources)
        index, words, paragraphs = 0, 0, []
        while True:
            if index == len(source.paragraphs):
                source = rng.choice([s for s in sources if s is not source])
                index = rng.randrange(len(source.paragraphs))
            paragraph = source.paragraphs[index]
            size = len(paragraph.split())
            if words + size > target and words >= MIN_WORDS:
                break
            paragraphs.append(paragraph)
            words += size
            index += 1
        corpus.append(Article(first.title, "\n\n".join(paragraphs)))
    return corpus


def corpus_digest(corpus: Sequence[Article]) -> str:
    """A fingerprint of the corpus, so the report shows both sides read the same text."""
    digest = hashlib.sha256()
    for article in corpus:
        digest.update(article.title.encode() + b"\0" + article.text.encode() + b"\0")
    return digest.hexdigest()[:16]


def word_distribution(corpus: Sequence[Article]) -> dict[str, Any]:
    words = sorted(article.words for article in corpus)
    quartiles = statistics.quantiles(words, n=4) if len(words) > 1 else [words[0]] * 3
    bins: dict[str, int] = {}
    for low in range(MIN_WORDS, MAX_WORDS, WORD_BINS):
        high = low + WORD_BINS
        inside = [w for w in words if low <= w < high or (high == MAX_WORDS and w == high)]
        bins[f"{low}-{high}"] = len(inside)
    return {
        "articles": len(words),
        "total_words": sum(words),
        "min": words[0],
        "q1": quartiles[0],
        "median": quartiles[1],
        "q3": quartiles[2],
        "max": words[-1],
        "mean": statistics.fmean(words),
        "histogram": bins,
    }


# -- One side, in its own pinned subprocess ---------------------------------------------------


def _proc_status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS, VmHWM), or 0 where there is none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _load(side: str, model: str) -> tuple[Callable[[Sequence[Article]], list[Any]], str]:
    """Import and load one side; its function over a list of articles, and the model's name."""
    if side == "ours":
        from digests.analysis import (  # noqa: PLC0415 - timed as loading
            BATCH_SIZE,
            ArticleText,
            load_analyzer,
        )
        from digests.settings import AnalysisSettings  # noqa: PLC0415

        analyzer = load_analyzer(AnalysisSettings(spacy_model=model))

        def analyse(articles: Sequence[Article]) -> list[Any]:
            """As `newsdigest analyse --pending` does: the queue in batches."""
            texts = [ArticleText(article.title, article.text) for article in articles]
            found: list[Any] = []
            for start in range(0, len(texts), BATCH_SIZE):
                found.extend(analyzer.analyse_many(texts[start : start + BATCH_SIZE]))
            return found

        return analyse, model

    import spacy  # noqa: PLC0415 - timed as loading

    nlp = spacy.load(model)

    def parse(articles: Sequence[Article]) -> list[Any]:
        return list(nlp.pipe(f"{article.title}\n\n{article.text}" for article in articles))

    return parse, f"{model} ({', '.join(nlp.pipe_names)})"


def _profile(process: Callable[[Sequence[Article]], list[Any]], corpus: Sequence[Article]) -> Any:
    import cProfile  # noqa: PLC0415

    profiler = cProfile.Profile()
    profiler.runcall(process, corpus)
    return profiler


def run_side(args: argparse.Namespace) -> None:
    """The child: pin, load and warm up, then time one pass per ``pass`` line on stdin.

    It answers each request with one JSON line on stdout; ``finish`` gets the counts and the
    memory figures, and ends it.
    """
    os.sched_setaffinity(0, {args.cpu})
    corpus = build_corpus(args.articles, args.seed)
    rss_start = _proc_status_kb("VmRSS")
    started = time.perf_counter()
    process, model = _load(args.side, args.model)
    load_seconds = time.perf_counter() - started
    rss_loaded = _proc_status_kb("VmRSS")
    process(corpus[: args.warmup])
    _answer(
        {
            "side": args.side,
            "model": model,
            "articles": len(corpus),
            "corpus": corpus_digest(corpus),
            "affinity": sorted(os.sched_getaffinity(0)),
            "threads": {name: os.environ.get(name) for name in THREAD_VARIABLES},
            "load_seconds": load_seconds,
            "rss_start_mb": rss_start * KB / MB,
            "rss_loaded_mb": rss_loaded * KB / MB,
        }
    )
    results: list[Any] = []
    for request in sys.stdin:
        if request.strip() == "finish":
            break
        if request.strip() != "pass":
            return
        results = []  # the previous pass's results go before the next is timed
        wall, cpu = time.perf_counter(), time.process_time()
        results = process(corpus)
        _answer(
            {"wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}
        )
    else:
        return  # the harness went away without asking for the report
    report: dict[str, Any] = {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KB / MB,
        "vm_hwm_mb": _proc_status_kb("VmHWM") * KB / MB,
    }
    if args.side == "ours":
        report["positions"] = sum(len(result.positions) for result in results)
        report["actors"] = sum(len(result.actors) for result in results)
        report["articles_with_positions"] = sum(1 for result in results if result.positions)
    else:
        report["tokens"] = sum(len(doc) for doc in results)
        report["sentences"] = sum(1 for doc in results for _ in doc.sents)
    if args.profile:
        del results
        _profile(process, corpus).dump_stats(args.profile)
        report["profile"] = str(args.profile)
    _answer(report)


def _answer(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (/proc/stat), or 0 elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return 0.0
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait are busy
    busy = sum(int(value) for index, value in enumerate(fields[:8]) if index not in (3, 4))
    return busy / os.sysconf("SC_CLK_TCK")


class Side:
    """One side's subprocess (this script with ``--side``), driven one pass at a time."""

    def __init__(self, side: str, args: argparse.Namespace) -> None:
        self.name = side
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            f"--side={side}",
            f"--articles={args.articles}",
            f"--warmup={args.warmup}",
            f"--seed={args.seed}",
            f"--cpu={args.cpu}",
            f"--model={args.model}",
        ]
        if args.profile and side == "ours":
            command.append(f"--profile={args.profile}")
        env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, "1")}
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by stop()
        self._process = subprocess.Popen(  # noqa: S603
            command,
            env=env,
            cwd=REPO_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.report: dict[str, Any] = {
            **self._receive(),
            "wall_seconds": [],
            "cpu_seconds": [],
            "other_cpu_seconds": [],
        }

    def _receive(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith("{"):
                message: dict[str, Any] = json.loads(line)
                return message
        self._process.wait()
        self._stderr.seek(0)
        tail = "\n".join(self._stderr.read().strip().splitlines()[-15:])
        raise SystemExit(
            f"error: the {self.name} side failed (exit {self._process.returncode}):\n{tail}"
        )

    def _send(self, request: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(request + "\n")
        self._process.stdin.flush()

    def timed_pass(self) -> None:
        machine = _machine_busy_seconds()
        self._send("pass")
        timing = self._receive()
        other = _machine_busy_seconds() - machine - timing["cpu_seconds"]
        self.report["wall_seconds"].append(timing["wall_seconds"])
        self.report["cpu_seconds"].append(timing["cpu_seconds"])
        self.report["other_cpu_seconds"].append(max(other, 0.0))

    def finish(self) -> dict[str, Any]:
        self._send("finish")
        self.report.update(self._receive())
        self._process.wait()
        return self.report

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._stderr.close()


def run_sides(args: argparse.Namespace, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Load every side, then alternate their passes, so that both see the same machine."""
    sides: list[Side] = []
    try:
        for name in names:
            _progress(f"{name}: loading and warming up on CPU {args.cpu}")
            sides.append(Side(name, args))
        for number in range(1, args.repeat + 1):
            # ABBA order: neither side always runs first after the other
            for side in sides if number % 2 else sides[::-1]:
                _progress(f"{side.name}: pass {number} of {args.repeat}")
                side.timed_pass()
        if args.profile:
            _progress(f"ours: one more pass under cProfile, to {args.profile}")
        return {side.name: side.finish() for side in sides}
    finally:
        for side in sides:
            side.stop()


# -- The report -------------------------------------------------------------------------------


def summarise(side: dict[str, Any]) -> dict[str, Any]:
    walls, cpus = side["wall_seconds"], side["cpu_seconds"]
    rates = [side["articles"] / wall for wall in walls]
    return {
        "best_articles_per_second": max(rates),
        "median_articles_per_second": statistics.median(rates),
        "articles_per_second": rates,
        "best_articles_per_cpu_second": side["articles"] / min(cpus),
        "min_cpu_share": min(cpu / wall for cpu, wall in zip(cpus, walls, strict=True)),
        "max_other_cores": max(
            other / wall for other, wall in zip(side["other_cpu_seconds"], walls, strict=True)
        ),
    }


def build_report(
    args: argparse.Namespace, corpus: Sequence[Article], sides: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    summaries = {name: summarise(side) for name, side in sides.items()}
    ratio: dict[str, float] = {}
    if len(summaries) == len(SIDES):
        for key in (
            "best_articles_per_second",
            "median_articles_per_second",
            "best_articles_per_cpu_second",
        ):
            ratio[key] = summaries["ours"][key] / summaries["reference"][key]
    load = os.getloadavg()
    return {
        "articles": len(corpus),
        "seed": args.seed,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "corpus": corpus_digest(corpus),
        "words": word_distribution(corpus),
        "machine": {
            "cpu_count": os.cpu_count(),
            "pinned_cpu": args.cpu,
            "python": platform.python_version(),
            "load_average_after": load,
        },
        "sides": {name: {**side, **summaries[name]} for name, side in sides.items()},
        "ratio_ours_over_reference": ratio,
    }


def format_report(report: dict[str, Any]) -> str:
    words = report["words"]
    histogram = ", ".join(f"{span}: {n}" for span, n in words["histogram"].items())
    lines = [
        f"analysis benchmark: {report['articles']} articles (seed {report['seed']}, corpus "
        f"{report['corpus']}), one core (CPU {report['machine']['pinned_cpu']} of "
        f"{report['machine']['cpu_count']}), {report['warmup']} articles of warm-up, "
        f"best and median of {report['repeat']} passes",
        f"words per article: min {words['min']}, q1 {words['q1']:.0f}, median "
        f"{words['median']:.0f}, q3 {words['q3']:.0f}, max {words['max']}, mean "
        f"{words['mean']:.0f}; {words['total_words']:,} words in all",
        f"  histogram: {histogram}",
        "",
        f"{'side':<10}{'best art/s':>12}{'median':>9}{'per cpu-s':>11}{'words/s':>9}"
        f"{'load s':>8}{'loaded MB':>11}{'peak MB':>9}  passes (articles/s)",
    ]
    for name, side in report["sides"].items():
        passes = " ".join(f"{rate:.2f}" for rate in side["articles_per_second"])
        best_words = side["best_articles_per_second"] * words["mean"]
        lines.append(
            f"{name:<10}{side['best_articles_per_second']:>12.2f}"
            f"{side['median_articles_per_second']:>9.2f}"
            f"{side['best_articles_per_cpu_second']:>11.2f}{best_words:>9.0f}"
            f"{side['load_seconds']:>8.2f}{side['rss_loaded_mb']:>11.1f}"
            f"{side['peak_rss_mb']:>9.1f}  {passes}"
        )
    lines.append("")
    ratio = report["ratio_ours_over_reference"]
    if ratio:
        lines.append(
            f"ours / reference articles/s: {ratio['best_articles_per_second']:.2f}x (best), "
            f"{ratio['median_articles_per_second']:.2f}x (median), "
            f"{ratio['best_articles_per_cpu_second']:.2f}x (per CPU second); goal: at least 3x"
        )
    ours = report["sides"].get("ours")
    if ours:
        n = ours["articles"]
        lines.append(
            f"ours: {ours['positions'] / n:.2f} positions and {ours['actors'] / n:.2f} actors "
            f"per article; {ours['articles_with_positions']} of {n} articles with a position"
        )
    reference = report["sides"].get("reference")
    if reference:
        lines.append(
            f"reference: {reference['model']}; {reference['tokens'] / reference['articles']:.0f} "
            f"tokens and {reference['sentences'] / reference['articles']:.1f} sentences per "
            "article"
        )
    for name, side in report["sides"].items():
        lines.append(
            f"{name}: at most {side['max_other_cores']:.2f} cores of other work during a pass; "
            f"the pinned core gave a pass at least {side['min_cpu_share']:.0%} of its wall time"
        )
        if side["min_cpu_share"] < BUSY_CPU_SHARE or side["max_other_cores"] > BUSY_OTHER_CORES:
            lines.append(
                f"WARNING: other work ran during the {name} passes; re-run on an idle machine."
            )
        if "profile" in side:
            lines.append(f"{name}: cProfile of one more pass written to {side['profile']}")
    lines.append(
        "best art/s and median: articles / wall time of a pass; per cpu-s: articles / the least "
        "CPU time of a pass;\nwords/s: best art/s x mean words per article; load s: imports "
        "and model load; loaded MB: RSS after loading;\npeak MB: ru_maxrss of the side's "
        "subprocess (the reference keeps every Doc of a pass, as list(nlp.pipe()) does)."
    )
    return "\n".join(lines)


# -- Main -------------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(f"[analysis-bench] {message}", file=sys.stderr, flush=True)


def _default_cpu() -> int:
    return max(os.sched_getaffinity(0))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="corpus size (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per side (default 3)")
    parser.add_argument("--warmup", type=int, default=5, help="articles before timing (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the corpus (default 1)")
    parser.add_argument(
        "--cpu", type=int, default=_default_cpu(), help="the CPU both sides are pinned to"
    )
    parser.add_argument(
        "--model", help="the spaCy model, for both sides (default: analysis.spacy_model's)"
    )
    parser.add_argument("--skip-reference", action="store_true", help="run our side only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--profile", type=Path, help="also run our side once under cProfile and write it here"
    )
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)  # the subprocesses
    args = parser.parse_args(argv)
    if args.articles < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--articles and --repeat must be positive, --warmup not negative")
    if args.profile:
        args.profile = args.profile.resolve()
    if not args.model:
        try:
            from digests.settings import AnalysisSettings  # noqa: PLC0415 - needs the venv
        except ModuleNotFoundError:
            parser.error("run it with the project's .venv/bin/python (make install)")
        args.model = AnalysisSettings().spacy_model
    return args


def main() -> None:
    args = parse_args()
    if args.side:
        run_side(args)
        return
    corpus = build_corpus(args.articles, args.seed)
    names = SIDES[:1] if args.skip_reference else SIDES
    sides = run_sides(args, names)
    for name, side in sides.items():
        if side["corpus"] != corpus_digest(corpus):
            raise SystemExit(f"error: the {name} side read another corpus")
    report = build_report(args, corpus, sides)
    print(json.dumps(report, indent=2) if args.json else format_report(report))


if __name__ == "__main__":
    main()
