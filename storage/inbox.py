"""The inbox: every inbound message is a row before the platform hears 2xx.

A channel writes the row in the same transaction as the dedupe record, so a retry of an
acknowledged message finds it, and a crash after the 2xx loses nothing: the inbox worker
resumes every row not done at start-up.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from storage.inbound import mark_processed
from storage.models import InboxMessage

__all__ = ["accept", "mark_done", "pending", "prune_done"]


def accept(
    *,
    session: Session,
    channel: str,
    platform_id: str,
    sender: str,
    payload: dict[str, Any],
    now: datetime,
) -> int | None:
    """Record one inbound message; its inbox id, or None for a duplicate (already here).

    The row is written before the dedupe record: with SQLite's driver a SAVEPOINT as the
    first statement is no nested transaction, and releasing it would commit the dedupe
    record on its own, so a failed inbox write would turn Twilio's retry into a "duplicate".
    """
    row = InboxMessage(
        channel=channel, platform_id=platform_id, sender=sender, payload=payload, received_at=now
    )
    session.add(row)
    session.flush()
    if not mark_processed(session=session, channel=channel, message_id=platform_id, now=now):
        session.delete(row)
        session.flush()
        return None
    assert row.id is not None
    return row.id


def pending(
    *, session: Session, limit: int, channels: Sequence[str] | None = None, after_id: int = 0
) -> Sequence[InboxMessage]:
    """Rows not done yet, oldest first (so one sender's rows come in their order)."""
    query = select(InboxMessage).where(
        col(InboxMessage.done_at).is_(None), col(InboxMessage.id) > after_id
    )
    if channels is not None:
        query = query.where(col(InboxMessage.channel).in_(list(channels)))
    return session.exec(query.order_by(col(InboxMessage.id)).limit(limit)).all()


def mark_done(*, session: Session, row: InboxMessage, now: datetime) -> None:
    """Done, in the transaction of its effects; what was said and by whom is no longer needed."""
    row.done_at = now
    row.payload, row.sender = {}, ""
    session.add(row)


def prune_done(*, session: Session, before: datetime) -> int:
    """Forget rows done long ago (the dedupe record outlives them in processedinbound)."""
    result = session.exec(
        delete(InboxMessage).where(
            col(InboxMessage.done_at).is_not(None), col(InboxMessage.done_at) < before
        )
    )
    return int(result.rowcount or 0)
