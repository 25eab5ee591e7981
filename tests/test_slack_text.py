"""Slack slash-command text parsed into the declared parameters, with usage on bad input."""

from __future__ import annotations

import pytest

from bot.commands import COMMANDS, CommandError, find_command
from bot.slack._text import parse_text, split_group


def parse(name: str, text: str) -> dict[str, str | bool]:
    command, rest = split_group(COMMANDS, name, text)
    return {"command": command.name, **parse_text(command, rest)}


def refusal(name: str, text: str) -> str:
    with pytest.raises(CommandError) as caught:
        parse(name, text)
    view = caught.value.view
    return f"{view.message} | {view.hint}"


def test_free_words_are_the_first_parameter_and_named_ones_the_rest() -> None:
    assert parse("positions", "vladimir putin since:30d post") == {
        "command": "positions",
        "actor": "vladimir putin",
        "since": "30d",
        "post": True,
    }
    assert parse("search", "grain deal topic") == {"command": "search", "query": "grain deal topic"}


def test_quoted_values_lists_and_equals_signs() -> None:
    parsed = parse(
        "subscribe", 'actors:russia,nato timezone=Europe/Berlin days:"every day" keywords:"-sport"'
    )
    assert parsed == {
        "command": "subscribe",
        "actors": "russia,nato",
        "timezone": "Europe/Berlin",
        "days": "every day",
        "keywords": "-sport",
    }


def test_a_yes_no_option_takes_yes_or_no() -> None:
    assert parse("digest", "post:no")["post"] is False
    assert "post: give yes or no" in refusal("digest", "post:maybe")


def test_a_group_takes_its_subcommand_first() -> None:
    assert parse("feeds", "add https://news.example/world.xml") == {
        "command": "feeds add",
        "url": "https://news.example/world.xml",
    }
    assert parse("feeds", "status") == {"command": "feeds status"}
    message = refusal("feeds", "")
    assert message.startswith("/feeds needs one of: add, remove, list, status")
    assert "/feeds add URL" in message


def test_an_unknown_option_says_what_the_command_takes() -> None:
    message = refusal("positions", "russia tpoic:ceasefire")
    assert message.startswith("/positions has no option 'tpoic' (it takes: actor, topic, since")
    assert message.endswith("/positions ACTOR [topic:ceasefire] [since:7d] [post]")


def test_words_with_nowhere_to_go_and_an_unbalanced_quote() -> None:
    assert "'extra words': not understood" in refusal("topics", "extra words")
    assert parse("positions", "cote d'ivoire")["actor"] == "cote d'ivoire"


def test_every_command_has_a_usage_line_that_names_its_parameters() -> None:
    for command in COMMANDS:
        line = command.usage()
        assert line.startswith(f"/{command.name}")
        assert all(param.name in line.lower() for param in command.params)
    subscribe = find_command("subscribe")
    assert subscribe is not None
    assert "[time:07:30]" in subscribe.usage()


def test_a_flag_word_counts_only_at_the_end() -> None:
    assert parse("search", "washington post editorial") == {
        "command": "search",
        "query": "washington post editorial",
    }
    assert parse("search", "grain post") == {"command": "search", "query": "grain", "post": True}


def test_slacks_escapes_links_and_typographic_quotes_are_undone() -> None:
    assert parse("feeds", "add <https://news.example/a?x=1&amp;y=2>")["url"] == (
        "https://news.example/a?x=1&y=2"
    )
    assert parse("search", "AT&amp;T &lt;merger&gt;")["query"] == "AT&T <merger>"
    assert parse("positions", "\u201cvladimir putin\u201d Since:30d") == {
        "command": "positions",
        "actor": "vladimir putin",
        "since": "30d",
    }
