"""The Slack renderer: every platform-neutral view as Block Kit messages.

:func:`render` is total over :data:`~bot.views.View` and returns the messages to send, in
reading order, each with its blocks and a short plain-text fallback (what notifications show).
Every block and message stays within Slack's limits (see ``PLATFORM-LIMITS.md``): a long answer
continues in further messages (its part's title repeated, "(continued)"), and text is only cut
where an ellipsis or an "and N more" says so. :func:`message_payload` gives the keyword
arguments of ``chat.postMessage`` (and of a ``response_url`` post) for one message.

Text from a view is data (feed titles, summaries, claims, names). In mrkdwn, ``&``, ``<`` and
``>`` become entities (Slack's rule: this also neutralises ``<!channel>``, ``<@U123>`` and
``<http://x|y>``); the formatting characters ``*``, ``_``, ``~`` and backticks are replaced by
look-alike characters where they could open or close formatting (inside a word they cannot and
stay as they are); every mrkdwn object is ``verbatim``, so Slack does not turn a URL, a channel
name or an ``@here`` in it into a link or a mention. Only http(s) URLs become links, built here
as ``<url|label>`` with the URL percent-encoded so it cannot end the link early. Headers are
plain_text, which Slack shows as it is: no entity there. Lengths are measured in UTF-16 code
units, never less than the code points slack_sdk and Slack count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, assert_never
from urllib.parse import quote, urlsplit

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

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
    "BLOCKS_PER_MESSAGE",
    "CONTEXT_ELEMENTS_LIMIT",
    "CONTEXT_TEXT_LIMIT",
    "FALLBACK_TEXT_LIMIT",
    "FIELD_TEXT_LIMIT",
    "HEADER_TEXT_LIMIT",
    "MESSAGE_TEXT_BUDGET",
    "SECTION_FIELDS_LIMIT",
    "SECTION_TEXT_LIMIT",
    "SlackMessage",
    "message_payload",
    "render",
]

# -- Slack's limits (Block Kit reference; slack_sdk.models.blocks) -------------------------------

BLOCKS_PER_MESSAGE = 50
SECTION_TEXT_LIMIT = 3000
SECTION_FIELDS_LIMIT = 10
FIELD_TEXT_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
CONTEXT_ELEMENTS_LIMIT = 10
CONTEXT_TEXT_LIMIT = 3000
#: The top-level ``text`` of a message with blocks (Slack advises at most 4000; we keep to less).
FALLBACK_TEXT_LIMIT = 3000
#: The text of all blocks of one message together. Slack refuses ``msg_blocks_too_long`` at an
#: undocumented cumulative size, seen at about 12,000-13,000 characters (slackapi/bolt-js#2509,
#: #2867); we stay well below it.
MESSAGE_TEXT_BUDGET = 8000

# -- our own budgets: how much of a piece of data one line shows ---------------------------------

#: A statement's claim in a list of statements.
CLAIM_LIMIT = 800
#: The text of an alert's statements together: well within one message.
ALERT_TEXT_BUDGET = 6000
#: A claim among a digest story's key positions.
STORY_CLAIM_LIMIT = 300
#: A name inside a line: a speaker, an outlet, a topic, an actor, a list entry's title.
NAME_LIMIT = 150
#: A story's headline where it is a line of mrkdwn (in a digest).
HEADLINE_LIMIT = 300
#: Actors a story mentions, joined.
ACTORS_LIMIT = 300
#: A story's summary inside a digest (a story on its own shows as much as its section holds).
DIGEST_SUMMARY_LIMIT = 1000
#: A search hit's summary, a list entry's detail, a feed's error, a field's value in a line.
SHORT_TEXT_LIMIT = 300
#: An error's message and its hint; one suggestion.
ERROR_TEXT_LIMIT = 1000
SUGGESTION_LIMIT = 80
#: A notice's field value (a field holds 2000 with its name).
FIELD_VALUE_LIMIT = 1000
#: A list's footer, a digest's filters.
NOTE_LIMIT = 1000
#: The fallback text: a line for a notification, not the answer.
FALLBACK_BUDGET = 300
#: Sources linked after a statement, a digest story's sources, its key statements, suggestions.
LINE_SOURCES_SHOWN = 2
DIGEST_SOURCES_SHOWN = 5
DIGEST_POSITIONS_SHOWN = 3
SUGGESTIONS_SHOWN = 10
#: Longer URLs are not linked (they would eat the text's room); the outlet's name stays.
LINK_URL_LIMIT = 400

ELLIPSIS = "…"
CONTINUED = " (continued)"
#: Leads a notice by its tone, an error, the feed notices (Block Kit has no colours).
TONE_MARKS = {"done": "\u2705 ", "info": "", "warning": "\u26a0\ufe0f "}
WARNING_MARK = "\u26a0\ufe0f "
ERROR_MARK = "\u274c "

_LINK_SCHEMES = frozenset({"http", "https"})
#: A Slack conversation id (public or private channel, group, DM): only those become "<#id>".
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,20}")
#: RFC 3986 reserved characters and "%": kept; anything else (spaces, "|", "<>", quotes,
#: backslashes, non-ASCII) is percent-encoded, so a URL cannot end a Slack link early.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackMessage:
    """One message to post: its fallback ``text`` (escaped mrkdwn, short) and its blocks."""

    text: str
    blocks: tuple[Block, ...]


def render(view: View) -> list[SlackMessage]:
    """The messages that show ``view`` on Slack, in reading order; never empty."""
    packer = _Packer()
    for card in _cards(view):
        packer.add(card)
    parts = packer.messages()
    summary = _fallback(view)
    if len(parts) == 1:
        return [SlackMessage(text=_text(summary, FALLBACK_BUDGET), blocks=parts[0])]
    total = len(parts)
    return [
        SlackMessage(
            text=_text(summary, FALLBACK_BUDGET - len(f" ({total}/{total})"))
            + f" ({number}/{total})",
            blocks=blocks,
        )
        for number, blocks in enumerate(parts, start=1)
    ]


def message_payload(message: SlackMessage) -> dict[str, Any]:
    """``{"text": ..., "blocks": [...]}`` for ``chat.postMessage`` and friends (the blocks as
    dicts; slack_sdk validates each and raises ``SlackObjectFormationError`` on a broken one)."""
    return {"text": message.text, "blocks": [block.to_dict() for block in message.blocks]}


# -- cards: what one view shows, before it is cut to Slack's sizes --------------------------------


class _Title(Enum):
    """How a card's title shows."""

    #: A header block (the view's own title).
    HEADER = "header"
    #: A divider, then the title in bold (a part of the view: a topic, "What changed").
    BOLD = "bold"
    #: A divider only; the title shows again only where the card continues in a new message.
    HIDDEN = "hidden"


#: A text unit (mrkdwn, escaped, one statement or entry; units are joined into sections) or
#: blocks that stay together in one message.
_Part = str | tuple[Block, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Card:
    """One titled part of a view; ``title`` is raw text (escaped when shown)."""

    title: str
    style: _Title = _Title.BOLD
    parts: tuple[_Part, ...] = ()


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


def _fallback(view: View) -> str:
    """What a notification says of ``view``: raw text, escaped when used."""
    summary: str
    if isinstance(view, PositionsView):
        summary = _positions_fallback(view)
    elif isinstance(view, DigestView):
        summary = _digest_fallback(view)
    elif isinstance(view, StoryView):
        summary = view.headline
    elif isinstance(view, SearchView):
        found = _count(len(view.articles), "article", "articles")
        said = _count(len(view.positions), "statement", "statements")
        summary = f"Search “{view.query}”: {found}, {said}"
    elif isinstance(view, ErrorView):
        shown = view.suggestions[:SUGGESTIONS_SHOWN]
        meant = f" Did you mean: {', '.join(shown)}?" if shown else ""
        summary = f"{view.message}{meant}"
    elif isinstance(view, NoticeView):
        summary = view.title
    elif isinstance(view, ListView):
        entries = _count(len(view.items), "entry", "entries")
        summary = f"{view.title}: {entries}" if view.items else f"{view.title}: {view.empty_text}"
    elif isinstance(view, AlertView):
        verb = STANCE_VERBS.get(view.item.stance, view.item.stance)
        if view.statements > 1:
            summary = alert_title(view)
        elif view.change is None:
            who = speaker_label(view.item, by_actor=True)
            summary = f"New statement by {view.actor}: {who} {verb}"
        else:
            summary = f"{view.actor} changed its stance on {view.change.topic}: now {verb}"
    else:
        assert_never(view)
    return summary.strip() or "newsdigest"


# -- positions ------------------------------------------------------------------------------------


def _positions(view: PositionsView) -> list[_Card]:
    cards = [_positions_header(view)]
    if view.changes:
        cards.append(
            _Card(title="What changed", parts=tuple(_change(change) for change in view.changes))
        )
    cards.extend(
        _Card(
            title=section.topic or "Other topics",
            parts=tuple(_statement(item, by_actor=False) for item in section.items),
        )
        for section in view.sections
    )
    if view.about:
        cards.append(
            _Card(
                title=f"About {view.actor}, by others",
                parts=tuple(_statement(item, by_actor=True) for item in view.about),
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
        lines.append("_(more were stored: narrow with a topic or a shorter window)_")
    return _Card(
        title=f"Positions of {view.actor}{about_topic}",
        style=_Title.HEADER,
        parts=("\n".join(lines),),
    )


def _positions_fallback(view: PositionsView) -> str:
    about_topic = f" on {view.topic}" if view.topic else ""
    since = _utc(view.since)
    if view.empty:
        return f"No positions of {view.actor}{about_topic} since {since}"
    stated = sum(len(section.items) for section in view.sections) + len(view.about)
    counted = _count(stated, "statement", "statements")
    return f"Positions of {view.actor}{about_topic} since {since}: {counted}"


def _change(change: StanceChangeView) -> str:
    before = _text(STANCE_VERBS.get(change.before, change.before), NAME_LIMIT)
    now = _text(STANCE_VERBS.get(change.now, change.now), NAME_LIMIT)
    return (
        f"• *{_text(change.topic, NAME_LIMIT)}*: {before} on {_day(change.before_at)}, "
        f"now *{now}* ({_day(change.now_at)}): {_quoted(change.claim, CLAIM_LIMIT)}"
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
    topic = f" [{_text(item.topic, NAME_LIMIT)}]" if by_actor and item.topic else ""
    who = _text(speaker_label(item, by_actor=by_actor), NAME_LIMIT)
    head = f"• {who} *{verb}*{target}{topic}: {_quoted(item.claim, claim_limit)}"
    return f"{head}\n{_moment(item.stated_at)} · {_source_links(item.sources, sources_shown)}"


def _quoted(claim: str, limit: int) -> str:
    return f"“{_text(claim, limit)}”"


# -- digests and stories --------------------------------------------------------------------------


def _digest(view: DigestView) -> list[_Card]:
    cards = [_digest_header(view)]
    cards.extend(
        _digest_story(story, section.topic)
        for section in view.sections
        for story in section.stories
    )
    if view.positions_of_the_day:
        cards.append(
            _Card(
                title="Positions of the day",
                parts=tuple(_statement(item, by_actor=True) for item in view.positions_of_the_day),
            )
        )
    if view.feed_notices:
        cards.append(
            _Card(
                title=WARNING_MARK + "Feeds that may be missing news",
                parts=tuple(_feed_notice(notice) for notice in view.feed_notices),
            )
        )
    return cards


def _digest_header(view: DigestView) -> _Card:
    lines = [f"Since {_moment(view.since)}"]
    wanted = filters_in_words(view)
    if wanted:
        lines.append(_text(f"For {wanted}", NOTE_LIMIT))
    shown = view.story_count
    if view.empty:
        matches = " that matches." if wanted else "."
        lines.append(f"Nothing new since {_moment(view.since)}{matches}")
    elif view.matching_stories > shown:
        lines.append(f"The best {shown} of {view.matching_stories} stories.")
    else:
        lines.append(_count(shown, "story", "stories") + ".")
    return _Card(title="News digest", style=_Title.HEADER, parts=("\n".join(lines),))


def _digest_fallback(view: DigestView) -> str:
    since = _utc(view.since)
    if view.empty:
        return f"News digest: nothing new since {since}"
    return f"News digest since {since}: {_count(view.story_count, 'story', 'stories')}"


def _digest_story(story: StoryView, topic: str | None) -> _Card:
    """A section with the linked headline and the summary; a context line with the topic, the
    outlets and the first sources; the key statements."""
    headline = _link(_text(story.headline, HEADLINE_LIMIT) or "Untitled", _first_url(story.sources))
    lines = [f"*{headline}*"]
    if story.summary.strip():
        lines.append(_text(story.summary, DIGEST_SUMMARY_LIMIT))
    meta = (
        f"*{_text(topic or 'Other news', NAME_LIMIT)}* · "
        f"{_count(story.independent_sources, 'outlet', 'outlets')} · "
        f"updated {_moment(story.updated_at)}"
    )
    sources = _capped(
        [_source_entry(source) for source in story.sources], DIGEST_SOURCES_SHOWN, "sources"
    )
    positions = _capped(
        [
            _statement(item, by_actor=True, claim_limit=STORY_CLAIM_LIMIT, sources_shown=1)
            for item in story.positions
        ],
        DIGEST_POSITIONS_SHOWN,
        "statements",
    )
    return _Card(
        title=story.headline,
        style=_Title.HIDDEN,
        parts=(
            (_section("\n".join(lines)), *_contexts([meta, *sources])),
            *_titled("Key positions", positions),
        ),
    )


def _story(view: StoryView) -> _Card:
    """A story on its own: the headline as the header, then what it is about, the summary (as
    much as a section holds), every source and every key statement."""
    actors = f" · {_text(', '.join(view.actors), ACTORS_LIMIT)}" if view.actors else ""
    meta = (
        f"*{_text(view.topic or 'Other news', NAME_LIMIT)}*{actors} · "
        f"{_count(view.independent_sources, 'outlet', 'outlets')} · "
        f"last report {_moment(view.updated_at)}"
    )
    summary = (_text(view.summary, SECTION_TEXT_LIMIT),) if view.summary.strip() else ()
    sources = [_source_entry(source) for source in view.sources]
    labelled = [f"*Sources ({len(view.sources)}):*", *sources] if sources else []
    return _Card(
        title=view.headline,
        style=_Title.HEADER,
        parts=(
            tuple(_contexts([meta])),
            *summary,
            *((block,) for block in _contexts(labelled)),
            *_titled("Key positions", [_statement(item, by_actor=True) for item in view.positions]),
        ),
    )


def _feed_notice(notice: FeedNoticeView) -> str:
    since = (
        f", last success {_moment(notice.last_success_at)}"
        if notice.last_success_at
        else ", never polled successfully"
    )
    error = f": {_text(notice.error, SHORT_TEXT_LIMIT)}" if notice.error else ""
    trouble = _text(TROUBLE_WORDS.get(notice.trouble, notice.trouble), NAME_LIMIT)
    outlet = _link(_text(notice.outlet, NAME_LIMIT) or "feed", notice.url)
    return f"• *{outlet}*: {trouble}{since}{error}"


# -- search ---------------------------------------------------------------------------------------


def _search(view: SearchView) -> list[_Card]:
    lines = [f"Since {_moment(view.since)}"]
    if view.empty:
        lines.append(f"Nothing stored since {_moment(view.since)} holds every word of that.")
    cards = [_Card(title=f"Search: {view.query}", style=_Title.HEADER, parts=("\n".join(lines),))]
    if view.articles:
        cards.append(_Card(title="Articles", parts=tuple(_article(hit) for hit in view.articles)))
    if view.positions:
        cards.append(
            _Card(
                title="Statements",
                parts=tuple(_statement(item, by_actor=True) for item in view.positions),
            )
        )
    return cards


def _article(hit: ArticleHitView) -> str:
    lines = [f"• *{_link(_text(hit.title, NAME_LIMIT) or 'untitled', hit.source.url)}*"]
    if hit.summary and hit.summary.strip():
        lines.append(_text(hit.summary, SHORT_TEXT_LIMIT))
    lines.append(
        _source_entry(SourceView(outlet=hit.source.outlet, published=hit.source.published))
    )
    return "\n".join(lines)


# -- errors, notices, lists, alerts ---------------------------------------------------------------


def _error(view: ErrorView) -> _Card:
    """One section: the message, what might have been meant, what is accepted."""
    lines = [ERROR_MARK + (_text(view.message, ERROR_TEXT_LIMIT) or "Something went wrong.")]
    if view.suggestions:
        named = [f"*{_text(name, SUGGESTION_LIMIT)}*" for name in view.suggestions]
        lines.append("Did you mean: " + ", ".join(_capped(named, SUGGESTIONS_SHOWN, "")) + "?")
    if view.hint:
        lines.append(_text(view.hint, ERROR_TEXT_LIMIT))
    return _Card(title="", style=_Title.HIDDEN, parts=("\n".join(lines),))


def _notice(view: NoticeView) -> _Card:
    """The title as a header, the lines, then the fields two by two (ten to a section)."""
    fields = [_field_text(field) for field in view.fields]
    return _Card(
        title=TONE_MARKS.get(view.tone, "") + view.title,
        style=_Title.HEADER,
        parts=(
            *(_text(line, SECTION_TEXT_LIMIT) for line in view.lines if line.strip()),
            *(
                (_fields_section(fields[start : start + SECTION_FIELDS_LIMIT]),)
                for start in range(0, len(fields), SECTION_FIELDS_LIMIT)
            ),
        ),
    )


def _field_text(field: FieldView) -> str:
    return f"*{_text(field.name, NAME_LIMIT) or '—'}*\n{_field_value(field, FIELD_VALUE_LIMIT)}"


def _field_value(field: FieldView, limit: int) -> str:
    if field.when is not None:
        return _moment(field.when)
    return _text(field.value, limit) or "—"


def _list(view: ListView) -> _Card:
    units = tuple(_list_item(item) for item in view.items) or (_text(view.empty_text, NOTE_LIMIT),)
    footer = (tuple(_contexts([_text(view.footer, NOTE_LIMIT)])),) if view.footer else ()
    return _Card(title=view.title, style=_Title.HEADER, parts=(*units, *footer))


def _list_item(item: ListItemView) -> str:
    title = _text(item.title, NAME_LIMIT) or "untitled"
    head = f"• *{_link(title, item.url)}*"
    if item.channel_id is not None and _CHANNEL_ID.fullmatch(item.channel_id):
        head = f"• <#{item.channel_id}>"  # Slack shows the channel's name, linked
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
    """A key in backticks, as a user types it (inside code Slack does not format, so only the
    entities are needed); escaped text if it holds a backtick itself."""
    flat = " ".join(text.split())
    if "`" in flat or not flat:
        return _text(flat, NAME_LIMIT)
    return f"`{_entities(_cut(flat, NAME_LIMIT))}`"


def _alert(view: AlertView) -> _Card:
    """The change, the first statement, then as many of the others (shorter) as keep the
    alert well within one message; the rest counted, so an alert is one message."""
    parts = [] if view.change is None else [_change(view.change)]
    parts.append(_statement(view.item, by_actor=True))
    used = sum(_width(part) for part in parts)
    hidden = view.more
    for other in view.others:
        part = _statement(other, by_actor=True, claim_limit=STORY_CLAIM_LIMIT, sources_shown=1)
        if used + _width(part) > ALERT_TEXT_BUDGET:
            hidden += 1
            continue
        parts.append(part)
        used += _width(part)
    more = alert_more(dataclasses.replace(view, more=hidden))
    if more is not None:
        parts.append(f"_{_text(more, NAME_LIMIT)}_")
    return _Card(title=alert_title(view), style=_Title.HEADER, parts=tuple(parts))


# -- sources and links ----------------------------------------------------------------------------


def _source_links(sources: Sequence[SourceView], shown: int) -> str:
    if not sources:
        return "no source given"
    links = [_link(_text(source.outlet, NAME_LIMIT) or "source", source.url) for source in sources]
    hidden = len(links) - shown
    return " · ".join(links[:shown]) + (f" · and {hidden} more" if hidden > 0 else "")


def _source_entry(source: SourceView) -> str:
    named = _link(_text(source.outlet, NAME_LIMIT) or "source", source.url)
    return f"{named} {_moment(source.published)}" if source.published else named


def _first_url(sources: Iterable[SourceView]) -> str | None:
    return next((s.url for s in sources if _safe_url(s.url) is not None), None)


def _link(label: str, url: str | None) -> str:
    """``<url|label>`` for a safe http(s) URL, else the label; ``label`` is already escaped."""
    safe = _safe_url(url)
    return f"<{safe}|{label}>" if safe else label


def _safe_url(url: str | None) -> str | None:
    """``url`` made safe inside ``<...|...>``, if it is a short http(s) URL: percent-encoded
    (so no space, "|", "<" or ">" is left) and with "&" as the entity Slack expects."""
    if not url:
        return None
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in _LINK_SCHEMES or not parts.hostname:
        return None
    safe = quote(candidate, safe=_URL_SAFE).replace("&", "&amp;")
    return safe if len(safe) <= LINK_URL_LIMIT else None


def _capped(units: Sequence[str], shown: int, noun: str) -> list[str]:
    """The first ``shown`` units, and a marked count of the rest."""
    hidden = len(units) - shown
    if hidden <= 0:
        return list(units)
    return [*units[:shown], f"… and {hidden} more {noun}".rstrip()]


def _titled(title: str, units: Sequence[str]) -> tuple[str, ...]:
    """Units under a bold title (glued to the first, so it never ends a message alone)."""
    if not units:
        return ()
    return (f"*{_text(title, NAME_LIMIT)}*\n{units[0]}", *units[1:])


# -- blocks ---------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> MarkdownTextObject:
    # verbatim: Slack leaves bare URLs, channel names and "@here" in the text alone
    return MarkdownTextObject(text=text, verbatim=True)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=_mrkdwn(_cut(text, SECTION_TEXT_LIMIT) if text.strip() else ELLIPSIS))


def _fields_section(fields: Sequence[str]) -> SectionBlock:
    return SectionBlock(fields=[_mrkdwn(_cut(text, FIELD_TEXT_LIMIT)) for text in fields])


def _header(title: str, *, continued: bool = False) -> HeaderBlock:
    # plain_text: shown as it is (no mrkdwn, no entities); emoji off, so a ":name:" in a feed's
    # headline stays text
    flat = " ".join(title.split()) or ELLIPSIS
    if continued:
        flat = _cut(flat, HEADER_TEXT_LIMIT - len(CONTINUED)) + CONTINUED
    return HeaderBlock(text=PlainTextObject(text=_cut(flat, HEADER_TEXT_LIMIT), emoji=False))


def _contexts(elements: Sequence[str]) -> list[ContextBlock]:
    """Short mrkdwn texts as context blocks of at most ten elements each (none if empty)."""
    elements = [text for text in elements if text.strip()]
    return [
        ContextBlock(
            elements=[
                _mrkdwn(_cut(text, CONTEXT_TEXT_LIMIT))
                for text in elements[start : start + CONTEXT_ELEMENTS_LIMIT]
            ]
        )
        for start in range(0, len(elements), CONTEXT_ELEMENTS_LIMIT)
    ]


def _sections(units: Sequence[str]) -> list[tuple[Block, ...]]:
    """Units joined by line breaks into sections of at most the section limit, each a group."""
    groups: list[tuple[Block, ...]] = []
    lines: list[str] = []
    size = 0
    for unit in (_cut(unit, SECTION_TEXT_LIMIT) for unit in units if unit.strip()):
        width = _width(unit)
        if lines and size + 1 + width > SECTION_TEXT_LIMIT:
            groups.append((_section("\n".join(lines)),))
            lines, size = [], 0
        size += width + (1 if lines else 0)
        lines.append(unit)
    if lines:
        groups.append((_section("\n".join(lines)),))
    return groups


def _card_groups(card: _Card) -> list[tuple[Block, ...]]:
    """The card's blocks, in groups that each stay in one message; a bold title is glued to
    the first group."""
    parts = list(card.parts)
    bold = f"*{_text(card.title, NAME_LIMIT)}*" if card.style is _Title.BOLD else ""
    if bold and parts and isinstance(parts[0], str):
        parts[0] = f"{bold}\n{parts[0]}"
        bold = ""
    groups: list[tuple[Block, ...]] = []
    pending: list[str] = []
    for part in parts:
        if isinstance(part, str):
            pending.append(part)
            continue
        groups.extend(_sections(pending))
        pending = []
        groups.append(part)
    groups.extend(_sections(pending))
    if bold:  # the card starts with blocks, or has none: the title leads the first group
        groups[:1] = [(_section(bold), *(groups[0] if groups else ()))]
    return groups


# -- packing: groups of blocks into messages ------------------------------------------------------


class _Packer:
    """Fills messages in order. A card that fits one message stays whole (in a new message if
    the current one is full); a longer card is spread group by group, and a message it
    continues in repeats its title "(continued)"."""

    def __init__(self) -> None:
        self._done: list[tuple[Block, ...]] = []
        self._current: list[Block] = []
        self._used = 0

    def add(self, card: _Card) -> None:
        groups = _card_groups(card) or [()]
        whole = [block for group in groups for block in group]
        if not self._fits((*self._lead(card, continued=False), *whole)) and self._fits(
            (*self._lead(card, continued=False, fresh=True), *whole), fresh=True
        ):
            self._next_message()
        for index, group in enumerate(groups):
            blocks = (*self._lead(card, continued=False), *group) if index == 0 else group
            if not self._fits(blocks):
                self._next_message()
                blocks = (*self._lead(card, continued=index > 0), *group)
                if not self._fits(blocks):  # cannot happen: every group is far below a message
                    raise AssertionError("a group of blocks larger than a message")
            self._put(blocks)

    def messages(self) -> list[tuple[Block, ...]]:
        self._next_message()
        return self._done or [(_section(ELLIPSIS),)]

    def _lead(self, card: _Card, *, continued: bool, fresh: bool = False) -> tuple[Block, ...]:
        """What starts the card (or its continuation) in the current message, or in a new
        one (``fresh``)."""
        if card.style is _Title.HEADER:
            return (_header(card.title, continued=continued),)
        divider: tuple[Block, ...] = (DividerBlock(),) if self._current and not fresh else ()
        if continued and card.title.strip():
            return (*divider, _section(f"*{_text(card.title, NAME_LIMIT)}*{CONTINUED}"))
        return divider

    def _fits(self, blocks: Sequence[Block], *, fresh: bool = False) -> bool:
        """Whether ``blocks`` fit after the current message's (or in a new message)."""
        count, used = (0, 0) if fresh else (len(self._current), self._used)
        return (
            count + len(blocks) <= BLOCKS_PER_MESSAGE
            and used + sum(_block_width(block) for block in blocks) <= MESSAGE_TEXT_BUDGET
        )

    def _put(self, blocks: Sequence[Block]) -> None:
        self._current.extend(blocks)
        self._used += sum(_block_width(block) for block in blocks)

    def _next_message(self) -> None:
        if self._current:
            self._done.append(tuple(self._current))
        self._current, self._used = [], 0


def _block_width(block: Block) -> int:
    """The text of a block, as Slack counts it toward a message's size (in UTF-16 units)."""
    return sum(_width(text) for text in _texts(block.to_dict()))


def _texts(value: object) -> list[str]:
    """Every ``text`` string in a block's JSON."""
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            found.extend([item] if key == "text" and isinstance(item, str) else _texts(item))
        return found
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


# -- text -----------------------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: Formatting characters (and the full-width ones Slack also reads) and their look-alikes.
_MARKERS = {
    "*": "\u2217",  # asterisk operator
    "_": "\u02cd",  # modifier letter low macron
    "~": "\u223c",  # tilde operator
    "`": "\u02cb",  # modifier letter grave accent
    "\uff0a": "\ufe61",  # full-width asterisk: small asterisk
    "\uff3f": "\u2e0f",  # full-width low line: paragraphos
    "\uff40": "\u02cb",  # full-width grave accent
}
#: Markers that Slack does not read between two letters or digits ("snake_case", "5*3").
_WORD_SAFE = frozenset("*_~")
#: Slack reads ">" and a full-width one at the start of a line as a quote; an invisible soft
#: hyphen in front stops that.
_QUOTE_STARTS = ("&gt;", "\uff1e")
_SOFT_HYPHEN = "\u00ad"


def _entities(text: str) -> str:
    return "".join(_ENTITIES.get(char, char) for char in text)


def _escape(text: str) -> str:
    """Data made inert in mrkdwn, on one line: entities for ``& < >``, look-alikes for
    formatting characters where they could format, no quote at the start."""
    flat = " ".join(text.split())
    last = len(flat) - 1
    out: list[str] = []
    for index, char in enumerate(flat):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _MARKERS and not (
            char in _WORD_SAFE
            and 0 < index < last
            and flat[index - 1].isalnum()
            and flat[index + 1].isalnum()
        ):
            out.append(_MARKERS[char])
        else:
            out.append(char)
    escaped = "".join(out)
    return _SOFT_HYPHEN + escaped if escaped.startswith(_QUOTE_STARTS) else escaped


def _text(raw: str, limit: int) -> str:
    """``raw`` on one line, escaped, cut at a word with an ellipsis to at most ``limit``."""
    budget = limit
    while budget > 1:
        escaped = _escape(_cut(" ".join(raw.split()), budget))
        width = _width(escaped)
        if width <= limit:
            return escaped
        # the entities made it longer: try a shorter cut, in proportion to the overflow
        budget = min(budget - 1, budget * limit // width)
    return ELLIPSIS


def _cut(text: str, limit: int) -> str:
    """``text`` if it fits ``limit``, else its start up to a word break and an ellipsis."""
    if _width(text) <= limit:
        return text
    room = limit - _width(ELLIPSIS)
    used = 0
    end = len(text)
    for index, char in enumerate(text):
        used += _width(char)
        if used > room:
            end = index
            break
    head = text[:end]
    space = head.rfind(" ")
    if space >= room // 2:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def _width(text: str) -> int:
    """Length in UTF-16 code units: never less than the code points Slack may count."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _count(count: int, one: str, many: str) -> str:
    return f"1 {one}" if count == 1 else f"{count} {many}"


# -- moments --------------------------------------------------------------------------------------


def _moment(when: dt.datetime) -> str:
    """A moment in the reader's timezone: "Nov 20, 2026 at 9:00 AM" (or "today at ...")."""
    return _date_token(when, "{date_short_pretty} {time}", _utc(when))


def _day(when: dt.datetime) -> str:
    return _date_token(when, "{date_short_pretty}", _as_utc(when).strftime("%Y-%m-%d"))


def _date_token(when: dt.datetime, format_: str, fallback: str) -> str:
    return f"<!date^{int(_as_utc(when).timestamp())}^{format_}|{fallback}>"


def _utc(when: dt.datetime) -> str:
    """The fallback of a moment: ISO-like, in UTC."""
    return _as_utc(when).strftime("%Y-%m-%d %H:%M UTC")


def _as_utc(when: dt.datetime) -> dt.datetime:
    # views carry aware datetimes; a naive one is read as UTC rather than as local time
    aware = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC)
