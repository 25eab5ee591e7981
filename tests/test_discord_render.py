"""The Discord renderer: every view within Discord's limits, in order, with feed text inert.

The samples live in tests/view_samples.py, shared with the other renderers' tests; a few
awkward views of our own (wide characters, unsafe URLs, many fields) are built here.
"""

from __future__ import annotations

import dataclasses
import re
from typing import get_args

import discord
import pytest

from bot.discord.render import DiscordMessage, render
from bot.views import (
    ArticleHitView,
    ErrorView,
    FieldView,
    ListItemView,
    ListView,
    NoticeView,
    SearchView,
    TopicSectionView,
    View,
)
from tests.view_samples import (
    HOSTILE,
    NOW,
    SAMPLES,
    WEEK_AGO,
    alert,
    digest,
    item,
    listing,
    notice,
    positions,
    source,
    story,
)

# Discord's limits, written out again here so the test does not trust the renderer's constants.
LIMITS = {
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field name": 256,
    "field value": 1024,
    "footer": 2048,
    "author": 256,
    "content": 2000,
    "embeds": 10,
    "total": 6000,
}

#: "](" after an even number of backslashes: the end of a Markdown link's text.
UNESCAPED_LINK_CLOSE = re.compile(r"(?<!\\)(?:\\\\)*\]\(")

ALL_SAMPLES = [
    pytest.param(view, id=f"{kind.__name__}[{index}]")
    for kind, views in SAMPLES.items()
    for index, view in enumerate(views)
]


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def embed_texts(embed: discord.Embed) -> list[str]:
    """What Discord counts toward an embed's size: title, description, field names and values,
    footer text and author name."""
    texts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    texts.append(embed.author.name or "")
    for field in embed.fields:
        texts.extend((field.name or "", field.value or ""))
    return texts


def limit_problems(messages: list[DiscordMessage]) -> list[str]:
    """Every way the messages would break a Discord limit; measured both as discord.py counts
    (code points, ``len(embed)``) and in UTF-16 units, whichever is larger."""
    problems: list[str] = []
    if not messages:
        problems.append("no message at all")
    for number, message in enumerate(messages):
        where = f"message {number}"
        if not message.embeds and not message.content:
            problems.append(f"{where}: empty")
        if message.content is not None and utf16(message.content) > LIMITS["content"]:
            problems.append(f"{where}: content too long")
        if len(message.embeds) > LIMITS["embeds"]:
            problems.append(f"{where}: {len(message.embeds)} embeds")
        total = sum(len(embed) for embed in message.embeds)
        wide_total = sum(utf16(text) for embed in message.embeds for text in embed_texts(embed))
        if max(total, wide_total) > LIMITS["total"]:
            problems.append(f"{where}: {max(total, wide_total)} characters of embeds")
        for index, embed in enumerate(message.embeds):
            problems.extend(embed_problems(embed, f"{where}, embed {index}"))
    return problems


def embed_problems(embed: discord.Embed, where: str) -> list[str]:
    problems: list[str] = []
    assert len(embed) == sum(len(text) for text in embed_texts(embed))  # we count as discord.py
    sized = [
        ("title", embed.title or ""),
        ("description", embed.description or ""),
        ("footer", embed.footer.text or ""),
        ("author", embed.author.name or ""),
    ]
    for field in embed.fields:
        sized.extend((("field name", field.name or ""), ("field value", field.value or "")))
        if not field.name or not field.value:
            problems.append(f"{where}: a field without name or value")
    problems.extend(
        f"{where}: {part} of {utf16(text)}" for part, text in sized if utf16(text) > LIMITS[part]
    )
    if len(embed.fields) > LIMITS["fields"]:
        problems.append(f"{where}: {len(embed.fields)} fields")
    if not (embed.title or embed.description or embed.fields):
        problems.append(f"{where}: an empty embed")
    if embed.url is not None and not re.fullmatch(r"https?://[^\s<>()]+", embed.url):
        problems.append(f"{where}: url {embed.url!r}")
    return problems


def all_text(messages: list[DiscordMessage]) -> str:
    return "\n".join(
        [message.content or "" for message in messages]
        + [text for message in messages for embed in message.embeds for text in embed_texts(embed)]
    )


def descriptions(messages: list[DiscordMessage]) -> str:
    return "\n".join(embed.description or "" for message in messages for embed in message.embeds)


def embeds_of(messages: list[DiscordMessage]) -> list[discord.Embed]:
    return [embed for message in messages for embed in message.embeds]


def in_order(text: str, needles: list[str]) -> bool:
    position = -1
    for needle in needles:
        position = text.find(needle, position + 1)
        if position < 0:
            return False
    return True


# -- every sample -------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ALL_SAMPLES)
def test_every_sample_stays_within_discord_limits(view: View) -> None:
    assert limit_problems(render(view)) == []


def test_the_limit_checker_catches_what_discord_would_refuse() -> None:
    too_long = discord.Embed(title="t" * 257, description="d" * 4000)
    for index in range(26):
        too_long.add_field(name=f"n{index}", value="v" * 100)
    problems = limit_problems([DiscordMessage(embeds=(too_long,) * 11)])
    assert any("title" in problem for problem in problems)
    assert any("26 fields" in problem for problem in problems)
    assert any("11 embeds" in problem for problem in problems)
    assert any("characters of embeds" in problem for problem in problems)
    assert limit_problems([]) == ["no message at all"]


def test_every_view_type_has_samples_and_renders() -> None:
    for kind in get_args(View):
        assert SAMPLES.get(kind), f"no samples of {kind.__name__}"
        for view in SAMPLES[kind]:
            messages = render(view)
            assert messages, kind.__name__
            assert all(message.embeds for message in messages), kind.__name__


@pytest.mark.parametrize("view", ALL_SAMPLES)
def test_feed_text_can_neither_ping_nor_format(view: View) -> None:
    text = all_text(render(view))
    for raw in ("@everyone", "@here", "<@&123>", "<@U123>", "<!channel>", "**bold**", "`code`"):
        assert raw not in text
    assert "<@" not in text
    assert "<#" not in text


@pytest.mark.parametrize("view", ALL_SAMPLES)
def test_every_link_goes_to_a_safe_http_url(view: View) -> None:
    text = all_text(render(view))
    # "](" after an unescaped "]" closes a link's text: what follows must be a safe target
    for match in UNESCAPED_LINK_CLOSE.finditer(text):
        target = text[match.end() :]
        assert re.match(r"<https?://[^\s<>()]+>\)", target), target[:80]


def test_the_hostile_samples_keep_their_text_escaped() -> None:
    text = all_text(render(positions(claim=HOSTILE)))
    assert r"\*\*bold\*\*" in text
    assert "@\u200beveryone" in text
    assert "<\u200b@&123>" in text


def test_masked_links_in_feed_text_stay_text() -> None:
    hostile = "see [a] (b) [x](http://evil.example) and [y](<http://evil.example>) and \\[z](u)"
    for view in (
        ErrorView(message=hostile),
        NoticeView(title=hostile, lines=(hostile,)),
        story(hostile),
    ):
        text = all_text(render(view))
        assert "evil.example" in text  # shown, as text
        # our own links go to the samples' outlets; nothing else may close a link
        assert not UNESCAPED_LINK_CLOSE.search(text.replace("](<https://news.example/", ""))


# -- positions ----------------------------------------------------------------------------------


def test_positions_read_in_order_header_changes_sections_about() -> None:
    titles = [embed.title for embed in embeds_of(render(positions()))]
    assert titles == ["Positions of Russia", "What changed", "Ceasefire", "About Russia, by others"]


def test_positions_header_names_the_window_and_the_near_miss() -> None:
    header = embeds_of(render(positions()))[0]
    assert header.description is not None
    assert "(read 'rusia' as Russia)" in header.description
    assert discord.utils.format_dt(WEEK_AGO, "f") in header.description
    assert header.timestamp == NOW
    assert header.colour == discord.Colour.teal()


def test_a_statement_reads_with_stance_speaker_claim_sources_and_time() -> None:
    section = embeds_of(render(positions(1)))[2]
    assert section.description == (
        "• Dmitry Peskov (Kremlin spokesman of Russia) **rejects**: “statement number 0 on the "
        f"ceasefire”\n{discord.utils.format_dt(NOW, 'R')} · "
        "[World Wire](<https://news.example/0>) · [Daily Courier](<https://news.example/1>)"
    )


def test_sixty_positions_keep_every_claim_in_order() -> None:
    messages = render(positions(60))
    assert len(messages) > 1
    claims = [f"“statement number {i} on the ceasefire”" for i in range(60)]
    text = descriptions(messages)
    assert in_order(text, claims)
    assert "more were stored" in text  # the view says the lookup held more
    continued = [
        embed.title for embed in embeds_of(messages) if embed.title == "Ceasefire (continued)"
    ]
    assert continued


def test_many_small_sections_spread_over_messages_of_at_most_ten_embeds() -> None:
    view = dataclasses.replace(
        positions(),
        sections=tuple(
            TopicSectionView(topic=f"Topic {i}", topic_id=f"t{i}", items=(item(f"claim {i}"),))
            for i in range(15)
        ),
    )
    messages = render(view)
    assert limit_problems(messages) == []
    assert len(messages) == 2  # 18 short embeds: ten, then eight
    titles = [embed.title or "" for embed in embeds_of(messages)]
    assert titles[2:17] == [f"Topic {i}" for i in range(15)]


def test_an_empty_positions_answer_says_so() -> None:
    messages = render(positions(0))
    assert len(embeds_of(messages)) == 1
    assert "No positions of Russia are stored" in descriptions(messages)


def test_many_sources_of_a_statement_are_counted() -> None:
    many = dataclasses.replace(
        positions(1),
        sections=(),
        about=(item(sources=tuple(source(f"Outlet {i}", i) for i in range(7))),),
    )
    text = descriptions(render(many))
    assert "[Outlet 1](<https://news.example/1>) · and 5 more" in text


# -- digests and stories ------------------------------------------------------------------------


def test_a_story_with_thirty_sources_lists_all_of_them_in_order() -> None:
    messages = render(story(sources=30))
    fields = [field for embed in embeds_of(messages) for field in embed.fields]
    assert fields[0].name == "Sources (30)"
    listed = "\n".join(field.value or "" for field in fields if "Sources" in (field.name or ""))
    assert in_order(listed, [f"[Outlet {i}](<https://news.example/{i}>)" for i in range(30)])


def test_a_digest_story_counts_the_sources_it_does_not_list() -> None:
    view = digest(1)
    many = dataclasses.replace(
        view,
        sections=(dataclasses.replace(view.sections[0], stories=(story(sources=30),)),),
    )
    fields = [field for embed in embeds_of(render(many)) for field in embed.fields]
    sources = next(field.value or "" for field in fields if field.name == "Sources (30)")
    assert "… and 25 more sources" in sources
    assert "[Outlet 4](" in sources
    assert "[Outlet 5](" not in sources


def test_a_five_thousand_character_summary_is_cut_with_an_ellipsis() -> None:
    messages = render(story("y" * 5000, sources=30))
    first = embeds_of(messages)[0]
    assert first.description is not None
    assert first.description.endswith("…")
    assert first.description.count("y") > 3500  # cut near the limit, not to a stub
    assert limit_problems(messages) == []


def test_a_long_digest_continues_over_messages_with_every_story_in_order() -> None:
    messages = render(digest(12, summary="x " * 2500))
    assert len(messages) > 1
    stories = [e for e in embeds_of(messages) if e.title == "Ceasefire talks resume in Ankara"]
    assert len(stories) == 12
    for embed in stories:
        assert embed.description is not None
        assert embed.description.endswith("…")
        assert embed.url == "https://news.example/0"
    titles = [embed.title for embed in embeds_of(messages)]
    assert titles[0] == "News digest"
    assert titles[-2:] == ["Positions of the day", "Feeds that may be missing news"]


def test_the_digest_header_names_window_and_filters() -> None:
    header = embeds_of(render(digest()))[0]
    assert header.description is not None
    assert "For actors: Russia" in header.description
    assert "2 stories." in header.description
    assert header.timestamp == NOW
    assert header.colour == discord.Colour.gold()


def test_an_empty_digest_says_nothing_new() -> None:
    messages = render(digest(0))
    header = embeds_of(messages)[0]
    assert header.description is not None
    assert "Nothing new since <t:" in header.description
    # feed trouble is still reported: silence from a failing feed is not "no news"
    notices = embeds_of(messages)[-1]
    assert notices.title == "Feeds that may be missing news"
    assert notices.colour == discord.Colour.orange()
    assert "its last poll failed" in (notices.description or "")


# -- search, errors, notices, lists, alerts -----------------------------------------------------


def test_search_shows_articles_and_statements() -> None:
    view = SearchView(
        query="sanctions",
        since=WEEK_AGO,
        articles=(ArticleHitView(title="EU agrees new sanctions", source=source()),),
        positions=(item(),),
    )
    titles = [embed.title for embed in embeds_of(render(view))]
    assert titles == ["Search: sanctions", "Articles", "Statements"]
    empty = descriptions(render(SearchView(query="nothing", since=WEEK_AGO)))
    assert "holds every word of that" in empty


def test_an_error_is_one_red_embed_with_suggestions() -> None:
    messages = render(ErrorView(message="unknown actor 'rusa'", suggestions=("Russia", "Rwanda")))
    assert len(messages) == 1
    (embed,) = messages[0].embeds
    assert embed.colour == discord.Colour.red()
    assert embed.description is not None
    assert "Did you mean: **Russia**, **Rwanda**?" in embed.description


def test_a_long_error_stays_one_embed() -> None:
    view = ErrorView(message="m " * 5000, suggestions=tuple(f"s{i}" for i in range(40)), hint="h")
    messages = render(view)
    assert len(messages) == 1
    assert len(messages[0].embeds) == 1
    assert "… and 30 more" in (messages[0].embeds[0].description or "")


@pytest.mark.parametrize(
    ("tone", "colour"),
    [
        ("done", discord.Colour.green()),
        ("info", discord.Colour.blurple()),
        ("warning", discord.Colour.orange()),
    ],
)
def test_a_notice_is_coloured_by_its_tone(tone: str, colour: discord.Colour) -> None:
    (embed,) = embeds_of(render(dataclasses.replace(notice(), tone=tone)))
    assert embed.colour == colour


def test_a_notice_field_with_a_moment_uses_discord_timestamps() -> None:
    (embed,) = embeds_of(render(notice()))
    values = {field.name: field.value for field in embed.fields}
    assert values["Time"] == "07:30 Europe/Berlin, weekdays"
    assert values["Next digest"] == (
        f"{discord.utils.format_dt(NOW, 'R')} ({discord.utils.format_dt(NOW, 'f')})"
    )


def test_a_notice_with_many_fields_continues_and_keeps_them_all() -> None:
    view = NoticeView(
        title="Settings",
        fields=tuple(FieldView(name=f"setting {i}", value=f"value {i}") for i in range(30)),
    )
    messages = render(view)
    assert limit_problems(messages) == []
    names = [field.name for embed in embeds_of(messages) for field in embed.fields]
    assert names == [f"setting {i}" for i in range(30)]
    assert [embed.title for embed in embeds_of(messages)] == ["Settings", "Settings (continued)"]


def test_a_long_title_is_cut_at_a_word_with_an_ellipsis() -> None:
    (embed,) = embeds_of(render(NoticeView(title="word " * 100)))
    assert embed.title is not None
    assert len(embed.title) <= 256
    assert embed.title.endswith("word…")


def test_a_list_keeps_all_eighty_items_in_order() -> None:
    messages = render(listing(80))
    assert len(messages) > 1
    text = descriptions(messages)
    assert in_order(
        text, [f"**[Wire {i}](<https://wire{i}.example/feed.xml>)** `{i}`" for i in range(80)]
    )


def test_an_empty_list_says_what_that_means_and_a_footer_shows() -> None:
    assert "No feeds yet: add one with /feeds add." in descriptions(render(listing(0)))
    footed = dataclasses.replace(listing(1), footer="3 more not shown")
    assert descriptions(render(footed)).endswith("*3 more not shown*")


def test_an_alert_names_the_change() -> None:
    (embed,) = embeds_of(render(alert()))
    assert embed.title == "Russia changed its stance on Ceasefire"
    assert embed.colour == discord.Colour.magenta()
    assert embed.timestamp == NOW
    assert embed.description is not None
    assert "now **rejects**" in embed.description
    assert "“foreign monitors are not needed in Ukraine”" in embed.description
    plain = SAMPLES[type(alert())][1]
    assert embeds_of(render(plain))[0].title == "New statement by Russia"


# -- awkward text and URLs ----------------------------------------------------------------------


def test_wide_characters_are_counted_as_discord_may_count_them() -> None:
    emoji = "\N{GRINNING FACE}" * 3000
    messages = render(dataclasses.replace(story(emoji, sources=30), headline=emoji))
    assert limit_problems(messages) == []
    assert embeds_of(messages)[0].description is not None


def test_only_http_urls_become_links_and_they_cannot_break_out() -> None:
    view = ListView(
        title="Feeds",
        items=(
            ListItemView(title="Evil", url="javascript:alert(1)"),
            ListItemView(title="Odd", url="https://odd.example/a b)c<d>"),
        ),
    )
    text = descriptions(render(view))
    assert "[Evil](" not in text
    assert "javascript:alert" in text.replace("\\", "")  # shown as text, not lost
    assert "[Odd](<https://odd.example/a%20b%29c%3Cd%3E>)" in text
    unsafe = dataclasses.replace(story(), sources=(dataclasses.replace(source(), url="ftp://x"),))
    assert embeds_of(render(unsafe))[0].url is None


def test_an_empty_notice_still_renders_a_valid_embed() -> None:
    messages = render(NoticeView(title="  "))
    assert limit_problems(messages) == []
