"""The weekly digests each member got: what is new for them, and the full digest owed after
a WhatsApp template teaser.

One `Digest` row per member and ISO week. Read in bulk (one query per community run), since
a run reads every member's last digest at once.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from storage.core import insert_unless_exists, run, table_of
from storage.models import Digest

__all__ = [
    "LastDigest",
    "digested_members",
    "last_digests",
    "pending_digest",
    "record_digest",
    "take_pending",
]

LastDigest = tuple[datetime, frozenset[str]]
"""When a member's last digest was made, and the event occurrences it listed."""


def last_digests(*, session: Session, community_id: int, before: str) -> dict[int, LastDigest]:
    """Each member's latest digest in the community before the ISO week `before` (`2027-W02`
    sorts as text): member id -> (created_at, event keys)."""
    latest = (
        select(Digest.member_id, func.max(Digest.created_at).label("at"))
        .where(Digest.community_id == community_id, col(Digest.week) < before)
        .group_by(col(Digest.member_id))
        .subquery()
    )
    rows = session.exec(
        select(Digest.member_id, Digest.created_at, Digest.event_keys).join(
            latest,
            (col(Digest.member_id) == latest.c.member_id) & (col(Digest.created_at) == latest.c.at),
        )
    ).all()
    return {member_id: (at, frozenset(keys or ())) for member_id, at, keys in rows}


def digested_members(*, session: Session, community_id: int, week: str) -> set[int]:
    """Members who already have this week's digest (a re-run or catch-up skips them)."""
    rows = session.exec(
        select(Digest.member_id).where(Digest.community_id == community_id, Digest.week == week)
    ).all()
    return set(rows)


def record_digest(
    *,
    session: Session,
    community_id: int,
    member_id: int,
    week: str,
    product_ids: Sequence[int],
    event_keys: Sequence[str],
    channel: str | None,
    pending: dict[str, Any] | None,
    now: datetime,
) -> bool:
    """This week's digest of a member, unless one exists; True when it was added."""
    return insert_unless_exists(
        session,
        Digest,
        {
            "community_id": community_id,
            "member_id": member_id,
            "week": week,
            "product_ids": list(product_ids),
            "event_keys": list(event_keys),
            "channel": channel,
            "pending": pending,
            "followed_at": None,
            "created_at": now,
        },
    )


DIGEST = table_of(Digest)
PENDING_ID = (
    select(DIGEST.c.id)
    .where(
        DIGEST.c.community_id == bindparam("community_id"),
        DIGEST.c.member_id == bindparam("member_id"),
        DIGEST.c.pending.is_not(None),
        DIGEST.c.followed_at.is_(None),
        DIGEST.c.created_at > bindparam("since"),
    )
    .order_by(DIGEST.c.created_at.desc())
    .limit(1)
)
"""Built once: the owed-digest check runs for every member's every message (and almost
always finds nothing), so it is one plain SELECT of an id, the row loaded only if found."""


def pending_digest(
    *, session: Session, community_id: int, member_id: int, since: datetime
) -> Digest | None:
    """The member's latest digest made after `since` that still owes its full text."""
    params = {"community_id": community_id, "member_id": member_id, "since": since}
    found = run(session, PENDING_ID, params).scalar()
    return None if found is None else session.get(Digest, found)


def take_pending(*, session: Session, digest: Digest, now: datetime) -> dict[str, Any] | None:
    """The owed full digest, marked as followed (it is sent once)."""
    payload = digest.pending
    digest.pending, digest.followed_at = None, now
    session.add(digest)
    return payload
