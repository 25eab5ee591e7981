"""The exceptions newsdigest raises.

Every error is a :class:`NewsdigestError`. Subclasses carry the key of the thing they are about
(a feed URL, a subscription id, a setting name) as an attribute, mix in the builtin whose meaning
fits (``LookupError``, ``ValueError``), and are always raised ``from`` the error that caused them,
so the original cause stays in the log while the user sees one short line.
"""

from __future__ import annotations

from collections.abc import Hashable


class NewsdigestError(Exception):
    """Root of every error newsdigest raises on purpose."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class KeyedError(NewsdigestError):
    """An error about one identifiable thing; ``key`` names it."""

    def __init__(self, key: Hashable, message: str = "") -> None:
        super().__init__(message)
        self.key = key

    def __str__(self) -> str:
        return f"{self.message}: {self.key}" if self.message else str(self.key)


class ConfigError(KeyedError, ValueError):
    """A setting or settings file is wrong; ``key`` is the setting or the file."""

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class StoreError(NewsdigestError):
    """The database could not be opened, migrated or written."""


class StoreNotMigratedError(StoreError):
    """The database schema is not at the revision this code expects."""

    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(
            f"the database is at revision {current or 'none'}, this code needs {head}; "
            "run `newsdigest db upgrade`"
        )
        self.current = current
        self.head = head


class NotFoundError(KeyedError, LookupError):
    """Something asked for by key does not exist."""


class AlreadyExistsError(KeyedError):
    """Something to be added exists already under the same key."""


class FeedError(KeyedError):
    """An error about one feed; ``key`` (also ``url``) is its URL."""

    @property
    def url(self) -> object:
        return self.key


class FeedNotFoundError(FeedError, NotFoundError):
    """No feed with that URL or id."""


class FeedExistsError(FeedError, AlreadyExistsError):
    """A feed with that URL is already stored."""


class ArticleNotFoundError(NotFoundError):
    """No article with that id."""


class StoryNotFoundError(NotFoundError):
    """No story with that id."""


class SubscriptionNotFoundError(NotFoundError):
    """No subscription for that channel or id."""


class WatchNotFoundError(NotFoundError):
    """No such watch in that channel."""


class DeliveryExistsError(AlreadyExistsError):
    """A delivery for that (subscription, kind, period) was already recorded.

    ``key`` is the (subscription id, kind, period) triple. The outbox relies on this: writing
    the row is how a sender claims the right to send.
    """


class DeliveryNotFoundError(NotFoundError):
    """No delivery with that id."""
