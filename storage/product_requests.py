"""Permintaan: what members looked for and did not find, for coordinators and sellers to see.

One person's asks are capped (`WEEKLY_LIMIT` a week) and the same words twice in a week
count once, so the list shows demand, not one person's repeated taps.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from storage.models import ProductRequest

__all__ = [
    "WEEK",
    "WEEKLY_LIMIT",
    "Demand",
    "Recorded",
    "count_requests",
    "demand",
    "normalise_words",
    "record_request",
]

WEEK = timedelta(days=7)
WEEKLY_LIMIT = 5
WORDS_LIMIT = 60


class Recorded(StrEnum):
    """What became of an ask."""

    ADDED = "added"
    ALREADY = "already"  # the same words by the same member this week
    LIMIT = "limit"  # WEEKLY_LIMIT asks this week already


@dataclass(frozen=True)
class Demand:
    """Words members asked for, how many people, and when last."""

    words: str
    people: int
    last_at: datetime


def normalise_words(words: str) -> str:
    """`  Bakso  Urat ` -> `bakso urat`: lower case, single spaces, at most WORDS_LIMIT long."""
    return " ".join(words.casefold().split())[:WORDS_LIMIT].strip()


def record_request(
    *, session: Session, community_id: int, member_id: int, words: str, now: datetime
) -> Recorded:
    """Store an ask unless it repeats this week's or the member is over the weekly cap."""
    words = normalise_words(words)
    mine = session.exec(
        select(ProductRequest.words).where(
            ProductRequest.community_id == community_id,
            ProductRequest.member_id == member_id,
            col(ProductRequest.created_at) > now - WEEK,
        )
    ).all()
    if words in mine:
        return Recorded.ALREADY
    if len(mine) >= WEEKLY_LIMIT:
        return Recorded.LIMIT
    session.add(
        ProductRequest(community_id=community_id, member_id=member_id, words=words, created_at=now)
    )
    return Recorded.ADDED


def demand(
    *, session: Session, community_id: int, since: datetime, limit: int = 20
) -> list[Demand]:
    """What was asked since `since`: most people first, then most recent."""
    people = func.count(func.distinct(ProductRequest.member_id))
    last = func.max(ProductRequest.created_at)
    rows = session.exec(
        select(ProductRequest.words, people, last)
        .where(
            ProductRequest.community_id == community_id,
            col(ProductRequest.created_at) > since,
        )
        .group_by(col(ProductRequest.words))
        .order_by(people.desc(), last.desc(), col(ProductRequest.words))
        .limit(limit)
    ).all()
    return [Demand(words, count, _aware(at)) for words, count, at in rows]


def count_requests(*, session: Session, community_id: int, since: datetime) -> int:
    """How many asks were recorded since `since` (for LAPORAN)."""
    return session.exec(
        select(func.count()).where(
            ProductRequest.community_id == community_id,
            col(ProductRequest.created_at) > since,
        )
    ).one()


def _aware(value: datetime | str) -> datetime:
    """max() of a UTCDateTime column comes back untyped on SQLite: make it an aware datetime."""
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
