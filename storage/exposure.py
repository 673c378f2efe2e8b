"""The exposure ledger: every time a product was put in front of people, and by whom.

Written by the share links, promo buddies and the weekly digest; read by the one ranking
that decides which products to promote next (least shown first), and by reputation.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.models import Exposure, ExposureKind

__all__ = ["exposure_counts", "record_exposure"]


def record_exposure(
    *,
    session: Session,
    community_id: int,
    product_id: int,
    kind: ExposureKind,
    member_id: int | None,
    at: datetime,
) -> None:
    """One appearance of a product; `member_id` is who caused it (sharer, buddy), if anyone."""
    session.add(
        Exposure(
            community_id=community_id,
            product_id=product_id,
            kind=kind,
            member_id=member_id,
            at=at,
        )
    )


def exposure_counts(
    *, session: Session, community_id: int, product_ids: Sequence[int], since: datetime
) -> dict[int, int]:
    """How often each product was shown since `since` (0 for products never shown)."""
    counts = dict.fromkeys(product_ids, 0)
    if not product_ids:
        return counts
    rows = session.exec(
        select(Exposure.product_id, func.count())
        .where(
            Exposure.community_id == community_id,
            col(Exposure.product_id).in_(product_ids),
            col(Exposure.at) >= since,
        )
        .group_by(col(Exposure.product_id))
    ).all()
    counts.update({product_id: count for product_id, count in rows})
    return counts
