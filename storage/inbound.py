"""Inbound message ids already handled: platforms retry, people should hear us once."""

from datetime import datetime

from sqlmodel import Session, col, delete

from storage.core import insert_unless_exists
from storage.models import ProcessedInbound

__all__ = ["mark_processed", "prune_processed"]


def mark_processed(*, session: Session, channel: str, message_id: str, now: datetime) -> bool:
    """Record an inbound id; False when it was seen before (a duplicate to drop).

    Uses the unique constraint rather than a read-then-write, so two workers racing on
    the same retry cannot both win.
    """
    return insert_unless_exists(
        session,
        ProcessedInbound,
        {"channel": channel, "message_id": message_id, "received_at": now},
    )


def prune_processed(*, session: Session, before: datetime) -> int:
    """Forget ids older than any platform retries (days, not minutes)."""
    result = session.exec(
        delete(ProcessedInbound).where(col(ProcessedInbound.received_at) < before)
    )
    return int(result.rowcount or 0)
