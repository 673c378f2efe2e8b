"""storage.products on SQLite and PostgreSQL: same answers from the same code."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, update

from handlers.catalogue.fields import index_text, search_words
from storage import search_index
from storage.communities import create_community
from storage.models import Member, Product, ProductStatus
from storage.products import (
    category_counts,
    count_live,
    create_product,
    delete_drafts,
    digest_candidates,
    find_product,
    search_products,
    stale_products,
)
from tests.storage.conftest import engine  # noqa: F401  (SQLite, and PostgreSQL if it answers)

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _shop(session: Session) -> tuple[int, Member, Member]:
    community = create_community(
        session=session,
        name="KBA",
        invite_code="KBA13",
        timezone="Asia/Jakarta",
        language="id",
        now=NOW,
    )
    sellers = [
        Member(community_id=community.id or 0, display_name=name, created_at=NOW, updated_at=NOW)
        for name in ("Siti", "Budi")
    ]
    session.add_all(sellers)
    session.flush()
    return community.id or 0, sellers[0], sellers[1]


def _add(
    session: Session,
    community_id: int,
    seller: Member,
    title: str,
    description: str = "",
    status: str = ProductStatus.ACTIVE,
    when: datetime = NOW,
) -> Product:
    return create_product(
        session=session,
        community_id=community_id,
        seller_id=seller.id or 0,
        posted_by_id=seller.id,
        title=title,
        description=description,
        price=15000,
        category="kuliner",
        photo_media_id=None,
        search_text=index_text(title, description),
        now=when,
        status=status,
    )


def _titles(session: Session, community_id: int, query: str) -> list[str]:
    found = search_products(
        session=session, community_id=community_id, words=search_words(query), limit=10
    )
    return [p.title for p in found]


def test_search_ranks_title_matches_first_on_every_database(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as session:
        community_id, siti, budi = _shop(session)
        _add(session, community_id, siti, "Rendang sapi")
        _add(session, community_id, budi, "Nasi box", "lauk rendang")
        _add(session, community_id, siti, "Café Rendang", "pedas")
        _add(session, community_id, siti, "Rendang lama", status=ProductStatus.SOLD_OUT)
        session.commit()
        assert _titles(session, community_id, "RENDANG") == [
            "Café Rendang",
            "Rendang sapi",
            "Nasi box",
        ]
        assert _titles(session, community_id, "cafe ren") == ["Café Rendang"]
        assert _titles(session, community_id, "rendang lauk") == ["Nasi box"]
        assert _titles(session, community_id, "100%_") == []
        assert category_counts(session=session, community_id=community_id) == {"kuliner": 3}


def test_scoping_limits_staleness_and_drafts(engine: Engine) -> None:  # noqa: F811
    with Session(engine, expire_on_commit=False) as session:
        cid, siti, budi = _shop(session)
        month_ago, two_days_ago = NOW - timedelta(days=31), NOW - timedelta(days=2)
        old = _add(session, cid, siti, "Keripik", when=month_ago)
        _add(session, cid, siti, "Bolu", status=ProductStatus.PENDING_APPROVAL)
        draft = _add(session, cid, budi, "Draf", status=ProductStatus.DRAFT, when=two_days_ago)
        session.commit()
        pid = old.id or 0
        assert (
            find_product(session=session, community_id=cid, product_id=pid, manager_id=budi.id)
            is None
        )
        assert find_product(session=session, community_id=cid, product_id=pid, manager_id=siti.id)
        assert find_product(session=session, community_id=cid + 1, product_id=pid) is None
        assert count_live(session=session, community_id=cid, seller_id=siti.id or 0) == 2
        stale = stale_products(session=session, community_id=cid, now=NOW)
        assert [p.title for p in stale] == ["Keripik"]
        assert digest_candidates(session=session, community_id=cid, now=NOW) == []
        assert delete_drafts(session=session, community_id=cid, before=NOW - timedelta(days=1)) == 1
        session.commit()
        assert session.get(Product, draft.id) is None


def test_the_index_is_rebuilt_when_a_migration_dropped_its_triggers(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as session:
        community_id, siti, _ = _shop(session)
        _add(session, community_id, siti, "Rendang sapi")
        session.commit()
        assert _titles(session, community_id, "rendang") == ["Rendang sapi"]
        if engine.dialect.name != "sqlite":
            return
        session.connection().exec_driver_sql("DROP TRIGGER product_fts_insert")
        _add(session, community_id, siti, "Rendang ayam")  # not indexed by any trigger
        session.commit()
        assert _titles(session, community_id, "rendang") == ["Rendang ayam", "Rendang sapi"]


TYPO_SHOP = [  # oldest first: newest-first alone would put the fuzzy "Keripik" above "Kripik"
    "Kripik balado",
    "Keripik pisang",
    "Kerupuk udang",
    "Bakwan jagung",
    "Es teh manis",
    "Esteh jumbo",
    "Kopi robusta",
    "Tas kapi",
    "Cabai rawit",
    "Jamu kunyit",
    "Sambal roa",
    "Tahu bakso",
    "Seblak pedas",
]
TYPOS = {
    # exact and prefix matches first (today's ranking), close spellings after them
    "kripik": ["Kripik balado", "Keripik pisang"],
    "keripik": ["Keripik pisang", "Kripik balado"],
    "keripk": ["Keripik pisang"],  # "kripik" is two edits away from "keripk"
    "kripik pisang": ["Keripik pisang"],
    "krupuk": ["Kerupuk udang"],
    "kerupuk": ["Kerupuk udang"],
    "kerupk udang": ["Kerupuk udang"],
    "bakwan": ["Bakwan jagung"],
    "bakwan jagung": ["Bakwan jagung"],
    "bakwn jagung": ["Bakwan jagung"],
    "esteh": ["Esteh jumbo", "Es teh manis"],
    "es teh": ["Es teh manis", "Esteh jumbo"],
    "teh": ["Es teh manis"],  # three letters: exact only
    "cabe": ["Cabai rawit"],  # cabai/cabe, an everyday variant
    "djamu": ["Jamu kunyit"],  # old spelling
    "sambel": ["Sambal roa"],  # colloquial "e" for a last-syllable "a"
    "seblak pedes": ["Seblak pedas"],
    "bakos": [],  # two letters swapped are two insert/delete edits: too far for 5 letters
    # unrelated products stay out: no substitutions in words of 4-5 letters
    "kopi": ["Kopi robusta"],
    "kapi": ["Tas kapi"],
    "tahi": [],
    "rendang": [],
    "xyz": [],
}


def test_typos_and_spelling_variants_find_the_right_products(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as session:
        community_id, siti, _ = _shop(session)
        for title in TYPO_SHOP:
            _add(session, community_id, siti, title)
        _add(session, community_id, siti, "Keripik lama", status=ProductStatus.SOLD_OUT)
        session.commit()
        found = {query: _titles(session, community_id, query) for query in TYPOS}
        assert found == TYPOS


def test_fuzzy_matches_page_after_every_exact_match(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as session:
        community_id, siti, _ = _shop(session)
        for number in range(4):
            _add(session, community_id, siti, f"Keripik rasa {number}")
            _add(session, community_id, siti, f"Kripik rasa {number}")
        session.commit()
        pages = [
            [
                p.title
                for p in search_products(
                    session=session,
                    community_id=community_id,
                    words=["kripik"],
                    limit=3,
                    offset=offset,
                )
            ]
            for offset in (0, 3, 6, 9)
        ]
        assert pages == [
            ["Kripik rasa 3", "Kripik rasa 2", "Kripik rasa 1"],
            ["Kripik rasa 0", "Keripik rasa 3", "Keripik rasa 2"],
            ["Keripik rasa 1", "Keripik rasa 0"],
            [],
        ]


def test_an_index_of_an_older_shape_is_rebuilt(engine: Engine) -> None:  # noqa: F811
    if engine.dialect.name != "sqlite":
        pytest.skip("the derived index exists on SQLite only")
    with Session(engine) as session:
        community_id, siti, _ = _shop(session)
        _add(session, community_id, siti, "Keripik pisang")
        session.commit()
        assert _titles(session, community_id, "keripik") == ["Keripik pisang"]  # index made
        connection = session.connection()
        # As the previous version left it: no vocabulary, triggers without word counts.
        connection.exec_driver_sql("DROP TABLE product_fts_words")
        connection.exec_driver_sql("DROP TRIGGER product_fts_insert")
        connection.exec_driver_sql(
            "CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN SELECT 1; END"
        )
        session.commit()
        assert _titles(session, community_id, "keripk") == ["Keripik pisang"]
        _add(session, community_id, siti, "Kerupuk udang")
        session.commit()
        assert _titles(session, community_id, "krupuk") == ["Kerupuk udang"]
        shape = (
            session.connection()
            .exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE name LIKE 'product_fts%' "
                "AND sql IS NOT NULL"
            )
            .all()
        )
        assert {
            name: sql for name, sql in shape if name in search_index.SHAPE
        } == search_index.SHAPE
        words = (
            session.connection()
            .exec_driver_sql("SELECT word, products FROM product_fts_words")
            .all()
        )
        assert sorted(words) == [("keripik", 1), ("kerupuk", 1), ("pisang", 1), ("udang", 1)]
        session.exec(update(Product).values(status=ProductStatus.SOLD_OUT))
        session.commit()
        assert session.connection().exec_driver_sql("SELECT * FROM product_fts_words").all() == []
