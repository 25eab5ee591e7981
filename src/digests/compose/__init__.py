"""Composing answers from the store: actor and topic resolution, the positions lookup, stories.

Everything here is platform-neutral data; `bot.views` turns it into views and renders them.
"""

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
    "Placement",
    "PositionItem",
    "PositionsResult",
    "Reason",
    "Source",
    "StanceChange",
    "StoryClusterer",
    "StoryDetail",
    "StoryIndex",
    "StoryPosition",
    "StorySource",
    "TopicSection",
    "UnknownActorError",
    "UnknownTopicError",
    "get_story_detail",
    "list_stories",
    "lookup_positions",
    "merge_positions",
    "resolve_topic",
]
