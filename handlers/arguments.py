"""Reading what people type after a command word (`#12`, a name) or as an answer (skip)."""

__all__ = [
    "NAME_LIMIT",
    "SKIP_WORDS",
    "is_page_number",
    "is_skip",
    "parse_id",
    "parse_member_ref",
    "parse_name",
]

from handlers.shorten import shorten

NAME_LIMIT = 64
ID_DIGITS = 9  # ids people type stay well inside a 32-bit integer
MAX_PAGE_DIGITS = 6
"""A million pages is more than any list has; longer numbers would overflow SQL."""
SKIP_WORDS = {"lewati", "lewat", "skip", "-", "tidak ada", "gak ada", "nggak", "tidak", "no"}


def parse_id(rest: str) -> tuple[int | None, str]:
    """`12 sisanya`, `#12` -> (12, "sisanya"); anything else -> (None, the text)."""
    first, _, remainder = rest.strip().partition(" ")
    number = first.removeprefix("#")
    # isascii and isdigit: int() would accept `١٢` and refuse `²`
    if number.isascii() and number.isdigit() and len(number) <= ID_DIGITS:
        return int(number), remainder.strip()
    return None, rest.strip()


def is_page_number(word: str) -> bool:
    """True for "2" or "15" (as in `@2`): plain digits (not "²" or "١"), short enough for OFFSET."""
    return word.isascii() and word.isdigit() and len(word) <= MAX_PAGE_DIGITS


def parse_member_ref(rest: str) -> int | None:
    """`#7` (how a member is named on a button) -> 7; anything else -> None."""
    text = rest.strip()
    if not text.startswith("#") or " " in text:
        return None
    number, _ = parse_id(text)
    return number


def parse_name(rest: str) -> str:
    """A name as typed after a command: on one line, single-spaced, at most NAME_LIMIT long."""
    return shorten(" ".join(rest.split()), NAME_LIMIT)


def is_skip(text: str) -> bool:
    """True for "lewati", "skip", "-" and friends: the answer to an optional question."""
    return " ".join(text.casefold().split()).strip(" .!") in SKIP_WORDS
