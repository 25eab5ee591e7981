"""newsdigest's library: the domain model, the store, and (as they land) fetching, analysis and
composition. It never imports the chat side (``bot``) or a chat library."""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    # The service (and with it the store, aiohttp and SQLAlchemy) is imported on first use, so
    # that a worker process importing the parser does not pay for it.
    if name == "Service":
        from digests.service import Service  # noqa: PLC0415

        return Service
    raise AttributeError(f"module 'digests' has no attribute {name!r}")
