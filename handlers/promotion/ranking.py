"""Which products to promote next: the one fair order every promotion uses.

The products nobody has promoted lately come first, so each seller gets their turn in
front of the community, whoever shares most. The order, for active products only:

1. fewest appearances in the last four weeks (digest, share, buddy, link opened);
2. then newer products first (posted later);
3. then more recommendations;
4. then the lower product id, so the order never depends on the database.

Sold-out, hidden, removed, draft and pending products are left out, and so are products
waiting for their seller's "masih ada?" answer (not confirmed for 30 days). The weekly
digest calls `promotion_order`; the ranking itself is `rank_for_promotion`, a pure
function over `ProductFacts`.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from storage.models import Product, ProductStatus
from storage.promotion import ProductFacts, product_facts, products_by_id

__all__ = ["ProductFacts", "promotable", "promotion_order", "rank_for_promotion"]


def promotable(facts: ProductFacts) -> bool:
    """True for an active product whose seller has not been asked "masih ada?" in vain."""
    return facts.status == ProductStatus.ACTIVE and not facts.awaiting_answer


def _order(facts: ProductFacts) -> tuple[int, float, int, int]:
    return (facts.exposures, -facts.created_at.timestamp(), -facts.recommendations, facts.id)


def rank_for_promotion(products: Iterable[ProductFacts]) -> list[int]:
    """The ids of the promotable products, the one to promote first first."""
    return [facts.id for facts in sorted(filter(promotable, products), key=_order)]


def promotion_order(session: Session, community_id: int, now: datetime) -> list[Product]:
    """The community's promotable products in promotion order (for the weekly digest)."""
    ranked = rank_for_promotion(product_facts(session=session, community_id=community_id, now=now))
    return products_by_id(session=session, community_id=community_id, ids=ranked)
