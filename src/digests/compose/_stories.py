"""Stories: analysed articles from one or more outlets grouped by the event they report.

Incremental, in the manner of on-line event detection and tracking (Allan, Papka and Lavrenko,
"On-line new event detection and tracking", SIGIR 1998): each new article is compared with the
articles of a sliding time window only, and joins the story of its best match or starts one.
Two tests, in this order:

1. **Copies** (syndication, a re-published wire story): the Jaccard similarity of the word
   3-shingles of title and lead (Broder, "On the resemblance and containment of documents",
   1997), estimated by MinHash; candidates come from a MinHash LSH index (``datasketch``), so a
   copy is found without comparing against every article.
2. **Same event in other words**: candidates share at least ``min_shared_actors`` actors (and
   ``min_shared_topics`` topics, when both have topics); the best by TF-IDF cosine similarity of
   title (counted twice) and summary joins if it reaches ``same_event_similarity``. Document
   frequencies are those of the window, kept up to date as articles come and go.

Stories are never merged nor split afterwards: an article's story, once given, stays (an
article edited and analysed again keeps it), so one new article never moves another.

The window lives in memory; :meth:`StoryClusterer.open` rebuilds it from the store (the analysed
articles first seen in the last ``window_hours``), and places the window's analysed articles
that have no story yet (clustered before this existed, or whose clustering failed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import heapq
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from datasketch import LeanMinHash, MinHash, MinHashLSH

from digests.model import ActorMention, Article, Position, Story, TopicMention, utc_now
from digests.settings import StoriesSettings
from digests.store import Store
from digests.store._stories import (
    AnalysedArticle,
    SourcedArticle,
    analysed_articles_since,
    stories_mentions,
    stories_positions,
    stories_sources,
    stories_updated_since,
)

log = logging.getLogger(__name__)

#: Words of title and lead whose shingles make an article's MinHash: copies share their start.
SHINGLE_WORDS = 150
#: Words per shingle.
SHINGLE_SIZE = 3
#: Words of the text used for TF-IDF when the article has no summary.
LEAD_WORDS = 80
#: Words shorter than this are not terms of the TF-IDF vectors.
MIN_TERM_LETTERS = 3
#: Same-event candidates compared per article at most: the latest ones.
MAX_CANDIDATES = 300
#: Two claims of the same actor, stance and topic are one position when their words' Jaccard
#: similarity reaches this.
SAME_CLAIM_JACCARD = 0.7

_WORD = re.compile(r"[^\W_]+")
#: Words too common to tell two reports apart.
_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "against",
        "all",
        "also",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "during",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "more",
        "most",
        "new",
        "no",
        "not",
        "of",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "said",
        "says",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)


class Reason(enum.StrEnum):
    """Why an article went where it did."""

    NEW_STORY = "new story"
    NEAR_DUPLICATE = "near-duplicate"
    SAME_EVENT = "same event"
    #: The article had a story already (it was edited and analysed again): it keeps it.
    ALREADY_PLACED = "already placed"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one article went: its story, why, and the article it matched (if it joined)."""

    article_id: int
    story_id: int
    reason: Reason
    matched_article_id: int | None = None
    similarity: float | None = None


@dataclass(slots=True)
class _Member:
    article_id: int
    story_id: int
    at: dt.datetime
    actors: frozenset[str]
    topics: frozenset[str]
    minhash: LeanMinHash
    #: The TF-IDF vector, L2-normalised with the document frequencies when it was added.
    vector: dict[str, float]


def article_time(article: Article) -> dt.datetime:
    """When an article reports from: its publication time, else when it was first seen (a
    publication time after the first sight is wrong, and capped)."""
    if article.published_at is None:
        return article.first_seen_at
    return min(article.published_at, article.first_seen_at)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(article: Article) -> set[bytes]:
    """The word 3-shingles of the article's title and lead (its first ``SHINGLE_WORDS``
    words), as bytes for hashing."""
    body = article.text or article.summary
    words = _words(f"{article.title} {body}")[:SHINGLE_WORDS]
    if len(words) < SHINGLE_SIZE:
        return {" ".join(words).encode()}
    return {
        " ".join(words[i : i + SHINGLE_SIZE]).encode() for i in range(len(words) - SHINGLE_SIZE + 1)
    }


def _term(word: str) -> str:
    """A light plural folding, enough for "talks"/"talk" and "casualties"/"casualty"."""
    if word.endswith("ies") and len(word) > len("ies") + 1:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > MIN_TERM_LETTERS:
        return word[:-1]
    return word


def terms(article: Article) -> Counter[str]:
    """Term counts of the title (twice) and the summary (the analysis's, else the feed's, else
    the lead of the text), without stopwords, numbers and words under three letters."""
    summary = " ".join(article.analysis_summary) or article.summary
    if not summary:
        summary = " ".join(article.text.split()[:LEAD_WORDS])
    counted: Counter[str] = Counter()
    for text, weight in ((article.title, 2), (summary, 1)):
        for word in _words(text):
            if len(word) >= MIN_TERM_LETTERS and word not in _STOPWORDS and not word.isdigit():
                counted[_term(word)] += weight
    return counted


class StoryIndex:
    """The clustering's memory: the window's articles, their MinHash LSH index, their TF-IDF
    vectors and the window's document frequencies. Pure: it decides, the store is elsewhere."""

    def __init__(self, settings: StoriesSettings) -> None:
        self.settings = settings
        self.window = dt.timedelta(hours=settings.window_hours)
        self._lsh = MinHashLSH(
            threshold=settings.near_duplicate_jaccard, num_perm=settings.minhash_permutations
        )
        self._members: dict[int, _Member] = {}
        self._by_actor: dict[str, set[int]] = defaultdict(set)
        self._df: Counter[str] = Counter()
        self._terms: dict[int, Counter[str]] = {}
        self._expiry: list[tuple[dt.datetime, int]] = []
        self._newest: dt.datetime | None = None

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._members

    def story_of(self, article_id: int) -> int | None:
        member = self._members.get(article_id)
        return None if member is None else member.story_id

    def minhash(self, article: Article) -> LeanMinHash:
        signature = MinHash(num_perm=self.settings.minhash_permutations)
        signature.update_batch(shingles(article))
        return LeanMinHash(signature)

    def find(
        self, article: Article, actors: Collection[str], topics: Collection[str]
    ) -> tuple[int, Reason, int, float] | None:
        """The story ``article`` belongs to: (story id, reason, matched article, similarity),
        or None for a new story. Changes nothing."""
        at = article_time(article)
        found = self._copy_of(article, at)
        if found is not None:
            return found
        return self._same_event(article, at, frozenset(actors), frozenset(topics))

    def _copy_of(self, article: Article, at: dt.datetime) -> tuple[int, Reason, int, float] | None:
        signature = self.minhash(article)
        best: tuple[float, int] | None = None
        for other_id in self._lsh.query(signature):
            member = self._members[other_id]
            if other_id == article.id or abs(member.at - at) > self.window:
                continue
            similarity = float(signature.jaccard(member.minhash))
            if similarity >= self.settings.near_duplicate_jaccard and (
                best is None or (similarity, -other_id) > (best[0], -best[1])
            ):
                best = (similarity, other_id)
        if best is None:
            return None
        return self._members[best[1]].story_id, Reason.NEAR_DUPLICATE, best[1], best[0]

    def _same_event(
        self, article: Article, at: dt.datetime, actors: frozenset[str], topics: frozenset[str]
    ) -> tuple[int, Reason, int, float] | None:
        settings = self.settings
        shared: Counter[int] = Counter()
        for actor in actors:
            shared.update(self._by_actor.get(actor, ()))
        candidates = []
        for other_id, count in shared.items():
            member = self._members[other_id]
            if (
                count < settings.min_shared_actors
                or other_id == article.id
                or abs(member.at - at) > self.window
            ):
                continue
            if (
                topics
                and member.topics
                and len(topics & member.topics) < settings.min_shared_topics
            ):
                continue
            candidates.append(member)
        if not candidates:
            return None
        if len(candidates) > MAX_CANDIDATES:
            candidates = heapq.nlargest(MAX_CANDIDATES, candidates, key=lambda m: m.at)
        vector = self._vector(terms(article), adding=True)
        best: tuple[float, int] | None = None
        for member in candidates:
            other = member.vector
            similarity = sum(weight * other.get(term, 0.0) for term, weight in vector.items())
            if best is None or (similarity, -member.article_id) > (best[0], -best[1]):
                best = (similarity, member.article_id)
        if best is None or best[0] < settings.same_event_similarity:
            return None
        return self._members[best[1]].story_id, Reason.SAME_EVENT, best[1], best[0]

    def _vector(self, counted: Counter[str], *, adding: bool) -> dict[str, float]:
        """TF-IDF (log-scaled counts, smoothed IDF), L2-normalised. ``adding``: the article is
        not counted in the document frequencies yet, and is counted as if it were."""
        extra = 1 if adding else 0
        documents = len(self._members) + extra
        vector = {
            term: (1.0 + math.log(count))
            * (math.log((1 + documents) / (1 + self._df[term] + extra)) + 1.0)
            for term, count in counted.items()
        }
        norm = math.sqrt(sum(weight * weight for weight in vector.values())) or 1.0
        return {term: weight / norm for term, weight in vector.items()}

    def add(
        self,
        article: Article,
        story_id: int,
        actors: Collection[str],
        topics: Collection[str],
        *,
        minhash: LeanMinHash | None = None,
    ) -> None:
        """Remember ``article`` as part of ``story_id`` (replacing what was remembered of it),
        then forget the articles that fell out of the window."""
        if article.id is None:
            raise ValueError("only a stored article can be clustered")
        self.remove(article.id)
        counted = terms(article)
        for term in counted:
            self._df[term] += 1
        member = _Member(
            article_id=article.id,
            story_id=story_id,
            at=article_time(article),
            actors=frozenset(actors),
            topics=frozenset(topics),
            minhash=minhash if minhash is not None else self.minhash(article),
            vector=self._vector(counted, adding=False),
        )
        self._members[article.id] = member
        self._terms[article.id] = counted
        self._lsh.insert(article.id, member.minhash, check_duplication=False)
        for actor in member.actors:
            self._by_actor[actor].add(article.id)
        heapq.heappush(self._expiry, (member.at, article.id))
        if self._newest is None or member.at > self._newest:
            self._newest = member.at
        self.expire(self._newest - self.window)

    def remove(self, article_id: int) -> None:
        member = self._members.pop(article_id, None)
        if member is None:
            return
        self._lsh.remove(article_id)
        for actor in member.actors:
            holders = self._by_actor[actor]
            holders.discard(article_id)
            if not holders:
                del self._by_actor[actor]
        for term in self._terms.pop(article_id):
            self._df[term] -= 1
            if not self._df[term]:
                del self._df[term]

    def expire(self, before: dt.datetime) -> None:
        """Forget the articles from before ``before``."""
        while self._expiry and self._expiry[0][0] < before:
            at, article_id = heapq.heappop(self._expiry)
            member = self._members.get(article_id)
            if member is not None and member.at == at:  # not re-added since
                self.remove(article_id)


class StoryClusterer:
    """Places analysed articles into stories, one at a time, and stores where they went."""

    def __init__(self, store: Store, settings: StoriesSettings) -> None:
        self.store = store
        self.settings = settings
        self.index = StoryIndex(settings)

    @classmethod
    def open(
        cls, store: Store, settings: StoriesSettings, *, now: dt.datetime | None = None
    ) -> StoryClusterer:
        """A clusterer whose window holds the store's analysed articles of the last
        ``window_hours`` (before ``now``); those of them without a story are placed."""
        clusterer = cls(store, settings)
        since = (now or utc_now()) - clusterer.index.window
        window = analysed_articles_since(store, since)
        pending = []
        for item in sorted(window, key=lambda found: (article_time(found.article), _id(found))):
            if item.article.story_id is None:
                pending.append(item)
            elif article_time(item.article) >= since:
                clusterer.index.add(item.article, item.article.story_id, item.actors, item.topics)
        for item in pending:
            clusterer.place_safely(item.article, item.actors, item.topics)
        log.info(
            "story clustering: %d articles in the %g-hour window, %d placed now",
            len(clusterer.index),
            settings.window_hours,
            len(pending),
        )
        return clusterer

    def place(
        self, article: Article, actors: Collection[str], topics: Collection[str]
    ) -> Placement:
        """Put an analysed, stored article into its story (a new one if none fits), and store
        that. An article that has a story keeps it; the index learns its new content."""
        article_id = _id(article)
        if article.story_id is not None:
            self.index.add(article, article.story_id, actors, topics)
            return Placement(article_id, article.story_id, Reason.ALREADY_PLACED)
        found = self.index.find(article, actors, topics)
        if found is None:
            story = self.store.add_story(self._new_story(article), [article_id])
            assert story.id is not None
            self.index.add(article, story.id, actors, topics)
            return Placement(article_id, story.id, Reason.NEW_STORY)
        story_id, reason, matched, similarity = found
        story = self.store.get_story(story_id)
        self.store.update_story(self._grown(story, article), [article_id])
        self.index.add(article, story_id, actors, topics)
        return Placement(article_id, story_id, reason, matched, similarity)

    def place_safely(
        self, article: Article, actors: Collection[str], topics: Collection[str]
    ) -> Placement | None:
        """:meth:`place`, with any error logged instead of raised: clustering never fails the
        analysis of an article (its article is placed at the next start)."""
        try:
            return self.place(article, actors, topics)
        except Exception:
            log.exception("story clustering of article %s failed", article.id)
            return None

    def on_analysed(
        self,
        article: Article,
        actors: Sequence[ActorMention],
        topics: Sequence[TopicMention],
    ) -> None:
        """The hook ``analyse_queue(on_analysed=...)`` calls after storing an analysis."""
        self.place_safely(
            article, [found.actor_key for found in actors], [found.topic_key for found in topics]
        )

    @staticmethod
    def _new_story(article: Article) -> Story:
        at = article_time(article)
        return Story(
            headline=article.title,
            summary=_summary(article),
            first_seen_at=at,
            updated_at=at,
        )

    @staticmethod
    def _grown(story: Story, article: Article) -> Story:
        """The story with ``article`` in it: the headline is the earliest report's, the summary
        the longest, and ``updated_at`` the time of the latest report."""
        at = article_time(article)
        summary = _summary(article)
        return dataclasses.replace(
            story,
            headline=article.title if at < story.first_seen_at else story.headline,
            first_seen_at=min(at, story.first_seen_at),
            updated_at=max(story.updated_at, at),
            summary=summary if len(summary) > len(story.summary) else story.summary,
        )


def _summary(article: Article) -> str:
    """An article's summary: the analysis's (lead sentences), else the feed's teaser."""
    return " ".join(article.analysis_summary) or article.summary.strip()


def _id(item: Article | AnalysedArticle) -> int:
    article = item.article if isinstance(item, AnalysedArticle) else item
    if article.id is None:
        raise ValueError("only a stored article can be clustered")
    return article.id


# -- what a story is made of ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StorySource:
    """One report of a story: the outlet (its feed's title, else URL) and the link."""

    article_id: int
    outlet: str
    title: str
    url: str | None
    published_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StoryPosition:
    """A statement in a story, with every article reporting it (near-identical claims by the
    same actor, speaker, stance, topic and target are one)."""

    position: Position
    article_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StoryDetail:
    """A story with its sources, actors and topics (most reported first) and positions."""

    story: Story
    sources: tuple[StorySource, ...]
    actors: tuple[str, ...]
    topics: tuple[str, ...]
    positions: tuple[StoryPosition, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        """The distinct outlets, in the order they reported."""
        return tuple(dict.fromkeys(source.outlet for source in self.sources))


def list_stories(
    store: Store, *, since: dt.datetime | None = None, limit: int | None = None
) -> list[StoryDetail]:
    """Stories with a report since ``since``, newest first (by their latest report)."""
    found = stories_updated_since(store, since, limit=limit)
    ids = [_story_id(story) for story in found]
    sources = stories_sources(store, ids)
    actors, topics = stories_mentions(store, ids)
    said = stories_positions(store, ids)
    return [
        StoryDetail(
            story=story,
            sources=tuple(_source(item) for item in sources.get(_story_id(story), ())),
            actors=tuple(key for key, _count in actors.get(_story_id(story), ())),
            topics=tuple(key for key, _count in topics.get(_story_id(story), ())),
            positions=merge_positions(said.get(_story_id(story), ())),
        )
        for story in found
    ]


def get_story_detail(store: Store, story_id: int) -> StoryDetail:
    """One story with what it is made of (StoryNotFoundError if there is none)."""
    story = store.get_story(story_id)
    sources = stories_sources(store, [story_id]).get(story_id, [])
    actors, topics = stories_mentions(store, [story_id])
    return StoryDetail(
        story=story,
        sources=tuple(_source(item) for item in sources),
        actors=tuple(key for key, _count in actors.get(story_id, ())),
        topics=tuple(key for key, _count in topics.get(story_id, ())),
        positions=merge_positions(stories_positions(store, [story_id]).get(story_id, ())),
    )


def _story_id(story: Story) -> int:
    assert story.id is not None
    return story.id


def _source(item: SourcedArticle) -> StorySource:
    article = item.article
    assert article.id is not None
    return StorySource(
        article_id=article.id,
        outlet=item.feed_title or item.feed_url,
        title=article.title,
        url=article.url,
        published_at=article_time(article),
    )


def merge_positions(found: Iterable[Position]) -> tuple[StoryPosition, ...]:
    """The union of a story's positions: those of the same actor, speaker, stance, topic and
    target whose claims are near-identical (word Jaccard >= ``SAME_CLAIM_JACCARD``) are one,
    with the articles of each; the first reported stands for them."""
    groups: dict[tuple[object, ...], list[tuple[frozenset[str], Position, list[int]]]] = {}
    merged: list[tuple[Position, list[int]]] = []
    for position in found:
        key = (
            position.actor_key,
            (position.speaker or "").lower(),
            position.stance,
            position.topic_key,
            position.target_key,
        )
        words = frozenset(_words(position.claim))
        for other_words, _first, article_ids in groups.get(key, ()):
            union = len(words | other_words) or 1
            if len(words & other_words) / union >= SAME_CLAIM_JACCARD:
                if position.article_id not in article_ids:
                    article_ids.append(position.article_id)
                break
        else:
            article_ids = [position.article_id]
            groups.setdefault(key, []).append((words, position, article_ids))
            merged.append((position, article_ids))
    return tuple(StoryPosition(position, tuple(ids)) for position, ids in merged)
