"""The Discord renderer: every platform-neutral view as messages of ``discord.Embed``.

:func:`render` is total over :data:`~bot.views.View` and returns the messages to send, in
reading order. Every embed and message stays within Discord's limits (see
``PLATFORM-LIMITS.md``): a long answer continues in further embeds (titled "... (continued)")
and further messages, and text is only cut where an ellipsis or an "and N more" says so.

Text from a view is data (feed titles, summaries, claims, names): Markdown in it is escaped and
mentions are neutralised, so it can neither format, nor link, nor ping. Only http(s) URLs
become links. Lengths are measured in UTF-16 code units, which is never less than what
discord.py's ``len(embed)`` counts, so the limits hold however Discord counts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import assert_never
from urllib.parse import quote, urlsplit

import discord
from discord.utils import escape_markdown, escape_mentions, format_dt

from bot.views._types import (
    AlertView,
    ArticleHitView,
    DigestView,
    ErrorView,
    FeedNoticeView,
    FieldView,
    ListItemView,
    ListView,
    NoticeView,
    PositionItemView,
    PositionsView,
    SearchView,
    SourceView,
    StanceChangeView,
    StoryView,
    View,
)
from bot.views.wording import (
    STANCE_VERBS,
    TROUBLE_WORDS,
    alert_more,
    alert_title,
    filters_in_words,
    speaker_label,
)

__all__ = [
    "AUTHOR_NAME_LIMIT",
    "CONTENT_LIMIT",
    "DESCRIPTION_LIMIT",
    "EMBEDS_PER_MESSAGE",
    "EMBED_TOTAL_LIMIT",
    "FIELD_COUNT_LIMIT",
    "FIELD_NAME_LIMIT",
    "FIELD_VALUE_LIMIT",
    "FOOTER_LIMIT",
    "TITLE_LIMIT",
    "DiscordMessage",
    "render",
]

# -- Discord's limits (discord-api-docs, "Embed Limits" and "Create Message") --------------------

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
#: Title, description, field names and values, footer text and author name of all embeds of one
#: message together.
EMBED_TOTAL_LIMIT = 6000

# -- our own budgets: how much of a piece of data one line shows ---------------------------------

#: A statement's claim in a list of statements (an embed's description).
CLAIM_LIMIT = 1000
#: A claim inside a field (a story's key positions), which holds 1024 in all.
FIELD_CLAIM_LIMIT = 300
#: A name inside a line: a speaker, an outlet, a topic, an actor, a list entry's title.
NAME_LIMIT = 150
#: Actors a story mentions, joined.
ACTORS_LIMIT = 300
#: A story's summary inside a digest (a story on its own shows as much as its embed holds).
DIGEST_SUMMARY_LIMIT = 1000
#: A search hit's summary, a list entry's detail, a feed's error, a field's value in a line.
SHORT_TEXT_LIMIT = 300
#: An error's message, and its hint.
ERROR_TEXT_LIMIT = 1500
#: Sources linked after a statement, a digest story's sources, its key statements, suggestions.
LINE_SOURCES_SHOWN = 2
DIGEST_SOURCES_SHOWN = 5
DIGEST_POSITIONS_SHOWN = 3
SUGGESTIONS_SHOWN = 10
#: Longer URLs are not linked (they would eat the text's room); the outlet's name stays.
LINK_URL_LIMIT = 400
#: Room an alert keeps in its description for its "and N more" line.
ALERT_MORE_ROOM = 200
#: A part of a long card only starts in a message with at least this much room left.
MIN_PART_ROOM = 1000

ELLIPSIS = "…"
CONTINUED = " (continued)"
_LINK_SCHEMES = frozenset({"http", "https"})
#: RFC 3986 reserved characters and "%": kept; anything else (spaces, brackets, quotes, "<>",
#: backslashes, non-ASCII) is percent-encoded, so a URL cannot end a Markdown link early.
_URL_SAFE = "/:?#[]@!$&'*+,;=%~"

# -- colours by kind ------------------------------------------------------------------------------

ERROR_COLOUR = discord.Colour.red()
DONE_COLOUR = discord.Colour.green()
INFO_COLOUR = discord.Colour.blurple()
WARNING_COLOUR = discord.Colour.orange()
POSITIONS_COLOUR = discord.Colour.teal()
DIGEST_COLOUR = discord.Colour.gold()
ALERT_COLOUR = discord.Colour.magenta()
SEARCH_COLOUR = discord.Colour.dark_teal()
LIST_COLOUR = discord.Colour.greyple()
TONE_COLOURS = {"done": DONE_COLOUR, "info": INFO_COLOUR, "warning": WARNING_COLOUR}


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscordMessage:
    """One message to send: its text and its embeds (at most 10, 6000 characters together)."""

    content: str | None = None
    embeds: tuple[discord.Embed, ...] = ()


def render(view: View) -> list[DiscordMessage]:
    """The messages that show ``view`` on Discord, in reading order; never empty."""
    packer = _Packer()
    for card in _cards(view):
        packer.add(card)
    return packer.messages()


# -- cards: what one view shows, before it is cut to Discord's sizes ------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    """An embed field, already escaped and within the field limits."""

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _Card:
    """One titled block: an embed, or several if it is long.

    ``title`` is raw text (escaped when built); ``units`` are description blocks in Markdown,
    never split between embeds; ``fields`` follow the description.
    """

    title: str
    colour: discord.Colour
    units: tuple[str, ...] = ()
    fields: tuple[_Field, ...] = ()
    url: str | None = None
    timestamp: dt.datetime | None = None


def _cards(view: View) -> list[_Card]:
    cards: list[_Card]
    if isinstance(view, PositionsView):
        cards = _positions(view)
    elif isinstance(view, DigestView):
        cards = _digest(view)
    elif isinstance(view, StoryView):
        cards = [_story(view)]
    elif isinstance(view, SearchView):
        cards = _search(view)
    elif isinstance(view, ErrorView):
        cards = [_error(view)]
    elif isinstance(view, NoticeView):
        cards = [_notice(view)]
    elif isinstance(view, ListView):
        cards = [_list(view)]
    elif isinstance(view, AlertView):
        cards = [_alert(view)]
    else:
        assert_never(view)
    return cards


# -- positions ------------------------------------------------------------------------------------


def _positions(view: PositionsView) -> list[_Card]:
    cards = [_positions_header(view)]
    if view.changes:
        units = tuple(_change(change) for change in view.changes)
        cards.append(_Card(title="What changed", colour=POSITIONS_COLOUR, units=units))
    for section in view.sections:
        cards.append(
            _Card(
                title=section.topic or "Other topics",
                colour=POSITIONS_COLOUR,
                units=tuple(_statement(item, by_actor=False) for item in section.items),
            )
        )
    if view.about:
        cards.append(
            _Card(
                title=f"About {view.actor}, by others",
                colour=POSITIONS_COLOUR,
                units=tuple(_statement(item, by_actor=True) for item in view.about),
            )
        )
    return cards


def _positions_header(view: PositionsView) -> _Card:
    about_topic = f" on {view.topic}" if view.topic else ""
    whose = _text(f"{view.actor}{about_topic}", NAME_LIMIT)
    lines = [f"Since {_moment(view.since)}"]
    if view.approximate or view.resolved_from.casefold() != view.actor.casefold():
        lines.append(_text(f"(read {view.resolved_from!r} as {view.actor})", NAME_LIMIT))
    if view.empty:
        lines.append(f"No positions of {whose} are stored since then, and none by others about it.")
    elif not view.sections:
        lines.append(f"No positions of {whose} are stored since then.")
    if view.truncated:
        lines.append("(more were stored: narrow with a topic or a shorter window)")
    return _Card(
        title=f"Positions of {view.actor}{about_topic}",
        colour=POSITIONS_COLOUR,
        units=("\n".join(lines),),
        timestamp=view.until,
    )


def _change(change: StanceChangeView) -> str:
    before = _text(STANCE_VERBS.get(change.before, change.before), NAME_LIMIT)
    now = _text(STANCE_VERBS.get(change.now, change.now), NAME_LIMIT)
    return (
        f"• **{_text(change.topic, NAME_LIMIT)}**: {before} on {format_dt(change.before_at, 'd')}"
        f", now **{now}** ({format_dt(change.now_at, 'd')}): {_quoted(change.claim, CLAIM_LIMIT)}"
    )


def _statement(
    item: PositionItemView,
    *,
    by_actor: bool,
    claim_limit: int = CLAIM_LIMIT,
    sources_shown: int = LINE_SOURCES_SHOWN,
) -> str:
    """A statement in two lines: who takes which stance on what; when, and who reported it."""
    verb = _text(STANCE_VERBS.get(item.stance, item.stance), NAME_LIMIT)
    target = (
        f" (at {_text(item.target, NAME_LIMIT)})"
        if item.target and item.target != item.actor
        else ""
    )
    topic = f" {_text(f'[{item.topic}]', NAME_LIMIT)}" if by_actor and item.topic else ""
    who = _text(speaker_label(item, by_actor=by_actor), NAME_LIMIT)
    head = f"• {who} **{verb}**{target}{topic}: {_quoted(item.claim, claim_limit)}"
    return (
        f"{head}\n{format_dt(item.stated_at, 'R')} · {_source_links(item.sources, sources_shown)}"
    )


def _quoted(claim: str, limit: int) -> str:
    return f"“{_text(claim, limit)}”"


# -- digests and stories --------------------------------------------------------------------------


def _digest(view: DigestView) -> list[_Card]:
    cards = [_digest_header(view)]
    if not view.empty:
        cards.extend(
            _digest_story(story, section.topic)
            for section in view.sections
            for story in section.stories
        )
    if view.positions_of_the_day:
        units = tuple(_statement(item, by_actor=True) for item in view.positions_of_the_day)
        cards.append(_Card(title="Positions of the day", colour=DIGEST_COLOUR, units=units))
    if view.feed_notices:
        units = tuple(_feed_notice(notice) for notice in view.feed_notices)
        cards.append(
            _Card(title="Feeds that may be missing news", colour=WARNING_COLOUR, units=units)
        )
    return cards


def _digest_header(view: DigestView) -> _Card:
    lines = [f"Since {_moment(view.since)}"]
    wanted = filters_in_words(view)
    if wanted:
        lines.append(_text(f"For {wanted}", DESCRIPTION_LIMIT // 2))
    shown = view.story_count
    if view.empty:
        matches = " that matches." if wanted else "."
        lines.append(f"Nothing new since {format_dt(view.since, 'f')}{matches}")
    elif view.matching_stories > shown:
        lines.append(f"The best {shown} of {view.matching_stories} stories.")
    else:
        lines.append(_count(shown, "story", "stories") + ".")
    return _Card(
        title="News digest", colour=DIGEST_COLOUR, units=("\n".join(lines),), timestamp=view.until
    )


def _digest_story(story: StoryView, topic: str | None) -> _Card:
    meta = (
        f"**{_text(topic or 'Other news', NAME_LIMIT)}** · "
        f"{_count(story.independent_sources, 'outlet', 'outlets')} · "
        f"updated {format_dt(story.updated_at, 'R')}"
    )
    summary = (_text(story.summary, DIGEST_SUMMARY_LIMIT),) if story.summary.strip() else ()
    sources = _capped(
        [_source_entry(source) for source in story.sources], DIGEST_SOURCES_SHOWN, "sources"
    )
    positions = _capped(
        [_field_statement(item) for item in story.positions], DIGEST_POSITIONS_SHOWN, "statements"
    )
    return _Card(
        title=story.headline,
        colour=DIGEST_COLOUR,
        url=_first_url(story.sources),
        units=(meta, *summary),
        fields=(
            *_fields(f"Sources ({len(story.sources)})", sources),
            *_fields("Key positions", positions),
        ),
    )


def _story(view: StoryView) -> _Card:
    actors = f" · {_text(', '.join(view.actors), ACTORS_LIMIT)}" if view.actors else ""
    meta = (
        f"**{_text(view.topic or 'Other news', NAME_LIMIT)}**{actors} · "
        f"{_count(view.independent_sources, 'outlet', 'outlets')} · "
        f"last report {format_dt(view.updated_at, 'R')}"
    )
    room = DESCRIPTION_LIMIT - _width(meta) - 1
    summary = (_text(view.summary, room),) if view.summary.strip() else ()
    return _Card(
        title=view.headline,
        colour=DIGEST_COLOUR,
        url=_first_url(view.sources),
        timestamp=view.updated_at,
        units=(meta, *summary),
        fields=(
            *_fields(
                f"Sources ({len(view.sources)})",
                [_source_entry(source) for source in view.sources],
            ),
            *_fields("Key positions", [_field_statement(item) for item in view.positions]),
        ),
    )


def _field_statement(item: PositionItemView) -> str:
    return _statement(item, by_actor=True, claim_limit=FIELD_CLAIM_LIMIT, sources_shown=1)


def _feed_notice(notice: FeedNoticeView) -> str:
    since = (
        f", last success {format_dt(notice.last_success_at, 'R')}"
        if notice.last_success_at
        else ", never polled successfully"
    )
    error = f": {_text(notice.error, SHORT_TEXT_LIMIT)}" if notice.error else ""
    trouble = _text(TROUBLE_WORDS.get(notice.trouble, notice.trouble), NAME_LIMIT)
    outlet = _link(_text(notice.outlet, NAME_LIMIT) or "feed", notice.url)
    return f"• **{outlet}**: {trouble}{since}{error}"


# -- search ---------------------------------------------------------------------------------------


def _search(view: SearchView) -> list[_Card]:
    lines = [f"Since {_moment(view.since)}"]
    if view.empty:
        lines.append(f"Nothing stored since {format_dt(view.since, 'f')} holds every word of that.")
    cards = [_Card(title=f"Search: {view.query}", colour=SEARCH_COLOUR, units=("\n".join(lines),))]
    if view.articles:
        units = tuple(_article(hit) for hit in view.articles)
        cards.append(_Card(title="Articles", colour=SEARCH_COLOUR, units=units))
    if view.positions:
        units = tuple(_statement(item, by_actor=True) for item in view.positions)
        cards.append(_Card(title="Statements", colour=SEARCH_COLOUR, units=units))
    return cards


def _article(hit: ArticleHitView) -> str:
    lines = [f"• **{_link(_text(hit.title, NAME_LIMIT) or 'untitled', hit.source.url)}**"]
    if hit.summary and hit.summary.strip():
        lines.append(_text(hit.summary, SHORT_TEXT_LIMIT))
    lines.append(
        _source_entry(SourceView(outlet=hit.source.outlet, published=hit.source.published))
    )
    return "\n".join(lines)


# -- errors, notices, lists, alerts ---------------------------------------------------------------


def _error(view: ErrorView) -> _Card:
    lines = [_text(view.message, ERROR_TEXT_LIMIT) or "Something went wrong."]
    if view.suggestions:
        named = [f"**{_text(name, NAME_LIMIT)}**" for name in view.suggestions]
        lines.append("Did you mean: " + ", ".join(_capped(named, SUGGESTIONS_SHOWN, "")) + "?")
    if view.hint:
        lines.append(_text(view.hint, ERROR_TEXT_LIMIT))
    return _Card(title="", colour=ERROR_COLOUR, units=("\n".join(lines),))


def _notice(view: NoticeView) -> _Card:
    return _Card(
        title=view.title,
        colour=TONE_COLOURS.get(view.tone, INFO_COLOUR),
        units=tuple(_text(line, DESCRIPTION_LIMIT) for line in view.lines if line.strip()),
        fields=tuple(
            _Field(
                _text(field.name, FIELD_NAME_LIMIT) or "—",
                _field_value(field, FIELD_VALUE_LIMIT),
                inline=True,
            )
            for field in view.fields
        ),
    )


def _field_value(field: FieldView, limit: int) -> str:
    if field.when is not None:
        return f"{format_dt(field.when, 'R')} ({format_dt(field.when, 'f')})"
    return _text(field.value, limit) or "—"


def _list(view: ListView) -> _Card:
    units = tuple(_list_item(item) for item in view.items) or (_text(view.empty_text, NAME_LIMIT),)
    footer = (f"*{_text(view.footer, DESCRIPTION_LIMIT // 2)}*",) if view.footer else ()
    return _Card(title=view.title, colour=LIST_COLOUR, units=(*units, *footer))


def _list_item(item: ListItemView) -> str:
    title = _text(item.title, NAME_LIMIT) or "untitled"
    head = f"• **{_link(title, item.url)}**"
    if item.channel_id is not None and item.channel_id.isdigit():
        head = f"• <#{item.channel_id}>"  # Discord shows the channel's name, linked
    if item.key and item.key != item.title:
        head += f" {_code(item.key)}"
    if item.detail:
        head += f" — {_text(item.detail, SHORT_TEXT_LIMIT)}"
    lines = [head]
    if item.url and _safe_url(item.url) is None:
        lines.append(_text(item.url, SHORT_TEXT_LIMIT))
    if item.fields:
        lines.append(
            " · ".join(
                f"{_text(field.name, NAME_LIMIT)}: {_field_value(field, SHORT_TEXT_LIMIT)}"
                for field in item.fields
            )
        )
    return "\n".join(lines)


def _code(text: str) -> str:
    """A key in backticks, as a user types it; escaped text if it holds a backtick itself."""
    flat = " ".join(text.split())
    if "`" in flat:
        return _text(flat, NAME_LIMIT)
    return f"`{_cut(flat, NAME_LIMIT)}`"


def _alert(view: AlertView) -> _Card:
    """One embed: the change, the first statement, then as many of the others (shorter) as
    keep the description within its limit; the rest counted, so an alert is one message."""
    units = [] if view.change is None else [_change(view.change)]
    units.append(_statement(view.item, by_actor=True))
    used = sum(_width(unit) + 1 for unit in units)
    hidden = view.more
    for other in view.others:
        unit = _statement(other, by_actor=True, claim_limit=FIELD_CLAIM_LIMIT, sources_shown=1)
        if used + _width(unit) + 1 > DESCRIPTION_LIMIT - ALERT_MORE_ROOM:
            hidden += 1
            continue
        units.append(unit)
        used += _width(unit) + 1
    more = alert_more(dataclasses.replace(view, more=hidden))
    if more is not None:
        units.append(f"*{_text(more, NAME_LIMIT)}*")
    return _Card(
        title=alert_title(view),
        colour=ALERT_COLOUR,
        units=tuple(units),
        url=_first_url(view.item.sources),
        timestamp=view.item.stated_at,
    )


# -- sources and links ----------------------------------------------------------------------------


def _source_links(sources: Sequence[SourceView], shown: int) -> str:
    if not sources:
        return "no source given"
    links = [_link(_text(source.outlet, NAME_LIMIT) or "source", source.url) for source in sources]
    hidden = len(links) - shown
    return " · ".join(links[:shown]) + (f" · and {hidden} more" if hidden > 0 else "")


def _source_entry(source: SourceView) -> str:
    named = _link(_text(source.outlet, NAME_LIMIT) or "source", source.url)
    return f"{named} {format_dt(source.published, 'R')}" if source.published else named


def _first_url(sources: Iterable[SourceView]) -> str | None:
    return next((url for s in sources if (url := _safe_url(s.url)) is not None), None)


def _link(label: str, url: str | None) -> str:
    """``[label](<url>)`` for a safe http(s) URL, else the label; ``label`` is escaped."""
    safe = _safe_url(url)
    return f"[{label}](<{safe}>)" if safe else label


def _safe_url(url: str | None) -> str | None:
    """``url`` percent-encoded so it cannot break a link, if it is a short http(s) URL."""
    if not url:
        return None
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in _LINK_SCHEMES or not parts.hostname:
        return None
    safe = quote(candidate, safe=_URL_SAFE)
    return safe if len(safe) <= LINK_URL_LIMIT else None


def _capped(units: Sequence[str], shown: int, noun: str) -> list[str]:
    """The first ``shown`` units, and a marked count of the rest."""
    hidden = len(units) - shown
    if hidden <= 0:
        return list(units)
    return [*units[:shown], f"… and {hidden} more {noun}".rstrip()]


def _fields(name: str, units: Sequence[str]) -> list[_Field]:
    """``units`` packed into as many fields as they need, the later ones "(continued)"."""
    values = _chunks(units, FIELD_VALUE_LIMIT)
    return [
        _Field(_text(name, FIELD_NAME_LIMIT) if i == 0 else _continued(name), value)
        for i, value in enumerate(values)
    ]


def _chunks(units: Sequence[str], limit: int) -> list[str]:
    """Units joined by line breaks into texts of at most ``limit``; a longer unit is cut."""
    chunks: list[str] = []
    lines: list[str] = []
    size = 0
    for unit in (_cut(unit, limit) for unit in units):
        width = _width(unit)
        if lines and size + 1 + width > limit:
            chunks.append("\n".join(lines))
            lines, size = [], 0
        size += width + (1 if lines else 0)
        lines.append(unit)
    if lines:
        chunks.append("\n".join(lines))
    return chunks


# -- text -----------------------------------------------------------------------------------------

#: A "<" that could open a Discord construct: a mention, a channel, an emoji, a timestamp...
_ANGLE_OPENER = re.compile(r"<(?=\S)")
#: "[" or "]" after an even number of backslashes: not yet escaped.
_BARE_BRACKET = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]])")
#: "1. " at the start: an ordered list.
_ORDERED_LIST = re.compile(r"^(\d+)\.(?=\s)")
_ZWSP = "\u200b"


def _escape(text: str) -> str:
    """Data made inert: Markdown escaped (including every link bracket), mentions broken."""
    escaped = escape_markdown(" ".join(text.split()))
    escaped = _BARE_BRACKET.sub(r"\1\\\2", escaped)
    escaped = _ORDERED_LIST.sub(r"\1\\.", escaped)
    escaped = escape_mentions(escaped)
    return _ANGLE_OPENER.sub("<" + _ZWSP, escaped)


def _text(raw: str, limit: int) -> str:
    """``raw`` on one line, escaped, cut at a word with an ellipsis to at most ``limit``."""
    budget = limit
    while budget > 1:
        escaped = _escape(_cut(raw, budget))
        width = _width(escaped)
        if width <= limit:
            return escaped
        # escaping made it longer: try a shorter cut, in proportion to the overflow
        budget = min(budget - 1, budget * limit // width)
    return ELLIPSIS


def _cut(text: str, limit: int) -> str:
    """``text`` if it fits ``limit``, else its start up to a word break and an ellipsis."""
    if _width(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    head = text[:room]
    while (excess := _width(head) - room) > 0:  # a code point is one or two UTF-16 units
        head = head[: len(head) - max(1, excess // 2)]
    space = head.rfind(" ")
    if space >= room // 2:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def _width(text: str) -> int:
    """Length in UTF-16 code units: what Discord counts at most."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _continued(title: str) -> str:
    return _text(title, TITLE_LIMIT - len(CONTINUED)) + CONTINUED


def _moment(when: dt.datetime) -> str:
    return f"{format_dt(when, 'f')} ({format_dt(when, 'R')})"


def _count(count: int, one: str, many: str) -> str:
    return f"1 {one}" if count == 1 else f"{count} {many}"


# -- packing: cards into embeds, embeds into messages ---------------------------------------------


class _Packer:
    """Fills messages in order: a card that fits one embed stays whole (in a new message if the
    current one is full); a longer card is spread over embeds that fill each message."""

    def __init__(self) -> None:
        self._done: list[tuple[discord.Embed, ...]] = []
        self._current: list[discord.Embed] = []
        self._used = 0

    def add(self, card: _Card) -> None:
        whole = _whole_embed(card)
        if whole is not None:
            self._put(whole)
        else:
            self._spread(card)

    def messages(self) -> list[DiscordMessage]:
        self._next_message()
        return [DiscordMessage(embeds=embeds) for embeds in self._done]

    def _room(self) -> int:
        if len(self._current) >= EMBEDS_PER_MESSAGE:
            return 0
        return EMBED_TOTAL_LIMIT - self._used

    def _next_message(self) -> None:
        if self._current:
            self._done.append(tuple(self._current))
        self._current, self._used = [], 0

    def _put(self, embed: discord.Embed) -> None:
        if _embed_width(embed) > self._room():
            self._next_message()
        self._current.append(embed)
        self._used += _embed_width(embed)

    def _spread(self, card: _Card) -> None:
        units = deque(_cut(unit, DESCRIPTION_LIMIT) for unit in card.units)
        fields = deque(card.fields)
        part = 0
        while part == 0 or units or fields:
            if self._room() < MIN_PART_ROOM:
                self._next_message()
            embed = _part(card, part, units, fields, self._room())
            if embed is None:
                if not self._current:  # cannot happen: any one unit or field fits a message
                    raise AssertionError("a unit or field larger than a message")
                self._next_message()
                continue
            self._put(embed)
            part += 1


def _whole_embed(card: _Card) -> discord.Embed | None:
    """The card as one embed, if it fits one."""
    description = "\n".join(card.units)
    if _width(description) > DESCRIPTION_LIMIT or len(card.fields) > FIELD_COUNT_LIMIT:
        return None
    embed = _embed(card, part=0)
    # Discord refuses an empty embed
    embed.description = description or (None if embed.title or card.fields else ELLIPSIS)
    for field in card.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    return embed if _embed_width(embed) <= EMBED_TOTAL_LIMIT else None


def _part(
    card: _Card, part: int, units: deque[str], fields: deque[_Field], room: int
) -> discord.Embed | None:
    """The next embed of a long card, taking what fits ``room`` off ``units`` then ``fields``;
    None if nothing fits."""
    embed = _embed(card, part=part)
    limit = min(DESCRIPTION_LIMIT, room - _embed_width(embed))
    lines: list[str] = []
    size = 0
    while units and size + (1 if lines else 0) + _width(units[0]) <= limit:
        size += (1 if lines else 0) + _width(units[0])
        lines.append(units.popleft())
    embed.description = "\n".join(lines) or None
    while not units and fields and len(embed.fields) < FIELD_COUNT_LIMIT:
        field = fields[0]
        if _embed_width(embed) + _width(field.name) + _width(field.value) > room:
            break
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
        fields.popleft()
    if not lines and not embed.fields and (units or fields):
        return None
    return embed


def _embed(card: _Card, *, part: int) -> discord.Embed:
    """An empty embed of the card: the first part with its title, link and moment."""
    if part == 0:
        return discord.Embed(
            title=_text(card.title, TITLE_LIMIT) or None,
            url=_safe_url(card.url) if card.title else None,
            colour=card.colour,
            timestamp=card.timestamp,
        )
    return discord.Embed(title=_continued(card.title).strip(), colour=card.colour)


def _embed_width(embed: discord.Embed) -> int:
    """What Discord counts of an embed toward the 6000 of a message (in UTF-16 units)."""
    texts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    texts.append(embed.author.name or "")
    for field in embed.fields:
        texts.extend((field.name or "", field.value or ""))
    return sum(_width(text) for text in texts)
