"""Platform-neutral views: frozen, typed answers that carry structure (sections, items,
sources, links, timestamps), never formatted text. Each platform has one renderer per view:
the console's (plain text and Markdown) and JSON live here; Discord's and Slack's will follow.
"""

from bot.views._types import (
    AlertView,
    ArticleHitView,
    DigestSectionView,
    DigestView,
    ErrorView,
    FeedNoticeView,
    FieldView,
    ListItemView,
    ListView,
    NoticeView,
    PositionItemView,
    PositionsView,
    SearchView,
    SourceView,
    StanceChangeView,
    StoryView,
    TopicSectionView,
    View,
)
from bot.views.digest import digest_view, story_view
from bot.views.positions import alert_view, error_view, position_item_views, positions_view
from bot.views.search import search_view

__all__ = [
    "AlertView",
    "ArticleHitView",
    "DigestSectionView",
    "DigestView",
    "ErrorView",
    "FeedNoticeView",
    "FieldView",
    "ListItemView",
    "ListView",
    "NoticeView",
    "PositionItemView",
    "PositionsView",
    "SearchView",
    "SourceView",
    "StanceChangeView",
    "StoryView",
    "TopicSectionView",
    "View",
    "alert_view",
    "digest_view",
    "error_view",
    "position_item_views",
    "positions_view",
    "search_view",
    "story_view",
]
