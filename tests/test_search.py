"""Full-text search over stored articles and positions, on SQLite's FTS5 and PostgreSQL's
tsvector indexes: every word must occur, stemming joins word forms, ranking puts the better
match first, edits and deletions reach the index, and typed syntax is never read as syntax."""

from __future__ import annotations

import datetime as dt
import json
from typing import get_args

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.views import View
from bot.views.render_json import _NAMES
from digests.compose._search import EmptyQueryError, search
from digests.model import UTC, Article, Feed, Position, Stance, utc_now
from digests.store import Store

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WEEK_AGO = NOW - dt.timedelta(days=7)


def add_article(store: Store, feed: Feed, key: str, title: str, text: str) -> Article:
    return store.add_article(
        Article(
            feed_id=feed.id or 0,
            key=key,
            title=title,
            text=text,
            url=f"https://news.example/{key}",
            published_at=NOW,
            first_seen_at=NOW,
        )
    )


@pytest.fixture
def feed(store: Store) -> Feed:
    return store.add_feed(Feed(url="https://feeds.example/world", title="World Wire"))


def test_every_word_must_occur_and_word_forms_are_joined(store: Store, feed: Feed) -> None:
    add_article(store, feed, "a", "EU adopts sanctions", "The bloc sanctioned refiners in Asia.")
    add_article(store, feed, "b", "Ceasefire holds", "Talks on sanctions relief stalled.")
    add_article(store, feed, "c", "Harvest report", "Wheat exports rose in October.")

    found = search(store, "sanction refiners", WEEK_AGO)
    assert [hit.article.key for hit in found.articles] == ["a"]
    assert found.articles[0].feed_title == "World Wire"
    assert {hit.article.key for hit in search(store, "SANCTIONS", WEEK_AGO).articles} == {"a", "b"}
    assert search(store, "uranium", WEEK_AGO).empty


def test_the_better_match_comes_first(store: Store, feed: Feed) -> None:
    add_article(store, feed, "once", "Markets", "Oil prices rose; a ceasefire was mentioned.")
    add_article(
        store, feed, "often", "Ceasefire talks", "The ceasefire held. Ceasefire monitors arrived."
    )
    assert [hit.article.key for hit in search(store, "ceasefire", WEEK_AGO).articles] == [
        "often",
        "once",
    ]


def test_edits_and_deletions_reach_the_index(store: Store, feed: Feed) -> None:
    article = add_article(store, feed, "a", "Drills", "Naval drills near the strait.")
    store.update_article(Article(**{**_fields(article), "text": "Air patrols near the strait."}))
    assert search(store, "naval", WEEK_AGO).empty
    assert not search(store, "patrols", WEEK_AGO).empty
    store.remove_feed(feed.id or 0)
    assert search(store, "patrols", WEEK_AGO).empty


def test_positions_are_found_by_claim_and_evidence(store: Store, feed: Feed) -> None:
    article = add_article(store, feed, "a", "Kremlin", "Moscow spoke.")
    position = Position(
        article_id=article.id or 0,
        actor_key="russia",
        stance=Stance.REJECT,
        claim="Any peacekeeping mission from NATO countries is unacceptable.",
        evidence="Lavrov said any peacekeeping mission from NATO countries was unacceptable.",
        speaker="Sergey Lavrov",
        stated_at=NOW,
    )
    store.replace_analysis(article.id or 0, actors=[], topics=[], found=[position], analysed_at=NOW)
    (hit,) = search(store, "peacekeeping NATO", WEEK_AGO).positions
    assert (hit.position.actor_key, hit.article.key, hit.feed_title) == (
        "russia",
        "a",
        "World Wire",
    )
    assert search(store, "peacekeeping", NOW + dt.timedelta(hours=1)).empty  # outside the window


@pytest.mark.parametrize("query", ['"ceasefire', "ceasefire OR", "NEAR(a b)", "col:ceasefire*"])
def test_typed_syntax_is_only_words(store: Store, feed: Feed, query: str) -> None:
    add_article(store, feed, "a", "Ceasefire", "A ceasefire or a truce: col near a b.")
    found = search(store, query, WEEK_AGO)  # no syntax error, whatever the backend
    assert [hit.article.key for hit in found.articles] == ["a"]


def test_a_query_without_words_is_refused(store: Store) -> None:
    with pytest.raises(EmptyQueryError):
        search(store, " ?! ", WEEK_AGO)


def _fields(article: Article) -> dict[str, object]:
    return {name: getattr(article, name) for name in article.__slots__}  # type: ignore[attr-defined]


def test_the_search_command_in_three_formats(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", database_url)
    with Store.open(database_url) as store:
        feed = store.add_feed(Feed(url="https://feeds.example/w", title="World *Wire*"))
        article = store.add_article(
            Article(
                feed_id=feed.id or 0,
                key="k",
                title="Truce [monitors] named",
                text="Monitors for the truce were named on Monday.",
                url="https://news.example/k",
                first_seen_at=utc_now(),
            )
        )
        assert article.id
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, ["search", *args], prog_name="newsdigest")
        return result.exit_code, result.stdout, result.stderr

    code, text, _ = run("truce", "monitors")
    assert code == 0
    assert "Truce [monitors] named" in text
    assert "World *Wire*" in text
    code, markdown, _ = run("truce", "--format", "markdown")
    assert code == 0
    assert r"Truce \[monitors\] named" in markdown  # feed text cannot become markup
    code, data, _ = run("truce", "--format", "json")
    assert code == 0
    parsed = json.loads(data)
    assert (parsed["view"], parsed["empty"]) == ("search", False)
    assert parsed["articles"][0]["source"]["url"] == "https://news.example/k"
    code, nothing, _ = run("uranium")
    assert (code, "Nothing stored since" in nothing) == (0, True)
    code, _, error = run("?!")
    assert code == 2
    assert "give at least one word" in error
    code, _, error = run("truce", "--since", "7x")
    assert code == 2
    assert "--since" in error


def test_the_renderers_know_every_view() -> None:
    """Every view has a JSON name (and the console renderers end in assert_never)."""
    assert set(get_args(View)) == set(_NAMES)
