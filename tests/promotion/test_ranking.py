"""The fair promotion order: least shown in the last four weeks first, then newer, then more
recommended, then the lower id; sold-out, inactive and stale products left out."""

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.app import Core
from handlers.promotion.ranking import promotable, promotion_order, rank_for_promotion
from storage.db import transaction
from storage.exposure import record_exposure
from storage.models import Community, ExposureKind, Member, Product, ProductStatus, Recommendation
from storage.products import STALE_AFTER, create_product
from storage.promotion import ProductFacts, product_facts
from tests.conftest import MONDAY_9_WIB
from tests.factories import make_community

NOW = MONDAY_9_WIB


def facts(
    product_id: int,
    *,
    exposures: int = 0,
    days_old: int = 1,
    recommendations: int = 0,
    status: str = ProductStatus.ACTIVE,
    awaiting: bool = False,
) -> ProductFacts:
    return ProductFacts(
        id=product_id,
        status=status,
        awaiting_answer=awaiting,
        exposures=exposures,
        created_at=NOW - timedelta(days=days_old),
        recommendations=recommendations,
    )


def test_the_hand_built_table_in_promotion_order() -> None:
    table = [
        facts(1, exposures=5, days_old=1, recommendations=9),  # shown a lot: last
        facts(2, exposures=0, days_old=20),  # never shown, older
        facts(3, exposures=0, days_old=2),  # never shown, newer: first
        facts(4, exposures=1, days_old=3, recommendations=1),
        facts(5, exposures=1, days_old=3, recommendations=4),  # same age, more recommended
        facts(6, exposures=1, days_old=3, recommendations=1),  # full tie with 4: lower id first
        facts(7, status=ProductStatus.SOLD_OUT),
        facts(8, status=ProductStatus.HIDDEN),
        facts(9, status=ProductStatus.PENDING_APPROVAL),
        facts(10, status=ProductStatus.DRAFT),
        facts(11, status=ProductStatus.REMOVED),
        facts(12, awaiting=True),  # waits for "masih ada?"
    ]
    assert rank_for_promotion(table) == [3, 2, 5, 4, 6, 1]
    assert rank_for_promotion(reversed(table)) == [3, 2, 5, 4, 6, 1]  # input order is irrelevant
    assert rank_for_promotion([]) == []
    assert not promotable(facts(13, awaiting=True))
    assert promotable(facts(14, exposures=99))


def test_exposure_outweighs_freshness_and_recommendations() -> None:
    old_unseen = facts(1, exposures=0, days_old=29, recommendations=0)
    new_popular = facts(2, exposures=1, days_old=0, recommendations=50)
    assert rank_for_promotion([new_popular, old_unseen]) == [1, 2]


def _member(session: Session, community: Community, name: str) -> Member:
    member = Member(
        community_id=community.id or 0, display_name=name, created_at=NOW, updated_at=NOW
    )
    session.add(member)
    session.flush()
    return member


def _product(
    session: Session,
    community: Community,
    seller: Member,
    title: str,
    *,
    created: datetime = NOW - timedelta(days=1),
    status: str = ProductStatus.ACTIVE,
    stale_asked_at: datetime | None = None,
) -> int:
    product = create_product(
        session=session,
        community_id=community.id or 0,
        seller_id=seller.id or 0,
        posted_by_id=seller.id,
        title=title,
        description="",
        price=10_000,
        category="makanan",
        photo_media_id=None,
        search_text=f" {title.lower()} | ",
        now=created,
        status=status,
    )
    product.stale_asked_at = stale_asked_at
    return product.id or 0


def test_promotion_order_reads_the_ledger_of_the_last_four_weeks(
    core: Core, community: Community
) -> None:
    other = make_community(core, name="Kampung Lain", invite="LAIN")
    with transaction(core.open_session) as session:
        siti = _member(session, community, "Siti")
        dewi = _member(session, community, "Dewi")
        joko = _member(session, other, "Joko")
        shown = _product(session, community, siti, "Keripik", created=NOW - timedelta(days=2))
        long_ago = _product(session, community, siti, "Rendang", created=NOW - timedelta(days=20))
        fresh = _product(session, community, dewi, "Kue lapis", created=NOW - timedelta(days=1))
        liked = _product(session, community, dewi, "Bolu", created=NOW - timedelta(days=1))
        sold = _product(session, community, dewi, "Sambal", status=ProductStatus.SOLD_OUT)
        stale = _product(
            session,
            community,
            siti,
            "Tempe",
            created=NOW - STALE_AFTER - timedelta(days=5),
        )
        asked = _product(session, community, siti, "Tahu", stale_asked_at=NOW)
        foreign = _product(session, other, joko, "Bakso")
        session.flush()
        for product_id, at in [
            (shown, NOW - timedelta(days=1)),
            (shown, NOW - timedelta(days=3)),
            (long_ago, NOW - timedelta(weeks=5)),  # older than four weeks: forgotten
            (long_ago, NOW - timedelta(weeks=6)),
        ]:
            record_exposure(
                session=session,
                community_id=community.id or 0,
                product_id=product_id,
                kind=ExposureKind.SHARE,
                member_id=dewi.id,
                at=at,
            )
        session.add(
            Recommendation(
                community_id=community.id or 0, product_id=liked, member_id=siti.id, created_at=NOW
            )
        )
        # `asked`: confirmed when posted, but asked "masih ada?" since and not answered
        row = session.get(Product, asked)
        assert row is not None
        row.last_confirmed_at = NOW - timedelta(days=1)
        row.stale_asked_at = NOW
        session.add(row)

    with core.open_session() as session:
        order = promotion_order(session, community.id or 0, NOW)
        assert [p.id for p in order] == [liked, fresh, long_ago, shown]
        by_id = {
            f.id: f for f in product_facts(session=session, community_id=community.id or 0, now=NOW)
        }
        assert by_id[shown].exposures == 2 and by_id[long_ago].exposures == 0
        assert by_id[stale].awaiting_answer and by_id[asked].awaiting_answer
        assert sold not in by_id and foreign not in by_id
        assert [p.id for p in promotion_order(session, other.id or 0, NOW)] == [foreign]
