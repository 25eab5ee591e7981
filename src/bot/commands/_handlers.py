"""The handlers: one per command, each parsing its arguments, calling the service and
returning views. No platform code here; errors the service raises are turned into replies by
the runner (``_run``)."""

from __future__ import annotations

from bot.commands import _parse as parse
from bot.commands._model import Args, Caller, CommandError, Reply
from bot.views import ErrorView, NoticeView, digest_view, positions_view, search_view
from bot.views.lists import (
    actors_list,
    feeds_list,
    subscription_notice,
    subscriptions_list,
    topics_list,
    watch_title,
    watches_list,
)
from digests.model import utc_now
from digests.schedule import next_delivery
from digests.service import FeedNotExactError, Service, SubscriptionChange

DEFAULT_POSITIONS_SINCE = "7d"
DEFAULT_SEARCH_SINCE = "7d"
#: Entries of /actors, at most (Discord's autocomplete takes 25 as well).
ACTORS_LISTED = 25


def _text(args: Args, name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required(args: Args, name: str) -> str:
    text = _text(args, name)
    if text is None:
        raise parse.refuse(f"{name}: give a value")
    return text


def _flag(args: Args, name: str) -> bool:
    return args.get(name) is True


def _where(caller: Caller) -> str:
    return caller.channel_name or "this channel"


# -- lookups -----------------------------------------------------------------------------------


def positions(service: Service, caller: Caller, args: Args) -> Reply:
    since = parse.duration("since", _text(args, "since") or DEFAULT_POSITIONS_SINCE)
    result = service.positions(_required(args, "actor"), topic=_text(args, "topic"), since=since)
    return Reply((positions_view(result),), private=not _flag(args, "post"))


def digest(service: Service, caller: Caller, args: Args) -> Reply:
    result = service.channel_digest(caller.channel)
    return Reply((digest_view(result),), private=not _flag(args, "post"))


def search(service: Service, caller: Caller, args: Args) -> Reply:
    since = parse.duration("since", _text(args, "since") or DEFAULT_SEARCH_SINCE)
    result = service.search(_required(args, "query"), since)
    return Reply((search_view(result, service.vocabulary),), private=not _flag(args, "post"))


def actors(service: Service, caller: Caller, args: Args) -> Reply:
    query = _text(args, "query")
    found = service.actors(query, ACTORS_LISTED)
    return Reply((actors_list(found, service.vocabulary, query=query),))


def topics(service: Service, caller: Caller, args: Args) -> Reply:
    return Reply((topics_list(service.topics()),))


# -- the channel's subscription ----------------------------------------------------------------


def subscribe(service: Service, caller: Caller, args: Args) -> Reply:
    change = _subscription_change(args)
    subscription, new = service.subscribe(caller.channel, change, by=caller.user_id)
    next_at = next_delivery(subscription, utc_now())
    notice = subscription_notice(
        subscription, service.vocabulary, next_at, where=_where(caller), new=new
    )
    return Reply((notice,), private=False)


def _subscription_change(args: Args) -> SubscriptionChange:
    typed = {name: _text(args, name) for name in ("actors", "topics", "feeds", "keywords")}
    include, exclude = parse.keywords(typed["keywords"]) if typed["keywords"] else (None, None)
    time, zone, days = _text(args, "time"), _text(args, "timezone"), _text(args, "days")
    return SubscriptionChange(
        actors=parse.listed(typed["actors"]) if typed["actors"] else None,
        topics=parse.listed(typed["topics"]) if typed["topics"] else None,
        feeds=parse.listed(typed["feeds"]) if typed["feeds"] else None,
        keywords=include,
        exclude_keywords=exclude,
        local_time=parse.time_of_day(time) if time else None,
        timezone=parse.timezone(zone) if zone else None,
        days=parse.days(days) if days else None,
    )


def unsubscribe(service: Service, caller: Caller, args: Args) -> Reply:
    service.unsubscribe(caller.channel)
    notice = NoticeView(
        title=f"Unsubscribed {_where(caller)}",
        lines=("No more morning digests here. /subscribe starts them again.",),
        tone="done",
    )
    return Reply((notice,), private=False)


def subscriptions(service: Service, caller: Caller, args: Args) -> Reply:
    everywhere = _flag(args, "all")  # managers only: the runner checks
    now = utc_now()
    if everywhere:
        found = service.subscriptions(caller.platform, caller.channel.workspace_id)
        title = "Digest subscriptions in this server"
    else:
        own = service.find_subscription(caller.channel)
        found = [own] if own is not None else []
        title = f"The digest of {_where(caller)}"
    listed = [(subscription, next_delivery(subscription, now)) for subscription in found]
    views = [subscriptions_list(listed, service.vocabulary, title=title)]
    if not everywhere:
        views.append(watches_list(service.watches(caller.channel), service.vocabulary))
    return Reply(tuple(views))


# -- watches -----------------------------------------------------------------------------------


def watch(service: Service, caller: Caller, args: Args) -> Reply:
    found, new = service.watch(
        caller.channel, _required(args, "actor"), _text(args, "topic"), by=caller.user_id
    )
    title = watch_title(found, service.vocabulary)
    notice = NoticeView(
        title=f"Watching {title} in {_where(caller)}" if new else f"{title} is watched already",
        lines=("A post here when it states something new or changes its stance.",),
        tone="done" if new else "info",
    )
    return Reply((notice,), private=not new)


def unwatch(service: Service, caller: Caller, args: Args) -> Reply:
    removed = service.unwatch(caller.channel, _required(args, "actor"), _text(args, "topic"))
    notice = NoticeView(
        title=f"Stopped watching {watch_title(removed, service.vocabulary)} in {_where(caller)}",
        tone="done",
    )
    return Reply((notice,), private=False)


# -- feeds -------------------------------------------------------------------------------------


async def feeds_add(service: Service, caller: Caller, args: Args) -> Reply:
    result = await service.add_feed(_required(args, "url"))
    notice = NoticeView(
        title=f"Added the feed {result.title or result.url}",
        lines=(
            f"{result.seen} entries it holds now are stored as already seen; what it publishes "
            "from now on comes into digests.",
        ),
        tone="done",
    )
    return Reply((notice,), private=False)


def feeds_remove(service: Service, caller: Caller, args: Args) -> Reply:
    typed = _required(args, "feed")
    try:
        removed = service.remove_feed(typed)
    except FeedNotExactError as error:
        raise CommandError(_not_exact(typed, error)) from error
    notice = NoticeView(
        title=f"Removed the feed {removed.title or removed.url}",
        lines=("Its articles are removed too.",),
        tone="done",
    )
    return Reply((notice,), private=False)


def _not_exact(typed: str, error: FeedNotExactError) -> ErrorView:
    """Removal wants an exact name: the feeds that might have been meant, each with its id."""
    if error.shared:
        return ErrorView(
            message=f"{len(error.candidates)} feeds are titled {typed!r}",
            suggestions=tuple(f"{f.title} (id {f.id}, {f.url})" for f in error.candidates),
            hint="give the id or the URL of the one to remove",
        )
    return ErrorView(
        message=f"no feed is exactly {typed!r} (its id, URL or whole title)",
        suggestions=tuple(f"{f.title or f.url} (id {f.id})" for f in error.candidates),
        hint="/feeds list shows the feeds",
    )


def feeds_list_command(service: Service, caller: Caller, args: Args) -> Reply:
    return Reply((feeds_list(service.list_feeds(), with_status=False),))


def feeds_status(service: Service, caller: Caller, args: Args) -> Reply:
    return Reply((feeds_list(service.list_feeds(), with_status=True),))
