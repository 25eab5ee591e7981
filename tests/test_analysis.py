"""The analysis: the seed article's hard cases one by one, the analyse --json contract, and
clear errors for a model or vocabulary that cannot be loaded. Texts are our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from digests.analysis import Analysis, AnalysisModelError, Analyzer, ArticleText, load_analyzer
from digests.analysis._prepare import prepare
from digests.settings import AnalysisSettings
from digests.vocab import VocabularyError, load_vocabulary


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return load_analyzer(AnalysisSettings())


def positions_of(analysis: Analysis) -> list[tuple[str, str | None, str]]:
    return [(p.actor, p.speaker, p.stance.value) for p in analysis.positions]


def test_a_passive_by_agent_is_the_speaker(analyzer: Analyzer) -> None:
    text = (
        "Russian President Vladimir Putin met officials in Moscow on Tuesday. Concerns have "
        "been voiced by Putin regarding how the truce could be monitored along the front."
    )
    found = analyzer.analyse("Truce monitoring in doubt", text)
    assert ("russia", "Vladimir Putin", "warn") in positions_of(found)


def test_he_and_the_minister_are_the_last_person_named(analyzer: Analyzer) -> None:
    text = (
        "Russian Foreign Minister Sergey Lavrov met his Turkish counterpart in Ankara. "
        "He said that Ukraine must remain outside any military bloc. "
        "The minister added that talks would resume next week."
    )
    found = positions_of(analyzer.analyse("Lavrov in Ankara", text))
    assert ("russia", "Sergey Lavrov", "demand") in found
    assert ("russia", "Sergey Lavrov", "claim") in found


def test_unattributed_reporting_is_no_ones_position(analyzer: Analyzer) -> None:
    text = "Russia is currently reported to control about a fifth of Ukrainian land."
    assert analyzer.analyse("Front lines", text).positions == ()


def test_an_accusation_belongs_to_the_accuser_and_targets_the_accused(analyzer: Analyzer) -> None:
    text = (
        "Ukrainian President Volodymyr Zelensky has accused Vladimir Putin of undermining "
        "diplomatic efforts to secure a ceasefire."
    )
    (position,) = analyzer.analyse("Zelensky accuses Putin", text).positions
    assert (position.actor, position.stance.value, position.target) == (
        "ukraine",
        "accuse",
        "russia",
    )


def test_a_channel_is_the_way_a_statement_came_never_its_author(analyzer: Analyzer) -> None:
    text = (
        "Russian Deputy Foreign Minister Alexander Grushko said any peace deal must guarantee "
        "Ukraine's neutral status, as reported by Russian media outlet Izvestia."
    )
    found = analyzer.analyse("Grushko on neutrality", text)
    (position,) = found.positions
    assert (position.actor, position.speaker, position.via) == (
        "russia",
        "Alexander Grushko",
        "Izvestia",
    )
    assert position.stance.value == "demand"  # "must": a claim that sets a condition
    assert "izvestia" not in {actor.actor.key for actor in found.actors}


def test_both_nations_are_the_last_two_states_named(analyzer: Analyzer) -> None:
    text = (
        "Preparations continue for talks between US President Donald Trump and Russian "
        "President Vladimir Putin. Both nations have put forward the proposal of a 30-day "
        "ceasefire."
    )
    found = {(p.actor, p.stance.value) for p in analyzer.analyse("Talks", text).positions}
    assert {("united-states", "propose"), ("russia", "propose")} <= found


def test_a_repeated_or_run_in_headline_is_set_apart() -> None:
    title = "Russian Official Demands Ukraine's Neutrality in Future Peace Agreement"
    repeated = prepare(title, f"{title}\n\n{title}\nRussia insists that Ukraine stay neutral.")
    assert repeated.paragraphs == ("Russia insists that Ukraine stay neutral.",)
    run_in = prepare(title, f"{title} Russia has made it clear that Ukraine must stay neutral.")
    assert run_in.paragraphs == ("Russia has made it clear that Ukraine must stay neutral.",)
    lead_first = prepare("Officials said on Monday that the talks would resume. " * 3, title)
    assert lead_first.title == title


def test_analyse_json_follows_the_contract(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(
        "Kremlin rejects monitors\n\nKremlin spokesman Dmitry Peskov said on Monday that "
        "Russia rejects any foreign monitors in Ukraine.\n",
        encoding="utf-8",
    )
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["analyse", "--json", str(article), str(empty)])
    assert result.exit_code == 1
    assert "empty.txt: empty" in result.stderr
    (line,) = result.stdout.splitlines()
    document = json.loads(line)
    assert list(document) == ["source", "title", "summary", "actors", "topics", "positions"]
    assert document["title"] == "Kremlin rejects monitors"
    assert all(isinstance(s, str) for s in document["summary"])
    for actor in document["actors"]:
        assert set(actor) == {"id", "name", "kind", "affiliation", "role"}
        assert actor["kind"] in {"country", "organisation", "group", "person"}
    for topic in document["topics"]:
        assert set(topic) == {"id", "label", "iptc", "score"}
    (position,) = document["positions"]
    assert set(position) == {
        "actor", "actor_name", "speaker", "stance", "topic", "target", "claim", "evidence",
        "via", "confidence",
    }  # fmt: skip
    assert (position["actor"], position["speaker"], position["stance"]) == (
        "russia",
        "Dmitry Peskov",
        "reject",
    )
    assert 0 < position["confidence"] <= 1


def test_a_model_that_cannot_load_names_the_setting() -> None:
    with pytest.raises(AnalysisModelError, match=r"analysis\.spacy_model"):
        load_analyzer(AnalysisSettings(spacy_model="no_such_spacy_model"))


def test_a_missing_vocabulary_names_the_file_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(
        VocabularyError, match=r"countries\.toml: missing.*analysis\.vocabulary_dir"
    ):
        load_vocabulary(tmp_path)


def test_the_bundled_vocabulary_covers_the_states_and_office_holders_asked_for() -> None:
    vocabulary = load_vocabulary()
    kinds = [actor.kind.value for actor in vocabulary.actors.values()]
    assert kinds.count("country") >= 197
    assert kinds.count("person") >= 300
    required = [
        "ceasefire",
        "peace-talks",
        "sanctions",
        "nuclear",
        "missiles",
        "territory",
        "nato",
        "security",
        "military-action",
        "arms",
        "trade",
        "elections",
        "humanitarian",
        "energy",
    ]
    assert set(required) <= set(vocabulary.topics)
    assert len(vocabulary.topics) >= 40


def test_many_articles_at_once_read_as_each_alone(analyzer: Analyzer) -> None:
    articles = [
        ArticleText(
            "Lavrov on monitors",
            "Russian Foreign Minister Sergey Lavrov said observers must come from neutral states. "
            "He added that talks would resume.",
        ),
        ArticleText("No statement", "Heavy rain fell across the region on Monday."),
        ArticleText(
            "Kyiv replies",
            "Ukraine's foreign ministry rejected the proposal. It said Kyiv would not negotiate.",
        ),
    ]
    together = analyzer.analyse_many(articles)
    alone = [analyzer.analyse(a.title, a.text, day=a.day) for a in articles]
    assert together == alone
    assert [len(a.positions) for a in together] == [2, 0, 2]
