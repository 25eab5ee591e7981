"""Feed intake: guarded, polite fetching; parsing; full text; polling into the store.

Names are imported on first use (PEP 562): the worker processes that parse feeds import only
the parser, not aiohttp and the store, which saves each of them about 50 MB and a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digests.fetch._entries import ParsedEntry, ParsedFeed
    from digests.fetch._guard import BlockedURLError, check_url, is_public
    from digests.fetch._http import Fetcher, FetchError, Response, TooLargeError, Validators
    from digests.fetch._parse import NotAFeedError, parse_feed
    from digests.fetch._poll import FeedDisabled, FeedResult, Poller, PollStatus, gather_results

_WHERE = {
    "BlockedURLError": "_guard",
    "check_url": "_guard",
    "is_public": "_guard",
    "FetchError": "_http",
    "Fetcher": "_http",
    "Response": "_http",
    "TooLargeError": "_http",
    "Validators": "_http",
    "NotAFeedError": "_parse",
    "ParsedEntry": "_entries",
    "ParsedFeed": "_entries",
    "parse_feed": "_parse",
    "FeedDisabled": "_poll",
    "FeedResult": "_poll",
    "Poller": "_poll",
    "PollStatus": "_poll",
    "gather_results": "_poll",
}

__all__ = [
    "BlockedURLError",
    "FeedDisabled",
    "FeedResult",
    "FetchError",
    "Fetcher",
    "NotAFeedError",
    "ParsedEntry",
    "ParsedFeed",
    "PollStatus",
    "Poller",
    "Response",
    "TooLargeError",
    "Validators",
    "check_url",
    "gather_results",
    "is_public",
    "parse_feed",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'digests.fetch' has no attribute {name!r}")
    return getattr(importlib.import_module(f"digests.fetch.{_WHERE[name]}"), name)
