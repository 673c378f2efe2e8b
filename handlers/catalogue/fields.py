"""The rules for a product's fields: limits, prices worth questioning, the search index.

`pricing.parse_listing` finds title, price and description; this module decides what
Guyub accepts: a price of Rp0 or over Rp1 miliar is asked about instead of stored,
overlong texts are cut (with a notice). Markup is kept exactly as typed by the parser.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from handlers.catalogue.categories import CATEGORIES
from handlers.catalogue.pricing import MIN_PRICE, parse_listing, parse_price
from handlers.catalogue.search_text import normalize, tokens
from storage.products import SEARCH_SEPARATOR

__all__ = [
    "DESCRIPTION_LIMIT",
    "MAX_SENSIBLE_PRICE",
    "NOTE_LIMITS",
    "TITLE_LIMIT",
    "Post",
    "PriceAnswer",
    "cap_description",
    "cap_title",
    "category_from_text",
    "index_text",
    "is_skip",
    "read_post",
    "read_price",
    "search_words",
]

TITLE_LIMIT = 80
DESCRIPTION_LIMIT = 1000
MAX_SENSIBLE_PRICE = 1_000_000_000
"""Rp1 miliar: no UMKM product costs more; such a number is a typo to ask about."""
ABSURD_PRICE = 10**15
"""Larger typed numbers are questioned as this amount, so the question stays short."""
NOTE_LIMITS = {"catalogue.note.title_cut": TITLE_LIMIT}
NOTE_LIMITS["catalogue.note.description_cut"] = DESCRIPTION_LIMIT
MAX_SEARCH_WORDS = 6

SKIP_WORDS = {"lewati", "lewat", "skip", "-", "tidak ada", "gak ada", "nggak", "tidak", "no"}
NO_PRICE_WORDS = {"nego", "harga nego", "tanya", "tanya penjual", "dm", "japri", "pm", "inbox"}

_MULTIPLIERS = {"rb": 1_000, "ribu": 1_000, "k": 1_000, "jt": 1_000_000, "juta": 1_000_000}
_MULTIPLIERS |= {"m": 1_000_000_000, "miliar": 1_000_000_000, "milyar": 1_000_000_000}
# A number that is clearly meant as a price: after Rp/IDR/"harga", or before rb/k/jt.
_MARKED_PRICE_RE = re.compile(
    r"(?:(?<![^\W\d_])(?:rp|idr|harga)\.?[ \t]*:?[ \t]*(?P<a>\d[\d.,]*)"
    r"(?:[ \t]*(?P<am>rb|ribu|k|jt|juta|m|miliar|milyar)(?![^\W\d_]))?)"
    r"|(?:(?<![\d.,])(?P<b>\d[\d.,]*)[ \t]*(?P<bm>rb|ribu|k|jt|juta|miliar|milyar)(?![^\W\d_]))",
    re.IGNORECASE,
)

_ZERO_PRICE_RE = re.compile(r"(?<![\w.,])0+(?:[.,]0+)*(?:[.,]-+)?[ \t]*$")


@dataclass(frozen=True)
class Post:
    """A product post as Guyub takes it: `doubtful_price` is a price to ask about."""

    title: str
    price: int | None
    description: str
    doubtful_price: int | None = None
    notes: list[str] = field(default_factory=list)  # catalogue keys of notices to show


@dataclass(frozen=True)
class PriceAnswer:
    """An answer to "what does it cost?": a price, "ask the seller", or nonsense."""

    price: int | None = None
    no_price: bool = False
    doubtful: int | None = None

    @property
    def understood(self) -> bool:
        return self.price is not None or self.no_price


def _amount(digits: str, multiplier: str | None) -> int:
    """Read "15.000", "1,5" or "0" with an optional rb/jt/miliar multiplier.

    Decimal, not float: a run of 400 nines must stay a (huge) number, never infinity.
    """
    digits = digits.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits) and not multiplier:
        number = Decimal(re.sub(r"[.,]", "", digits))
    else:
        whole, _, fraction = digits.replace(".", ",").partition(",")
        if "," in fraction:
            whole, fraction = whole + fraction.replace(",", ""), ""
        number = Decimal(f"{whole}.{fraction or 0}")
    value = round(number * _MULTIPLIERS.get((multiplier or "").lower(), 1))
    return min(value, ABSURD_PRICE)


def _doubtful_price(text: str) -> tuple[int, tuple[int, int]] | None:
    """A clearly marked price outside what Guyub accepts, and where it is in `text`.

    A bare 0 ending the first line ("Tahu 0") is a price of nothing, also asked about.
    """
    for match in _MARKED_PRICE_RE.finditer(text):
        digits = match["a"] or match["b"]
        value = _amount(digits, match["am"] or match["bm"])
        if not MIN_PRICE <= value <= MAX_SENSIBLE_PRICE:
            return value, match.span()
    if zero := _ZERO_PRICE_RE.search(text.split("\n", 1)[0]):
        return 0, zero.span()
    return None


def cap_title(title: str, notes: list[str]) -> str:
    """Cut a title to TITLE_LIMIT characters, noting it for the seller."""
    title = " ".join(title.split())
    if len(title) > TITLE_LIMIT:
        notes.append("catalogue.note.title_cut")
        title = title[:TITLE_LIMIT].rstrip()
    return title


def cap_description(description: str, notes: list[str]) -> str:
    """Cut a description to DESCRIPTION_LIMIT characters, noting it for the seller."""
    description = description.strip()
    if len(description) > DESCRIPTION_LIMIT:
        notes.append("catalogue.note.description_cut")
        description = description[:DESCRIPTION_LIMIT].rstrip()
    return description


def read_post(text: str) -> Post:
    """Split a one-message post; an absurd price is taken out and kept to ask about."""
    listing = parse_listing(text)
    price, doubtful_value = listing.price, None
    if price is not None and price > MAX_SENSIBLE_PRICE:
        price, doubtful_value = None, price
    elif price is None and (doubtful := _doubtful_price(text)) is not None:
        start, end = doubtful[1]
        text = f"{text[:start]} {text[end:]}"
        listing, doubtful_value = parse_listing(text), doubtful[0]
    notes: list[str] = []
    title = cap_title(listing.title, notes)
    description = cap_description(listing.description, notes)
    return Post(title, price, description, doubtful_value, notes)


def read_price(text: str) -> PriceAnswer:
    """The answer to the price question: "15rb", "Rp 15.000", "15000", "nego" or "0"."""
    answer = " ".join(text.casefold().split()).strip(" .!")
    if answer in NO_PRICE_WORDS or answer in SKIP_WORDS:
        return PriceAnswer(no_price=True)
    doubtful = _doubtful_price(text)
    if doubtful is not None:
        return PriceAnswer(doubtful=doubtful[0])
    price = parse_price(text) or parse_price(f"harga {text}")
    if price is None and re.fullmatch(r"\d[\d.,]*", answer):
        price = _amount(answer, None)
    if price is None:
        return PriceAnswer()
    if not MIN_PRICE <= price <= MAX_SENSIBLE_PRICE:
        return PriceAnswer(doubtful=price)
    return PriceAnswer(price=price)


def is_skip(text: str) -> bool:
    """True for "lewati", "skip", "-" and friends."""
    return " ".join(text.casefold().split()).strip(" .!") in SKIP_WORDS


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
