"""Settings sections the library takes. The application builds them once and passes them down;
nothing here reads the environment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from digests._version import __version__

DEFAULT_USER_AGENT = f"newsdigest/{__version__} (+https://github.com/newsdigest/newsdigest)"


class FetchSettings(BaseModel):
    """How feeds and article pages are fetched (used by the feed engine)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Feeds fetched at once, in all.
    concurrency: int = Field(default=10, ge=1, le=200)
    #: Feeds fetched at once from one host.
    per_host_concurrency: int = Field(default=2, ge=1, le=50)
    #: Deadline for one whole fetch (connect, headers and body), in seconds.
    timeout: float = Field(default=30.0, gt=0, le=600)
    #: Most bytes read from one response, after decompression.
    max_bytes: int = Field(default=5_000_000, ge=10_000, le=500_000_000)
    #: Sent with every request: names the bot and where to read about it.
    user_agent: str = Field(default=DEFAULT_USER_AGENT, min_length=1)
    #: Let feeds on loopback, private or link-local addresses be polled (self-hosted intranets).
    allow_private_networks: bool = False
