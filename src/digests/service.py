"""The application service: the one object the CLI, the chat commands and the scheduler call.

It owns the store and the library's settings; later issues add fetching, analysis and
composition behind the same face.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Self

from digests.errors import FeedExistsError
from digests.model import Feed
from digests.settings import FetchSettings
from digests.store import Store

log = logging.getLogger(__name__)

_DEFAULT_FEEDS_ADDED = "default_feeds_added"


class Service:
    """newsdigest's use cases over one store."""

    def __init__(self, store: Store, *, fetch: FetchSettings) -> None:
        self.store = store
        self.fetch_settings = fetch

    @classmethod
    def open(
        cls,
        database_url: str,
        *,
        fetch: FetchSettings,
        default_feeds: Sequence[Feed] = (),
    ) -> Self:
        """Open and migrate the store; on the very first start, add the default feeds."""
        service = cls(Store.open(database_url), fetch=fetch)
        service.add_default_feeds(default_feeds)
        return service

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def add_default_feeds(self, default_feeds: Sequence[Feed]) -> list[Feed]:
        """Add the starting feeds once in the life of a database, never again.

        A user who removes a default feed does not get it back on the next start.
        """
        if self.store.get_meta(_DEFAULT_FEEDS_ADDED) is not None:
            return []
        added = []
        for feed in default_feeds:
            try:
                added.append(self.store.add_feed(feed))
            except FeedExistsError:
                log.debug("default feed %s is already stored", feed.url)
        self.store.set_meta(_DEFAULT_FEEDS_ADDED, str(len(added)))
        if added:
            log.info("added %d default feeds", len(added))
        return added

    def list_feeds(self) -> list[Feed]:
        return self.store.list_feeds()
