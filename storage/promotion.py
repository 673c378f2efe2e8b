"""What saling promosi knows about a community, in a few queries.

- The facts behind the fair ranking of products (handlers/promotion/ranking.py): status,
  whether the product waits for its "masih ada?" answer, how often it was shown lately,
  its age and its recommendations.
- Who helped whom: people brought by a member's share links, buddy shares done,
  recommendations given (the sources of the gotong-royong score,
  handlers/promotion/helping.py), and a seller's public facts for `/profil NAMA`.

Every function is scoped to one community. An erased member's rows name nobody
(member_id NULL), so they count for the product but never for a person.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, func, select

from storage.exposure import exposure_counts
from storage.models import (
    BuddyAssignment,
    ChannelIdentity,
    Member,
    Product,
    ProductStatus,
    Recommendation,
    ShareLink,
    ShareOpen,
)
from storage.products import STALE_AFTER, recommendation_counts

__all__ = [
    "EXPOSURE_WINDOW",
    "ProductFacts",
    "awaiting_answer",
    "buddy_shares_done",
    "member_by_username",
    "members_by_id",
    "members_named",
    "people_brought",
    "product_facts",
    "products_by_id",
    "recommendations_given",
    "recommendations_received",
    "seller_products",
]

EXPOSURE_WINDOW = timedelta(weeks=4)
"""Exposure counts for the ranking look this far back: older promotion is forgotten."""


@dataclass(frozen=True)
class ProductFacts:
    """One product as the ranking sees it: plain data, no session behind it."""

    id: int
    status: str
    awaiting_answer: bool  # not confirmed for STALE_AFTER: waits for "masih ada?"
    exposures: int  # appearances within EXPOSURE_WINDOW
    created_at: datetime  # freshness: newer products first among equally shown ones
    recommendations: int


def awaiting_answer(product: Product, now: datetime) -> bool:
    """True while a product waits for its seller's "masih ada?" answer (or should be asked)."""
    asked = product.stale_asked_at
    return product.last_confirmed_at <= now - STALE_AFTER or (
        asked is not None and asked >= product.last_confirmed_at
    )


def product_facts(*, session: Session, community_id: int, now: datetime) -> list[ProductFacts]:
    """The ranking's facts for the community's active products (three queries)."""
    products = session.exec(
        select(Product).where(
            Product.community_id == community_id, Product.status == ProductStatus.ACTIVE
        )
    ).all()
    ids = [product.id or 0 for product in products]
    shown = exposure_counts(
        session=session, community_id=community_id, product_ids=ids, since=now - EXPOSURE_WINDOW
    )
    recommended = recommendation_counts(session=session, product_ids=ids)
    return [
        ProductFacts(
            id=product.id or 0,
            status=product.status,
            awaiting_answer=awaiting_answer(product, now),
            exposures=shown.get(product.id or 0, 0),
            created_at=product.created_at,
            recommendations=recommended.get(product.id or 0, 0),
        )
        for product in products
    ]


def products_by_id(*, session: Session, community_id: int, ids: Sequence[int]) -> list[Product]:
    """The community's products with these ids, in this order."""
    if not ids:
        return []
    rows = session.exec(
        select(Product).where(Product.community_id == community_id, col(Product.id).in_(ids))
    ).all()
    by_id = {product.id: product for product in rows}
    return [by_id[i] for i in ids if i in by_id]


# -- who helped: one counter per source of the gotong-royong score ------------------------


def _per_member(
    session: Session,
    query: Any,
    who: Any,
    when: Any,
    window: tuple[datetime | None, datetime | None],
    member_id: int | None,
) -> dict[int, int]:
    """Finish a `select(who, count)` query: one member or everyone named, within the window."""
    since, until = window
    conditions = [who.is_not(None) if member_id is None else who == member_id]
    if since is not None:
        conditions.append(col(when) >= since)
    if until is not None:
        conditions.append(col(when) < until)
    rows = session.exec(query.where(*conditions).group_by(who)).all()
    return {member: int(count) for member, count in rows}


def people_brought(
    *,
    session: Session,
    community_id: int,
    since: datetime | None,
    until: datetime | None,
    member_id: int | None = None,
) -> dict[int, int]:
    """Distinct new people who opened each member's share links (credited openings)."""
    sharer = col(ShareLink.member_id)
    query = (
        select(sharer, func.count())
        .join(ShareOpen, col(ShareOpen.share_link_id) == col(ShareLink.id))
        .where(
            ShareLink.community_id == community_id,
            ShareOpen.community_id == community_id,
            col(ShareOpen.credited).is_(True),
        )
    )
    return _per_member(session, query, sharer, ShareOpen.opened_at, (since, until), member_id)


def buddy_shares_done(
    *,
    session: Session,
    community_id: int,
    since: datetime | None,
    until: datetime | None,
    member_id: int | None = None,
) -> dict[int, int]:
    """Promo-buddy weeks each member answered SUDAH (shared their buddy's product)."""
    who = col(BuddyAssignment.member_id)
    query = select(who, func.count()).where(
        BuddyAssignment.community_id == community_id, col(BuddyAssignment.done_at).is_not(None)
    )
    return _per_member(session, query, who, BuddyAssignment.done_at, (since, until), member_id)


def recommendations_given(
    *,
    session: Session,
    community_id: int,
    since: datetime | None,
    until: datetime | None,
    member_id: int | None = None,
) -> dict[int, int]:
    """Recommendations each member gave to other members' products."""
    who = col(Recommendation.member_id)
    query = select(who, func.count()).where(Recommendation.community_id == community_id)
    return _per_member(session, query, who, Recommendation.created_at, (since, until), member_id)


# -- a seller's public profile -------------------------------------------------------------


def recommendations_received(*, session: Session, community_id: int, seller_id: int) -> int:
    """Recommendations of all the seller's products (an erased recommender still counts)."""
    query = (
        select(func.count())
        .select_from(Recommendation)
        .join(Product, col(Product.id) == col(Recommendation.product_id))
        .where(
            Recommendation.community_id == community_id,
            Product.community_id == community_id,
            Product.seller_id == seller_id,
        )
    )
    return int(session.exec(query).one())


def seller_products(
    *, session: Session, community_id: int, seller_id: int, limit: int
) -> tuple[list[Product], int]:
    """The seller's active products, newest first (at most `limit`), and how many there are."""
    where = (
        Product.community_id == community_id,
        Product.seller_id == seller_id,
        Product.status == ProductStatus.ACTIVE,
    )
    total = int(session.exec(select(func.count()).select_from(Product).where(*where)).one())
    rows = session.exec(
        select(Product)
        .where(*where)
        .order_by(col(Product.created_at).desc(), col(Product.id).desc())
        .limit(limit)
    ).all()
    return list(rows), total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def members_named(*, session: Session, community_id: int, text: str) -> list[Member]:
    """Members of the community whose name or business name contains `text`.

    Case-insensitive for ASCII (SQLite's lower()); a name typed exactly as stored matches
    whatever its letters. The caller tries exact names, @usernames and `#id` first.
    """
    words = " ".join(text.split())
    if not words:
        return []
    pattern = f"%{_escape_like(words.lower())}%"
    exact = f"%{_escape_like(words)}%"
    matches: list[ColumnElement[bool]] = [
        func.lower(Member.display_name).like(pattern, escape="\\"),
        func.lower(Member.business_name).like(pattern, escape="\\"),
        col(Member.display_name).like(exact, escape="\\"),
        col(Member.business_name).like(exact, escape="\\"),
    ]
    query = (
        select(Member)
        .where(Member.community_id == community_id, or_(*matches))
        .order_by(col(Member.id))
    )
    return list(session.exec(query).all())


def members_by_id(*, session: Session, community_id: int, ids: Sequence[int]) -> dict[int, Member]:
    """The community's members with these ids (others, and erased ones, are simply absent)."""
    if not ids:
        return {}
    rows = session.exec(
        select(Member).where(Member.community_id == community_id, col(Member.id).in_(ids))
    ).all()
    return {member.id or 0: member for member in rows}


def member_by_username(*, session: Session, community_id: int, username: str) -> Member | None:
    """The community's member with this Telegram @username (case-insensitive), if any."""
    name = username.removeprefix("@").strip().lower()
    if not name:
        return None
    query = (
        select(Member)
        .join(ChannelIdentity, col(ChannelIdentity.member_id) == col(Member.id))
        .where(
            Member.community_id == community_id,
            ChannelIdentity.channel == "telegram",
            func.lower(ChannelIdentity.username) == name,
        )
    )
    return session.exec(query).first()
