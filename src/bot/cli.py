"""The `newsdigest` command line."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from bot import cli_output
from bot.settings import LoadedSettings, load_settings
from bot.terminal import SafeConsole, terminal_json, terminal_line
from digests import __version__
from digests.errors import ConfigError, NewsdigestError
from digests.feedlist import default_feeds_file, load_feed_list
from digests.model import Feed, FullText, utc_now

# The store, the fetcher and the service are imported by the commands that use them: worker
# processes re-import this module (as the console script's), and must stay light.
if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.views import ErrorView, View
    from digests.analysis import QueueRun
    from digests.fetch import FeedResult
    from digests.service import Service
    from digests.store import Store

log = logging.getLogger(__name__)

#: Exit codes beyond click's own (1: an error, 2: bad usage).
EXIT_CONFIG = 2

#: Every line the commands print goes through it: no markup is read, no control gets out.
out = SafeConsole(highlight=False, soft_wrap=True)


class BadSettings(click.ClickException):
    """The settings are wrong: one line saying which and why."""

    exit_code = EXIT_CONFIG


@dataclass
class App:
    """What every command gets: the settings, built once on first use."""

    config_file: Path | None

    @cached_property
    def loaded(self) -> LoadedSettings:
        try:
            loaded = load_settings(self.config_file)
        except UnicodeDecodeError as error:  # tomllib reads bytes and decodes them first
            raise BadSettings(f"{self.config_file}: config file is not UTF-8 text") from error
        _setup_logging(loaded.settings.log_level, loaded.settings.log_format, loaded.settings)
        return loaded

    def open_service(self, *, starting: bool = True) -> Service:
        """The service over the configured store; ``starting``: add the default feeds if this
        database never had them (lookups, which only read, pass False)."""
        from digests.service import Service  # noqa: PLC0415 - see the imports above

        settings = self.loaded.settings
        feeds_file = settings.feeds_file or default_feeds_file()
        return Service.open(
            settings.resolved_database_url(),
            fetch=settings.fetch,
            digest=settings.digest,
            vocabulary_dir=settings.analysis.vocabulary_dir or None,
            default_feeds=load_feed_list(feeds_file) if starting else None,
        )


def _setup_logging(level: str, log_format: str = "text", settings: Settings | None = None) -> None:
    """One handler on the root logger, masking tokens, codes, tickets and the secrets of
    ``settings`` in every record it writes (the libraries' too)."""
    from bot.logs import (  # noqa: PLC0415
        JsonFormatter,
        SafeRichHandler,
        SecretMask,
        configured_secrets,
    )

    handler: logging.Handler
    if log_format == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    else:
        handler = SafeRichHandler(
            console=Console(stderr=True), show_path=False, rich_tracebacks=False
        )
    handler.addFilter(SecretMask(configured_secrets(settings) if settings else ()))
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    # APScheduler logs every run of every job at INFO: the jobs log what they did themselves.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    if level != "DEBUG":  # alembic narrates every start; we log a migration ourselves
        logging.getLogger("alembic").setLevel(logging.WARNING)


class _Group(click.Group):
    """The one place where errors become the one line on stderr the README promises: the
    library's errors, and the operating system's (a full disk, a folder that cannot be written,
    a network that is down), instead of a traceback. Every message is made safe to print."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError:
            raise  # click's own, about what was typed
        except click.ClickException as error:
            safe = terminal_line(error.message)
            if safe == error.message:
                raise
            kind = BadSettings if error.exit_code == EXIT_CONFIG else click.ClickException
            raise kind(safe) from error
        except ConfigError as error:
            raise BadSettings(terminal_line(str(error))) from error
        except NewsdigestError as error:
            raise click.ClickException(terminal_line(str(error))) from error
        except OSError as error:
            log.debug("the command failed", exc_info=True)
            raise click.ClickException(terminal_line(_os_problem(error))) from error


def _os_problem(error: OSError) -> str:
    """An operating system's error as one line: what failed, on which file if one is named."""
    what = error.strerror or str(error) or type(error).__name__
    return f"{what}: {error.filename}" if error.filename else what


pass_app: Callable[[Callable[..., Any]], Callable[..., Any]] = click.make_pass_decorator(App)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsdigest")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSDIGEST_CONFIG",
    help="A TOML settings file (see config/settings.example.toml). Env: NEWSDIGEST_CONFIG.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """newsdigest: world news digests and who-said-what for Slack and Discord."""
    ctx.obj = App(config_file)


@cli.command()
@click.option(
    "--once",
    is_flag=True,
    help="Poll the due feeds, analyse, print a digest of the last day, send the digests that "
    "are due, and stop (for a timer or cron) instead of running on.",
)
@pass_app
def run(app: App, once: bool) -> None:
    """Start the bot: poll feeds, analyse, deliver digests, answer commands (docs/run.md)."""
    from digests.store import display_url  # noqa: PLC0415 - see the imports above

    settings = app.loaded.settings
    with app.open_service() as service:
        out.print(f"Store ready: {display_url(settings.resolved_database_url())}.")
        console = _console_subscriptions(service, settings, app.loaded.config_file)
        out.print(f"Delivering to: {', '.join(settings.adapters())}.")
        for line in console:
            out.print(line, markup=False)
        if once:
            asyncio.run(_run_once(service, settings))
            return
        out.print("Running until Ctrl-C: feeds are polled when due, digests sent on time.")
        with contextlib.suppress(KeyboardInterrupt):  # the runner stops on SIGINT itself
            asyncio.run(_run(service, settings))
        out.print("Stopped.")


def _console_subscriptions(
    service: Service, settings: Settings, config_file: Path | None
) -> list[str]:
    """The console's digests as the settings say, or one line on stderr and exit 2."""
    from bot.runner import console_subscriptions  # noqa: PLC0415 - see the imports above
    from digests.compose import (  # noqa: PLC0415
        UnknownActorError,
        UnknownFeedError,
        UnknownTopicError,
    )
    from digests.schedule import next_delivery  # noqa: PLC0415

    try:
        saved = console_subscriptions(service, settings.run.console)
    except (UnknownActorError, UnknownTopicError, UnknownFeedError) as error:
        from bot.settings import line_of  # noqa: PLC0415 - see the imports above

        line = line_of(config_file, error.key)
        where = f" (line {line} of {config_file})" if line is not None else ""
        raise BadSettings(f"run.console: {error}{where}") from error
    return [
        f"Console digest {sub.channel_id!r}: {sub.local_time:%H:%M} {sub.timezone}, next at "
        f"{next_delivery(sub, utc_now()):%Y-%m-%d %H:%M} UTC."
        for sub in saved
    ]


async def _run_once(service: Service, settings: Settings) -> None:
    from bot.runner import ConsoleSender, Runner  # noqa: PLC0415 - see the imports above
    from digests.model import Platform  # noqa: PLC0415

    console = {Platform.CONSOLE: ConsoleSender(sys.stdout)}
    runner = Runner(service, settings, console, out=sys.stdout)
    await runner.intake()
    await runner.deliver()


async def _run(service: Service, settings: Settings) -> None:
    """The long-running process, with every configured adapter."""
    from bot.runner import ConsoleSender, Runner  # noqa: PLC0415 - see the imports above
    from bot.sending import Sender  # noqa: PLC0415
    from bot.supervise import Backoff  # noqa: PLC0415
    from digests.model import Platform  # noqa: PLC0415

    senders: dict[Platform, Sender] = {Platform.CONSOLE: ConsoleSender(sys.stdout)}
    adapters: list[Callable[[], Coroutine[Any, Any, None]]] = []
    backoff = Backoff.of(settings.run)
    if settings.discord_token is not None:
        from bot.discord import DiscordSender, keep_connected, make_client  # noqa: PLC0415

        client = make_client(service, settings)
        token = settings.discord_token.get_secret_value()
        senders[Platform.DISCORD] = DiscordSender(client)
        adapters.append(lambda: keep_connected(client, token, backoff))
    if settings.slack_mode() is not None:
        from bot.slack import serve as serve_slack  # noqa: PLC0415 - slack-bolt
        from bot.slack import slack_sender  # noqa: PLC0415

        senders[Platform.SLACK] = slack_sender(service, settings)
        adapters.append(lambda: serve_slack(service, settings))
    await Runner(service, settings, senders, adapters=adapters, out=sys.stdout).run()


@cli.command()
@click.argument("urls", nargs=-1)
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Poll the feeds of this TOML feed list (the format of config/feeds.toml).",
)
@click.option(
    "--no-analysis",
    is_flag=True,
    help="Only poll: leave new and changed articles queued (`newsdigest analyse --pending` "
    "analyses them later).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the per-feed results as JSON (the analysis's summary goes to the log).",
)
@pass_app
def ingest(
    app: App, urls: tuple[str, ...], feeds_file: Path | None, no_analysis: bool, as_json: bool
) -> None:
    """Poll feeds once: every due feed, or the given URLs and feed list now; then analyse.

    Given feeds that are not stored yet are added first (their current entries count as
    already seen). Polling comes first and stores what it finds before any analysis starts;
    then the analysis queue (what was stored, and anything left waiting) is analysed, unless
    --no-analysis.
    """
    from digests.fetch import PollStatus, check_url  # noqa: PLC0415 - see the imports above

    targets = [Feed(url=url) for url in urls] + (load_feed_list(feeds_file) if feeds_file else [])
    for target in targets:  # refuse bad input before touching the store
        check_url(target.url, allow_private=app.loaded.settings.fetch.allow_private_networks)
    with app.open_service() as service:
        results = asyncio.run(_ingest(service, targets or None, show_progress=not as_json))
        queued = service.store.count_queued()
        if as_json:
            sys.stdout.write(json.dumps([_result_json(r) for r in results], indent=1) + "\n")
        else:
            cli_output.print_ingest_summary(out, results, queued, analysing=not no_analysis)
        if queued and not no_analysis:
            run = _analyse_queue(app, service.store, show_progress=not as_json)
            if not as_json:
                cli_output.print_analysis_run(out, run, service.store.count_queued())
    if results and all(result.status is PollStatus.FAILED for result in results):
        sys.exit(1)


async def _ingest(
    service: Service, targets: list[Feed] | None, *, show_progress: bool
) -> list[FeedResult]:
    if not (show_progress and out.is_terminal):
        return await service.ingest(targets)
    with cli_output.progress_bar(out, "polling") as (progress, task):
        total = len(targets) if targets is not None else len(service.store.due_feeds(utc_now()))
        progress.update(task, total=total)
        return await service.ingest(targets, progress=lambda _r: progress.advance(task))


def _result_json(result: FeedResult) -> dict[str, object]:
    data = dataclasses.asdict(result)
    data["next_check_at"] = result.next_check_at.isoformat() if result.next_check_at else None
    data["article_ids"] = list(result.article_ids)
    return data


def _analyse_queue(
    app: App, store: Store, *, limit: int | None = None, show_progress: bool
) -> QueueRun:
    """Work through the store's analysis queue, with a progress bar on a terminal."""
    from bot.work import analyse_pending  # noqa: PLC0415 - loads spaCy when there is work

    settings = app.loaded.settings
    queued = store.count_queued()
    if not (queued and show_progress and out.is_terminal):
        return analyse_pending(store, settings.analysis, settings.stories, limit=limit)
    with cli_output.progress_bar(out, "analysing") as (progress, task):
        progress.update(task, total=queued if limit is None else min(queued, limit))
        return analyse_pending(
            store,
            settings.analysis,
            settings.stories,
            limit=limit,
            progress=lambda _done: progress.advance(task),
        )


@cli.command()
@click.argument("inputs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input, one per line.")
@click.option(
    "--pending",
    is_flag=True,
    help="Analyse the store's queue instead: articles new or changed since their analysis.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), help="With --pending: at most this many articles."
)
@pass_app
def analyse(
    app: App, inputs: tuple[str, ...], as_json: bool, pending: bool, limit: int | None
) -> None:
    """Analyse articles: actors, topics, positions, summary.

    Each INPUT is a plain-text file (its first non-empty line is the title), an HTML page, or
    a JSON object with "title" and "text"; "-" reads standard input. An input that cannot be
    read gets one line on stderr, and the others still run (exit status 1 then).

    With --pending (and no INPUT), the stored articles waiting for analysis are analysed and
    their results stored; one line sums up the run. An article whose analysis fails is logged
    and not retried until its content changes (exit status 1 then).
    """
    _check_analyse_usage(inputs, as_json=as_json, pending=pending, limit=limit)
    if pending:
        _analyse_pending(app, limit)
    else:
        _analyse_inputs(app, inputs, as_json=as_json)


def _check_analyse_usage(
    inputs: tuple[str, ...], *, as_json: bool, pending: bool, limit: int | None
) -> None:
    if pending and inputs:
        raise click.UsageError("give INPUT files or --pending, not both")
    if pending and as_json:
        raise click.UsageError("--json is for INPUT files; --pending prints one summary line")
    if limit is not None and not pending:
        raise click.UsageError("--limit goes with --pending")
    if not (pending or inputs):
        raise click.UsageError(
            "give the articles to analyse (INPUT files, or - for standard input), "
            "or --pending for the stored articles waiting for analysis"
        )


def _analyse_pending(app: App, limit: int | None) -> None:
    with app.open_service() as service:
        run = _analyse_queue(app, service.store, limit=limit, show_progress=True)
        cli_output.print_analysis_run(out, run, service.store.count_queued())
    if run.failed:
        raise SystemExit(1)


def _analyse_inputs(app: App, inputs: tuple[str, ...], *, as_json: bool) -> None:
    from bot import analyse_io  # noqa: PLC0415 - see the imports above
    from bot.work import analyzer as analyzer_for  # noqa: PLC0415 - spaCy

    analyzer = analyzer_for(app.loaded.settings.analysis)
    failed = 0
    for name in inputs:
        try:
            article = analyse_io.read_input(name)
        except analyse_io.InputError as error:
            click.echo(f"newsdigest analyse: {name}: {error}", err=True)
            failed += 1
            continue
        analysis = analyzer.analyse(article.title, article.text)
        if as_json:
            sys.stdout.write(
                terminal_json(json.dumps(analyse_io.as_json(name, analysis), ensure_ascii=False))
                + "\n"
            )
        else:
            analyse_io.print_analysis(out, name, analysis)
    if failed:
        raise SystemExit(1)


@cli.command(name="eval")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The scores as one JSON object.")
@pass_app
def eval_command(app: App, directory: Path, as_json: bool) -> None:
    """Score the analysis against gold articles (DIRECTORY/*.json, see docs/analysis.md)."""
    from digests.analysis.evaluate import evaluate, load_gold  # noqa: PLC0415 - loads spaCy

    gold = load_gold(directory)
    from bot.work import analyzer as analyzer_for  # noqa: PLC0415 - spaCy

    scores = evaluate(analyzer_for(app.loaded.settings.analysis), gold)
    if as_json:
        sys.stdout.write(json.dumps(scores.as_dict(), indent=1) + "\n")
    else:
        cli_output.print_scores(out, scores)


class BadInput(click.ClickException):
    """What was typed cannot be used: one line saying what is accepted."""

    exit_code = EXIT_CONFIG


def _listed(value: str | None) -> tuple[str, ...]:
    """A comma-separated option as its non-empty items."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _since_option(default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--since",
        default=default,
        show_default=True,
        help="How far back: a number and m, h, d or w (90m, 24h, 7d, 2w).",
    )


_format_option = click.option(
    "--format",
    "output",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Plain text, Markdown, or one JSON object.",
)


def _window(since: str) -> dt.timedelta:
    """--since as typed, or a one-line error saying what is accepted."""
    from bot.durations import parse_duration  # noqa: PLC0415 - see the imports above

    try:
        return parse_duration(since)
    except ValueError as error:
        raise BadInput(f"--since: {error}") from error


def _write_view(view: View, output: str) -> None:
    """A view on stdout, in the --format asked for."""
    from bot.views.render_console import render_markdown, render_text  # noqa: PLC0415
    from bot.views.render_json import render_json  # noqa: PLC0415

    render = {"text": render_text, "markdown": render_markdown, "json": render_json}[output]
    sys.stdout.write(terminal_json(render(view)))


def _refuse(problem: ErrorView, output: str, cause: Exception) -> NoReturn:
    """Bad input: one line on stderr (and the error view on stdout for --format json)."""
    from bot.views.render_console import render_error_line  # noqa: PLC0415
    from bot.views.render_json import render_json  # noqa: PLC0415

    if output == "json":
        sys.stdout.write(terminal_json(render_json(problem)))
    raise BadInput(render_error_line(problem)) from cause


@cli.command()
@click.option("--actors", help="Only stories about these actors, comma-separated (russia,nato).")
@click.option("--topics", help="Only stories on these topics: ids of config/topics.toml.")
@click.option("--feeds", help="Only stories reported by these feeds: titles, URLs or hosts.")
@click.option("--keywords", help="Only stories with one of these words or phrases.")
@click.option("--exclude", help="No stories with any of these words or phrases.")
@_since_option("24h")
@_format_option
@pass_app
def digest(
    app: App,
    *,
    actors: str | None,
    topics: str | None,
    feeds: str | None,
    keywords: str | None,
    exclude: str | None,
    since: str,
    output: str,
) -> None:
    """A digest of the top stories since --since: by topic, with sources and key positions,
    the positions of the day, and the feeds that failed or went stale.

    Ad hoc: no delivery is recorded, and no subscription's window moves.
    """
    from bot.views import digest_view, error_view  # noqa: PLC0415
    from digests.compose import (  # noqa: PLC0415
        UnknownActorError,
        UnknownFeedError,
        UnknownTopicError,
    )
    from digests.model import SubscriptionFilters  # noqa: PLC0415

    window = _window(since)
    filters = SubscriptionFilters(
        actors=_listed(actors),
        topics=_listed(topics),
        feeds=_listed(feeds),
        keywords=_listed(keywords),
        exclude_keywords=_listed(exclude),
    )
    with app.open_service(starting=False) as service:
        try:
            result = service.digest(filters, window)
        except (UnknownActorError, UnknownTopicError, UnknownFeedError) as error:
            _refuse(error_view(error), output, error)
    _write_view(digest_view(result), output)


@cli.command()
@click.argument("actor")
@click.option("--topic", help="Only this topic: an id of config/topics.toml, such as ceasefire.")
@_since_option("7d")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=500),
    default=30,
    show_default=True,
    help="At most this many statements by the actor, and as many about it.",
)
@_format_option
@pass_app
def positions(
    app: App, *, actor: str, topic: str | None, since: str, limit: int, output: str
) -> None:
    """What ACTOR said lately, by topic, with sources; what others said about it; and where
    its stance changed.

    ACTOR is a country, organisation, group or person, by name, alias, demonym or ISO code
    (russia, US, Russian, zelensky); near misses are read as the closest name.
    """
    from bot.views import error_view, positions_view  # noqa: PLC0415
    from digests.compose import UnknownActorError, UnknownTopicError  # noqa: PLC0415

    window = _window(since)
    with app.open_service(starting=False) as service:
        try:
            result = service.positions(actor, topic=topic, since=window, limit=limit)
        except (UnknownActorError, UnknownTopicError) as error:
            _refuse(error_view(error), output, error)
    view = positions_view(result)
    _write_view(view, output)


@cli.command()
@click.argument("query", nargs=-1, required=True)
@_since_option("7d")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=100),
    default=10,
    show_default=True,
    help="At most this many articles, and as many statements.",
)
@_format_option
@pass_app
def search(app: App, *, query: tuple[str, ...], since: str, limit: int, output: str) -> None:
    """Stored articles and statements that hold every word of QUERY (word forms count:
    "sanction" finds "sanctions"), best first."""
    from bot.views import search_view  # noqa: PLC0415
    from digests.compose import EmptyQueryError  # noqa: PLC0415

    window = _window(since)
    with app.open_service(starting=False) as service:
        try:
            result = service.search(" ".join(query), window, limit)
        except EmptyQueryError as error:
            raise BadInput(f"QUERY: {error}") from error
        view = search_view(result, service.vocabulary)
    _write_view(view, output)


@cli.command()
@pass_app
def subscriptions(app: App) -> None:
    """List every channel's digest subscription."""
    with app.open_service() as service:
        found = service.store.list_subscriptions()
    if not found:
        out.print("No subscriptions yet.")
        return
    table = Table("id", "platform", "workspace", "channel", "time", "timezone", "days")
    for sub in found:
        days = ",".join("MTWTFSS"[day] for day in sorted(sub.days))
        table.add_row(
            str(sub.id),
            sub.platform,
            sub.workspace_id,
            sub.channel_id,
            sub.local_time.strftime("%H:%M"),
            sub.timezone,
            days,
        )
    out.print(table)


@cli.group()
def feeds() -> None:
    """The feeds newsdigest polls."""


@feeds.command("list")
@pass_app
def feeds_list(app: App) -> None:
    """List the stored feeds."""
    with app.open_service() as service:
        cli_output.print_feed_list(out, service.list_feeds())


@feeds.command("status")
@pass_app
def feeds_status(app: App) -> None:
    """Each feed's fetch state: last success, last error, failures, next poll, disabled."""
    with app.open_service() as service:
        cli_output.print_feed_status(out, service.list_feeds())


@feeds.command("add")
@click.argument("url")
@click.option("--title", help="A title to show instead of the feed's own.")
@click.option(
    "--full-text",
    type=click.Choice([mode.value for mode in FullText]),
    default=FullText.AUTO.value,
    show_default=True,
    help="Fetch article pages for their full text: when the feed's text is short, always, never.",
)
@pass_app
def feeds_add(app: App, url: str, title: str | None, full_text: str) -> None:
    """Add the feed at URL, after checking that it answers with a feed."""
    from digests.fetch import check_url  # noqa: PLC0415 - see the imports above

    check_url(url, allow_private=app.loaded.settings.fetch.allow_private_networks)
    with app.open_service() as service:
        result = asyncio.run(service.add_feed(url, title=title, full_text=FullText(full_text)))
    out.print(
        f"Added feed {result.feed_id}: {terminal_line(result.title or result.url)} "
        f"({terminal_line(result.url)}); {result.seen} entries stored as already seen.",
        markup=False,
    )


@feeds.command("remove")
@click.argument("feed")
@pass_app
def feeds_remove(app: App, feed: str) -> None:
    """Remove FEED (its id, URL or title) with its articles."""
    with app.open_service() as service:
        removed = service.remove_feed(feed)
    name = terminal_line(removed.title or removed.url)
    out.print(f"Removed feed {removed.id}: {name}", markup=False)


@cli.group()
def slack() -> None:
    """The Slack app (docs/slack.md)."""


@slack.command("manifest")
@click.option(
    "--http",
    "url",
    metavar="URL",
    help="HTTP mode at this public address (events and the OAuth redirect under it); "
    "without it, Socket Mode.",
)
def slack_manifest(url: str | None) -> None:
    """Print the Slack app manifest (JSON): paste it at api.slack.com/apps, Create New App,
    From an app manifest."""
    from bot.slack._manifest import manifest_json  # noqa: PLC0415 - slack-bolt on demand

    if url is not None and not url.startswith("https://"):
        raise BadInput("--http: give the https:// address Slack will post to")
    sys.stdout.write(
        manifest_json(socket_mode=url is None)
        if url is None
        else manifest_json(socket_mode=False, url=url)
    )


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_app
def db_upgrade(app: App, revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    with _connect(app) as store:
        store.upgrade(revision)
        out.print(f"Database at revision {store.revision()}.")


@db.command("downgrade")
@click.argument("revision")
@pass_app
def db_downgrade(app: App, revision: str) -> None:
    """Migrate the database down to REVISION ("base" drops every table)."""
    with _connect(app) as store:
        store.downgrade(revision)
        out.print(f"Database at revision {store.revision() or 'base'}.")


@db.command("current")
@pass_app
def db_current(app: App) -> None:
    """Show the database's revision and the newest one this code knows."""
    with _connect(app) as store:
        current = store.revision()
    from digests.store import head_revision  # noqa: PLC0415 - see the imports above

    out.print(f"Database at {current or 'base (empty)'}; newest is {head_revision()}.")


def _connect(app: App) -> Store:
    from digests.store import Store  # noqa: PLC0415 - see the imports above

    return Store.connect(app.loaded.settings.resolved_database_url())


@cli.command()
@pass_app
def doctor(app: App) -> None:
    """Show the settings in use (secrets masked) and check the database."""
    from bot.doctor import Status, diagnose  # noqa: PLC0415 - see the imports above

    findings = diagnose(app.loaded)
    marks = {Status.OK: "ok  ", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.INFO: "    "}
    for finding in findings:
        out.print(f"{marks[finding.status]} {finding.topic:<9} {finding.detail}", markup=False)
    if any(finding.status is Status.FAIL for finding in findings):
        sys.exit(1)


# -- stories ----------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--since",
    default="24h",
    show_default=True,
    help="Stories with a report this recent: a number and m, h, d or w (90m, 24h, 7d, 2w).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=1000),
    default=100,
    show_default=True,
    help="At most this many stories.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Plain text, or one JSON array.",
)
@pass_app
def stories(app: App, *, since: str, limit: int, output: str) -> None:
    """Recent stories, newest first: reports of one event from one or more outlets, with the
    headline, the number of sources, the outlets, actors and topics."""
    from digests.compose import list_stories  # noqa: PLC0415
    from digests.store import Store  # noqa: PLC0415

    window = _window(since)
    with Store.open(app.loaded.settings.resolved_database_url()) as store:
        found = list_stories(store, since=utc_now() - window, limit=limit)
    if output == "json":
        sys.stdout.write(json.dumps(cli_output.stories_json(found), indent=1) + "\n")
    else:
        cli_output.print_stories(out, found, since)


def main() -> None:
    cli(prog_name="newsdigest")
