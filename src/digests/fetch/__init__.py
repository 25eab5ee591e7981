"""Feed intake: guarded, polite fetching; parsing; full text; polling into the store."""

from digests.fetch._guard import BlockedURLError, check_url, is_public
from digests.fetch._http import Fetcher, FetchError, Response, TooLargeError, Validators
from digests.fetch._parse import NotAFeedError, ParsedEntry, ParsedFeed, parse_feed
from digests.fetch._poll import FeedDisabled, FeedResult, Poller, PollStatus

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
    "is_public",
    "parse_feed",
]
