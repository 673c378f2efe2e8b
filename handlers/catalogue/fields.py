"""The rules for a product's fields: limits, what a post becomes, the search index.

`pricing.parse_listing` finds title, price and description; this module decides what
Guyub accepts: a price of Rp0 or over Rp1 miliar is asked about instead of stored (see
`pricing.doubtful_price`), overlong texts are cut (with a notice). Markup is kept exactly
as typed by the parser.
"""

from dataclasses import dataclass, field

from handlers.catalogue.categories import CATEGORIES
from handlers.catalogue.pricing import MAX_SENSIBLE_PRICE, doubtful_price, parse_listing
from handlers.catalogue.search_text import normalize, tokens
from handlers.shorten import shorten
from storage.products import SEARCH_SEPARATOR

__all__ = [
    "DESCRIPTION_LIMIT",
    "NOTE_LIMITS",
    "TITLE_LIMIT",
    "Post",
    "cap_description",
    "cap_title",
    "category_from_text",
    "index_text",
    "read_post",
    "search_words",
]

TITLE_LIMIT = 80
DESCRIPTION_LIMIT = 1000
NOTE_LIMITS = {"catalogue.note.title_cut": TITLE_LIMIT}
NOTE_LIMITS["catalogue.note.description_cut"] = DESCRIPTION_LIMIT
MAX_SEARCH_WORDS = 6


@dataclass(frozen=True)
class Post:
    """A product post as Guyub takes it: `doubtful_price` is a price to ask about."""

    title: str
    price: int | None
    description: str
    doubtful_price: int | None = None
    notes: list[str] = field(default_factory=list)  # catalogue keys of notices to show


def cap_title(title: str, notes: list[str]) -> str:
    """Cut a title to TITLE_LIMIT characters at a word, with "…", noting it for the seller."""
    title = " ".join(title.split())
    if len(title) > TITLE_LIMIT:
        notes.append("catalogue.note.title_cut")
        title = shorten(title, TITLE_LIMIT)
    return title


def cap_description(description: str, notes: list[str]) -> str:
    """Cut a description to DESCRIPTION_LIMIT characters at a word, noting it for the seller."""
    description = description.strip()
    if len(description) > DESCRIPTION_LIMIT:
        notes.append("catalogue.note.description_cut")
        description = shorten(description, DESCRIPTION_LIMIT)
    return description


def read_post(text: str) -> Post:
    """Split a one-message post; an absurd price is taken out and kept to ask about."""
    listing = parse_listing(text)
    price, doubtful_value = listing.price, None
    if price is not None and price > MAX_SENSIBLE_PRICE:
        price, doubtful_value = None, price
    elif price is None and (doubtful := doubtful_price(text)) is not None:
        start, end = doubtful[1]
        text = f"{text[:start]} {text[end:]}"
        listing, doubtful_value = parse_listing(text), doubtful[0]
    notes: list[str] = []
    title = cap_title(listing.title, notes)
    description = cap_description(listing.description, notes)
    return Post(title, price, description, doubtful_value, notes)


def category_from_text(text: str) -> str | None:
    """A category typed by key or by (the start of) its name in either language."""
    typed = normalize(text)
    for category in CATEGORIES:
        names = (category.key, normalize(category.name_id), normalize(category.name_en))
        if typed in names or (len(typed) >= 3 and any(n.startswith(typed) for n in names)):
            return category.key
    return None


def index_text(title: str, description: str) -> str:
    """The `Product.search_text` for a title and description (see storage/products.py)."""
    return f" {normalize(title)} {SEARCH_SEPARATOR} {normalize(description)} "


def search_words(query: str) -> list[str]:
    """The normalised words of a search, without repeats, at most MAX_SEARCH_WORDS."""
    return list(dict.fromkeys(tokens(query)))[:MAX_SEARCH_WORDS]
