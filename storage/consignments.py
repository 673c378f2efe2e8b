"""*Titip produk*: products entrusted to a carrier for one occurrence of an event.

Every query is scoped to a community. A row is the seller's request (`carrier_id` None
while nobody has taken it); a carrier takes it (`carried_at`) and, after the event,
reports how many sold (`sold`, `reported_at`). A reported carry is promotion help:
`carries_by_member` is what a leaderboard reads.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from storage.models import Consignment, Member, Product

__all__ = [
    "carried_by",
    "carries_by_member",
    "consign",
    "find_consignment",
    "occurrence_consignments",
    "report_sold",
    "take",
    "to_report",
]


def _with_product_and_seller(community_id: int) -> Any:
    """Titip rows of a community joined with their product and seller."""
    return (
        select(Consignment, Product, Member)
        .join(Product, col(Product.id) == col(Consignment.product_id))
        .join(Member, col(Member.id) == col(Consignment.seller_id))
        .where(col(Consignment.community_id) == community_id)
    )


def find_consignment(
    *, session: Session, community_id: int, event_id: int, occurrence: datetime, product_id: int
) -> Consignment | None:
    """The titip row of one product for one occurrence, if any."""
    query = select(Consignment).where(
        col(Consignment.community_id) == community_id,
        col(Consignment.event_id) == event_id,
        col(Consignment.occurrence) == occurrence,
        col(Consignment.product_id) == product_id,
    )
    return session.exec(query).first()


def consign(
    *,
    session: Session,
    community_id: int,
    event_id: int,
    occurrence: datetime,
    product: Product,
    quantity: int | None,
    now: datetime,
) -> tuple[Consignment, bool]:
    """Ask for `product` to be brought to the occurrence; (the row, whether it is new).

    Asking again only updates the quantity (never a second row)."""
    row = find_consignment(
        session=session,
        community_id=community_id,
        event_id=event_id,
        occurrence=occurrence,
        product_id=product.id or 0,
    )
    if row is not None:
        if quantity is not None:
            row.quantity = quantity
            session.add(row)
        return row, False
    row = Consignment(
        community_id=community_id,
        event_id=event_id,
        occurrence=occurrence,
        product_id=product.id or 0,
        seller_id=product.seller_id,
        quantity=quantity,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, True


def occurrence_consignments(
    *, session: Session, community_id: int, event_id: int, occurrence: datetime
) -> list[tuple[Consignment, Product, Member]]:
    """Every titip row of one occurrence with its product and seller, oldest first."""
    query = _with_product_and_seller(community_id).where(
        col(Consignment.event_id) == event_id, col(Consignment.occurrence) == occurrence
    )
    return [(c, p, m) for c, p, m in session.exec(query.order_by(col(Consignment.id))).all()]


def take(*, session: Session, rows: list[Consignment], carrier_id: int, now: datetime) -> None:
    """The carrier takes these (still open) rows."""
    for row in rows:
        row.carrier_id, row.carried_at = carrier_id, now
        session.add(row)
    session.flush()


def carried_by(
    *, session: Session, community_id: int, carrier_id: int, event_id: int | None = None
) -> list[tuple[Consignment, Product, Member]]:
    """What a carrier has taken (of one event, or of every event), with product and seller."""
    query = (
        _with_product_and_seller(community_id)
        .where(col(Consignment.carrier_id) == carrier_id)
        .order_by(col(Consignment.occurrence), col(Consignment.id))
    )
    if event_id is not None:
        query = query.where(col(Consignment.event_id) == event_id)
    return [(c, p, m) for c, p, m in session.exec(query).all()]


def to_report(
    *, session: Session, community_id: int, carrier_id: int, product_id: int
) -> list[Consignment]:
    """The carrier's rows for one product, latest occurrence first (the one `/terjual`
    means when a product travelled more than once)."""
    query = (
        select(Consignment)
        .where(
            col(Consignment.community_id) == community_id,
            col(Consignment.carrier_id) == carrier_id,
            col(Consignment.product_id) == product_id,
        )
        .order_by(col(Consignment.occurrence).desc(), col(Consignment.id).desc())
    )
    return list(session.exec(query).all())


def report_sold(*, session: Session, row: Consignment, sold: int, now: datetime) -> None:
    """The carrier says how many sold (again: a correction)."""
    row.sold, row.reported_at = sold, now
    session.add(row)
    session.flush()


def carries_by_member(
    *,
    session: Session,
    community_id: int,
    since: datetime | None,
    until: datetime | None,
    member_id: int | None = None,
) -> dict[int, int]:
    """Carries reported in [since, until), per carrier: the promotion help the leaderboard
    counts (a report of 0 sold is still a carry: the product was there). Shaped as a
    `handlers.promotion.helping.HelpCounter`."""
    carrier = col(Consignment.carrier_id)
    conditions = [carrier.is_not(None) if member_id is None else carrier == member_id]
    conditions.append(col(Consignment.reported_at).is_not(None))
    if since is not None:
        conditions.append(col(Consignment.reported_at) >= since)
    if until is not None:
        conditions.append(col(Consignment.reported_at) < until)
    query = (
        select(carrier, func.count())
        .where(col(Consignment.community_id) == community_id, *conditions)
        .group_by(carrier)
    )
    return {int(who): int(count) for who, count in session.exec(query).all() if who}
