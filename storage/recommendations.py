"""Recommendations (*rekomendasi*): members vouching for each other's products.

Every function is scoped to one community, so a member never reaches another's rows.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from storage.models import Member, Product, Recommendation

__all__ = [
    "add_recommendation",
    "count_given_since",
    "find_recommendation",
    "latest_testimonial",
    "testimonials",
    "unnotified",
]


def find_recommendation(
    *,
    session: Session,
    community_id: int,
    product_id: int | None = None,
    member_id: int | None = None,
    recommendation_id: int | None = None,
) -> Recommendation | None:
    """One recommendation: by its id, or by product and member (one per member per product)."""
    query = select(Recommendation).where(Recommendation.community_id == community_id)
    if recommendation_id is not None:
        query = query.where(Recommendation.id == recommendation_id)
    if product_id is not None:
        query = query.where(Recommendation.product_id == product_id)
    if member_id is not None:
        query = query.where(Recommendation.member_id == member_id)
    return session.exec(query).first()


def add_recommendation(
    *, session: Session, community_id: int, product_id: int, member_id: int, now: datetime
) -> Recommendation:
    """Store a new recommendation (the caller checked it is allowed); flushed, so it has an id."""
    row = Recommendation(
        community_id=community_id, product_id=product_id, member_id=member_id, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def count_given_since(
    *, session: Session, community_id: int, member_id: int, since: datetime
) -> int:
    """How many recommendations a member gave since `since` (the daily cap counts these)."""
    query = select(func.count()).where(
        Recommendation.community_id == community_id,
        Recommendation.member_id == member_id,
        col(Recommendation.created_at) >= since,
    )
    return int(session.exec(query).one())


def _testimonial_query(community_id: int, product_id: int) -> Any:
    """A product's testimonials a card may show (written, not removed by a coordinator),
    each with its author (None once the author erased their data)."""
    return (
        select(Recommendation, Member)
        .join(Member, col(Member.id) == col(Recommendation.member_id), isouter=True)
        .where(
            Recommendation.community_id == community_id,
            Recommendation.product_id == product_id,
            col(Recommendation.testimonial).is_not(None),
            col(Recommendation.testimonial_removed_at).is_(None),
        )
    )


def testimonials(
    *, session: Session, community_id: int, product_id: int
) -> list[tuple[Recommendation, Member | None]]:
    """A product's shown testimonials, oldest first (what a coordinator reviews)."""
    query = _testimonial_query(community_id, product_id).order_by(
        col(Recommendation.created_at), col(Recommendation.id)
    )
    return [(row, member) for row, member in session.exec(query).all()]


def latest_testimonial(
    *, session: Session, community_id: int, product_id: int
) -> tuple[Recommendation, Member | None] | None:
    """The newest shown testimonial of a product and its author, for the product card."""
    query = _testimonial_query(community_id, product_id).order_by(
        col(Recommendation.created_at).desc(), col(Recommendation.id).desc()
    )
    found = session.exec(query.limit(1)).first()
    return (found[0], found[1]) if found is not None else None


def unnotified(
    *, session: Session, community_id: int, until: datetime
) -> list[tuple[Recommendation, Product]]:
    """Recommendations made up to `until` that no seller notice has gathered yet."""
    query = (
        select(Recommendation, Product)
        .join(Product, col(Product.id) == col(Recommendation.product_id))
        .where(
            Recommendation.community_id == community_id,
            Product.community_id == community_id,
            col(Recommendation.seller_notified_at).is_(None),
            col(Recommendation.created_at) <= until,
        )
        .order_by(col(Recommendation.product_id), col(Recommendation.id))
    )
    return [(row, product) for row, product in session.exec(query).all()]
