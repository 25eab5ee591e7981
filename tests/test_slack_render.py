"""The Slack renderer: every view within Block Kit's limits, in order, with feed text inert.

The samples live in tests/view_samples.py, shared with the other renderers' tests; a few
awkward views of our own (wide characters, unsafe URLs, many fields, markup) are built here.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, get_args

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack.render import SlackMessage, message_payload, render
from bot.views import (
    ErrorView,
    FieldView,
    ListItemView,
    ListView,
    NoticeView,
    SearchView,
    View,
)
from tests.view_samples import (
    HOSTILE,
    NOW,
    SAMPLES,
    WEEK_AGO,
    alert,
    digest,
    listing,
    notice,
    positions,
    source,
    story,
)

# Slack's limits, written out again here so the test does not trust the renderer's constants.
LIMITS = {
    "blocks": 50,
    "section text": 3000,
    "fields": 10,
    "field text": 2000,
    "header text": 150,
    "context elements": 10,
    "context text": 3000,
    "fallback": 3000,
    # Not documented: Slack refuses "msg_blocks_too_long" at about 12,000 characters of text in
    # one message's blocks (slackapi/bolt-js#2509, #2867); we check a margin below that.
    "message text": 10000,
}
HOSTILE_TOKENS = ("<!channel>", "<@U123>", "<http://x.example|click>", "<@&123>")
#: What may stand between "<" and ">" in our mrkdwn: a date, an http(s) link, a channel.
OUR_TOKEN = re.compile(
    r"<(?:!date\^\d+\^\{date_short_pretty\}(?: \{time\})?\|[0-9: -]+(?: UTC)?"
    r"|https?://[^\s<>|]+\|[^<>|]+"
    r"|#[CGD][A-Z0-9]+)>"
)

ALL_SAMPLES = [
    pytest.param(view, id=f"{kind.__name__}[{index}]")
    for kind, views in SAMPLES.items()
    for index, view in enumerate(views)
]


def width(text: str) -> int:
    """What Slack may count: code points or UTF-16 units, whichever is more."""
    return max(len(text), len(text.encode("utf-16-le", "surrogatepass")) // 2)


def text_objects(data: Any) -> list[dict[str, Any]]:
    """Every text object ({"type": "mrkdwn"|"plain_text", "text": ...}) in a block's JSON."""
    if isinstance(data, dict):
        found = [data] if data.get("type") in ("mrkdwn", "plain_text") else []
        for value in data.values():
            found.extend(text_objects(value))
        return found
    if isinstance(data, list):
        return [obj for value in data for obj in text_objects(value)]
    return []


def block_problems(block: Block, where: str) -> list[str]:
    """Every way one block would break a Block Kit limit (slack_sdk's validation included)."""
    where = f"{where} ({type(block).__name__})"
    problems: list[str] = []
    try:
        data = block.to_dict()
    except SlackObjectFormationError as error:
        problems.append(f"{where}: slack_sdk refuses it: {error}")
        data = block.get_non_null_attributes()  # the same JSON, unvalidated: measure it too
    kind = data.get("type")
    checks = {"header": header_problems, "section": section_problems, "context": context_problems}
    problems.extend(checks[kind](data, where) if kind in checks else [])
    if kind not in (*checks, "divider"):
        problems.append(f"{where}: unexpected block {kind!r}")
    for obj in text_objects(data):
        if not obj["text"].strip():
            problems.append(f"{where}: an empty text")  # Slack refuses empty text
        if obj["type"] == "mrkdwn" and obj.get("verbatim") is not True:
            problems.append(f"{where}: mrkdwn that Slack would auto-link and auto-mention")
        if obj["type"] == "plain_text" and kind != "header":
            problems.append(f"{where}: plain_text outside a header")
    return problems


def header_problems(data: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if data["text"]["type"] != "plain_text":
        problems.append(f"{where}: header text not plain_text")
    if width(data["text"]["text"]) > LIMITS["header text"]:
        problems.append(f"{where}: header text of {width(data['text']['text'])}")
    return problems


def section_problems(data: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    fields = data.get("fields", [])
    if "text" not in data and not fields:
        problems.append(f"{where}: a section without text or fields")
    if "text" in data and width(data["text"]["text"]) > LIMITS["section text"]:
        problems.append(f"{where}: section text of {width(data['text']['text'])}")
    if len(fields) > LIMITS["fields"]:
        problems.append(f"{where}: {len(fields)} fields")
    problems.extend(
        f"{where}: field text of {width(field['text'])}"
        for field in fields
        if width(field["text"]) > LIMITS["field text"]
    )
    return problems


def context_problems(data: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    elements = data.get("elements", [])
    if not 1 <= len(elements) <= LIMITS["context elements"]:
        problems.append(f"{where}: {len(elements)} context elements")
    problems.extend(
        f"{where}: context text of {width(element['text'])}"
        for element in elements
        if width(element["text"]) > LIMITS["context text"]
    )
    return problems


def limit_problems(messages: list[SlackMessage]) -> list[str]:
    """Every way the messages would break a Slack limit, measured as Slack measures."""
    problems: list[str] = []
    if not messages:
        problems.append("no message at all")
    for number, message in enumerate(messages):
        where = f"message {number}"
        if not message.blocks:
            problems.append(f"{where}: no blocks")
        if len(message.blocks) > LIMITS["blocks"]:
            problems.append(f"{where}: {len(message.blocks)} blocks")
        if not message.text.strip():
            problems.append(f"{where}: no fallback text")
        if width(message.text) > LIMITS["fallback"]:
            problems.append(f"{where}: fallback text of {width(message.text)}")
        for index, block in enumerate(message.blocks):
            problems.extend(block_problems(block, f"{where}, block {index}"))
        total = sum(width(text) for text in block_texts(message))
        if total > LIMITS["message text"]:
            problems.append(f"{where}: {total} characters of text in its blocks")
    return problems


def block_texts(message: SlackMessage) -> list[str]:
    return [
        obj["text"]
        for block in message.blocks
        for obj in text_objects(block.get_non_null_attributes())
    ]


def mrkdwn_texts(messages: list[SlackMessage]) -> list[str]:
    """Every text Slack parses: the mrkdwn of the blocks and the fallback texts."""
    texts = [message.text for message in messages]
    for message in messages:
        for block in message.blocks:
            texts.extend(
                obj["text"] for obj in text_objects(block.to_dict()) if obj["type"] == "mrkdwn"
            )
    return texts


def mrkdwn(messages: list[SlackMessage]) -> str:
    return "\n".join(mrkdwn_texts(messages))


def headers(messages: list[SlackMessage]) -> list[str]:
    return [
        block.to_dict()["text"]["text"]
        for message in messages
        for block in message.blocks
        if isinstance(block, HeaderBlock)
    ]


def sections(messages: list[SlackMessage]) -> list[str]:
    return [
        block.to_dict()["text"]["text"]
        for message in messages
        for block in message.blocks
        if isinstance(block, SectionBlock) and "text" in block.to_dict()
    ]


def contexts(messages: list[SlackMessage]) -> list[str]:
    return [
        element["text"]
        for message in messages
        for block in message.blocks
        if isinstance(block, ContextBlock)
        for element in block.to_dict()["elements"]
    ]


def in_order(text: str, needles: list[str]) -> bool:
    position = -1
    for needle in needles:
        position = text.find(needle, position + 1)
        if position < 0:
            return False
    return True


def date_token(when: Any, fallback: str) -> str:
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


# -- every sample -------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ALL_SAMPLES)
def test_every_sample_stays_within_slack_limits(view: View) -> None:
    assert limit_problems(render(view)) == []


def test_the_limit_checker_catches_what_slack_would_refuse() -> None:
    def problems_of(*blocks: Block) -> list[str]:
        return [
            p.split(": ", 1)[1] for p in limit_problems([SlackMessage(text="t", blocks=blocks)])
        ]

    def verbatim(text: str) -> MarkdownTextObject:
        return MarkdownTextObject(text=text, verbatim=True)

    refused = "slack_sdk refuses it"
    header = problems_of(HeaderBlock(text="h" * 151))
    assert header[1:] == ["header text of 151"]
    assert header[0].startswith(refused)
    assert problems_of(SectionBlock(text=verbatim("s" * 3001)))[1:] == ["section text of 3001"]
    assert problems_of(SectionBlock(fields=[verbatim("f")] * 11))[1:] == ["11 fields"]
    assert problems_of(SectionBlock(fields=[verbatim("f" * 2001)])) == ["field text of 2001"]
    too_many = problems_of(ContextBlock(elements=[verbatim("c")] * 11))
    assert too_many[1:] == ["11 context elements"]
    assert problems_of(ContextBlock(elements=[verbatim("c" * 3001)])) == ["context text of 3001"]
    assert problems_of(SectionBlock(text=verbatim(" "))) == ["an empty text"]
    assert problems_of(SectionBlock(text="parsed")) == [
        "mrkdwn that Slack would auto-link and auto-mention"
    ]
    # a wide character is two UTF-16 units: slack_sdk lets 1501 through, Slack may not
    wide = SectionBlock(text=verbatim("\N{GRINNING FACE}" * 1501))
    assert problems_of(wide) == ["section text of 3002"]
    assert problems_of(*[DividerBlock()] * 51) == ["51 blocks"]
    heavy = [SectionBlock(text=verbatim("x" * 2900))] * 4
    assert problems_of(*heavy) == ["11600 characters of text in its blocks"]
    assert problems_of(HeaderBlock(text=verbatim("not plain"))) == ["header text not plain_text"]
    assert limit_problems([SlackMessage(text=" ", blocks=())]) == [
        "message 0: no blocks",
        "message 0: no fallback text",
    ]
    assert limit_problems([]) == ["no message at all"]


def test_every_view_type_has_samples_and_renders() -> None:
    for kind in get_args(View):
        assert SAMPLES.get(kind), f"no samples of {kind.__name__}"
        for view in SAMPLES[kind]:
            messages = render(view)
            assert messages, kind.__name__
            assert all(message.blocks and message.text for message in messages), kind.__name__


@pytest.mark.parametrize("view", ALL_SAMPLES)
def test_feed_text_can_neither_ping_nor_link(view: View) -> None:
    messages = render(view)
    for text in mrkdwn_texts(messages):
        for raw in HOSTILE_TOKENS:
            assert raw not in text
        # whatever is left between "<" and ">" is ours: a date, an http(s) link, a channel
        rest = OUR_TOKEN.sub("", text)
        assert "<" not in rest, text
        assert ">" not in rest, text
    # plain_text is shown as it is (Slack parses neither mentions nor links in it): only
    # headers use it, and they may show the hostile text literally
    for message in messages:
        for block in message.blocks:
            for obj in text_objects(block.to_dict()):
                assert obj["type"] == "mrkdwn" or isinstance(block, HeaderBlock)


@pytest.mark.parametrize("view", ALL_SAMPLES)
def test_every_message_posts_as_json(view: View) -> None:
    for message in render(view):
        payload = message_payload(message)
        assert payload["text"] == message.text
        assert len(payload["blocks"]) == len(message.blocks)
        assert json.loads(json.dumps(payload)) == payload


def test_the_hostile_samples_show_their_text_escaped() -> None:
    messages = render(positions(claim=HOSTILE))
    text = mrkdwn(messages)
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;http://x.example|click&gt;" in text
    assert "&lt;@&amp;123&gt;" in text
    # formatting characters from the feed cannot format: look-alikes stand in for them
    assert "**bold**" not in text
    assert "`code`" not in text
    assert "\u2217\u2217bold\u2217\u2217" in text
    hostile_notice = SAMPLES[NoticeView][1]
    assert headers(render(hostile_notice)) == [HOSTILE]  # plain_text: shown as it is
    assert "&lt;!channel&gt;" in render(hostile_notice)[0].text


def test_formatting_characters_are_neutralised_only_where_they_could_format() -> None:
    raw = "a *b* _c_ ~d~ `e` \uff40f\uff40 snake_case_name 5*3 :white_check_mark: & more"
    text = mrkdwn(render(ErrorView(message=raw)))
    for markup in ("*b*", "_c_", "~d~", "`e`", "\uff40f\uff40"):
        assert markup not in text
    assert "snake_case_name" in text  # inside a word Slack does not format
    assert "5*3" in text
    assert ":white_check_mark:" in text
    assert "&amp; more" in text


def test_a_quote_at_the_start_of_a_line_is_not_a_quote() -> None:
    messages = render(NoticeView(title="Note", lines=("> not a quote",)))
    (line,) = sections(messages)
    assert line == "\u00ad&gt; not a quote"  # an invisible soft hyphen before it


# -- positions ----------------------------------------------------------------------------------


def test_positions_read_in_order_header_changes_sections_about() -> None:
    (message,) = render(positions())
    kinds = [type(block).__name__ for block in message.blocks]
    assert kinds == [
        "HeaderBlock",
        "SectionBlock",
        "DividerBlock",
        "SectionBlock",
        "DividerBlock",
        "SectionBlock",
        "DividerBlock",
        "SectionBlock",
    ]
    texts = sections([message])
    assert headers([message]) == ["Positions of Russia"]
    assert texts[1].startswith("*What changed*\n• *Ceasefire*: supports on <!date^")
    assert texts[2].startswith("*Ceasefire*\n• Dmitry Peskov")
    assert texts[3].startswith("*About Russia, by others*\n• Volodymyr Zelensky")


def test_positions_header_names_the_window_and_the_near_miss_in_slack_dates() -> None:
    header = sections(render(positions()))[0]
    assert date_token(WEEK_AGO, "2026-11-13 09:00 UTC") in header
    assert "(read 'rusia' as Russia)" in header


def test_a_statement_reads_with_stance_speaker_claim_sources_and_time() -> None:
    section = sections(render(positions(1)))[2]
    assert section == (
        "*Ceasefire*\n"
        "• Dmitry Peskov (Kremlin spokesman of Russia) *rejects*: “statement number 0 on the "
        f"ceasefire”\n{date_token(NOW, '2026-11-20 09:00 UTC')} · "
        "<https://news.example/0|World Wire> · <https://news.example/1|Daily Courier>"
    )


def test_sixty_positions_keep_every_claim_in_order() -> None:
    messages = render(positions(60))
    assert len(messages) > 1
    text = mrkdwn(messages)
    assert in_order(text, [f"“statement number {i} on the ceasefire”" for i in range(60)])
    assert "more were stored" in text  # the view says the lookup held more
    # a message that continues a topic says so, and each says which part it is
    assert all(
        message.blocks[0].to_dict()["text"]["text"] == "*Ceasefire* (continued)"
        for message in messages[1:]
    )
    total = len(messages)
    assert [m.text.rsplit(" ", 1)[-1] for m in messages] == [
        f"({n}/{total})" for n in range(1, total + 1)
    ]
    assert all(m.text.startswith("Positions of Russia since 2026-11-13") for m in messages)


def test_an_empty_positions_answer_says_so() -> None:
    (message,) = render(positions(0))
    assert len(message.blocks) == 2
    assert "No positions of Russia are stored" in mrkdwn([message])
    assert message.text.startswith("No positions of Russia since 2026-11-13 09:00 UTC")


def test_many_sources_of_a_statement_are_counted() -> None:
    many = dataclasses.replace(
        positions(1),
        sections=(),
        about=(
            dataclasses.replace(
                positions(1).about[0], sources=tuple(source(f"Outlet {i}", i) for i in range(7))
            ),
        ),
    )
    assert "<https://news.example/1|Outlet 1> · and 5 more" in mrkdwn(render(many))


# -- digests and stories ------------------------------------------------------------------------


def test_a_story_with_thirty_sources_lists_all_of_them_in_order() -> None:
    messages = render(story(sources=30))
    listed = contexts(messages)
    assert "*Sources (30):*" in listed
    assert in_order(
        "\n".join(listed), [f"<https://news.example/{i}|Outlet {i}>" for i in range(30)]
    )
    assert limit_problems(messages) == []


def test_a_digest_story_counts_the_sources_it_does_not_list() -> None:
    view = digest(1)
    many = dataclasses.replace(
        view,
        sections=(dataclasses.replace(view.sections[0], stories=(story(sources=30),)),),
    )
    listed = "\n".join(contexts(render(many)))
    assert "… and 25 more sources" in listed
    assert "<https://news.example/4|Outlet 4>" in listed
    assert "|Outlet 5>" not in listed


def test_a_five_thousand_character_summary_is_cut_with_an_ellipsis() -> None:
    messages = render(story("y" * 5000, sources=30))
    assert limit_problems(messages) == []
    (summary,) = [text for text in sections(messages) if "yyyy" in text]
    assert summary.endswith("…")
    assert summary.count("y") > 2500  # cut near the limit, not to a stub


def test_a_long_digest_continues_over_messages_with_every_story_in_order() -> None:
    messages = render(digest(12, summary="word " * 1000))
    assert len(messages) > 1
    assert limit_problems(messages) == []
    stories = [text for text in sections(messages) if "|Ceasefire talks resume" in text]
    assert len(stories) == 12
    for text in stories:
        assert text.startswith("*<https://news.example/0|Ceasefire talks resume in Ankara>*\n")
        assert text.endswith("word…")  # cut at a word
        assert len(text) < 1100
    assert headers(messages) == ["News digest"]
    last = sections(messages[-1:])
    assert last[-2].startswith("*Positions of the day*")
    assert last[-1].startswith("*\u26a0\ufe0f Feeds that may be missing news*")


def test_a_digest_story_keeps_its_key_positions_in_its_message() -> None:
    for message in render(digest(12, summary="x" * 5000)):
        kinds = [type(block).__name__ for block in message.blocks]
        first = sections([message])[0]
        assert not first.startswith("*Key positions*")
        assert "(continued)" not in first
        assert kinds[-1] == "SectionBlock"


def test_the_digest_header_names_window_and_filters() -> None:
    messages = render(digest())
    header = sections(messages)[0]
    assert "For actors: Russia" in header
    assert "2 stories." in header
    assert messages[0].text == "News digest since 2026-11-19 09:00 UTC: 2 stories"


def test_an_empty_digest_says_nothing_new() -> None:
    (message,) = render(digest(0))
    header = sections([message])[0]
    assert "Nothing new since <!date^" in header
    assert "that matches." in header
    assert "nothing new" in message.text
    # feed trouble is still reported: silence from a failing feed is not "no news"
    notices = sections([message])[-1]
    assert "its last poll failed" in notices
    assert "<https://slow.example/feed|Slow Wire>" in notices


# -- search, errors, notices, lists, alerts -----------------------------------------------------


def test_search_shows_articles_and_statements() -> None:
    texts = sections(render(SAMPLES[SearchView][0]))
    assert texts[1].startswith("*Articles*\n• *<https://news.example/0|EU agrees new sanctions>*")
    assert texts[2].startswith("*Statements*")
    empty = render(SearchView(query="nothing", since=WEEK_AGO))
    assert "holds every word of that" in mrkdwn(empty)
    assert headers(empty) == ["Search: nothing"]


def test_an_error_is_one_short_section_with_suggestions() -> None:
    messages = render(ErrorView(message="unknown actor 'rusa'", suggestions=("Russia", "Rwanda")))
    assert len(messages) == 1
    (block,) = messages[0].blocks
    assert isinstance(block, SectionBlock)
    text = block.to_dict()["text"]["text"]
    assert "unknown actor 'rusa'" in text
    assert "Did you mean: *Russia*, *Rwanda*?" in text
    assert len(text) < 200
    assert "Did you mean: Russia, Rwanda?" in messages[0].text
    hinted = render(SAMPLES[ErrorView][1])
    assert sections(hinted)[0].endswith("\ntry /actors")


def test_a_long_error_stays_one_section() -> None:
    view = ErrorView(message="m " * 5000, suggestions=tuple(f"s{i}" for i in range(40)), hint="h")
    messages = render(view)
    assert limit_problems(messages) == []
    assert len(messages) == 1
    assert len(messages[0].blocks) == 1
    assert "… and 30 more" in sections(messages)[0]
    assert len(messages[0].text) <= 300


@pytest.mark.parametrize(
    ("tone", "mark"), [("done", "\u2705 "), ("info", ""), ("warning", "\u26a0\ufe0f ")]
)
def test_a_notice_header_is_marked_by_its_tone(tone: str, mark: str) -> None:
    assert headers(render(dataclasses.replace(notice(), tone=tone))) == [
        f"{mark}Subscribed #general to a morning digest"
    ]


def test_a_notice_field_with_a_moment_uses_a_slack_date() -> None:
    (message,) = render(notice())
    fields = [b.to_dict() for b in message.blocks if "fields" in b.to_dict()]
    (texts,) = [[field["text"] for field in block["fields"]] for block in fields]
    assert texts == [
        "*Time*\n07:30 Europe/Berlin, weekdays",
        f"*Next digest*\n{date_token(NOW, '2026-11-20 09:00 UTC')}",
    ]


def test_a_notice_with_many_fields_keeps_them_all_ten_to_a_section() -> None:
    view = NoticeView(
        title="Settings",
        fields=tuple(FieldView(name=f"setting {i}", value=f"value {i}") for i in range(30)),
    )
    messages = render(view)
    assert limit_problems(messages) == []
    blocks = [b.to_dict() for m in messages for b in m.blocks if "fields" in b.to_dict()]
    assert [len(block["fields"]) for block in blocks] == [10, 10, 10]
    names = [field["text"].split("\n")[0] for block in blocks for field in block["fields"]]
    assert names == [f"*setting {i}*" for i in range(30)]


def test_a_long_title_is_cut_at_a_word_with_an_ellipsis() -> None:
    (title,) = headers(render(NoticeView(title="word " * 100)))
    assert len(title) <= 150
    assert title.endswith("word…")


def test_a_list_keeps_all_eighty_items_in_order() -> None:
    messages = render(listing(80))
    assert len(messages) > 1
    assert in_order(
        mrkdwn(messages),
        [f"• *<https://wire{i}.example/feed.xml|Wire {i}>* `{i}`" for i in range(80)],
    )
    assert headers(messages) == ["Feeds"] + ["Feeds (continued)"] * (len(messages) - 1)


def test_an_empty_list_says_what_that_means_and_a_footer_shows() -> None:
    assert sections(render(listing(0))) == ["No feeds yet: add one with /feeds add."]
    footed = render(dataclasses.replace(listing(1), footer="3 more not shown"))
    assert isinstance(footed[-1].blocks[-1], ContextBlock)
    assert contexts(footed) == ["3 more not shown"]


def test_a_slack_channel_entry_links_the_channel() -> None:
    view = ListView(
        title="Subscriptions",
        items=(
            ListItemView(title="Channel C0123ABC", channel_id="C0123ABC"),
            ListItemView(title="Channel 1234", channel_id="<!here>"),
        ),
    )
    text = mrkdwn(render(view))
    assert "• <#C0123ABC>" in text
    assert "<!here>" not in text
    assert "• *Channel 1234*" in text


def test_an_alert_names_the_change() -> None:
    messages = render(alert())
    assert headers(messages) == ["Russia changed its stance on Ceasefire"]
    text = mrkdwn(messages)
    assert "now *rejects*" in text
    assert "“foreign monitors are not needed in Ukraine”" in text
    assert messages[0].text == "Russia changed its stance on Ceasefire: now rejects"
    plain = SAMPLES[type(alert())][1]
    assert headers(render(plain)) == ["New statement by Russia"]


# -- awkward text and URLs ----------------------------------------------------------------------


def test_wide_characters_are_counted_as_slack_may_count_them() -> None:
    emoji = "\N{GRINNING FACE}" * 3000
    view = dataclasses.replace(story(emoji, sources=30), headline=emoji)
    assert limit_problems(render(view)) == []
    assert limit_problems(render(digest(12, summary=emoji))) == []


def test_only_http_urls_become_links_and_they_cannot_break_out() -> None:
    view = ListView(
        title="Feeds",
        items=(
            ListItemView(title="Evil", url="javascript:alert(1)"),
            ListItemView(title="Odd", url="https://odd.example/a b|c<d>?x=1&y=2"),
        ),
    )
    text = mrkdwn(render(view))
    assert "|Evil>" not in text
    assert "javascript:alert(1)" in text  # shown as text, not lost
    assert "<https://odd.example/a%20b%7Cc%3Cd%3E?x=1&amp;y=2|Odd>" in text
    unsafe = dataclasses.replace(story(), sources=(dataclasses.replace(source(), url="ftp://x"),))
    assert "ftp://x" not in mrkdwn(render(unsafe))


def test_an_empty_notice_still_renders_valid_blocks() -> None:
    messages = render(NoticeView(title="  ", lines=("  ",), fields=()))
    assert limit_problems(messages) == []
    assert render(ListView(title="", empty_text="")) != []
    assert limit_problems(render(ListView(title="", empty_text=""))) == []


def test_plain_text_headers_do_not_turn_feed_text_into_emoji() -> None:
    (message,) = render(story())
    header = message.blocks[0]
    assert isinstance(header, HeaderBlock)
    assert isinstance(header.text, PlainTextObject)
    assert header.text.emoji is False


def test_rendering_is_deterministic() -> None:
    for views in SAMPLES.values():
        for view in views:
            first = [message_payload(m) for m in render(view)]
            assert first == [message_payload(m) for m in render(view)]
