"""Delivery: the outbox that sends each digest once, across restarts (see docs/delivery.md)."""

from bot.delivery._outbox import DEFAULT_GRACE, Outbox, Outcome, digest_nonce

__all__ = ["DEFAULT_GRACE", "Outbox", "Outcome", "digest_nonce"]
