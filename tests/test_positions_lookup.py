"""The positions lookup end to end: resolution, the store's queries, merging, the split between
statements by and about an actor, stance changes, the views, their renderers and the CLI.

Positions are stored directly (no spaCy): the analysis has its own tests.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.durations import parse_duration
from bot.views import ErrorView, PositionsView, error_view, positions_view
from bot.views.render_console import escape_markdown, render_markdown, render_text
from bot.views.render_json import render_json, view_data
from digests.compose import (
    ActorResolver,
    PositionsResult,
    UnknownActorError,
    UnknownTopicError,
    lookup_positions,
    resolve_topic,
)
from digests.model import UTC, Article, Feed, Position, Stance, utc_now
from digests.store import Store
from digests.vocab import Vocabulary, load_vocabulary

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)
OUTLETS = ("Reuters World", "BBC News", "Al Jazeera English")
LAVROV_CLAIM = "NATO expansion threatens Russia's security"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def resolver(vocabulary: Vocabulary) -> ActorResolver:
    return ActorResolver(vocabulary)


class Newsroom:
    """Feeds, articles and positions written straight into a store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.feeds = [
            store.add_feed(Feed(url=f"https://feeds.example/{n}", title=title))
            for n, title in enumerate(OUTLETS)
        ]
        self.count = 0

    def report(self, outlet: int, when: dt.datetime, *positions: Position) -> int:
        """One article of ``outlet`` published at ``when`` with these positions."""
        self.count += 1
        feed_id = self.feeds[outlet].id or 0
        article = self.store.add_article(
            Article(
                feed_id=feed_id,
                key=f"a{self.count}",
                title=f"Article {self.count}",
                url=f"https://news.example/{outlet}/{self.count}",
                published_at=when,
                first_seen_at=when,
            )
        )
        article_id = article.id or 0
        found = [
            Position(**{**_fields(p), "article_id": article_id, "stated_at": when})
            for p in positions
        ]
        self.store.replace_analysis(article_id, actors=[], topics=[], found=found, analysed_at=when)
        return article_id


def _fields(position: Position) -> dict[str, object]:
    return {name: getattr(position, name) for name in position.__slots__}  # type: ignore[attr-defined]


def said(
    actor: str,
    stance: Stance,
    claim: str,
    *,
    speaker: str | None = None,
    role: str | None = None,
    topic: str | None = None,
    target: str | None = None,
) -> Position:
    return Position(
        article_id=0,
        actor_key=actor,
        stance=stance,
        claim=claim,
        evidence=f"{speaker or actor} said {claim}.",
        speaker=speaker,
        speaker_role=role,
        topic_key=topic,
        target_key=target,
        confidence=0.9,
    )


LAVROV = {"speaker": "Sergey Lavrov", "role": "Foreign Minister"}
PUTIN = {"speaker": "Vladimir Putin", "role": "President"}
ZELENSKY = {"speaker": "Volodymyr Zelensky", "role": "President"}


def fill(store: Store, now: dt.datetime = NOW) -> Newsroom:
    """A week of news, and the week before it."""
    room = Newsroom(store)
    # One statement, three outlets: the third words it slightly differently.
    lavrov = said("russia", Stance.WARN, LAVROV_CLAIM, topic="nato", target="nato", **LAVROV)
    room.report(0, now - 1 * DAY, lavrov)
    room.report(1, now - 1 * DAY + dt.timedelta(hours=2), lavrov)
    room.report(
        2,
        now - 1 * DAY + dt.timedelta(hours=3),
        said(
            "russia",
            Stance.WARN,
            "NATO's expansion threatens Russia's security.",
            topic="nato",
            target="nato",
            **LAVROV,
        ),
    )
    # Putin on the ceasefire: rejected it the week before, proposes now.
    room.report(
        0,
        now - 10 * DAY,
        said(
            "russia",
            Stance.REJECT,
            "a ceasefire is out of the question",
            topic="ceasefire",
            **PUTIN,
        ),
    )
    room.report(
        1,
        now - 2 * DAY,
        said(
            "russia", Stance.PROPOSE, "a 30-day ceasefire in the east", topic="ceasefire", **PUTIN
        ),
    )
    # The same stance in both windows: no change.
    room.report(
        0, now - 9 * DAY, said("russia", Stance.REJECT, "sanctions are illegal", topic="sanctions")
    )
    room.report(
        1, now - 3 * DAY, said("russia", Stance.REJECT, "sanctions will fail", topic="sanctions")
    )
    # Zelensky accuses Putin: by Ukraine (and Zelensky), about Russia (and Putin).
    room.report(
        2,
        now - 4 * DAY,
        said(
            "ukraine",
            Stance.ACCUSE,
            "Putin of dragging out the war",
            topic="peace-talks",
            target="russia",
            **ZELENSKY,
        ),
    )
    # Too old for any window asked for here.
    room.report(0, now - 40 * DAY, said("russia", Stance.SUPPORT, "old news", topic="trade"))
    return room


def lookup(store: Store, resolver: ActorResolver, actor: str, **options: object) -> PositionsResult:
    return lookup_positions(store, resolver, actor, now=NOW, **options)  # type: ignore[arg-type]


# -- resolution ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("US", "united-states"),
        ("us", "united-states"),
        ("USA", "united-states"),
        ("zelenskyy", "volodymyr-zelensky"),
        ("Zelenskiyy", "volodymyr-zelensky"),
        ("Russian", "russia"),
        ("rusia", "russia"),
        ("RUS", "russia"),
        ("the Kremlin", "russia"),
        ("germny", "germany"),
        ("Côte d'Ivoire", "ivory-coast"),
        ("cote divoire", "ivory-coast"),
        ("volodymyr-zelensky", "volodymyr-zelensky"),
        ("Lavrov", "sergey-lavrov"),
        ("nato", "nato"),
    ],
)
def test_resolution_of_names_codes_and_near_misses(
    resolver: ActorResolver, typed: str, key: str
) -> None:
    assert resolver.resolve(typed).actor.key == key


def test_a_near_miss_says_it_was_one(resolver: ActorResolver) -> None:
    exact, near = resolver.resolve("Russia"), resolver.resolve("rusia")
    assert exact.exact
    assert not near.exact
    assert near.how == "fuzzy"
    assert near.typed == "rusia"


def test_an_unknown_name_gets_at_most_five_suggestions(resolver: ActorResolver) -> None:
    with pytest.raises(UnknownActorError) as raised:
        resolver.resolve("austrai")  # Austria or Australia: too close to call
    keys = [actor.key for actor in raised.value.suggestions]
    assert {"austria", "australia"} <= set(keys)
    assert len(keys) <= 5
    assert "did you mean" in str(raised.value)


def test_nothing_close_still_explains(resolver: ActorResolver) -> None:
    with pytest.raises(UnknownActorError) as raised:
        resolver.resolve("qqqqqqq")
    assert raised.value.suggestions == ()
    assert "name, alias, demonym or ISO code" in str(raised.value)


def test_topics_resolve_by_id_or_label_and_suggest(vocabulary: Vocabulary) -> None:
    assert resolve_topic(vocabulary, "Peace-Talks").key == "peace-talks"
    assert resolve_topic(vocabulary, "peace talks").key == "peace-talks"
    with pytest.raises(UnknownTopicError) as raised:
        resolve_topic(vocabulary, "sanction")
    assert raised.value.suggestions[0] == "sanctions"


# -- the lookup ---------------------------------------------------------------------------------


def test_a_statement_reported_by_three_outlets_is_one_item(
    store: Store, resolver: ActorResolver
) -> None:
    fill(store)
    result = lookup(store, resolver, "russia", topic="nato")
    [section] = result.sections
    [item] = section.items
    assert item.stance is Stance.WARN
    assert item.speaker == "Sergey Lavrov"
    assert item.speaker_role == "Foreign Minister"
    assert [source.outlet for source in item.sources] == list(reversed(OUTLETS))  # newest first
    assert all(source.url and source.published for source in item.sources)
    assert item.stated_at == NOW - DAY + dt.timedelta(hours=3)


def test_by_topic_newest_first_with_about_apart(store: Store, resolver: ActorResolver) -> None:
    fill(store)
    result = lookup(store, resolver, "Russian")
    assert result.actor.key == "russia"
    assert [section.topic.key for section in result.sections if section.topic] == [
        "nato",
        "ceasefire",
        "sanctions",
    ]
    own = [item for section in result.sections for item in section.items]
    assert all(item.actor_key == "russia" for item in own)
    assert "old news" not in [item.claim for item in own]
    # Zelensky accusing Putin is about Russia, not one of Russia's positions.
    [about] = result.about
    assert about.speaker == "Volodymyr Zelensky"
    assert about.target_key == "russia"
    assert about.stance is Stance.ACCUSE
    ukraine = lookup(store, resolver, "Ukraine")
    assert [item.speaker for s in ukraine.sections for item in s.items] == ["Volodymyr Zelensky"]
    assert ukraine.about == ()


def test_a_stance_change_across_the_two_windows(store: Store, resolver: ActorResolver) -> None:
    fill(store)
    result = lookup(store, resolver, "russia")
    [change] = result.changes  # sanctions: rejected in both windows, so no change
    assert change.topic.key == "ceasefire"
    assert (change.before, change.now) == (Stance.REJECT, Stance.PROPOSE)
    assert change.before_at == NOW - 10 * DAY
    # A shorter window has nothing before it to compare with.
    assert lookup(store, resolver, "russia", since=dt.timedelta(days=3)).changes == ()


def test_a_person_is_not_their_country(store: Store, resolver: ActorResolver) -> None:
    fill(store)
    putin = lookup(store, resolver, "putin")
    own = [item for section in putin.sections for item in section.items]
    assert [item.claim for item in own] == ["a 30-day ceasefire in the east"]
    assert [change.topic.key for change in putin.changes] == ["ceasefire"]
    # Named in Zelensky's claim, stored with the target "russia": about Putin too.
    assert [item.speaker for item in putin.about] == ["Volodymyr Zelensky"]
    russia = lookup(store, resolver, "russia")
    speakers = {item.speaker for section in russia.sections for item in section.items}
    assert speakers == {"Sergey Lavrov", "Vladimir Putin", None}
    lavrov = lookup(store, resolver, "Lavrov")
    assert {item.speaker for s in lavrov.sections for item in s.items} == {"Sergey Lavrov"}
    assert lavrov.about == ()


def test_nothing_stored_is_an_empty_answer_that_says_since_when(
    store: Store, resolver: ActorResolver
) -> None:
    fill(store)
    result = lookup(store, resolver, "France")
    assert result.empty
    assert result.since == NOW - 7 * DAY
    text = render_text(positions_view(result))
    assert "No positions of France are stored since 2026-11-13 12:00 UTC" in text


def test_limit_caps_items_and_says_so(store: Store, resolver: ActorResolver) -> None:
    fill(store)
    result = lookup(store, resolver, "russia", limit=1)
    assert sum(len(section.items) for section in result.sections) == 1
    assert result.truncated


# -- views and renderers ------------------------------------------------------------------------


def test_every_view_renders_in_every_format(store: Store, resolver: ActorResolver) -> None:
    fill(store)
    view = positions_view(lookup(store, resolver, "rusia"))
    problem = ErrorView(message="no actor called 'x'", suggestions=("Russia",), hint="give a name")
    for rendered in (render_text(view), render_markdown(view)):
        assert "Positions of Russia" in rendered
        assert "Sergey Lavrov" in rendered
        assert "3 sources" in rendered
        assert "What changed" in rendered
    assert "('rusia' read as Russia)" in render_text(view)
    data = json.loads(render_json(view))
    assert data["view"] == "positions"
    assert data["actor_id"] == "russia"
    assert data["approximate"] is True
    assert len(data["sections"][0]["items"][0]["sources"]) == 3
    assert data["changes"][0]["before"] == "reject"
    assert json.loads(render_json(problem))["suggestions"] == ["Russia"]
    assert "did you mean: Russia?" in render_text(problem)
    assert view_data(problem)["view"] == "error"


def test_markdown_escapes_feed_text() -> None:
    claim = "*all* options [are](http://x) open_now # `really`"
    item_view = positions_view_of(claim, outlet="Evil [Outlet](http://bad)")
    rendered = render_markdown(item_view)
    assert escape_markdown(claim) in rendered
    assert "\\*all\\*" in rendered
    assert "[Evil \\[Outlet\\]\\(http://bad\\)](https://news.example/a%28b%29)" in rendered
    assert claim in render_text(item_view)  # plain text prints it as it is


def positions_view_of(claim: str, *, outlet: str) -> PositionsView:
    from bot.views import PositionItemView, SourceView, TopicSectionView

    item = PositionItemView(
        stance="warn",
        claim=claim,
        actor="Russia",
        stated_at=NOW,
        sources=(SourceView(outlet=outlet, url="https://news.example/a(b)", published=NOW),),
    )
    return PositionsView(
        actor="Russia",
        actor_id="russia",
        actor_kind="country",
        resolved_from="russia",
        approximate=False,
        topic=None,
        since=NOW - DAY,
        until=NOW,
        sections=(TopicSectionView(topic="NATO", topic_id="nato", items=(item,)),),
        about=(),
        changes=(),
    )


def test_error_views_name_what_is_accepted(resolver: ActorResolver) -> None:
    with pytest.raises(UnknownActorError) as raised:
        resolver.resolve("Obama")
    view = error_view(raised.value)
    assert 0 < len(view.suggestions) <= 5
    assert view.hint is not None
    assert "ISO code" in view.hint


@pytest.mark.parametrize(
    ("text", "length"),
    [("90m", dt.timedelta(minutes=90)), ("24h", DAY), ("7d", 7 * DAY), ("2W", 14 * DAY)],
)
def test_durations(text: str, length: dt.timedelta) -> None:
    assert parse_duration(text) == length


@pytest.mark.parametrize("text", ["7", "d7", "7x", "0d", "-1d", "1.5h", "", "99999999d"])
def test_malformed_durations_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="give"):
        parse_duration(text)


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli_store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("NEWSDIGEST_DATABASE_URL", database_url)
    with Store.open(database_url) as opened:
        fill(opened, utc_now())
        yield opened


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["positions", *args], prog_name="newsdigest")
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("cli_store")
def test_cli_in_three_formats() -> None:
    code, text, _ = invoke("rusia")
    assert code == 0
    assert "Positions of Russia, since" in text
    assert "the last 7 days" in text
    assert "Reuters World" in text
    code, markdown, _ = invoke("russia", "--format", "markdown", "--topic", "nato")
    assert code == 0
    assert markdown.startswith("# Positions of Russia on NATO")
    assert "[Reuters World](https://news.example/0/1)" in markdown
    code, output, _ = invoke("zelenskyy", "--format", "json", "--since", "2w")
    assert code == 0
    data = json.loads(output)
    assert data["actor_id"] == "volodymyr-zelensky"
    assert data["sections"][0]["items"][0]["stance"] == "accuse"
    code, output, _ = invoke("france", "--format", "json")
    assert json.loads(output)["empty"] is True


@pytest.mark.usefixtures("cli_store")
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["russia", "--since", "7x"], "not a duration: '7x'; give a whole number and a unit"),
        (["russia", "--topic", "sanction"], "did you mean: sanctions?"),
        (["Obama"], "did you mean:"),
        (["qqqqqqq"], "give a country, organisation, group or person"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str], says: str) -> None:
    code, _, stderr = invoke(*args)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert says in stderr
    assert "Traceback" not in stderr


@pytest.mark.usefixtures("cli_store")
def test_cli_unknown_actor_in_json_prints_the_error_view() -> None:
    code, output, _ = invoke("xyzzyq", "--format", "json")
    assert code == 2
    assert json.loads(output)["view"] == "error"
