"""Topic tagging: the taxonomy, each required topic on a short article about it, articles that
are about none of them, and the rules of the scoring (docs/analysis.md). Texts are our own."""

from __future__ import annotations

import re

import pytest

from digests.analysis import Analysis, Analyzer, load_analyzer
from digests.analysis._topics import MAX_TOPICS
from digests.settings import AnalysisSettings
from digests.vocab import load_vocabulary

#: The topics the issue requires, with an article about each.
REQUIRED: dict[str, tuple[str, str]] = {
    "ceasefire": (
        "Armenia and Azerbaijan agree to stop border clashes",
        "YEREVAN - Armenia and Azerbaijan agreed on Thursday to a ceasefire along their border "
        "after two days of clashes, the Russian foreign ministry said. Both sides accused each "
        "other of violating the truce within hours of it taking effect.",
    ),
    "peace-talks": (
        "Colombia and ELN rebels resume peace talks in Caracas",
        "CARACAS - Colombia's government and the ELN guerrilla group resumed peace talks on "
        "Monday after a three-month pause, with Norway and Cuba acting as mediators. Negotiators "
        "said they hoped to agree an agenda for a final peace agreement by the end of the year.",
    ),
    "sanctions": (
        "US imposes sanctions on Myanmar generals",
        "WASHINGTON - The United States imposed sanctions on four senior Myanmar military "
        "officers on Tuesday over air raids on villages. The Treasury said the blacklisted "
        "officers would be barred from the US financial system.",
    ),
    "nuclear": (
        "Saudi Arabia seeks right to enrich uranium in US cooperation deal",
        "RIYADH - Saudi Arabia wants to enrich uranium on its own soil under any civilian "
        "nuclear cooperation deal with the United States, its energy minister said on Sunday. "
        "Experts warned that enrichment could bring the kingdom closer to building a weapon.",
    ),
    "missiles": (
        "Houthis fire ballistic missile at Israel",
        "JERUSALEM - Yemen's Houthi movement fired a ballistic missile at central Israel early on "
        "Friday, the Israeli military said, adding that it had been shot down by air defences "
        "before it reached Israeli airspace.",
    ),
    "territory": (
        "Greece protests over Turkish survey ship in the Aegean",
        "ATHENS - Greece complained to Ankara on Wednesday after a Turkish research vessel entered "
        "waters that Athens says lie on its continental shelf. Greek officials said the move "
        "violated Greek sovereignty, while Turkey said the ship was working inside its own "
        "maritime boundary.",
    ),
    "nato": (
        "Finland to host new NATO land forces command",
        "HELSINKI - NATO defence ministers agreed on Thursday to set up a land forces command in "
        "Finland, the alliance's newest member, to coordinate the defence of its long border "
        "with Russia.",
    ),
    "security": (
        "Japan approves record defence budget",
        "TOKYO - Japan's cabinet approved a record defence budget of 8.7 trillion yen on Friday, "
        "part of a plan to double military spending by 2027. The government said the money "
        "would strengthen deterrence against China and North Korea.",
    ),
    "military-action": (
        "Russian forces launch new offensive near Kharkiv",
        "KYIV - Russian troops launched a ground offensive in the Kharkiv region overnight, "
        "backed by heavy shelling and drone strikes, Ukraine's general staff said on Saturday.",
    ),
    "arms": (
        "Poland signs $6 billion deal for South Korean tanks",
        "WARSAW - Poland signed a $6 billion arms deal with South Korea on Tuesday for 180 "
        "battle tanks and self-propelled howitzers, the latest in a series of purchases since "
        "Russia invaded Ukraine.",
    ),
    "trade": (
        "India raises tariffs on steel imports",
        "NEW DELHI - India imposed a 12% safeguard duty on some steel imports on Monday to "
        "protect local mills from a surge in cheap shipments from China. The commerce ministry "
        "said the tariff would remain in place for 200 days.",
    ),
    "elections": (
        "Indonesians vote in presidential election",
        "JAKARTA - Indonesians voted on Wednesday in a presidential election that pits the "
        "defence minister against two former governors. More than 200 million voters are "
        "registered, and official results are expected within a month.",
    ),
    "humanitarian": (
        "UN warns of famine in Haiti as gangs block aid",
        "PORT-AU-PRINCE - Nearly half of Haiti's people face acute hunger, the World Food "
        "Programme said on Tuesday, warning that famine was emerging in areas where armed gangs "
        "have cut off aid deliveries.",
    ),
    "energy": (
        "Norway's gas exports to Europe hit a record",
        "OSLO - Norway's natural gas exports to Europe reached a record in the first quarter, "
        "the state operator said, as utilities raced to refill storage before winter. Higher "
        "output from offshore fields also helped bring down electricity prices.",
    ),
}
#: Topics of war, peace and power politics: none belongs on a match report or an earnings call.
CONFLICT_TOPICS = frozenset(REQUIRED) - {"trade", "energy", "elections"}


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return load_analyzer(AnalysisSettings())


def topics_of(analysis: Analysis) -> list[str]:
    return [topic.key for topic in analysis.topics]


def test_the_taxonomy_has_forty_topics_each_with_an_iptc_code_and_a_place() -> None:
    topics = load_vocabulary().topics
    assert len(topics) >= 40
    assert set(REQUIRED) <= set(topics)
    for key, entry in topics.items():
        assert re.fullmatch(r"medtop:\d{8}", entry.topic.iptc_code or ""), key
        assert entry.cues, key
        if entry.topic.parent is None:  # a top-level topic: an IPTC top-level subject
            assert entry.topic.iptc_code.endswith("000000"), key
        else:
            assert topics[entry.topic.parent].topic.parent is None, key
    for key in REQUIRED:
        assert topics[key].topic.parent is not None, key


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_each_required_topic_is_found_in_an_article_about_it(analyzer: Analyzer, key: str) -> None:
    title, text = REQUIRED[key]
    assert key in topics_of(analyzer.analyse(title, text))


def test_a_football_match_has_no_conflict_topic(analyzer: Analyzer) -> None:
    text = (
        "LONDON - A late strike from the edge of the box gave Arsenal a 2-1 win over Everton on "
        "Saturday and sent them top of the league. The home side struggled on defense early on, "
        "and Everton went ahead when a counter-attack caught their back line out of position.\n\n"
        "The manager said his players had worked on set pieces in training drills all week. "
        '"We kept attacking and in the end the quality showed," he told reporters. The '
        "offensive pressure finally paid off in the 88th minute.\n\n"
        "Police said extra officers would be deployed around the stadium for next week's derby."
    )
    found = topics_of(analyzer.analyse("Late strike sends Arsenal top", text))
    assert CONFLICT_TOPICS.isdisjoint(found)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Toyota cuts profit forecast as the yen strengthens",
            "TOKYO - Toyota Motor cut its full-year operating profit forecast on Wednesday, citing "
            "a stronger yen and higher material costs, although sales of its hybrids stayed "
            "strong. Quarterly revenue rose 3% and the company announced a share buyback. Its "
            "shares fell 2% in Tokyo.",
        ),
        (
            "Siemens profit beats forecasts on orders for grid equipment",
            "MUNICH - Siemens reported a higher than expected quarterly profit on Thursday and "
            "raised its outlook. Net income rose 12% to 2.4 billion euros, and new orders climbed "
            "9%, driven by data centres. The chief executive said the company was watching the "
            "effect of US tariffs on its supply chains. Shares rose 4% in Frankfurt trading.",
        ),
    ],
)
def test_company_earnings_have_no_conflict_topic(analyzer: Analyzer, title: str, text: str) -> None:
    assert CONFLICT_TOPICS.isdisjoint(topics_of(analyzer.analyse(title, text)))


def test_the_longest_cue_wins(analyzer: Analyzer) -> None:
    text = (
        "VIENNA - The International Atomic Energy Agency said on Monday that its inspectors had "
        "not been allowed into the Isfahan site for a year. The International Atomic Energy "
        "Agency's board of governors meets next week."
    )
    found = topics_of(analyzer.analyse("UN watchdog says inspectors kept out", text))
    assert "nuclear" in found
    assert "energy" not in found


def test_a_child_topic_is_not_crowded_out_by_its_parent(analyzer: Analyzer) -> None:
    text = (
        "The war has raged for three years, and troops on both sides are exhausted by the "
        "fighting. The military says the war can still be won. Soldiers at the front said the "
        "fighting had eased since the ceasefire was announced, though the war is far from over. "
        "Commanders said the ceasefire would be tested within days."
    )
    found = topics_of(analyzer.analyse("Soldiers weary of war", text))
    assert "ceasefire" in found
    assert "conflict" not in found


def test_a_passing_mention_is_not_a_topic(analyzer: Analyzer) -> None:
    text = (
        "OSLO - Norway's oil and gas output rose to a record in March, the energy regulator said, "
        "as new offshore fields came on stream.\n\n"
        "Crude production averaged 2.1 million barrels a day. Gas exports to Europe also rose.\n\n"
        "Norway has joined European sanctions on Russia since 2022."
    )
    found = topics_of(analyzer.analyse("Norway's oil output hits record", text))
    assert found[0] == "energy"
    assert "sanctions" not in found


def test_a_broad_topic_is_the_fallback_when_no_specific_one_qualifies(analyzer: Analyzer) -> None:
    text = (
        "The president met the prime minister and the leaders of parliament on Monday to discuss "
        "the government's programme, the presidency said. Opposition lawmakers did not attend."
    )
    assert topics_of(analyzer.analyse("President meets party leaders", text)) == ["politics"]


def test_topics_are_few_strongest_first_with_shares(analyzer: Analyzer) -> None:
    title, text = REQUIRED["humanitarian"]
    found = analyzer.analyse(title, text).topics
    assert 1 <= len(found) <= MAX_TOPICS
    scores = [topic.score for topic in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)
    assert all(topic.iptc and topic.label for topic in found)
