"""Promo buddies' weeks: who is in, who promotes whom, what was done, reminded or ended."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import BuddyAssignment, Member, Product, ProductStatus

__all__ = [
    "ASSIGNMENT_DAYS",
    "active_product_ids",
    "buddy_sellers",
    "create_week",
    "current_assignment",
    "group_rows",
    "history",
    "open_groups_of",
    "unanswered",
    "week_rows",
]

ASSIGNMENT_DAYS = timedelta(days=7)
"""A pairing is "this week's" for seven days after it was made."""


def active_product_ids(*, session: Session, community_id: int, seller_id: int) -> list[int]:
    """The seller's active products, newest first."""
    rows = session.exec(
        select(Product.id)
        .where(
            Product.community_id == community_id,
            Product.seller_id == seller_id,
            Product.status == ProductStatus.ACTIVE,
        )
        .order_by(col(Product.created_at).desc(), col(Product.id).desc())
    ).all()
    return [product_id for product_id in rows if product_id is not None]


def buddy_sellers(*, session: Session, community_id: int) -> list[int]:
    """Members who opted in, still hear from Guyub, and have something active to promote."""
    selling = select(Product.seller_id).where(
        Product.community_id == community_id, Product.status == ProductStatus.ACTIVE
    )
    rows = session.exec(
        select(Member.id).where(
            Member.community_id == community_id,
            col(Member.buddy_since).is_not(None),
            col(Member.opted_out_at).is_(None),
            col(Member.id).in_(selling),
        )
    ).all()
    return sorted(member_id for member_id in rows if member_id is not None)


def week_rows(*, session: Session, community_id: int, week: str) -> list[BuddyAssignment]:
    """Every assignment of one week, by group and promoter."""
    return list(
        session.exec(
            select(BuddyAssignment)
            .where(BuddyAssignment.community_id == community_id, BuddyAssignment.week == week)
            .order_by(col(BuddyAssignment.group_no), col(BuddyAssignment.id))
        ).all()
    )


def history(
    *, session: Session, community_id: int, before: str, weeks: int = 52
) -> dict[str, list[tuple[int, ...]]]:
    """Earlier weeks' groups in ring order (erased members' links are left out)."""
    rows = session.exec(
        select(BuddyAssignment).where(
            BuddyAssignment.community_id == community_id, col(BuddyAssignment.week) < before
        )
    ).all()
    partners: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    for row in rows:
        if row.member_id is not None and row.partner_id is not None:
            partners[(row.week, row.group_no)][row.member_id] = row.partner_id
    groups: dict[str, list[tuple[int, ...]]] = defaultdict(list)
    for (week, _), ring in sorted(partners.items()):
        group = _ring(ring)
        if group is not None:
            groups[week].append(group)
    return {week: groups[week] for week in sorted(groups, reverse=True)[:weeks]}


def _ring(partners: Mapping[int, int]) -> tuple[int, ...] | None:
    """The group in ring order from its promoter -> partner links; None if one is gone."""
    start = min(partners)
    group = [start]
    while (following := partners.get(group[-1])) is not None and following != start:
        if following in group:
            return None
        group.append(following)
    return tuple(group) if following == start and len(group) == len(partners) else None


def create_week(
    *,
    session: Session,
    community_id: int,
    week: str,
    groups: Sequence[tuple[int, ...]],
    products: Mapping[int, int],
    now: datetime,
) -> list[BuddyAssignment]:
    """Store a week's groups: one row per promoter; `products` maps partner -> product."""
    rows = []
    for group_no, group in enumerate(groups, start=1):
        for index, member_id in enumerate(group):
            partner_id = group[(index + 1) % len(group)]
            rows.append(
                BuddyAssignment(
                    community_id=community_id,
                    week=week,
                    group_no=group_no,
                    member_id=member_id,
                    partner_id=partner_id,
                    product_id=products.get(partner_id),
                    created_at=now,
                )
            )
    session.add_all(rows)
    session.flush()
    return rows


def current_assignment(
    *, session: Session, community_id: int, member_id: int, now: datetime
) -> BuddyAssignment | None:
    """The member's latest pairing made in the last seven days and not ended."""
    return session.exec(
        select(BuddyAssignment)
        .where(
            BuddyAssignment.community_id == community_id,
            BuddyAssignment.member_id == member_id,
            col(BuddyAssignment.ended_at).is_(None),
            col(BuddyAssignment.created_at) > now - ASSIGNMENT_DAYS,
            col(BuddyAssignment.created_at) <= now,
        )
        .order_by(col(BuddyAssignment.created_at).desc())
    ).first()


def group_rows(*, session: Session, assignment: BuddyAssignment) -> list[BuddyAssignment]:
    """Every row of the assignment's pair or trio."""
    return list(
        session.exec(
            select(BuddyAssignment).where(
                BuddyAssignment.community_id == assignment.community_id,
                BuddyAssignment.week == assignment.week,
                BuddyAssignment.group_no == assignment.group_no,
            )
        ).all()
    )


def open_groups_of(
    *, session: Session, community_id: int, member_id: int, now: datetime
) -> list[list[BuddyAssignment]]:
    """The member's pairs or trios of the last seven days that still run (none ended)."""
    rows = session.exec(
        select(BuddyAssignment).where(
            BuddyAssignment.community_id == community_id,
            col(BuddyAssignment.created_at) > now - ASSIGNMENT_DAYS,
            col(BuddyAssignment.ended_at).is_(None),
            (col(BuddyAssignment.member_id) == member_id)
            | (col(BuddyAssignment.partner_id) == member_id),
        )
    ).all()
    seen: set[tuple[str, int]] = set()
    groups = []
    for row in rows:
        if (row.week, row.group_no) not in seen:
            seen.add((row.week, row.group_no))
            groups.append(group_rows(session=session, assignment=row))
    return groups


def unanswered(
    *, session: Session, community_id: int, made_after: datetime, made_before: datetime
) -> list[BuddyAssignment]:
    """Assignments made in the window that nobody answered, ended or reminded yet."""
    return list(
        session.exec(
            select(BuddyAssignment)
            .where(
                BuddyAssignment.community_id == community_id,
                col(BuddyAssignment.created_at) > made_after,
                col(BuddyAssignment.created_at) <= made_before,
                col(BuddyAssignment.member_id).is_not(None),
                col(BuddyAssignment.done_at).is_(None),
                col(BuddyAssignment.ended_at).is_(None),
                col(BuddyAssignment.reminded_at).is_(None),
            )
            .order_by(col(BuddyAssignment.id))
        ).all()
    )
