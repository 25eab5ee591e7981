"""The store's queries for digests (digests.compose._digest): plain functions taking the Store."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from digests.model import DeliveryKind, DeliveryStatus
from digests.store._store import Store
from digests.store._tables import deliveries, subscriptions


def last_digest_delivered_at(store: Store, subscription_id: int) -> dt.datetime | None:
    """When the subscription's last digest was delivered: the newest sent digest delivery's
    time, or the subscription's ``last_delivered_at``, whichever is later (None: never)."""
    sent = sa.select(sa.func.max(deliveries.c.sent_at)).where(
        deliveries.c.subscription_id == subscription_id,
        deliveries.c.kind == str(DeliveryKind.DIGEST),
        deliveries.c.status == str(DeliveryStatus.SENT),
    )
    marked = sa.select(subscriptions.c.last_delivered_at).where(
        subscriptions.c.id == subscription_id
    )
    with store._begin(write=False) as db:
        # max() keeps its argument's type, so both come back as aware UTC datetimes.
        times = [db.execute(sent).scalar(), db.execute(marked).scalar()]
    found = [when for when in times if when is not None]
    return max(found) if found else None
