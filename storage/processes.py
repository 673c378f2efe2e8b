"""The running processes (heartbeats) and the queues they share, for `guyub status`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from storage.models import InboxMessage, OutboxMessage, OutboxStatus, ProcessBeat

__all__ = ["QueueDepths", "beat", "forget", "live", "queue_depths"]

ALIVE_FOR = timedelta(seconds=30)
"""A process not seen for this long is taken for dead (heartbeats come every 5 s)."""


def beat(
    *,
    session: Session,
    process_id: str,
    role: str,
    host: str,
    pid: int,
    started_at: datetime,
    now: datetime,
    leader: bool,
) -> None:
    """This process is alive (and leads, or not); its row is made at the first beat."""
    row = session.get(ProcessBeat, process_id)
    if row is None:
        row = ProcessBeat(
            id=process_id, role=role, host=host, pid=pid, started_at=started_at, seen_at=now
        )
    row.role, row.host, row.pid, row.started_at = role, host, pid, started_at
    row.seen_at, row.leader = now, leader
    session.add(row)


def forget(*, session: Session, process_id: str) -> None:
    """A process that stopped cleanly leaves the list at once."""
    session.exec(delete(ProcessBeat).where(col(ProcessBeat.id) == process_id))


def live(*, session: Session, now: datetime, role: str | None = None) -> Sequence[ProcessBeat]:
    """Processes seen within ALIVE_FOR (of one role, if given), oldest first."""
    query = select(ProcessBeat).where(col(ProcessBeat.seen_at) > now - ALIVE_FOR)
    if role is not None:
        query = query.where(col(ProcessBeat.role).in_([role, "all"]))
    return session.exec(query.order_by(col(ProcessBeat.started_at))).all()


@dataclass(frozen=True)
class QueueDepths:
    """What is waiting: inbox rows not done, outbox rows by status, and the oldest of each."""

    inbox_pending: int
    inbox_oldest: datetime | None
    outbox: dict[str, int]
    outbox_oldest_pending: datetime | None


def queue_depths(*, session: Session) -> QueueDepths:
    """The queues' depths, in four small queries (the status columns are indexed)."""
    inbox_pending, inbox_oldest = session.exec(
        select(func.count(), func.min(InboxMessage.received_at)).where(
            col(InboxMessage.done_at).is_(None)
        )
    ).one()
    outbox = {
        status: count
        for status, count in session.exec(
            select(OutboxMessage.status, func.count())
            .where(
                col(OutboxMessage.status).in_(
                    [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]
                )
            )
            .group_by(OutboxMessage.status)
        ).all()
    }
    oldest = session.exec(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
    ).one()
    return QueueDepths(int(inbox_pending), inbox_oldest, outbox, oldest)
