"""A workspace's overview, for a platform's home page (Slack's App Home tab)."""

from __future__ import annotations

import datetime as dt

from bot.views import View, digest_view
from bot.views.lists import subscriptions_list, watches_list
from digests.model import Platform, SubscriptionFilters, utc_now
from digests.schedule import next_delivery
from digests.service import Service

#: The news the overview shows: that of the last day.
HOME_WINDOW = dt.timedelta(hours=24)


def workspace_home(service: Service, platform: Platform, workspace_id: str) -> tuple[View, ...]:
    """The workspace's digest subscriptions with their next delivery, its watches, and the
    news of the last day."""
    now = utc_now()
    subscriptions = service.subscriptions(platform, workspace_id)
    listed = [(subscription, next_delivery(subscription, now)) for subscription in subscriptions]
    watches = service.store.list_watches(platform=platform, workspace_id=workspace_id)
    latest = service.digest(SubscriptionFilters(), HOME_WINDOW, now=now)
    return (
        subscriptions_list(listed, service.vocabulary, title="Digests in this workspace"),
        watches_list(watches, service.vocabulary, title="Watches in this workspace"),
        digest_view(latest),
    )
