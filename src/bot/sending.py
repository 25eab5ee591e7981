"""What every platform's sender promises the delivery code (the outbox of `newsdigest run`).

A sender posts one view to one channel, in as many messages as the platform's limits need, in
order, and returns the platform's ids of those messages. It raises :class:`ChannelGoneError`
when the channel no longer exists or the bot may no longer post there (the subscription should
stop), and :class:`SendFailedError` for anything worth retrying later. A send retried with the
same nonce does not post twice where the platform supports that (Discord does).
"""

from __future__ import annotations

from typing import Protocol

from bot.views import View


class ChannelGoneError(Exception):
    """The channel is gone or closed to the bot: retrying will not help."""


class SendFailedError(Exception):
    """The platform did not take the message this time (a 5xx, a timeout): retry later."""


class Sender(Protocol):
    async def send(
        self,
        channel_id: str,
        view: View,
        *,
        nonce: str,
        workspace_id: str | None = None,
        resend: bool = False,
    ) -> tuple[str, ...]:
        """Post ``view`` to ``channel_id`` (of ``workspace_id``, where the platform needs it);
        return the ids of the messages it took. ``resend``: this delivery may have been posted
        before (its outcome was never confirmed); what the platform already has is not posted
        again."""
        ...
