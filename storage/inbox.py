"""The inbox: every inbound message is a row before the platform hears 2xx.

A channel writes the row in the same transaction as the dedupe record, so a retry of an
acknowledged message finds it, and a crash after the 2xx loses nothing: the inbox worker
resumes every row not done at start-up.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, delete, select

from storage.core import run, table_of
from storage.inbound import mark_processed
from storage.models import InboxMessage

__all__ = [
    "accept",
    "claim",
    "hold",
    "mark_done",
    "pending",
    "prune_done",
    "release_claims",
    "take",
]

INBOX = table_of(InboxMessage)
INSERT_ROW = insert(INBOX).returning(INBOX.c.id)
MARK_DONE = update(INBOX).where(INBOX.c.id == bindparam("row_id"))
PENDING = (
    select(InboxMessage)
    .where(col(InboxMessage.done_at).is_(None), col(InboxMessage.id) > bindparam("after_id"))
    .order_by(col(InboxMessage.id))
    .limit(bindparam("limit"))
)
PENDING_OF = PENDING.where(col(InboxMessage.channel).in_(bindparam("channels", expanding=True)))
TAKE = (
    update(INBOX)
    .where(INBOX.c.id == bindparam("row_id"), INBOX.c.done_at.is_(None))
    .returning(INBOX.c.id)
)


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

    Hot path (every webhook, before its 2xx): two plain INSERTs, no ORM. The dedupe
    record goes first, "ON CONFLICT DO NOTHING" on its unique key: a duplicate writes
    nothing at all, and both rows commit (or fail) together with the caller's transaction.
    """
    if not mark_processed(session=session, channel=channel, message_id=platform_id, now=now):
        return None
    values = {
        "channel": channel,
        "platform_id": platform_id,
        "sender": sender,
        "payload": payload,
        "received_at": now,
    }
    inserted = run(session, INSERT_ROW, values)
    return int(inserted.scalar_one())


def take(*, session: Session, inbox_id: int, now: datetime) -> bool:
    """Mark the row done first thing in the router's transaction; False if it already was.

    One UPDATE instead of "is it pending?" and "mark it done": the transaction commits the
    row's effects with it or rolls it all back, so where in it the row is marked does not
    matter, and a second handling of the row finds it done.
    """
    values = {"row_id": inbox_id, "done_at": now, "payload": {}, "sender": ""}
    return run(session, TAKE, values).first() is not None


def pending(
    *, session: Session, limit: int, channels: Sequence[str] | None = None, after_id: int = 0
) -> Sequence[InboxMessage]:
    """Rows not done yet, oldest first (so one sender's rows come in their order).

    The inbox worker asks after every batch of webhooks: the statement is built once.
    """
    params: dict[str, object] = {"after_id": after_id, "limit": limit}
    if channels is None:
        return session.exec(PENDING, params=params).all()
    params["channels"] = list(channels)
    return session.exec(PENDING_OF, params=params).all()


def mark_done(*, session: Session, row: InboxMessage | int, now: datetime) -> None:
    """Done, in the transaction of its effects; what was said and by whom is no longer needed.

    One plain UPDATE (every message passes here); given a loaded row, it is kept in step.
    """
    row_id = row if isinstance(row, int) else row.id
    run(session, MARK_DONE, {"row_id": row_id, "done_at": now, "payload": {}, "sender": ""})
    if isinstance(row, InboxMessage):
        for name, value in (("done_at", now), ("payload", {}), ("sender", "")):
            set_committed_value(row, name, value)


def prune_done(*, session: Session, before: datetime) -> int:
    """Forget rows done long ago (the dedupe record outlives them in processedinbound)."""
    result = session.exec(
        delete(InboxMessage).where(
            col(InboxMessage.done_at).is_not(None), col(InboxMessage.done_at) < before
        )
    )
    return int(result.rowcount or 0)


CLAIM = text(
    """
    WITH heads AS (
        SELECT i.id, i.channel, i.sender FROM inbox AS i
        WHERE i.done_at IS NULL
          AND i.channel IN :channels
          AND (i.lease_until IS NULL OR i.lease_until <= :now)
          AND NOT EXISTS (
              SELECT 1 FROM inbox AS e
              WHERE e.sender = i.sender AND e.channel = i.channel
                AND e.done_at IS NULL AND e.id < i.id
          )
        ORDER BY i.id
        LIMIT :senders
        FOR UPDATE OF i SKIP LOCKED
    ),
    picked AS (
        SELECT r.id FROM inbox AS r JOIN heads AS h
          ON r.channel = h.channel AND r.sender = h.sender AND r.id >= h.id
        WHERE r.done_at IS NULL AND (r.lease_until IS NULL OR r.lease_until <= :now)
        ORDER BY r.id
        LIMIT :rows
        FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE inbox SET claimed_by = :worker, lease_until = :until
    FROM picked WHERE inbox.id = picked.id
    RETURNING inbox.id
    """
).bindparams(bindparam("channels", expanding=True))
ROWS_PER_SENDER = 8  # on average: a claim takes a sender's waiting rows with its oldest


def claim(
    *,
    session: Session,
    channels: Sequence[str],
    worker: str,
    now: datetime,
    until: datetime,
    limit: int,
) -> list[InboxMessage]:
    """PostgreSQL, several workers: take the oldest rows of up to `limit` senders, with
    the rows waiting behind them (in all at most ROWS_PER_SENDER x `limit`), oldest first.

    A sender's rows are claimable only from their oldest unfinished row, and only when
    that row is free (not leased), so one person's messages are handled one after another,
    in order, by one worker at a time; taking the rows behind it in the same claim saves a
    claim per message. The claim is a lease until `until`: a killed worker's rows are taken
    again once it is over, never before. SKIP LOCKED lets workers claim side by side.
    """
    if not channels or limit <= 0:
        return []
    params = {
        "channels": list(channels),
        "now": now,
        "until": until,
        "worker": worker,
        "senders": limit,
        "rows": limit * ROWS_PER_SENDER,
    }
    ids = [row_id for (row_id,) in session.execute(CLAIM, params)]
    if not ids:
        return []
    rows = session.exec(
        select(InboxMessage).where(col(InboxMessage.id).in_(ids)).order_by(col(InboxMessage.id))
    ).all()
    return list(rows)


def hold(*, session: Session, row_id: int, worker: str, now: datetime) -> int | None:
    """A row that failed: one more attempt counted, and kept (leased) until its retry time
    (2, 4, 8 ... s, at most 5 min); its sender's later rows wait behind it. The attempts
    so far, or None if it is done or gone."""
    row = session.get(InboxMessage, row_id)
    if row is None or row.done_at is not None:
        return None
    row.attempts += 1
    row.claimed_by = worker
    row.lease_until = now + timedelta(seconds=min(2**row.attempts, 300))
    session.add(row)
    return row.attempts


def release_claims(*, session: Session, worker: str, ids: Sequence[int] | None = None) -> int:
    """The rows this worker holds (`ids`: only those) go back to everyone now: at start,
    what a previous run held; after a failure, the rows queued behind the failed one."""
    query = update(InboxMessage).where(
        col(InboxMessage.claimed_by) == worker, col(InboxMessage.done_at).is_(None)
    )
    if ids is not None:
        query = query.where(col(InboxMessage.id).in_(list(ids)))
    result = session.exec(query.values(claimed_by=None, lease_until=None))
    return int(result.rowcount or 0)
