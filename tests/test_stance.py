"""The stance of statements made through a neutral verb ("said", "told reporters"), read from
the reported words; coordinated cues; people outside the vocabulary named with their title.
The sentences are our own and none is from the development set."""

from __future__ import annotations

import datetime as dt

import pytest

from digests.analysis import Analysis, Analyzer, load_analyzer
from digests.settings import AnalysisSettings


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return load_analyzer(AnalysisSettings())


def stances(analysis: Analysis) -> list[tuple[str, str]]:
    return [(p.actor, p.stance.value) for p in analysis.positions]


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        # a refusal of what is asked
        ("Norway's foreign minister said Oslo would never accept a deal over its head.", "reject"),
        ("Japan said the islands were not on the table in any talks.", "reject"),
        ("Brazil's government said the charges were baseless.", "reject"),
        ("Chile said it would not be bound by the ruling.", "reject"),
        # a condition or an obligation
        ("Greece said it would lift its veto only if Ankara withdrew its ships.", "demand"),
        ("Kenya said the talks must include every armed group.", "demand"),
        ("Peru said it wanted the border reopened by Friday.", "demand"),
        # readiness to do something for others, or to use force
        ("Switzerland said it was ready to host the next round of talks.", "propose"),
        ("Armenia said its forces were ready to defend the border.", "warn"),
        # a threat, or alarm
        ("Iran said any attack on its ships would face a crushing response.", "warn"),
        ("Indonesia said it was alarmed by the fighting near the coast.", "warn"),
        # blame
        ("Ghana said the coup leaders had violated the constitution.", "accuse"),
        ("Vietnam called the seizure of its fishing boat illegal.", "accuse"),
        # support
        ("Ireland said it remained committed to the two-state solution.", "support"),
        ("Canada said it stood with Denmark.", "support"),
        ("Cuba said the tribunal had no authority to try its citizens.", "reject"),
        ("Finland said it would never abandon Estonia.", "support"),
        ("Romania said it would stand firmly with Moldova against any blackmail.", "support"),
        ("Hungary said Budapest would veto any new energy sanctions.", "warn"),
        ("Ecuador said the new dam was an important step for the region.", "support"),
        # a plain statement stays a claim
        ("Egypt said traffic through the port rose in March.", "claim"),
        ("Norway said the rescue was professional and legitimate.", "claim"),
    ],
)
def test_the_reported_words_give_the_stance(analyzer: Analyzer, sentence: str, stance: str) -> None:
    positions = analyzer.analyse("Statement", sentence).positions
    assert [p.stance.value for p in positions] == [stance]


def test_negations_that_do_not_refuse(analyzer: Analyzer) -> None:
    cases = {
        "Turkey said it did not pose a threat to anyone.": "claim",
        "Israel said the attack would not go unanswered.": "warn",
        "Italy said the company had nothing to hide.": "claim",
    }
    for sentence, stance in cases.items():
        positions = analyzer.analyse("Statement", sentence).positions
        assert [p.stance.value for p in positions] == [stance], sentence


def test_a_refusal_nested_in_the_words_counts_but_anothers_does_not(analyzer: Analyzer) -> None:
    own = analyzer.analyse("Tariffs", "China's commerce ministry said it opposed the tariffs.")
    assert stances(own) == [("china", "reject")]
    other = analyzer.analyse(
        "Rebels", "Sudan said the rebels are backed by its neighbours, a charge Chad rejects."
    )
    assert ("sudan", "reject") not in stances(other)


def test_declining_to_comment_and_not_saying_are_no_positions(analyzer: Analyzer) -> None:
    text = "France declined to comment. Germany did not say whether it had received the letter."
    assert analyzer.analyse("No comment", text).positions == ()


def test_coordinated_cues_with_different_stances_are_two_positions(analyzer: Analyzer) -> None:
    text = (
        "Japan's foreign ministry said the launch violated Security Council resolutions and "
        "called on Pyongyang to return to talks."
    )
    assert sorted(stances(analyzer.analyse("Launch", text))) == [
        ("japan", "accuse"),
        ("japan", "demand"),
    ]


def test_a_cue_in_the_middle_reads_the_clause_around_it(analyzer: Analyzer) -> None:
    text = "The embargo, Russia said, had to end before any talks."
    assert stances(analyzer.analyse("Embargo", text)) == [("russia", "demand")]


def test_a_titled_person_outside_the_vocabulary_speaks_for_their_side(
    analyzer: Analyzer,
) -> None:
    text = (
        "Hamas spokesman Tarek Nabulsi said the group would study the proposal. "
        "Nabulsi told reporters that a reply would come within days. "
        "Amira Haddad, a spokeswoman for Jordan's foreign ministry, said Amman backed the plan."
    )
    found = [(p.actor, p.speaker) for p in analyzer.analyse("Reply", text).positions]
    assert found == [
        ("hamas", "Tarek Nabulsi"),
        ("hamas", "Tarek Nabulsi"),
        ("jordan", "Amira Haddad"),
    ]
    assert "tarek-nabulsi" not in {a.actor.key for a in analyzer.analyse("Reply", text).actors}


def test_a_person_speaks_for_the_office_held_on_the_articles_day(analyzer: Analyzer) -> None:
    text = "Mark Rutte said the alliance would keep its air patrols over the Baltic."
    then = analyzer.analyse("Patrols", text, day=dt.date(2019, 3, 1)).positions
    now = analyzer.analyse("Patrols", text, day=dt.date(2025, 3, 1)).positions
    assert [(p.actor, p.speaker) for p in then] == [("netherlands", "Mark Rutte")]
    assert [(p.actor, p.speaker) for p in now] == [("nato", "Mark Rutte")]


def test_according_to_an_actor_is_its_statement_but_not_to_a_channel(analyzer: Analyzer) -> None:
    text = (
        "At least 30 people were killed in the floods, according to Nepal's interior ministry. "
        "Two bridges collapsed, according to Reuters."
    )
    assert stances(analyzer.analyse("Floods", text)) == [("nepal", "claim")]


def test_it_said_is_the_last_body_that_spoke(analyzer: Analyzer) -> None:
    text = (
        "Peru's foreign ministry said the ambassador had been recalled for consultations. "
        "It said relations would be reviewed. "
        "It would require a vote in Congress."
    )
    assert stances(analyzer.analyse("Recall", text)) == [("peru", "claim"), ("peru", "claim")]


def test_a_title_without_a_state_speaks_for_the_side_that_spoke_last(analyzer: Analyzer) -> None:
    text = (
        "Eritrea on Sunday rejected remarks by Ethiopia's prime minister about the sea. "
        '"We will not be provoked," Information Minister Dawit Tekle said in a statement. '
        "Diplomats said the dispute could drag on for months."
    )
    found = [(p.actor, p.speaker) for p in analyzer.analyse("Red Sea", text).positions]
    assert found == [("eritrea", None), ("eritrea", "Dawit Tekle")]


@pytest.mark.parametrize(
    ("sentence", "actor", "speaker"),
    [
        (
            "Russian Deputy Foreign Minister Ivan Petrovsky said the talks would resume.",
            "russia",
            "Ivan Petrovsky",
        ),
        ("US envoy John Calder told reporters the deal was close.", "united-states", "John Calder"),
        (
            "Li Wenhao, a spokesperson for China's foreign ministry, said Beijing opposed it.",
            "china",
            "Li Wenhao",
        ),
        ("Iran's top diplomat said Tehran would not negotiate under pressure.", "iran", None),
        (
            "Ukrainian President Volodymyr Zelenskiy said Kyiv needed more air defence.",
            "ukraine",
            "Volodymyr Zelensky",
        ),
    ],
)
def test_people_are_resolved_from_their_context(
    analyzer: Analyzer, sentence: str, actor: str, speaker: str | None
) -> None:
    (position,) = analyzer.analyse("Statement", sentence).positions
    assert (position.actor, position.speaker) == (actor, speaker)


def test_a_second_stance_in_a_participle_or_a_joined_clause(analyzer: Analyzer) -> None:
    participle = (
        "Serbia's foreign ministry rejected the report, accusing Pristina of inventing attacks."
    )
    assert sorted(stances(analyzer.analyse("Report", participle))) == [
        ("serbia", "accuse"),
        ("serbia", "reject"),
    ]
    explaining = "Serbia's foreign ministry rejected the report, saying it was out of date."
    assert stances(analyzer.analyse("Report", explaining)) == [("serbia", "reject")]
    joined = (
        "Chinese foreign ministry spokesperson Wei Lan said Beijing did not recognise the "
        "sanctions and called on all parties to return to talks."
    )
    found = analyzer.analyse("Sanctions", joined).positions
    assert sorted((p.stance.value, p.speaker) for p in found) == [
        ("demand", "Wei Lan"),
        ("reject", "Wei Lan"),
    ]


def test_declining_to_criticise_criticises_no_one(analyzer: Analyzer) -> None:
    text = "NATO Secretary General Mark Rutte declined to criticise Madrid directly."
    assert analyzer.analyse("Spending", text).positions == ()
