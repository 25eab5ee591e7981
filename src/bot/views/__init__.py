"""Platform-neutral views: frozen, typed answers that carry structure (sections, items,
sources, links, timestamps), never formatted text. Each platform has one renderer per view:
the console's (plain text and Markdown) and JSON live here; Discord's and Slack's will follow.
"""

from bot.views._types import (
    ErrorView,
    PositionItemView,
    PositionsView,
    SourceView,
    StanceChangeView,
    TopicSectionView,
    View,
)
from bot.views.positions import error_view, positions_view

__all__ = [
    "ErrorView",
    "PositionItemView",
    "PositionsView",
    "SourceView",
    "StanceChangeView",
    "TopicSectionView",
    "View",
    "error_view",
    "positions_view",
]
