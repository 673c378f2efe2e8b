"""Announcements (*pengumuman*): the rows, their audience, and counts read from the outbox.

An announcement is queued once (`started_at`), one outbox row per recipient tagged with
`OutboxMessage.broadcast_id` and keyed `broadcast:{id}:{member_id}`; everything shown
afterwards (progress, the report, `guyub broadcast status`) is counted from those rows.
"""

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from storage.models import (
    Announcement,
    AnnouncementAudience,
    ChannelIdentity,
    Community,
    Member,
    OutboxMessage,
    OutboxStatus,
    Role,
    WhatsAppQuota,
)

__all__ = [
    "WHATSAPP_WINDOW",
    "BroadcastCounts",
    "Recipient",
    "broadcast_channel",
    "broadcast_counts",
    "cancel_announcement",
    "create_announcement",
    "find_announcement",
    "outbox_summary",
    "recent_announcements",
    "recipients",
    "reserve_whatsapp",
    "running_announcements",
    "scheduled_announcements",
]

WHATSAPP_WINDOW = timedelta(hours=24) - timedelta(minutes=5)
"""A free-form WhatsApp message may follow a member's own message within 24 hours (less the
margin the sender keeps); later, only a paid template may start the conversation."""

SENT_STATUSES = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ)
OPEN_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)


def create_announcement(
    *,
    session: Session,
    community_id: int,
    author_id: int | None,
    text: str,
    media_id: str | None,
    audience: str,
    event_id: int | None,
    scheduled_for: datetime,
    now: datetime,
) -> Announcement:
    """A new announcement, to be sent at `scheduled_for` (now, for "Kirim sekarang")."""
    row = Announcement(
        community_id=community_id,
        author_id=author_id,
        text=text,
        media_id=media_id,
        audience=audience,
        event_id=event_id,
        scheduled_for=scheduled_for,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def find_announcement(
    *, session: Session, community_id: int, announcement_id: int
) -> Announcement | None:
    """One announcement of this community (another community's id finds nothing)."""
    row = session.get(Announcement, announcement_id)
    return row if row is not None and row.community_id == community_id else None


def scheduled_announcements(
    *, session: Session, community_id: int, due_by: datetime | None = None
) -> Sequence[Announcement]:
    """Announcements waiting for their time, soonest first; with `due_by`, those whose time
    has come by then (or passed while the bot was down)."""
    query = select(Announcement).where(
        Announcement.community_id == community_id,
        col(Announcement.started_at).is_(None),
        col(Announcement.cancelled_at).is_(None),
    )
    if due_by is not None:
        query = query.where(col(Announcement.scheduled_for) <= due_by)
    return session.exec(query.order_by(col(Announcement.scheduled_for), col(Announcement.id))).all()


def cancel_announcement(*, session: Session, announcement: Announcement, now: datetime) -> bool:
    """Cancel one that has not started; False when it already started or was cancelled."""
    if announcement.started_at is not None or announcement.cancelled_at is not None:
        return False
    announcement.cancelled_at = now
    session.add(announcement)
    return True


def running_announcements(*, session: Session, community_id: int) -> Sequence[Announcement]:
    """Announcements queued and not yet reported."""
    return session.exec(
        select(Announcement)
        .where(
            Announcement.community_id == community_id,
            col(Announcement.started_at).is_not(None),
            col(Announcement.finished_at).is_(None),
        )
        .order_by(col(Announcement.id))
    ).all()


def busy_communities(*, session: Session, now: datetime) -> list[int]:
    """Communities with an announcement due or running: the only ones the job looks at."""
    rows = session.exec(
        select(Announcement.community_id)
        .where(
            col(Announcement.cancelled_at).is_(None),
            col(Announcement.finished_at).is_(None),
            col(Announcement.scheduled_for) <= now,
        )
        .distinct()
    ).all()
    return sorted(rows)


def next_scheduled(*, session: Session, after: datetime) -> datetime | None:
    """When the next unfinished announcement is due after `after`, if any."""
    return session.exec(
        select(func.min(Announcement.scheduled_for)).where(
            col(Announcement.finished_at).is_(None),
            col(Announcement.cancelled_at).is_(None),
            col(Announcement.scheduled_for) > after,
        )
    ).first()


@dataclass(frozen=True)
class Recipient:
    """A member an announcement goes to, on the one channel it will use."""

    member: Member
    channel: str
    outside_window: bool  # WhatsApp only: a business-initiated (template) message


def broadcast_channel(
    member: Member, identities: Sequence[ChannelIdentity]
) -> ChannelIdentity | None:
    """The one app an announcement reaches a member on: Telegram (free) when they use both,
    unless they chose WhatsApp as their contact; otherwise the app they use."""
    reachable = [i for i in identities if i.unreachable_at is None]
    by_channel: dict[str, ChannelIdentity] = {}
    for identity in reachable:
        by_channel.setdefault(identity.channel, identity)
    if "telegram" in by_channel and "whatsapp" in by_channel:
        chosen = "whatsapp" if member.contact_channel == "whatsapp" else "telegram"
        return by_channel[chosen]
    return reachable[0] if reachable else None


def _members(
    session: Session, community_id: int, audience: str, member_ids: Collection[int] | None
) -> list[Member]:
    query = select(Member).where(
        Member.community_id == community_id, col(Member.opted_out_at).is_(None)
    )
    if audience == AnnouncementAudience.SELLERS:
        query = query.where(col(Member.role).in_([Role.SELLER, Role.COORDINATOR]))
    if member_ids is not None:
        query = query.where(col(Member.id).in_(list(member_ids)))
    return list(session.exec(query.order_by(col(Member.id))).all())


def recipients(
    *,
    session: Session,
    community_id: int,
    audience: str,
    now: datetime,
    member_ids: Collection[int] | None = None,
    exclude_member_id: int | None = None,
) -> list[Recipient]:
    """Who hears an announcement, each on one channel; opted-out and unreachable members are
    left out (the delivery worker checks opt-out again when it sends).

    `member_ids` narrows the audience (those who answered Hadir to an event).
    """
    members = [
        m
        for m in _members(session, community_id, audience, member_ids)
        if m.id != exclude_member_id
    ]
    ids = [m.id for m in members]
    identities: dict[int, list[ChannelIdentity]] = {}
    if ids:
        rows = session.exec(
            select(ChannelIdentity).where(col(ChannelIdentity.member_id).in_(ids))
        ).all()
        for row in sorted(rows, key=lambda i: i.last_inbound_at or i.created_at, reverse=True):
            identities.setdefault(row.member_id or 0, []).append(row)
    found = []
    for member in members:
        identity = broadcast_channel(member, identities.get(member.id or 0, []))
        if identity is None:
            continue
        last = identity.last_inbound_at
        outside = identity.channel == "whatsapp" and (last is None or now - last >= WHATSAPP_WINDOW)
        found.append(Recipient(member, identity.channel, outside))
    return found


def reserve_whatsapp(*, session: Session, day: str, want: int, cap: int) -> int:
    """Take up to `want` of `day`'s business-initiated WhatsApp messages; how many were left.

    The count is the sender's, shared by every community (Meta caps the number, not us).
    """
    row = session.get(WhatsAppQuota, day) or WhatsAppQuota(day=day, used=0)
    granted = max(0, min(want, cap - row.used))
    row.used += granted
    session.add(row)
    session.flush()
    return granted


@dataclass
class BroadcastCounts:
    """What became of an announcement's rows (its members; the group post apart)."""

    total: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # reason -> count
    held: int = 0  # waiting for a later day (the daily WhatsApp cap)
    group: str | None = None  # the group post's status, if there is one

    @property
    def sent(self) -> int:
        """Handed over to the channel (delivered and read ones included)."""
        return sum(self.statuses[s] for s in SENT_STATUSES)

    @property
    def delivered(self) -> int:
        """Reported delivered by the channel (read ones included)."""
        return self.statuses[OutboxStatus.DELIVERED] + self.statuses[OutboxStatus.READ]

    @property
    def read(self) -> int:
        return self.statuses[OutboxStatus.READ]

    @property
    def failed(self) -> int:
        return self.statuses[OutboxStatus.FAILED]

    @property
    def needs_template(self) -> int:
        return self.statuses[OutboxStatus.NEEDS_TEMPLATE]

    @property
    def opted_out(self) -> int:
        return self.failures["opted_out"]

    @property
    def skipped(self) -> int:
        """Skipped for another reason than opting out (left, unreachable)."""
        return self.statuses[OutboxStatus.SKIPPED] - self.opted_out

    @property
    def open(self) -> int:
        """Still to be sent (or retried)."""
        return sum(self.statuses[s] for s in OPEN_STATUSES)


def broadcast_counts(
    *, session: Session, community_id: int, announcement_id: int
) -> BroadcastCounts:
    """Counts of one announcement's outbox rows, by status, channel and failure reason."""
    rows = session.execute(
        select_columns(
            col(OutboxMessage.member_id),
            col(OutboxMessage.status),
            col(OutboxMessage.channel),
            col(OutboxMessage.error_code),
            col(OutboxMessage.last_error),
            col(OutboxMessage.next_attempt_at),
            col(OutboxMessage.created_at),
            col(OutboxMessage.attempts),
        ).where(
            col(OutboxMessage.community_id) == community_id,
            col(OutboxMessage.broadcast_id) == announcement_id,
        )
    ).all()
    counts = BroadcastCounts()
    for member_id, status, channel, code, error, next_at, created, attempts in rows:
        if member_id is None:
            counts.group = status
            continue
        counts.total += 1
        counts.statuses[status] += 1
        if channel:
            counts.channels[channel] += 1
        if status == OutboxStatus.SKIPPED:
            counts.failures[error or "skipped"] += 1
        elif status == OutboxStatus.FAILED:
            counts.failures[code or (error or "error")[:40]] += 1
        elif status == OutboxStatus.PENDING and not attempts and next_at > created:
            counts.held += 1  # queued for a later day, never tried
    return counts


def recent_announcements(
    *, session: Session, limit: int = 20
) -> Sequence[tuple[Announcement, Community]]:
    """The latest announcements of every community, newest first (for the operator's CLI)."""
    return session.exec(
        select(Announcement, Community)
        .join(Community, col(Community.id) == col(Announcement.community_id))
        .order_by(col(Announcement.id).desc())
        .limit(limit)
    ).all()


def outbox_summary(*, session: Session) -> list[tuple[str, str, str, int]]:
    """Rows still queued, being retried, or failed: (state, kind, reason, count), for the CLI.

    `retrying` is a pending row that has been tried before; the reason is its last error.
    """
    rows = session.execute(
        select_columns(
            col(OutboxMessage.status),
            col(OutboxMessage.kind),
            col(OutboxMessage.attempts),
            col(OutboxMessage.error_code),
            col(OutboxMessage.last_error),
        ).where(
            col(OutboxMessage.status).in_(
                [
                    OutboxStatus.PENDING,
                    OutboxStatus.SENDING,
                    OutboxStatus.FAILED,
                    OutboxStatus.NEEDS_TEMPLATE,
                ]
            )
        )
    ).all()
    found: Counter[tuple[str, str, str]] = Counter()
    for status, kind, attempts, code, error in rows:
        if status == OutboxStatus.PENDING:
            state = "retrying" if attempts and error else "queued"
        else:
            state = status
        reason = ""
        if state != "queued":
            reason = " ".join(part for part in (code, (error or "")[:60]) if part)
        found[(state, kind, reason)] += 1
    order = {"queued": 0, "sending": 1, "retrying": 2, "needs_template": 3, "failed": 4}
    return sorted(
        ((state, kind, reason, n) for (state, kind, reason), n in found.items()),
        key=lambda r: (order.get(r[0], 9), r[1], -r[3], r[2]),
    )
