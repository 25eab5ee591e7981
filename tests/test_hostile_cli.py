"""The command line against hostile feed text and broken surroundings: feed titles with Rich
markup and terminal escape sequences, a full disk, a database that cannot be reached, bad
database URLs and revisions, and removal by a name that is only part of a feed's title."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import digests.store._engine as engine_module
from bot.cli import EXIT_CONFIG
from bot.commands import Caller, find_command, run_command
from bot.terminal import terminal_json, terminal_line, terminal_text
from bot.views import ErrorView, NoticeView
from bot.views.render_console import render_error_line, render_markdown, render_text
from digests.model import Feed, Platform
from digests.service import Channel, Service
from digests.settings import FetchSettings
from digests.store import Store
from tests.feeds import Item, items, json_feed, rss
from tests.feedserver import FeedServer
from tests.test_intake_cli import db_url, invoke, one_error_line

__all__ = ["db_url"]  # a fixture, from the intake CLI's tests

#: Rich markup that cannot be parsed, markup that would style, a screen clear, an OSC 8
#: hyperlink, a window title, a bell, a C1 CSI, a backspace and a right-to-left override.
HOSTILE = (
    "Evil [/] [bold]news\x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
    "\x1b]0;owned\x07\x07\x9b31m\x08\u202eenod"
)
#: What a terminal may act on: ESC, BEL, BS, CSI (C1), and the bidi override.
CONTROLS = ("\x1b", "\x07", "\x08", "\x9b", "\u202e")


def assert_inert(result: Result) -> None:
    """No traceback, and nothing a terminal would act on, on stdout or stderr."""
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    for control in CONTROLS:
        assert control not in result.output, (control, result.output)


def hostile_feed(feed_server: FeedServer, path: str = "/hostile.json") -> str:
    """A JSON Feed (JSON can carry every control character) with hostile titles and text."""
    entry = Item(
        title=f"{HOSTILE} talks",
        guid="urn:test:hostile:1",
        link="https://news.example/hostile/1",
        description=f"Ministers [/] resumed talks \x1b[31m today {HOSTILE}",
    )
    return feed_server.serve(
        path, json_feed([entry], title=HOSTILE), content_type="application/json"
    )


# -- feed text in the terminal ---------------------------------------------------------------


def test_a_feed_title_with_markup_and_escapes_does_not_break_ingest(
    db_url: str, feed_server: FeedServer
) -> None:
    url = hostile_feed(feed_server)
    result = invoke("ingest", url)  # the summary table holds the title; analysis runs after
    assert result.exit_code == 0, result.output
    assert_inert(result)
    assert "Evil [/]" in result.output  # shown as text, not read as markup
    assert "Analysed 1 articles" in result.output
    again = invoke("ingest", "--no-analysis", url)
    assert again.exit_code == 0, again.output
    assert_inert(again)


@pytest.mark.parametrize(
    "command",
    [
        ("feeds", "list"),
        ("feeds", "status"),
        ("search", "talks"),
        ("search", "talks", "--format", "markdown"),
        ("search", "talks", "--format", "json"),
    ],
)
def test_feed_text_reaches_the_terminal_without_controls(
    db_url: str, feed_server: FeedServer, command: tuple[str, ...]
) -> None:
    assert invoke("ingest", "--no-analysis", hostile_feed(feed_server)).exit_code == 0
    result = invoke(*command)
    assert result.exit_code == 0, result.output
    assert_inert(result)
    assert "Evil" in result.output


def test_feeds_add_and_remove_print_the_title_inert(db_url: str, feed_server: FeedServer) -> None:
    added = invoke("feeds", "add", hostile_feed(feed_server))
    assert added.exit_code == 0, added.output
    assert_inert(added)
    assert "Added feed 1: Evil [/] [bold]newsclick" in added.output
    removed = invoke("feeds", "remove", "1")
    assert removed.exit_code == 0, removed.output
    assert_inert(removed)


def test_a_title_given_on_the_command_line_is_inert_too(
    db_url: str, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/world.xml", rss(items(1)))
    added = invoke("feeds", "add", url, "--title", "Mine [/]\x1b[2J\nsecond line")
    assert added.exit_code == 0, added.output
    assert_inert(added)
    assert "Added feed 1: Mine [/] second line" in added.output  # one line: no faked line
    listed = invoke("feeds", "list")
    assert_inert(listed)
    assert "   1  Mine [/] second line\n" in listed.output


def test_an_error_quoting_feed_text_is_one_inert_line(db_url: str) -> None:
    result = invoke("feeds", "remove", "no such [/] feed\x1b[2J")
    assert result.exit_code == 1
    assert_inert(result)
    assert "no such [/] feed" in one_error_line(result)


@pytest.mark.parametrize("render", [render_text, render_markdown])
def test_the_view_renderers_strip_controls(render: Callable[[Any], str]) -> None:
    view = NoticeView(title=HOSTILE, lines=(f"line {HOSTILE}",), tone="done")
    shown = render(view)
    for control in CONTROLS:
        assert control not in shown
    assert render_error_line(ErrorView(message=HOSTILE, hint="x\ny")).count("\n") == 0


def test_the_sanitiser_keeps_text_and_drops_sequences() -> None:
    assert terminal_text("a\tb\nc\x1b[1;31md\x1b]8;;http://x/\x1b\\e\x1b]8;;\x07f\x00\x7f\x85") == (
        "a\tb\ncdef"
    )
    assert terminal_line("one\ntwo\r\x1bcthree") == "one twothree"
    assert terminal_text("Žluťoučký kůň, 東京, مرحبا") == "Žluťoučký kůň, 東京, مرحبا"
    assert terminal_json('{"a": "x\x9by\u202e"}') == '{"a": "x\\u009by\\u202e"}'


def test_the_sanitiser_is_linear_on_hostile_input() -> None:
    """Unterminated sequences, a megabyte of them: must not take seconds (it takes ms)."""
    import time

    for text in ("\x1b]" * 500_000, "\x1b[" + "1;" * 500_000, "\x9d" * 1_000_000):
        started = time.perf_counter()
        terminal_text(text)
        assert time.perf_counter() - started < 10


# -- one line instead of a traceback ---------------------------------------------------------


def test_feeds_add_with_a_label_too_long_for_dns_is_one_line(db_url: str) -> None:
    url = "http://" + "a" * 64 + ".com/feed"
    result = invoke("feeds", "add", url)
    assert result.exit_code == 1
    assert one_error_line(result) == f"Error: not a valid host name: {url}"
    assert invoke("ingest", url).exit_code == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+asyncpg://news@127.0.0.1:1/news", "unsupported driver 'postgresql+asyncpg'"),
        ("sqlite+aiosqlite:///news.db", "unsupported driver 'sqlite+aiosqlite'"),
        ("mysql://news@127.0.0.1:1/news", "unsupported database 'mysql'"),
    ],
)
def test_an_unsupported_database_url_says_what_is_supported(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", url)
    for command in (("db", "current"), ("feeds", "list"), ("doctor",)):
        result = invoke(*command)
        assert result.exit_code == EXIT_CONFIG, result.output
        line = one_error_line(result)
        assert expected in line
        assert "sqlite:// (Python's sqlite3) and postgresql:// (psycopg 3)" in line


def test_db_current_against_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "postgresql://root@127.0.0.1:1/x")
    for command in (("db", "current"), ("db", "upgrade"), ("feeds", "list")):
        result = invoke(*command)
        assert result.exit_code == 1
        line = one_error_line(result)
        assert line.startswith(
            "Error: cannot open database postgresql+psycopg://root@127.0.0.1:1/x"
        )
        assert "Connection refused" in line


@pytest.mark.parametrize(
    "command", [("db", "upgrade", "9999"), ("db", "downgrade", "xyz"), ("db", "upgrade", "0001x")]
)
def test_an_unknown_revision_is_one_line_naming_the_known_ones(
    db_url: str, command: tuple[str, ...]
) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    result = invoke(*command)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert f"cannot migrate to revision {command[2]!r}" in line
    assert "(the revisions: base, 0001, " in line
    assert invoke("db", "current").exit_code == 0  # the database is as it was


def test_a_database_folder_that_cannot_be_made_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", f"sqlite:///{blocker}/sub/news.db")
    for command in (("db", "current"), ("feeds", "list")):
        result = invoke(*command)
        assert result.exit_code == 1
        assert one_error_line(result).startswith(
            f"Error: cannot create the database's folder {blocker}/sub: "
        )


def test_a_file_that_is_not_a_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00\x01 this is no database " * 100)
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", f"sqlite:///{garbage}")
    result = invoke("db", "current")
    assert result.exit_code == 1
    assert one_error_line(result).endswith("file is not a database")


def test_a_config_file_that_is_not_text_is_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "settings.toml"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe" * 20)
    result = invoke("--config", str(binary), "feeds", "list")
    assert result.exit_code == EXIT_CONFIG
    assert one_error_line(result) == f"Error: {binary}: config file is not UTF-8 text"


def test_a_config_path_that_is_a_folder_is_refused_by_click(tmp_path: Path) -> None:
    result = invoke("--config", str(tmp_path), "feeds", "list")
    assert result.exit_code == 2
    assert "is a directory" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Limit every new SQLite connection to ``pages`` pages of the database file: SQLite then
    fails writes with SQLITE_FULL, "database or disk is full", as on a full disk."""

    def limit(pages: int) -> None:
        configure = engine_module._configure_sqlite

        def limited(dbapi_connection: Any, record: Any) -> None:
            configure(dbapi_connection, record)
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        monkeypatch.setattr(engine_module, "_configure_sqlite", limited)

    return limit


def _pages(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        (count,) = connection.execute("PRAGMA page_count").fetchone()
    return int(count)


def big_items(count: int, prefix: str) -> list[Item]:
    text = "Officials said the talks on the border would resume next week. " * 60
    return [
        Item(
            title=f"{prefix} story {n}",
            guid=f"urn:test:{prefix}:{n}",
            link=f"https://news.example/{prefix}/{n}",
            description=text,
        )
        for n in range(count)
    ]


def test_a_full_disk_while_adding_feeds_is_one_line_and_loses_nothing(
    db_url: str, feed_server: FeedServer, full_disk: Callable[[int], None]
) -> None:
    kept = feed_server.serve("/kept.xml", rss(items(2), title="Kept"))
    assert invoke("ingest", "--no-analysis", kept).exit_code == 0
    full_disk(_pages(db_url))
    big = feed_server.serve("/big.xml", rss(big_items(200, "big"), title="Big"))
    result = invoke("ingest", "--no-analysis", big)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert "database or disk is full" in result.output
    with Store.open(db_url) as store:  # what was stored before is all there
        assert [feed.title for feed in store.list_feeds()] == ["Kept"]  # none half-added
        assert len(store.list_articles()) == 2


def test_a_full_disk_while_polling_is_one_line_and_loses_nothing(
    db_url: str, feed_server: FeedServer, full_disk: Callable[[int], None]
) -> None:
    url = feed_server.serve("/grows.xml", rss(items(2), title="Grows"))
    assert invoke("ingest", "--no-analysis", url).exit_code == 0
    full_disk(_pages(db_url))
    feed_server.serve("/grows.xml", rss(big_items(200, "more"), title="Grows"))
    result = invoke("ingest", "--json", url)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (failed,) = json.loads(result.stdout)  # the feed's failure, in the store's own words
    assert failed["status"] == "failed"
    assert failed["error"] == "database error: database or disk is full"
    with Store.open(db_url) as store:
        assert len(store.list_articles()) == 2  # the poll's writes were undone as one


# -- removal takes an exact id, URL or title ---------------------------------------------------


@pytest.fixture
def three_feeds(db_url: str) -> list[Feed]:
    with Store.open(db_url) as store:
        return [
            store.add_feed(Feed(url="https://cnn.example/top.rss", title="CNN Top Stories")),
            store.add_feed(Feed(url="https://cnn.example/world.rss", title="CNN World")),
            store.add_feed(Feed(url="https://bbc.example/news.rss", title="BBC News")),
        ]


def stored_titles(url: str) -> list[str | None]:
    with Store.open(url) as store:
        return [feed.title for feed in store.list_feeds()]


@pytest.mark.parametrize("typed", ["CNN", "b", "news", "cnn.example", "World "])
def test_feeds_remove_by_a_partial_name_removes_nothing_and_lists_candidates(
    db_url: str, three_feeds: list[Feed], typed: str
) -> None:
    result = invoke("feeds", "remove", typed)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith(f"Error: no feed is exactly {typed.strip()!r}")
    assert len(stored_titles(db_url)) == 3


def test_feeds_remove_names_the_candidates_with_their_ids(
    db_url: str, three_feeds: list[Feed]
) -> None:
    line = one_error_line(invoke("feeds", "remove", "CNN"))
    assert line == (
        "Error: no feed is exactly 'CNN' (its id, URL or whole title); did you mean: "
        "CNN Top Stories (id 1), CNN World (id 2)?"
    )


@pytest.mark.parametrize("typed", ["3", "https://bbc.example/news.rss", "bbc news", " BBC News "])
def test_feeds_remove_takes_an_exact_id_url_or_title(
    db_url: str, three_feeds: list[Feed], typed: str
) -> None:
    result = invoke("feeds", "remove", typed)
    assert result.exit_code == 0, result.output
    assert "Removed feed 3: BBC News" in result.output
    assert stored_titles(db_url) == ["CNN Top Stories", "CNN World"]


def test_feeds_remove_refuses_a_title_two_feeds_share(db_url: str) -> None:
    with Store.open(db_url) as store:
        store.add_feed(Feed(url="https://one.example/feed", title="Daily News"))
        store.add_feed(Feed(url="https://two.example/feed", title="Daily News"))
    line = one_error_line(invoke("feeds", "remove", "daily news"))
    assert line == (
        "Error: 2 feeds are titled 'daily news': Daily News (id 1, https://one.example/feed), "
        "Daily News (id 2, https://two.example/feed); give the id or the URL"
    )
    assert len(stored_titles(db_url)) == 2
    assert invoke("feeds", "remove", "2").exit_code == 0
    assert stored_titles(db_url) == ["Daily News"]


async def test_the_chat_command_removes_only_an_exact_name(database_url: str) -> None:
    command = find_command("feeds remove")
    assert command is not None
    operator = Caller(
        channel=Channel(platform=Platform.DISCORD, workspace_id="g1", channel_id="c1"),
        user_id="u-op",
        user_name="Op",
        can_manage=True,
        channel_name="#general",
        is_operator=True,
    )
    with Store.open(database_url) as store:
        service = Service(store, fetch=FetchSettings())
        store.add_feed(Feed(url="https://a.example/b.rss", title="Bulletin"))
        store.add_feed(Feed(url="https://c.example/d.rss", title="Daily"))
        store.add_feed(Feed(url="https://e.example/f.rss", title="Daily"))

        partial = (await run_command(service, command, operator, {"feed": "b"})).views[0]
        assert isinstance(partial, ErrorView)
        assert partial.message == "no feed is exactly 'b' (its id, URL or whole title)"
        assert partial.suggestions == ("Bulletin (id 1)",)
        shared = (await run_command(service, command, operator, {"feed": "daily"})).views[0]
        assert isinstance(shared, ErrorView)
        assert shared.message == "2 feeds are titled 'daily'"
        assert shared.suggestions == (
            "Daily (id 2, https://c.example/d.rss)",
            "Daily (id 3, https://e.example/f.rss)",
        )
        assert len(store.list_feeds()) == 3

        done = (await run_command(service, command, operator, {"feed": "bulletin"})).views[0]
        assert isinstance(done, NoticeView)
        assert [feed.title for feed in store.list_feeds()] == ["Daily", "Daily"]


def test_a_feed_list_that_is_not_text_is_one_line(db_url: str, tmp_path: Path) -> None:
    binary = tmp_path / "feeds.toml"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe" * 20)
    result = invoke("ingest", "--feeds", str(binary))
    assert result.exit_code == EXIT_CONFIG
    assert one_error_line(result) == f"Error: {binary}: feed list is not UTF-8 text"


def test_analyse_prints_a_hostile_title_and_text_inert(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(
        f"{HOSTILE} [bold]\n\nThe foreign minister of France said on Monday that the talks "
        "[/] would resume next week.\x1b[2J\n"
    )
    result = invoke("analyse", str(article))
    assert result.exit_code == 0, result.output
    assert_inert(result)
    assert "Evil [/] [bold]newsclick" in result.output
    assert "Actors:" in result.output
    assert "[bold]Actors" not in result.output  # our own styles are styles, not text
