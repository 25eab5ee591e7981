"""Composing answers from the store: actor and topic resolution, the positions lookup, stories,
digests.

Everything here is platform-neutral data; `bot.views` turns it into views and renders them.
"""

from digests.compose._digest import (
    Digest,
    DigestSection,
    DigestSnapshot,
    DigestStory,
    DigestWindow,
    FeedNotice,
    FeedTrouble,
    UnknownFeedError,
    compose_digest,
    compose_digests,
    digest_window,
    resolve_feeds,
)
from digests.compose._positions import (
    PositionItem,
    PositionsResult,
    Source,
    StanceChange,
    TopicSection,
    lookup_positions,
)
from digests.compose._resolve import (
    MAX_SUGGESTIONS,
    ActorMatch,
    ActorResolver,
    UnknownActorError,
    UnknownTopicError,
    resolve_topic,
)
from digests.compose._search import EmptyQueryError, SearchResult, search
from digests.compose._stories import (
    Placement,
    Reason,
    StoryClusterer,
    StoryDetail,
    StoryIndex,
    StoryPosition,
    StorySource,
    get_story_detail,
    list_stories,
    merge_positions,
)

__all__ = [
    "MAX_SUGGESTIONS",
    "ActorMatch",
    "ActorResolver",
    "Digest",
    "DigestSection",
    "DigestSnapshot",
    "DigestStory",
    "DigestWindow",
    "EmptyQueryError",
    "FeedNotice",
    "FeedTrouble",
    "Placement",
    "PositionItem",
    "PositionsResult",
    "Reason",
    "SearchResult",
    "Source",
    "StanceChange",
    "StoryClusterer",
    "StoryDetail",
    "StoryIndex",
    "StoryPosition",
    "StorySource",
    "TopicSection",
    "UnknownActorError",
    "UnknownFeedError",
    "UnknownTopicError",
    "compose_digest",
    "compose_digests",
    "digest_window",
    "get_story_detail",
    "list_stories",
    "lookup_positions",
    "merge_positions",
    "resolve_feeds",
    "resolve_topic",
    "search",
]
