"""The command line: what a user types and what they see."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import EXIT_CONFIG, cli
from digests.feedlist import default_feeds_file, load_feed_list
from digests.store import Store, head_revision
from tests.feeds import items, rss
from tests.feedserver import FeedServer

DEFAULT_FEED_COUNT = len(load_feed_list(default_feeds_file()))
HEAD = head_revision()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="newsdigest")


def test_help_lists_every_command() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in (
        "run",
        "ingest",
        "analyse",
        "digest",
        "positions",
        "subscriptions",
        "feeds",
        "db",
        "doctor",
    ):
        assert f"  {command} " in result.output


def test_doctor_before_and_after_the_store_is_migrated(tmp_path: Path) -> None:
    before = invoke("doctor")
    assert before.exit_code == 1
    assert "FAIL schema    no database yet at" in before.output
    assert "run `newsdigest db upgrade`" in before.output
    assert not (tmp_path / "xdg-data" / "newsdigest" / "newsdigest.db").exists()  # read only

    upgraded = invoke("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"Database at revision {HEAD}." in upgraded.output

    after = invoke("doctor")
    assert after.exit_code == 0, after.output
    assert f"ok   schema    migrated to {HEAD} (head)" in after.output
    assert "console (no chat credentials configured)" in after.output
    assert "sqlite:///" in after.output


def test_doctor_masks_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDIGEST_DISCORD_TOKEN", "discord-token-value")
    monkeypatch.setenv("NEWSDIGEST_SLACK_BOT_TOKEN", "xoxb-token-value")
    monkeypatch.setenv("NEWSDIGEST_SLACK_APP_TOKEN", "xapp-token-value")
    monkeypatch.setenv(
        "NEWSDIGEST_DATABASE_URL",
        "postgresql://newsdigest:db-password-value@127.0.0.1:1/news?connect_timeout=2",
    )
    result = invoke("doctor")
    assert "value" not in result.output
    assert "discord_token **********" in result.output
    assert "postgresql+psycopg://newsdigest:***@127.0.0.1:1/news" in result.output
    assert "discord, slack (socket mode)" in result.output
    assert result.exit_code == 1  # nothing listens on port 1
    assert "FAIL schema    cannot open database" in result.output


def test_doctor_warns_about_private_networks_and_stray_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS", "1")
    monkeypatch.setenv("NEWSDIGEST_DISCORD_TOKN", "typo")
    result = invoke("doctor")
    assert "WARN fetch     fetch.allow_private_networks is ON" in result.output
    assert "WARN settings  NEWSDIGEST_DISCORD_TOKN is not a setting" in result.output


@pytest.fixture
def loopback_feeds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, feed_server: FeedServer
) -> list[str]:
    """A feeds file of two loopback feeds as the starting feeds, and private networks on."""
    urls = [
        feed_server.serve("/world.xml", rss(items(3, "world"), title="World")),
        feed_server.serve("/europe.xml", rss(items(2, "europe"), title="Europe")),
    ]
    listing = tmp_path / "start.toml"
    listing.write_text("".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls))
    monkeypatch.setenv("NEWSDIGEST_FEEDS_FILE", str(listing))
    monkeypatch.setenv("NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS", "true")
    return urls


def test_run_once_polls_analyses_and_prints_a_first_digest(
    tmp_path: Path, loopback_feeds: list[str]
) -> None:
    result = invoke("run", "--once")
    assert result.exit_code == 0, result.output
    assert "Delivering to: console." in result.output
    assert "Console digest 'console': 07:30 " in result.output  # the machine's timezone
    assert "News digest, since " in result.output  # the first digest, of the last day
    url = f"sqlite:///{tmp_path / 'xdg-data' / 'newsdigest' / 'newsdigest.db'}"
    with Store.open(url) as store:
        assert store.count_queued() == 0  # polled and analysed
        assert store.counts()["articles"] == 5
        (console,) = store.list_subscriptions()
        assert (console.platform, console.channel_id) == ("console", "console")
    doctor = invoke("doctor")
    assert re.search(r"schedule  next digest \S+ \S+ UTC: console console \(07:30 ", doctor.output)


def test_default_feeds_are_added_once_in_a_databases_life(
    tmp_path: Path, loopback_feeds: list[str]
) -> None:
    assert invoke("run", "--once").exit_code == 0
    url = f"sqlite:///{tmp_path / 'xdg-data' / 'newsdigest' / 'newsdigest.db'}"
    with Store.open(url) as store:
        assert [feed.url for feed in store.list_feeds()] == loopback_feeds
        store.remove_feed(store.list_feeds()[0].id or 0)
    assert invoke("run", "--once").exit_code == 0
    listed = invoke("feeds", "list")
    assert listed.exit_code == 0
    assert loopback_feeds[0] not in listed.output  # a removed starting feed stays removed
    assert loopback_feeds[1] in listed.output


def test_a_custom_feeds_file_and_a_broken_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('[[feeds]]\nurl = "https://news.example/rss"\ntitle = "Mine"\n')
    monkeypatch.setenv("NEWSDIGEST_FEEDS_FILE", str(mine))
    result = invoke("feeds", "list")
    assert result.exit_code == 0, result.output
    assert "https://news.example/rss" in result.output
    assert "bbci" not in result.output

    monkeypatch.setenv("NEWSDIGEST_DATA_DIR", str(tmp_path / "other"))
    mine.write_text('[[feeds]]\nurl = "file:///etc/passwd"\n')
    broken = invoke("feeds", "list")
    assert broken.exit_code == EXIT_CONFIG
    assert broken.stderr.strip().splitlines() == [
        f"Error: {mine}: feeds.0.url: not an http or https URL: 'file:///etc/passwd'"
    ]


def test_subscriptions_lists_what_the_store_holds() -> None:
    result = invoke("subscriptions")
    assert result.exit_code == 0
    assert "No subscriptions yet." in result.output


def test_db_downgrade_and_current() -> None:
    assert invoke("db", "upgrade").exit_code == 0
    down = invoke("db", "downgrade", "base")
    assert down.exit_code == 0
    assert "Database at revision base." in down.output
    current = invoke("db", "current")
    assert f"Database at base (empty); newest is {HEAD}." in current.output


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"NEWSDIGEST_DATABASE_URL": "mysql://x/y"}, "database_url: unsupported database 'mysql'"),
        (
            {"NEWSDIGEST_FETCH__TIMEOUT_SECONDS": "soon"},
            "fetch.timeout_seconds: Input should be a valid number",
        ),
    ],
)
def test_bad_settings_are_one_line_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, setup: dict[str, str], expected: str
) -> None:
    for name, value in setup.items():
        monkeypatch.setenv(name, value)
    result = invoke("doctor")
    assert result.exit_code == EXIT_CONFIG
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {expected}")


def test_the_installed_script_reports_a_malformed_config_file_in_one_line(tmp_path: Path) -> None:
    script = shutil.which("newsdigest", path=os.path.dirname(os.sys.executable))  # type: ignore[attr-defined]
    assert script is not None, "the console script is not installed next to this Python"
    bad = tmp_path / "bad.toml"
    bad.write_text("log_level = \n")
    result = subprocess.run(
        [script, "--config", str(bad), "doctor"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == EXIT_CONFIG
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {bad}: config file is not valid TOML")


def test_doctor_prints_the_discord_invite_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDIGEST_DISCORD_TOKEN", "MTIzNDU2Nzg5.secret.part")  # "123456789"
    with_token = invoke("doctor")
    monkeypatch.setenv("NEWSDIGEST_DISCORD_TOKEN", "opaque-token")
    opaque = invoke("doctor")

    assert "invite: https://discord.com/oauth2/authorize?client_id=123456789" in with_token.output
    assert "permissions=19456" in with_token.output  # view channel, send messages, embed links
    assert "secret.part" not in with_token.output
    assert "set discord_application_id to get the invite URL" in opaque.output


def test_a_lookup_on_a_new_database_leaves_the_first_start_to_run(
    tmp_path: Path, loopback_feeds: list[str]
) -> None:
    assert invoke("positions", "russia").exit_code == 0
    assert invoke("run", "--once").exit_code == 0
    url = f"sqlite:///{tmp_path / 'xdg-data' / 'newsdigest' / 'newsdigest.db'}"
    with Store.open(url) as store:
        assert [feed.url for feed in store.list_feeds()] == loopback_feeds
