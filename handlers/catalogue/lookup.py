"""Pages of products for browsing and searching (the handler and the benchmark share these)."""

from dataclasses import dataclass

from sqlmodel import Session

from handlers.catalogue.fields import search_words
from storage.models import Product
from storage.products import list_category, search_products

__all__ = ["PAGE_SIZE", "Page", "category_page", "search_page"]

PAGE_SIZE = 5


@dataclass(frozen=True)
class Page:
    """One page of products, and whether another follows."""

    products: list[Product]
    number: int
    has_next: bool


def _page(rows: list[Product], number: int, size: int) -> Page:
    return Page(rows[:size], number, len(rows) > size)


def search_page(
    *, session: Session, community_id: int, query: str, number: int = 1, size: int = PAGE_SIZE
) -> Page:
    """Active products matching every word of `query` (prefixes, any case or accent);
    `size` per page (five in chat, more on the public web page)."""
    number = max(number, 1)
    rows = search_products(
        session=session,
        community_id=community_id,
        words=search_words(query),
        limit=size + 1,  # one more tells whether there is a next page
        offset=(number - 1) * size,
    )
    return _page(rows, number, size)


def category_page(
    *,
    session: Session,
    community_id: int,
    category: str | None,
    number: int = 1,
    size: int = PAGE_SIZE,
) -> Page:
    """Active products of one category (None: all of them), newest first."""
    number = max(number, 1)
    rows = list_category(
        session=session,
        community_id=community_id,
        category=category,
        limit=size + 1,
        offset=(number - 1) * size,
    )
    return _page(rows, number, size)
