"""`newsdigest feeds ...` and `newsdigest ingest` as a user runs them, over a loopback server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import EXIT_CONFIG, cli
from digests.store import Store
from tests.feeds import items, rss
from tests.feedserver import FeedServer


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="newsdigest")


@pytest.fixture
def db_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """An empty starting feed list, a database of our own, and loopback allowed."""
    empty = tmp_path / "none.toml"
    empty.write_text("feeds = []\n")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("NEWSDIGEST_FEEDS_FILE", str(empty))
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", url)
    monkeypatch.setenv("NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("NEWSDIGEST_FETCH__TIMEOUT_SECONDS", "5")
    return url


def stored_feeds(url: str) -> list[str]:
    with Store.open(url) as store:
        return [feed.url for feed in store.list_feeds()]


def one_error_line(result: Result) -> str:
    """The error, which must be one line, the last on stderr (log lines may come before)."""
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("Error:")] == lines[-1:], result.stderr
    assert "Traceback" not in result.output
    return lines[-1]


def test_feeds_add_stores_the_feed_and_its_entries_as_seen(
    db_url: str, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/world.xml", rss(items(4)))
    result = invoke("feeds", "add", url, "--full-text", "never")
    assert result.exit_code == 0, result.output
    assert f"Added feed 1: Test World News ({url}); 4 entries stored as already seen." in (
        result.output
    )
    with Store.open(db_url) as store:
        (feed,) = store.list_feeds()
        assert feed.full_text == "never"
        assert len(store.list_articles()) == 4
        assert store.count_queued() == 4  # queued for the analysis


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("file:///etc/passwd", "only http and https URLs can be fetched"),
        ("/etc/passwd", "only http and https URLs can be fetched"),
        ("ftp://news.example/feed", "only http and https URLs can be fetched"),
    ],
)
def test_feeds_add_refuses_bad_urls_in_one_line(db_url: str, target: str, message: str) -> None:
    result = invoke("feeds", "add", target)
    assert result.exit_code == 1
    assert one_error_line(result) == f"Error: {message}: {target}"
    assert stored_feeds(db_url) == []


def test_feeds_add_refuses_private_addresses_by_default(
    db_url: str, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS")
    url = feed_server.serve("/world.xml", rss(items(1)))
    result = invoke("feeds", "add", url)
    assert result.exit_code == 1
    assert "127.0.0.1 is not a public address" in one_error_line(result)
    assert feed_server.seen == []  # refused before any I/O
    assert stored_feeds(db_url) == []


def test_feeds_add_refuses_a_page_that_is_not_a_feed(db_url: str, feed_server: FeedServer) -> None:
    url = feed_server.serve("/page", "<html><body>Hello</body></html>", content_type="text/html")
    result = invoke("feeds", "add", url)
    assert result.exit_code == 1
    assert one_error_line(result).startswith("Error: not an RSS, Atom or JSON feed")
    assert stored_feeds(db_url) == []


def test_feeds_add_twice_and_remove(db_url: str, feed_server: FeedServer) -> None:
    url = feed_server.serve("/world.xml", rss(items(2)))
    assert invoke("feeds", "add", url).exit_code == 0
    again = invoke("feeds", "add", url)
    assert again.exit_code == 1
    assert one_error_line(again) == f"Error: feed already added: {url}"

    removed = invoke("feeds", "remove", url)
    assert removed.exit_code == 0
    assert "Removed feed 1: Test World News" in removed.output
    assert stored_feeds(db_url) == []
    missing = invoke("feeds", "remove", "42")
    assert missing.exit_code == 1
    assert one_error_line(missing) == "Error: no feed is exactly '42' (its id, URL or whole title)"


def test_ingest_json_reports_each_feed_and_status_shows_failures(
    db_url: str, feed_server: FeedServer
) -> None:
    good = [feed_server.serve(f"/good{n}.xml", rss(items(3, f"g{n}"))) for n in range(3)]
    broken = feed_server.serve("/broken.xml", "oops", status=500)
    first = invoke("ingest", *good, broken, "--json")  # four feeds: parsed in worker processes
    assert first.exit_code == 0, first.output
    results = {item["url"]: item for item in json.loads(first.stdout)}
    assert [results[url]["status"] for url in good] == ["first_poll"] * 3
    assert [results[url]["seen"] for url in good] == [3, 3, 3]
    assert results[broken]["status"] == "failed"
    assert results[broken]["error"] == "HTTP 500"
    assert broken not in stored_feeds(db_url)  # a feed that never answered is not added

    feed_server.serve("/good0.xml", rss(items(4, "g0")))
    second = invoke("ingest", good[0], "--json")
    (only,) = json.loads(second.stdout)
    assert (only["status"], only["new"], only["unchanged"]) == ("new", 1, 3)

    feed_server.serve("/good1.xml", "down", status=503)
    invoke("ingest", good[1])
    status = invoke("feeds", "status")
    assert "last error    HTTP 503 (1 in a row)" in status.output


def test_a_url_given_twice_is_polled_once(db_url: str, feed_server: FeedServer) -> None:
    url = feed_server.serve("/world.xml", rss(items(2)))
    result = invoke("ingest", url, url, "--json")
    assert result.exit_code == 0, result.output
    assert [item["status"] for item in json.loads(result.stdout)] == ["first_poll"]
    assert len(feed_server.requests_to("/world.xml")) == 1
    assert stored_feeds(db_url) == [url]


def test_ingest_refuses_the_whole_call_for_one_bad_url(
    db_url: str, feed_server: FeedServer
) -> None:
    good = feed_server.serve("/good.xml", rss(items(1)))
    result = invoke("ingest", good, "file:///etc/passwd")
    assert result.exit_code == 1
    assert "only http and https URLs can be fetched" in one_error_line(result)
    assert feed_server.seen == []
    assert stored_feeds(db_url) == []


def test_ingest_refuses_a_file_that_is_not_a_feed_list(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "feeds.toml"
    bad.write_text("this is = not [ toml")
    result = invoke("ingest", "--feeds", str(bad))
    assert result.exit_code == EXIT_CONFIG
    assert "feed list is not valid TOML" in one_error_line(result)
    assert stored_feeds(db_url) == []


def test_ingest_without_arguments_polls_only_due_feeds(
    db_url: str, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/world.xml", rss(items(2)))
    assert invoke("feeds", "add", url).exit_code == 0
    requests = len(feed_server.seen)
    result = invoke("ingest")  # the feed was polled a moment ago: not due
    assert result.exit_code == 0
    assert "No feed was due." in result.output
    assert len(feed_server.seen) == requests
