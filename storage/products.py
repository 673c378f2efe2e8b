"""Product queries: every one scoped to a community, most also to a seller.

Search works on `Product.search_text`, which the catalogue writes as
`" <title words> | <description words> "` (normalised: lower case, no accents, one
space between words). A word-prefix match is then a portable `LIKE '% word%'`, and a
title match is `LIKE '% word%|%'` because the only `|` separates title from description.
SQLite answers the same question faster from its FTS5 index (storage/search_index.py).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, text
from sqlmodel import Session, col, delete, select

from storage import search_index
from storage.models import Member, Product, ProductStatus, Recommendation
from storage.search_fuzzy import Group, expand, rank

__all__ = [
    "LIVE_STATUSES",
    "SEARCH_SEPARATOR",
    "STALE_AFTER",
    "caretaker",
    "category_counts",
    "count_live",
    "create_product",
    "delete_drafts",
    "digest_candidates",
    "find_product",
    "list_category",
    "managed_products",
    "pending_products",
    "recommendation_counts",
    "search_products",
    "stale_products",
]

STALE_AFTER = timedelta(days=30)
"""A product nobody confirmed for this long is asked "masih ada?" before the next digest."""
SEARCH_SEPARATOR = "|"
LIVE_STATUSES = (ProductStatus.ACTIVE, ProductStatus.PENDING_APPROVAL)
"""Statuses that take one of the seller's `max_active_products` places."""


def create_product(
    *,
    session: Session,
    community_id: int,
    seller_id: int,
    posted_by_id: int | None,
    title: str,
    description: str,
    price: int | None,
    category: str,
    photo_media_id: str | None,
    search_text: str,
    now: datetime,
    status: str = ProductStatus.DRAFT,
) -> Product:
    """Add a product (a draft unless told otherwise) and give it its id."""
    product = Product(
        community_id=community_id,
        seller_id=seller_id,
        posted_by_id=posted_by_id,
        title=title,
        description=description,
        price=price,
        category=category,
        status=status,
        photo_media_id=photo_media_id,
        search_text=search_text,
        created_at=now,
        updated_at=now,
        last_confirmed_at=now,
    )
    session.add(product)
    session.flush()
    return product


def find_product(
    *,
    session: Session,
    community_id: int,
    product_id: int,
    manager_id: int | None = None,
) -> Product | None:
    """A product of the community; with `manager_id`, only one that member may manage.

    A member manages their own products, the drafts they are writing (also for someone
    else), and what they posted for an assisted seller (who has no phone to do it).
    Anything else is "not found", never someone else's product.
    """
    query = select(Product).where(Product.id == product_id, Product.community_id == community_id)
    if manager_id is not None:
        query = query.where(_managed_by(manager_id))
    return session.exec(query).first()


def _managed_by(member_id: int) -> ColumnElement[bool]:
    assisted = select(Member.id).where(col(Member.assisted).is_(True))
    return or_(
        col(Product.seller_id) == member_id,
        (col(Product.posted_by_id) == member_id)
        & or_(col(Product.seller_id).in_(assisted), col(Product.status) == ProductStatus.DRAFT),
    )


def managed_products(
    *, session: Session, community_id: int, member_id: int, limit: int, offset: int = 0
) -> list[Product]:
    """The products a member manages, newest first, without drafts and removed ones."""
    query = (
        select(Product)
        .where(
            Product.community_id == community_id,
            _managed_by(member_id),
            col(Product.status).not_in([ProductStatus.DRAFT, ProductStatus.REMOVED]),
        )
        .order_by(col(Product.created_at).desc(), col(Product.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query).all())


def count_live(*, session: Session, community_id: int, seller_id: int) -> int:
    """How many of the seller's places are taken (active or waiting for approval)."""
    query = select(func.count()).where(
        Product.community_id == community_id,
        Product.seller_id == seller_id,
        col(Product.status).in_(LIVE_STATUSES),
    )
    return int(session.exec(query).one())


def delete_drafts(
    *,
    session: Session,
    community_id: int,
    posted_by_id: int | None = None,
    before: datetime | None = None,
) -> int:
    """Forget unconfirmed drafts: a poster's (when they start again) or old ones (daily)."""
    query = delete(Product).where(
        col(Product.community_id) == community_id,
        col(Product.status) == ProductStatus.DRAFT,
    )
    if posted_by_id is not None:
        query = query.where(col(Product.posted_by_id) == posted_by_id)
    if before is not None:
        query = query.where(col(Product.updated_at) < before)
    return int(session.exec(query).rowcount or 0)


def _active(community_id: int) -> list[ColumnElement[bool]]:
    return [col(Product.community_id) == community_id, col(Product.status) == ProductStatus.ACTIVE]


def category_counts(*, session: Session, community_id: int) -> dict[str, int]:
    """Active products per category key."""
    query = (
        select(Product.category, func.count())
        .where(*_active(community_id))
        .group_by(col(Product.category))
    )
    return {category: int(count) for category, count in session.exec(query).all()}


def list_category(
    *, session: Session, community_id: int, category: str | None, limit: int, offset: int = 0
) -> list[Product]:
    """Active products of one category (None: of every category), newest first."""
    query = select(Product).where(*_active(community_id))
    if category is not None:
        query = query.where(Product.category == category)
    query = (
        query.order_by(col(Product.created_at).desc(), col(Product.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query).all())


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_products(
    *,
    session: Session,
    community_id: int,
    words: Sequence[str],
    limit: int,
    offset: int = 0,
    use_index: bool = True,
) -> list[Product]:
    """Active products where every word starts a word of the title or description,
    then (typo-tolerant) products where close words do.

    `words` must already be normalised the way `search_text` is. Exact matches first:
    more words found in the title first, then newer products (higher ids) first. SQLite
    answers from its FTS5 index (storage/search_index.py); elsewhere the same ranking is
    one `LIKE` query, so both databases return the same products in the same order.
    When a page is not full, close spellings (storage/search_fuzzy.py) fill it, ranked
    below every exact match.
    """
    if not words:
        return []
    exact = _search_exact(session, community_id, words, limit, offset, use_index)
    if len(exact) == limit:
        return exact
    vocabulary = search_index.vocabulary(session=session, community_id=community_id)
    if vocabulary is None or not use_index:
        vocabulary = _vocabulary(session, community_id)
    groups = expand(words, vocabulary)
    if groups is None:
        return exact
    if exact or not offset:
        exact_total = offset + len(exact)
    else:  # a page past the exact matches: how many were there?
        exact_total = len(_search_exact(session, community_id, words, offset, 0, use_index))
    rows = search_index.fuzzy_rows(
        session=session, community_id=community_id, groups=groups, exact=words
    )
    if rows is None or not use_index:
        rows = _fuzzy_rows_by_like(session, community_id, groups, words)
    skip = max(offset - exact_total, 0)
    ids = rank(rows, groups)[skip : skip + limit - len(exact)]
    return exact + _products(session, community_id, ids)


def _products(session: Session, community_id: int, ids: list[int]) -> list[Product]:
    """The active products with these ids, in this order."""
    if not ids:
        return []
    found = session.exec(
        select(Product).where(*_active(community_id), col(Product.id).in_(ids))
    ).all()
    by_id = {product.id: product for product in found}
    return [by_id[i] for i in ids if i in by_id]


def _search_exact(
    session: Session,
    community_id: int,
    words: Sequence[str],
    limit: int,
    offset: int,
    use_index: bool,
) -> list[Product]:
    ids = (
        search_index.search_ids(
            session=session, community_id=community_id, words=words, limit=limit, offset=offset
        )
        if use_index
        else None
    )
    if ids is not None:
        return _products(session, community_id, ids)
    return _search_by_like(session, community_id, words, limit, offset)


def _starts_a_word(word: str) -> ColumnElement[bool]:
    return col(Product.search_text).like(f"% {_escape_like(word)}%", escape="\\")


def _search_by_like(
    session: Session, community_id: int, words: Sequence[str], limit: int, offset: int
) -> list[Product]:
    anywhere, in_title = [], []
    for word in words:
        escaped = _escape_like(word)
        anywhere.append(_starts_a_word(word))
        title_pattern = f"% {escaped}%{SEARCH_SEPARATOR}%"
        in_title.append(
            case((col(Product.search_text).like(title_pattern, escape="\\"), 1), else_=0)
        )
    title_score = sum(in_title[1:], in_title[0])
    query = (
        select(Product)
        .where(*_active(community_id), *anywhere)
        .order_by(title_score.desc(), col(Product.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query).all())


def _vocabulary(session: Session, community_id: int) -> list[str]:
    """The distinct words of the community's active products, without the FTS5 index."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.connection().execute(
            text(
                "SELECT DISTINCT w FROM product, unnest(string_to_array(search_text, ' ')) AS w "
                "WHERE community_id = :community AND status = :active AND w NOT IN ('', :bar)"
            ),
            {"community": community_id, "active": ProductStatus.ACTIVE, "bar": SEARCH_SEPARATOR},
        )
        return [row[0] for row in rows]
    texts = session.exec(select(Product.search_text).where(*_active(community_id))).all()
    return list({w for t in texts for w in t.split() if w != SEARCH_SEPARATOR})


def _fuzzy_rows_by_like(
    session: Session, community_id: int, groups: Sequence[Group], exact: Sequence[str]
) -> list[tuple[int, str]]:
    """What search_index.fuzzy_rows answers, as one portable `LIKE` query."""
    any_alternative = [
        or_(*(and_(*(_starts_a_word(w) for w in a.words)) for a in group)) for group in groups
    ]
    query = (
        select(Product.id, Product.search_text)
        .where(
            *_active(community_id),
            *any_alternative,
            not_(and_(*(_starts_a_word(w) for w in exact))),
        )
        .order_by(col(Product.id).desc())
        .limit(search_index.FEW)
    )
    return [(product_id or 0, search_text) for product_id, search_text in session.exec(query)]


def pending_products(*, session: Session, community_id: int, limit: int = 50) -> list[Product]:
    """Products waiting for a coordinator's approval, oldest first."""
    query = (
        select(Product)
        .where(
            Product.community_id == community_id,
            Product.status == ProductStatus.PENDING_APPROVAL,
        )
        .order_by(col(Product.updated_at), col(Product.id))
        .limit(limit)
    )
    return list(session.exec(query).all())


def digest_candidates(
    *,
    session: Session,
    community_id: int,
    now: datetime,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[Product]:
    """Active products fit for a digest: confirmed within STALE_AFTER, newest first.

    A product not confirmed for longer waits for its seller's "masih ada" answer
    (see jobs/stale_products.py). `since` keeps only products published after it.
    """
    query = select(Product).where(
        *_active(community_id), Product.last_confirmed_at > now - STALE_AFTER
    )
    if since is not None:
        query = query.where(Product.created_at > since)
    query = query.order_by(col(Product.created_at).desc(), col(Product.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def stale_products(*, session: Session, community_id: int, now: datetime) -> list[Product]:
    """Active products to ask "masih ada?" about now.

    Not confirmed for STALE_AFTER, and not asked since the last confirmation (or
    asked so long ago that asking once more is fair).
    """
    cutoff = now - STALE_AFTER
    query = (
        select(Product)
        .where(
            *_active(community_id),
            Product.last_confirmed_at <= cutoff,
            or_(
                col(Product.stale_asked_at).is_(None),
                col(Product.stale_asked_at) < col(Product.last_confirmed_at),
                col(Product.stale_asked_at) <= cutoff,
            ),
        )
        .order_by(col(Product.id))
    )
    return list(session.exec(query).all())


def caretaker(*, session: Session, product: Product) -> Member | None:
    """Who hears about a product: its seller, or whoever posted for an assisted seller."""
    seller = session.get(Member, product.seller_id)
    if seller is not None and seller.assisted and product.posted_by_id:
        return session.get(Member, product.posted_by_id) or seller
    return seller


def recommendation_counts(*, session: Session, product_ids: Sequence[int]) -> dict[int, int]:
    """How many members recommend each product (saling promosi); 0 for those nobody does."""
    counts = dict.fromkeys(product_ids, 0)
    if not product_ids:
        return counts
    rows = session.exec(
        select(Recommendation.product_id, func.count())
        .where(col(Recommendation.product_id).in_(product_ids))
        .group_by(col(Recommendation.product_id))
    ).all()
    counts.update({product_id: count for product_id, count in rows})
    return counts
