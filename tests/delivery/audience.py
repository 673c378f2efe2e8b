"""Many members and one announcement row each, written straight to the database.

The announcement feature builds its audience itself; delivery tests and bench/broadcast.py
only need rows to drain, so these are plain inserts (fast enough for 10,000).
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from handlers.messages import Reply, reply_to_payload
from storage.models import ChannelIdentity, Member, OutboxMessage
from storage.outbox import lane_of


@dataclass
class Audience:
    """Who got a row, by channel and address."""

    addresses: dict[str, list[str]] = field(default_factory=dict)  # channel -> addresses
    opted_out: set[str] = field(default_factory=set)


def address_for(channel: str, index: int) -> str:
    """A Telegram user id or an Indonesian mobile number, unique per index."""
    return str(100_000 + index) if channel == "telegram" else f"+62812{index:07d}"


def add_audience(
    session: Session,
    *,
    community_id: int,
    channels: dict[str, int],
    now: datetime,
    text: str = "Pengumuman: kerja bakti Minggu pagi",
    key: str = "announcement-1",
    opted_out_every: int = 0,
    route: bool = True,
) -> Audience:
    """`channels[name]` members on each channel, each with one broadcast row.

    Every `opted_out_every`-th member has opted out (after the row was queued); `route`
    puts the channel on the row, as an announcement does for each member's chosen app.
    """
    audience = Audience()
    index = 0
    payload = reply_to_payload(Reply(text))
    for channel, count in channels.items():
        members = []
        for _ in range(count):
            index += 1
            out = bool(opted_out_every) and index % opted_out_every == 0
            members.append(
                Member(
                    community_id=community_id,
                    display_name=f"Warga {index}",
                    opted_out_at=now if out else None,
                    consent_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add_all(members)
        session.flush()
        rows: list[object] = []
        for offset, member in enumerate(members):
            address = address_for(channel, index - count + offset + 1)
            audience.addresses.setdefault(channel, []).append(address)
            if member.opted_out_at is not None:
                audience.opted_out.add(address)
            rows.append(
                ChannelIdentity(
                    channel=channel,
                    address=address,
                    member_id=member.id,
                    display_name=member.display_name,
                    last_inbound_at=now,
                    created_at=now,
                )
            )
            rows.append(
                OutboxMessage(
                    community_id=community_id,
                    member_id=member.id,
                    kind="broadcast",
                    lane=lane_of("broadcast"),
                    idempotency_key=f"{key}:{member.id}",
                    payload=payload,
                    next_attempt_at=now,
                    channel=channel if route else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add_all(rows)
        session.flush()
    return audience


def statuses(session: Session) -> dict[str, int]:
    """How many broadcast rows are in each status."""
    counts: dict[str, int] = {}
    for row in session.exec(select(OutboxMessage.status).where(OutboxMessage.kind == "broadcast")):
        counts[row] = counts.get(row, 0) + 1
    return counts
