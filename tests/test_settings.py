"""Settings: sources and their order, exact variable names, secrets, and one-line errors."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.settings import ConsoleSubscription, RunSettings, Settings, load_settings
from digests.errors import ConfigError
from digests.resources import config_file
from digests.settings import AnalysisSettings, DigestSettings, FetchSettings, StoriesSettings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_use_sqlite_in_the_users_data_dir(tmp_path: Path) -> None:
    settings = load_settings().settings
    url = settings.resolved_database_url()
    assert url == f"sqlite:///{tmp_path / 'xdg-data' / 'newsdigest' / 'newsdigest.db'}"
    assert settings.adapters() == ["console"]
    assert settings.fetch == FetchSettings()
    assert settings.fetch.allow_private_networks is False


def test_variable_names_are_exactly_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "postgresql://u:pw@db.example:5432/news")
    monkeypatch.setenv("NEWSDIGEST_DISCORD_TOKEN", "discord-secret")
    monkeypatch.setenv("NEWSDIGEST_SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("NEWSDIGEST_SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("NEWSDIGEST_FETCH__ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("NEWSDIGEST_FETCH__CONCURRENCY", "3")
    loaded = load_settings()
    settings = loaded.settings
    assert settings.resolved_database_url() == "postgresql+psycopg://u:pw@db.example:5432/news"
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "discord-secret"
    assert settings.fetch.allow_private_networks is True
    assert settings.fetch.concurrency == 3
    assert settings.adapters() == ["discord", "slack (http mode)"]
    assert "NEWSDIGEST_FETCH__CONCURRENCY" in loaded.env_names


def test_secrets_never_show_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", "postgresql://u:db-password@db.example/news")
    monkeypatch.setenv("NEWSDIGEST_SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("NEWSDIGEST_SLACK_SIGNING_SECRET", "signing-secret")
    settings = load_settings().settings
    for text in (repr(settings), str(settings), str(settings.model_dump())):
        assert "db-password" not in text
        assert "xoxb-secret" not in text
        assert "signing-secret" not in text


def test_sources_in_order_env_then_dotenv_then_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    toml = write(
        tmp_path / "settings.toml",
        'log_level = "ERROR"\n[fetch]\ntimeout_seconds = 5.0\nconcurrency = 4\nmax_bytes = 20000\n',
    )
    write(
        tmp_path / ".env", "NEWSDIGEST_FETCH__TIMEOUT_SECONDS=6\nNEWSDIGEST_FETCH__CONCURRENCY=5\n"
    )
    monkeypatch.setenv("NEWSDIGEST_FETCH__CONCURRENCY", "7")
    loaded = load_settings(toml)
    fetch = loaded.settings.fetch
    assert fetch.concurrency == 7  # environment beats .env and the file
    assert fetch.timeout_seconds == 6.0  # .env beats the file
    assert fetch.max_bytes == 20000  # the file beats the default
    assert fetch.per_host_concurrency == 2  # the default
    assert loaded.settings.log_level == "ERROR"
    sources = list(loaded.sources())
    assert sources[0] == "defaults"
    assert any(str(toml) in source for source in sources)
    assert any(".env" in source for source in sources)


def test_an_unknown_key_in_the_file_is_named_with_a_suggestion(tmp_path: Path) -> None:
    toml = write(tmp_path / "settings.toml", "[fetch]\nconcurency = 4\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(toml)
    assert caught.value.key == "fetch.concurency"
    assert str(caught.value) == (
        f"fetch.concurency: unknown setting in {toml} (did you mean fetch.concurrency?)"
    )


def test_malformed_toml_names_the_file_and_the_place(tmp_path: Path) -> None:
    toml = write(tmp_path / "settings.toml", "[fetch\nconcurrency = 4\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(toml)
    message = str(caught.value)
    assert message.startswith(f"{toml}: config file is not valid TOML")
    assert "line 1" in message
    assert "\n" not in message
    assert isinstance(caught.value.__cause__, tomllib.TOMLDecodeError)


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://root@localhost/news", "unsupported database 'mysql'"),
        ("oracle://x", "unsupported database 'oracle'"),
        ("not a url", "not a database URL"),
    ],
)
def test_an_unsupported_database_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, url: str, problem: str
) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.key == "database_url"
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////var/lib/news.db", "sqlite:////var/lib/news.db"),
    ],
)
def test_database_urls_get_our_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", given)
    assert load_settings().settings.resolved_database_url() == expected


def test_a_bad_value_names_the_key_and_counts_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDIGEST_FETCH__CONCURRENCY", "many")
    monkeypatch.setenv("NEWSDIGEST_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert re.fullmatch(
        r"(fetch\.concurrency|log_level): .+ \(and 1 more problem\)", str(caught.value)
    )


def test_the_example_file_documents_every_key_at_its_default() -> None:
    example = config_file("settings.example.toml")
    text = example.read_text(encoding="utf-8")
    documented = set(re.findall(r"^#? ?([a-z_]+) = ", text, flags=re.MULTILINE))
    fields = set(Settings.model_fields) - {"fetch", "analysis", "stories", "digest", "run"}
    section_fields = (
        set(FetchSettings.model_fields)
        | set(AnalysisSettings.model_fields)
        | set(StoriesSettings.model_fields)
        | set(DigestSettings.model_fields)
        | set(RunSettings.model_fields) - {"console"}  # an array of tables: [[run.console]]
        | set(ConsoleSubscription.model_fields)
    )
    assert "[[run.console]]" in text
    assert fields | section_fields <= documented
    # The keys it sets are the defaults: loading it changes nothing.
    assert load_settings(example).settings == Settings()


def test_a_shared_dotenv_file_with_other_variables_is_fine(tmp_path: Path) -> None:
    write(
        tmp_path / ".env", "OTHER_TOOL_TOKEN=x\nNEWSDIGEST_LOG_LEVEL=debug\nNEWSDIGEST_LOGLEVEL=1\n"
    )
    loaded = load_settings()
    assert loaded.settings.log_level == "DEBUG"
    # A NEWSDIGEST_ name that is no setting is a likely typo: doctor reports it.
    assert loaded.unknown_env_names() == ["NEWSDIGEST_LOGLEVEL"]


def test_an_unknown_section_key_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSDIGEST_FETCH__CONCURENCY", "4")
    with pytest.raises(ConfigError, match=r"did you mean fetch\.concurrency"):
        load_settings()


def test_an_unknown_top_level_key_in_the_file_is_refused(tmp_path: Path) -> None:
    toml = write(tmp_path / "settings.toml", 'databse_url = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(toml)
    assert str(caught.value) == (
        f"databse_url: unknown setting in {toml} (did you mean database_url?)"
    )
