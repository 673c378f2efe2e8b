"""Link codes as a guesser meets them: a code is spent only by a successful claim, and
wrong codes are counted per person (5 an hour), durably, across restarts and erasure."""

import hashlib
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from storage.models import LinkAttempt, LinkCode

__all__ = [
    "LINK_ATTEMPTS_PER_HOUR",
    "LINK_ATTEMPT_WINDOW",
    "find_link_code",
    "link_wait",
    "record_wrong_code",
]

LINK_ATTEMPTS_PER_HOUR = 5
LINK_ATTEMPT_WINDOW = timedelta(hours=1)


def _who(channel: str, address: str) -> str:
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()


def find_link_code(*, session: Session, code: str, now: datetime) -> int | None:
    """The member a code belongs to, without using it up; None if unknown or expired."""
    link = session.get(LinkCode, code.strip().upper())
    if link is None:
        return None
    if link.expires_at <= now:
        session.delete(link)  # no use to anyone any more
        session.flush()
        return None
    return link.member_id


def link_wait(*, session: Session, channel: str, address: str, now: datetime) -> timedelta | None:
    """How long this person must wait before trying another code; None if they may try now."""
    session.exec(
        delete(LinkAttempt).where(col(LinkAttempt.attempted_at) <= now - LINK_ATTEMPT_WINDOW)
    )
    recent = select(func.count(), func.min(LinkAttempt.attempted_at)).where(
        LinkAttempt.who == _who(channel, address)
    )
    count, oldest = session.exec(recent).one()
    if count < LINK_ATTEMPTS_PER_HOUR or oldest is None:
        return None
    return oldest + LINK_ATTEMPT_WINDOW - now


def record_wrong_code(*, session: Session, channel: str, address: str, now: datetime) -> None:
    """Count one wrong (unknown or expired) code against this person."""
    session.add(LinkAttempt(who=_who(channel, address), attempted_at=now))
    session.flush()
