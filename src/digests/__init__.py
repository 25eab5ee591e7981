"""newsdigest's library: the domain model, the store, and (as they land) fetching, analysis and
composition. It never imports the chat side (``bot``) or a chat library."""

from digests._version import __version__
from digests.errors import NewsdigestError
from digests.model import (
    Actor,
    ActorMention,
    Article,
    Delivery,
    Feed,
    Position,
    Story,
    Subscription,
    Topic,
    TopicMention,
)
from digests.service import Service

__all__ = [
    "Actor",
    "ActorMention",
    "Article",
    "Delivery",
    "Feed",
    "NewsdigestError",
    "Position",
    "Service",
    "Story",
    "Subscription",
    "Topic",
    "TopicMention",
    "__version__",
]
