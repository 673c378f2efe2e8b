"""The outbox: every bot-initiated message is a row first, so nothing is lost or sent twice."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, or_
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import SelectOfScalar

from storage.core import insert_returning_id, insert_unless_exists, run, table_of
from storage.models import OutboxLane, OutboxMessage, OutboxStatus

__all__ = [
    "UNROUTED",
    "ClaimedReply",
    "claim_due",
    "enqueue",
    "enqueue_claimed_reply",
    "enqueue_reply",
    "find_by_provider_id",
    "is_queued",
    "lane_of",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "mark_status",
    "next_due",
    "release_stuck",
]

UNROUTED = "-"
"""`claim_due(channel=UNROUTED)`: rows whose channel the worker picks when it sends them."""


BULK_KINDS = ("digest", "broadcast")
OUTBOX = table_of(OutboxMessage)
UPDATE_ROW = update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"))


def lane_of(kind: str) -> int:
    """Replies first, then one-person notices, then messages to many."""
    if kind == "reply":
        return OutboxLane.REPLY
    return OutboxLane.BULK if kind in BULK_KINDS else OutboxLane.NOTICE


def enqueue(
    *,
    session: Session,
    community_id: int | None,
    member_id: int | None,
    kind: str,
    idempotency_key: str,
    payload: dict[str, Any],
    now: datetime,
    chat_id: str | None = None,
    not_before: datetime | None = None,
    channel: str | None = None,
    address: str | None = None,
    inbox_id: int | None = None,
    broadcast_id: int | None = None,
) -> bool:
    """Add a message unless one with the same key exists; True when it was added.

    `channel`/`address` pin a message to one chat (a reply goes where the message came
    from); without them the delivery worker picks the member's channel. `broadcast_id`
    tags the rows of one announcement (its counts are read from them).
    """
    return insert_unless_exists(
        session,
        OutboxMessage,
        {
            "community_id": community_id,
            "member_id": member_id,
            "chat_id": chat_id,
            "channel": channel,
            "address": address,
            "inbox_id": inbox_id,
            "broadcast_id": broadcast_id,
            "lane": lane_of(kind),
            "kind": kind,
            "idempotency_key": idempotency_key,
            "payload": payload,
            "next_attempt_at": not_before or now,
            "created_at": now,
            "updated_at": now,
        },
    )


def enqueue_reply(
    *,
    session: Session,
    inbox_id: int,
    index: int,
    channel: str,
    address: str,
    chat_id: str | None,
    community_id: int | None,
    member_id: int | None,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """One reply to an inbox message, in the reply lane; keyed on the inbox id and position,
    so processing the same message again adds nothing."""
    return enqueue(
        session=session,
        community_id=community_id,
        member_id=member_id,
        kind="reply",
        idempotency_key=f"reply:{inbox_id}:{index}",
        payload=payload,
        now=now,
        chat_id=chat_id,
        channel=channel,
        address=address,
        inbox_id=inbox_id,
    )


@dataclass(frozen=True)
class ClaimedReply:
    """A reply row as `enqueue_claimed_reply` wrote it: what sending it needs (a plain
    object: building an ORM instance per reply cost more than the INSERT)."""

    id: int
    channel: str
    address: str
    chat_id: str | None
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    lane: int = OutboxLane.REPLY


def enqueue_claimed_reply(
    *,
    session: Session,
    inbox_id: int,
    index: int,
    channel: str,
    address: str,
    chat_id: str | None,
    community_id: int | None,
    member_id: int | None,
    payload: dict[str, Any],
    now: datetime,
    worker: str | None,
) -> ClaimedReply | None:
    """`enqueue_reply` with the row already claimed by `worker` (status `sending`, one
    attempt, its lease from `now`): the caller sends it right after its transaction commits,
    without a claim of its own. The row as written (not in the session), or None if the
    reply was already queued. A crash before it is recorded leaves it `sending`: taken back
    like any other claim (when `worker` starts again, or once the lease is over).
    """
    values = {
        "community_id": community_id,
        "member_id": member_id,
        "chat_id": chat_id,
        "channel": channel,
        "address": address,
        "inbox_id": inbox_id,
        "lane": OutboxLane.REPLY,
        "kind": "reply",
        "idempotency_key": f"reply:{inbox_id}:{index}",
        "payload": payload,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
        "status": OutboxStatus.SENDING,
        "attempts": 1,
        "claimed_by": worker,
    }
    row_id = insert_returning_id(session, OutboxMessage, values)
    if row_id is None:
        return None
    return ClaimedReply(row_id, channel, address, chat_id, "reply", payload, now)


def claim_due(
    *,
    session: Session,
    now: datetime,
    limit: int,
    inbox_id: int | None = None,
    lane: int | None = None,
    channel: str | None = None,
    worker: str | None = None,
) -> Sequence[OutboxMessage]:
    """Take up to `limit` due rows, replies first, and mark them `sending` by `worker`.

    `inbox_id` takes only the replies to one message (sent right after it was handled);
    `lane` only one lane; `channel` only rows routed to that channel (UNROUTED: to none
    yet). The claim is a lease: `updated_at` is when it was taken, and release_stuck gives
    the row back once the lease is over. On PostgreSQL several workers may drain at once:
    SKIP LOCKED lets each take different rows. SQLite serialises writers, which gives the
    same guarantee.
    """
    dialect = session.get_bind().dialect.name
    by_channel = None if channel is None else channel != UNROUTED
    query = _claim_query(
        inbox_id is not None, lane is not None, by_channel, dialect == "postgresql"
    )
    params = {"now": now, "limit": limit, "inbox_id": inbox_id, "lane": lane, "channel": channel}
    rows = session.exec(query, params=params).all()
    if not rows:
        return rows
    # one UPDATE for the batch (every reply passes here), the loaded rows kept in step
    run(session, CLAIM, {"ids": [row.id for row in rows], "now": now, "worker": worker})
    for row in rows:
        set_committed_value(row, "status", OutboxStatus.SENDING)
        set_committed_value(row, "attempts", row.attempts + 1)
        set_committed_value(row, "updated_at", now)
        set_committed_value(row, "claimed_by", worker)
    return rows


CLAIM = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        status=OutboxStatus.SENDING,
        attempts=OUTBOX.c.attempts + 1,
        updated_at=bindparam("now"),
        claimed_by=bindparam("worker"),
    )
)


@cache
def _claim_query(
    by_inbox: bool, by_lane: bool, by_channel: bool | None, skip_locked: bool
) -> SelectOfScalar[OutboxMessage]:
    """The due-rows query, built once per shape: building it cost as much as running it."""
    query = select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.PENDING,
        col(OutboxMessage.next_attempt_at) <= bindparam("now"),
    )
    if by_inbox:
        query = query.where(OutboxMessage.inbox_id == bindparam("inbox_id"))
    if by_lane:
        query = query.where(OutboxMessage.lane == bindparam("lane"))
    if by_channel:
        query = query.where(OutboxMessage.channel == bindparam("channel"))
    elif by_channel is False:
        query = query.where(col(OutboxMessage.channel).is_(None))
    query = query.order_by(
        col(OutboxMessage.lane), col(OutboxMessage.next_attempt_at), col(OutboxMessage.id)
    ).limit(bindparam("limit"))
    return query.with_for_update(skip_locked=True) if skip_locked else query


def mark_sent(
    *,
    session: Session,
    row: OutboxMessage | int,
    channel: str,
    provider_id: str | None,
    now: datetime,
    status: str = OutboxStatus.SENT,
) -> bool:
    """Record a successful hand-over to the channel (one plain UPDATE: every reply passes)."""
    values = {
        "status": status,
        "channel": channel,
        "provider_message_id": provider_id,
        "sent_at": now,
        "updated_at": now,
        "last_error": None,
    }
    row_id = row if isinstance(row, int) else row.id
    result = run(session, UPDATE_ROW, {"row_id": row_id, **values})
    if isinstance(row, OutboxMessage):
        for name, value in values.items():
            set_committed_value(row, name, value)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent_many(
    *, session: Session, sent: Sequence[tuple[int, str, str | None]], now: datetime
) -> int:
    """Record many hand-overs (row id, channel, provider id) in one executemany: a
    broadcast's answers come by the dozen, and a statement each cost most of their CPU.
    Returns how many rows were marked (rows erased meanwhile are not)."""
    if not sent:
        return 0
    common = {"status": OutboxStatus.SENT, "sent_at": now, "updated_at": now, "last_error": None}
    params = [
        {"row_id": row_id, "channel": channel, "provider_message_id": provider_id, **common}
        for row_id, channel, provider_id in sent
    ]
    count = session.execute(UPDATE_ROW, params).rowcount  # type: ignore[attr-defined]
    return len(sent) if count is None or count < 0 else int(count)  # -1: driver cannot tell


def mark_retry(
    *,
    session: Session,
    row: OutboxMessage,
    error: str,
    retry_at: datetime,
    now: datetime,
    max_attempts: int,
) -> None:
    """Try again later, or give up after `max_attempts`."""
    row.last_error = error[:500]
    row.updated_at = now
    if row.attempts >= max_attempts:
        row.status = OutboxStatus.FAILED
    else:
        row.status, row.next_attempt_at = OutboxStatus.PENDING, retry_at
    session.add(row)


def mark_failed(
    *,
    session: Session,
    row: OutboxMessage,
    status: str,
    error: str,
    error_code: str | None,
    now: datetime,
    channel: str | None = None,
) -> None:
    """A final outcome that is not a send: failed, skipped (opted out), needs_template."""
    row.status, row.last_error, row.error_code = status, error[:500], error_code
    row.channel = channel or row.channel
    row.updated_at = now
    session.add(row)


def mark_status(
    *, session: Session, row: OutboxMessage, status: str, error_code: str | None, now: datetime
) -> None:
    """Apply a delivery report (delivered, read, failed, undelivered) from a channel."""
    row.status = status
    row.error_code = error_code or row.error_code
    row.updated_at = now
    session.add(row)


def find_by_provider_id(*, session: Session, provider_id: str) -> OutboxMessage | None:
    """The row a channel's status callback talks about."""
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_id)
    ).first()


def release_stuck(
    *, session: Session, older_than: timedelta, now: datetime, worker: str | None = None
) -> int:
    """Put rows left `sending` back to pending: at-least-once beats never.

    Those whose lease ran out (claimed more than `older_than` ago), and with `worker`, every
    row that worker holds: it is starting, so whatever it claimed before died with it.
    """
    expired = col(OutboxMessage.updated_at) <= now - older_than
    mine = col(OutboxMessage.claimed_by) == worker
    result = session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.SENDING,
            or_(expired, mine) if worker is not None else expired,
        )
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, updated_at=now, claimed_by=None)
    )
    return int(result.rowcount or 0)


def is_queued(*, session: Session, idempotency_key: str) -> bool:
    """Whether a message with this key was ever queued: a job re-run skips building it."""
    found = session.exec(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
    ).first()
    return found is not None


def next_due(*, session: Session, channel: str | None = None) -> datetime | None:
    """When the next pending row (of `channel`, or UNROUTED ones) falls due, if any."""
    query = select(func.min(OutboxMessage.next_attempt_at)).where(
        OutboxMessage.status == OutboxStatus.PENDING
    )
    if channel == UNROUTED:
        query = query.where(col(OutboxMessage.channel).is_(None))
    elif channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    return session.exec(query).one()
