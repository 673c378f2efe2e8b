"""Weekly numbers of one community, for the charts (dashboard and `STATISTIK`).

Weeks start on Monday in the community's zone. Rows are read in the window and bucketed here,
so the same code runs on SQLite and PostgreSQL; a window is a few weeks of one community.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.models import (
    Community,
    Member,
    OutboxMessage,
    OutboxStatus,
    Product,
    Recommendation,
    ShareOpen,
)

__all__ = ["DELIVERY_STATES", "WeeklyStats", "weekly_stats"]

DELIVERY_STATES = ("sent", "delivered", "failed", "opted_out")
_STATE_OF: dict[str, str] = {
    OutboxStatus.SENT: "sent",
    OutboxStatus.DELIVERED: "delivered",
    OutboxStatus.READ: "delivered",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.NEEDS_TEMPLATE: "failed",
    OutboxStatus.SKIPPED: "opted_out",  # opt-out (or unreachable) found at send time
}


@dataclass
class WeeklyStats:
    """Counts per week (oldest first); `weeks` are the Mondays."""

    weeks: list[date]
    joined: list[int]
    products: list[int]
    recommendations: list[int]
    shares: list[int]
    delivery: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # kind -> state


def _monday(moment: datetime, zone: ZoneInfo) -> date:
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def _bucket(times: Iterable[datetime], weeks: list[date], zone: ZoneInfo) -> list[int]:
    index = {week: i for i, week in enumerate(weeks)}
    counts = [0] * len(weeks)
    for moment in times:
        i = index.get(_monday(moment, zone))
        if i is not None:
            counts[i] += 1
    return counts


def weekly_stats(
    *, session: Session, community: Community, now: datetime, weeks: int = 8
) -> WeeklyStats:
    """The last `weeks` weeks (this one included) of one community."""
    zone = ZoneInfo(community.timezone)
    this_monday = _monday(now, zone)
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = datetime.combine(mondays[0], datetime.min.time(), zone)
    cid = community.id or 0

    def times(column: object, table: type, community_column: object) -> list[datetime]:
        query = select(column).where(community_column == cid, column >= since)  # type: ignore[operator, arg-type, call-overload]
        return list(session.exec(query).all())

    joined = times(Member.created_at, Member, Member.community_id)
    products = times(Product.created_at, Product, Product.community_id)
    recs = times(Recommendation.created_at, Recommendation, Recommendation.community_id)
    shares = times(ShareOpen.opened_at, ShareOpen, ShareOpen.community_id)
    stats = WeeklyStats(
        weeks=mondays,
        joined=_bucket(joined, mondays, zone),
        products=_bucket(products, mondays, zone),
        recommendations=_bucket(recs, mondays, zone),
        shares=_bucket(shares, mondays, zone),
    )
    rows = session.exec(
        select(OutboxMessage.kind, OutboxMessage.status, OutboxMessage.created_at).where(
            OutboxMessage.community_id == cid,
            col(OutboxMessage.kind).in_(["digest", "broadcast"]),
            col(OutboxMessage.member_id).is_not(None),  # members, not the group post
            OutboxMessage.created_at >= since,
        )
    ).all()
    for kind in ("digest", "broadcast"):
        stats.delivery[kind] = {
            state: _bucket(
                (at for k, status, at in rows if k == kind and _STATE_OF.get(status) == state),
                mondays,
                zone,
            )
            for state in DELIVERY_STATES
        }
    return stats
