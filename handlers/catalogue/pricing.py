"""Every reading of a price: a seller's post, an answer to "how much?", and what is doubtful.

`parse_listing` splits a one-message post into title, price and description; `read_price`
reads the answer to the price question; `doubtful_price` finds a clearly marked price
Guyub will not store without asking (Rp0, over Rp1 miliar). All amounts are whole Rupiah,
read through Decimal (never float), with one table of multipliers.

UMKM sellers write prices every which way ("15rb", "Rp 15.000,-", "1,5jt", "50k aja kak")
and mix them with weights, quantities, sizes and phone numbers. The parser is heuristic
but conservative: a number that is only *maybe* a price is ignored, because asking the
seller for the price is cheaper than publishing a wrong one.

Everything here is a pure function of its input; regexes are compiled at import.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from handlers.arguments import is_skip

__all__ = [
    "ABSURD_PRICE",
    "MAX_PRICE",
    "MAX_SENSIBLE_PRICE",
    "MIN_PRICE",
    "ParsedListing",
    "PriceAnswer",
    "doubtful_price",
    "parse_listing",
    "parse_price",
    "read_price",
]

MIN_PRICE = 100
"""Below Rp 100 nothing is sold; smaller numbers are sizes or counts."""
MAX_PRICE = 10_000_000_000
"""Rp 10 miliar: anything above is an ID, a phone number or a typo, not a UMKM product."""
MAX_SENSIBLE_PRICE = 1_000_000_000
"""Rp1 miliar: no UMKM product costs more; such a number is a typo to ask about."""
ABSURD_PRICE = 10**15
"""Larger typed numbers are questioned as this amount, so the question stays short."""
NO_PRICE_WORDS = {"nego", "harga nego", "tanya", "tanya penjual", "dm", "japri", "pm", "inbox"}

_L = r"[^\W\d_]"  # one letter, any script
_SP = r"[ \t]*"  # horizontal space only: a price never spans two lines

_MULTIPLIERS: dict[str, int] = {
    "rb": 1_000,
    "rbu": 1_000,
    "ribu": 1_000,
    "rebu": 1_000,
    "k": 1_000,
    "jt": 1_000_000,
    "jta": 1_000_000,
    "juta": 1_000_000,
    "rupiah": 1,
    "idr": 1,
    "m": 1_000_000_000,  # only after "Rp": "Rp 2 m"; alone, "2 m" is two metres
    "miliar": 1_000_000_000,
    "milyar": 1_000_000_000,
}

# One number with what may surround it: a currency prefix (Rp, Rp., IDR) or "@", the
# digits with "." / "," separators, an optional ",-" and a multiplier suffix. The number
# must not continue an earlier number ("1.5" is one number, not "1" and "5").
_CANDIDATE_RE = re.compile(
    rf"""
    (?:
        (?<!{_L})(?P<cur>rp|idr)\.?{_SP}:?{_SP}
      | (?P<at>@){_SP}
    )?
    (?<![0-9])(?<![0-9][.,])
    (?P<num>[0-9]+(?:[.,][0-9]+)*)
    (?:[.,]-+)?
    (?:{_SP}(?P<mult>ribu|rebu|rbu|rb|k|juta|jta|jt|rupiah|idr)(?!{_L}))?
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Units and counters: a bare number right before one of these is a size or quantity
# ("500 gr", "20 pcs", "2 liter"), never a price. A unit after "/" or "per" is a price
# unit instead and is handled by _PER_UNIT_RE.
_UNIT_AFTER_RE = re.compile(
    rf"""
    {_SP}(?:
        g|gr|grm|gram|kg|kilo|ons|mg|ml|l|lt|ltr|liter|litre|cc|
        pcs|pc|biji|bj|buah|bh|butir|lembar|lbr|ekor|sisir|ikat|potong|slice|
        pack|pak|box|dus|bungkus|bks|porsi|botol|btl|sachet|toples|cup|tray|
        lusin|kodi|set|pasang|psg|unit|orang|org|
        cm|mm|m|meter|inch|km|
        tahun|thn|th|bulan|bln|hari|jam|menit|
        mah|watt|w|volt|v|gb|mb|tb|x
    )(?!{_L})
    | {_SP}%
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Words right before a number that make it a count, size, address or contact, or a
# price that is not the product's (shipping, discount, down payment). Checked even for
# "Rp" and "rb" numbers, so "terjual 10rb+" and "ongkir Rp 10.000" are skipped too.
_NOT_PRICE_BEFORE_RE = re.compile(
    rf"""
    (?<!{_L})(?:
        isi|min|minim|minimal|min\.?[ \t]*order|minimal[ \t]+order|qty|jumlah|
        stok|stock|sisa|tinggal|terjual|sold|
        ukuran|uk|size|no|nomor|nomer|kode|tipe|type|seri|
        jl|jln|jalan|gang|gg|blok|rt|rw|kav|
        wa|telp|tlp|telepon|call|kontak|hub|hubungi|
        ongkir|ongkos|diskon|disc|potongan|hemat|cashback|dp|belanja|pembelian
    )\.?{_SP}:?{_SP}$
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Words that announce a price, so a bare "harga 15000" counts even without Rp.
_PRICE_CONTEXT_BEFORE_RE = re.compile(
    rf"(?<!{_L})(?:harga|hrg|cuma|cuman|hanya|only|price|mulai(?:[ \t]+dari)?){_SP}:?{_SP}$",
    re.IGNORECASE,
)

# Indonesian phone numbers: 08xx / 628xx / +62 8xx, with or without separators, plus
# landlines like "(0711) 123456". They are masked before looking for prices.
_PHONE_RE = re.compile(
    r"""
    (?<![0-9])
    (?:
        (?:\+62[ .-]?|62(?=8)|0(?=8))
        (?:8[0-9]{7,11}|8[0-9]{1,3}[ .-][0-9]{3,4}[ .-][0-9]{3,5}|8[0-9]{2,3}[ .-][0-9]{6,8})
      | \+[0-9]{1,3}[ .-]?[0-9][0-9 .-]{6,}[0-9]
      | \(0[0-9]{2,3}\)[ ]?[0-9]{5,8}
      | 0[0-9]{2,3}-[0-9]{5,8}
    )
    (?![0-9])
    """,
    re.VERBOSE,
)

# What may follow a price and still belong to it: "/box", "per bungkus", "15rb-an".
_PER_UNIT_RE = re.compile(rf"(?:{_SP}/{_SP}|{_SP}per[ \t]+){_L}+|-an(?!{_L})", re.IGNORECASE)
# "15rb-20rb", "15rb s/d 20rb": the range is one phrase and the lower bound is the price.
_RANGE_RE = re.compile(rf"{_SP}(?:-+|–|—|~|s/?d|sd|sampai|hingga){_SP}", re.IGNORECASE)
# "dari 20rb jadi 15rb": the later (promo) price wins.
_NOW_RE = re.compile(rf"{_SP}(?:jadi|menjadi|->|=>|→){_SP}", re.IGNORECASE)

_TITLE_FILLER_RE = re.compile(
    rf"""
    (?<!{_L})(?:
        dijual|jual|promo|harga|hrg|cuma|cuman|hanya|only|aja|ajah|saja|
        kak|kakak|kk|gan|sis|mulai(?:[ \t]+dari)?|
        ready[ \t]+(?:stock|stok)|open[ \t]+(?:po|order)|murah[ \t]+meriah
    )(?!{_L})
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Same words (plus chatty particles) peeled off the edges of a description piece that
# touches the price, so "50k aja kak" leaves no description behind.
_CHATTY = r"ya|yaa|yah|yuk|dong|deh|per|dari|normal"
_EDGE_FILLER = rf"(?:{_TITLE_FILLER_RE.pattern}|(?<!{_L})(?:{_CHATTY})(?!{_L}))"
# Punctuation outside the filler words is left for _trim, which keeps markup that wraps
# the text ("50k aja, *renyah*" keeps its "*").
# A filler word right before a closing mark is wrapped text ("*promo*", "(promo)"), kept.
_LEADING_FILLER_RE = re.compile(
    rf"^(?:[\W_]*{_EDGE_FILLER}(?![*_~`\"'>)\]}}”»]))+", re.IGNORECASE | re.VERBOSE
)
_TRAILING_FILLER_RE = re.compile(rf"\s*(?:{_EDGE_FILLER}[\W_]*)+$", re.IGNORECASE | re.VERBOSE)

# Where the product name ends when there is no price right after it: a comma, a
# semicolon, a spaced dash or bar, or a "contact me / negotiable" phrase.
_TITLE_END_RE = re.compile(r",(?![0-9])|;|[ \t][-–—|•][ \t]|[ \t]*\|[ \t]*")
_INQUIRY_RE = re.compile(
    rf"(?<!{_L})(?:(?:harga[ \t]+)?(?:bisa[ \t]+)?nego|dm|pm|japri|inbox|hubungi|hub|tanya|"
    rf"chat|wa|call|info)(?!{_L})",
    re.IGNORECASE,
)
_SPACES_RE = re.compile(r"[ \t]+")
_NON_SPACE_RE = re.compile(r"[^ \t]")
_EDGE_WINDOW = 120
_SEPARATOR_RE = re.compile(r"[.,]")
_CENTS_RE = re.compile(r"(?<=[.,][0-9]{3})[.,][0-9]{2}$")  # the ",00" of "45.000,00"

_CLOSERS = {")": "(", "]": "[", "}": "{", "”": "“", "»": "«"}
_OPENERS = {opener: closer for closer, opener in _CLOSERS.items()}
# Markup people type (WhatsApp *bold* _italic_ ~strike~ `mono`, HTML tags): kept at the
# edges when it wraps text, so a title is stored exactly as typed and shown literally.
_MARKUP_OPENERS = {"*": "*", "_": "_", "~": "~", "`": "`", "<": ">", '"': '"'}
_MARKUP_CLOSERS = {closer: opener for opener, closer in _MARKUP_OPENERS.items()}
# Emoji are mostly "So"; ZWJ, tags and variation selectors glue emoji sequences together
# ("Cf", "Mn"); keycaps use "Me". Skin tones are "Sk", like "`" and "^", which stay.
_EMOJI_TO_SPACE = frozenset({"So", "Cs", "Co", "Cn"})
_EMOJI_TO_NOTHING = frozenset({"Cf", "Me"})
_SKIN_TONES = ("\U0001f3fb", "\U0001f3ff")


@dataclass(frozen=True, slots=True)
class ParsedListing:
    """A product post split into its parts; ``price`` is whole Rupiah or None if unknown."""

    title: str
    price: int | None
    description: str


@dataclass(frozen=True, slots=True)
class _Price:
    value: int
    rank: int  # 0 currency marker, 1 price word / "@", 2 "12.500", 3 "45000"
    start: int
    end: int


def _clean(text: str) -> str:
    """NFKC-fold (full-width digits, NBSP), drop emoji and control characters."""
    chars: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(ch)
        if ch in "\n\t":
            chars.append(ch)
        elif (
            category in _EMOJI_TO_NOTHING
            or "\ufe00" <= ch <= "\ufe0f"
            or _SKIN_TONES[0] <= ch <= _SKIN_TONES[1]
        ):
            continue
        elif category in _EMOJI_TO_SPACE or category == "Cc" or category in ("Zl", "Zp"):
            chars.append("\n" if category in ("Zl", "Zp") or ch in "\r\x0b\x0c" else " ")
        else:
            chars.append(ch)
    return "".join(chars)


def _mask_phones(text: str) -> str:
    """Blank out phone numbers, keeping offsets, so their digits never look like prices.

    The mask is NUL, which _clean never lets through, rather than a space: "WA 0812-...
    15rb" must not read as "WA 15rb" when looking at the words before a number.
    """
    return _PHONE_RE.sub(lambda m: "\0" * len(m.group()), text)


def _to_number(raw: str) -> Decimal | None:
    """Read "15.000", "1,5", "15.000,00" or "1.2" the way an Indonesian seller means it.

    A separator followed by exactly three digits groups thousands; one or two digits
    (or more than three after the only separator) after the last separator are decimals.
    Decimal, not float: a run of 400 nines stays a (huge) number, never infinity.
    """
    parts = _SEPARATOR_RE.split(raw)
    if len(parts) == 1:
        return Decimal(raw)
    if len(parts[0]) <= 3 and all(len(part) == 3 for part in parts[1:]):
        return Decimal("".join(parts))
    integer, fraction = parts[:-1], parts[-1]
    if len(integer) > 1 and (len(integer[0]) > 3 or any(len(p) != 3 for p in integer[1:])):
        return None  # "1.23.45": not a number anyone writes on purpose
    if len(integer) > 1 and len(fraction) > 2:
        return None
    return Decimal(f"{''.join(integer)}.{fraction}")


def _amount(raw: str, multiplier: str | None) -> int | None:
    """Whole Rupiah for digits and an optional multiplier ("1,5" "jt"), at most ABSURD_PRICE."""
    number = _to_number(raw.rstrip(".,"))
    if number is None:
        return None
    return min(round(number * _MULTIPLIERS.get((multiplier or "").lower(), 1)), ABSURD_PRICE)


def _is_grouped(raw: str) -> bool:
    """True for "12.500", "1.500.000" or "45.000,00": thousands written with separators."""
    raw = _CENTS_RE.sub("", raw)
    parts = _SEPARATOR_RE.split(raw)
    return (
        len(parts) > 1
        and 1 <= len(parts[0]) <= 3
        and parts[0][0] != "0"
        and all(len(part) == 3 for part in parts[1:])
        and len(set(_SEPARATOR_RE.findall(raw))) == 1
    )


def _is_round(raw: str) -> bool:
    """True for "15000" or "2000" but not "2024": an unseparated price is a round number."""
    return raw.isdigit() and 4 <= len(raw) <= 7 and raw[0] != "0" and int(raw) % 100 == 0


def _evaluate(match: re.Match[str], text: str) -> _Price | None:
    """Decide whether one number is a price, and how sure we are (lower rank = surer).

    Cheap checks run first: most numbers in a post are sizes and counts.
    """
    raw = match["num"]
    number = _to_number(raw)
    if number is None:
        return None
    start = match.start()
    mult = (match["mult"] or "").lower()
    if match["cur"] or mult:
        rank = 0
        number *= _MULTIPLIERS.get(mult, 1)
    else:
        grouped, round_ = _is_grouped(raw), _is_round(raw)
        if not (grouped or round_):
            return None  # "5", "250", "2024", "13": never a price without a marker
        num_start = match.start("num")
        if num_start > 0 and (text[num_start - 1].isalpha() or text[num_start - 1] in "+#"):
            return None  # "A4", "iPhone13", "+62", "#1"
        if _UNIT_AFTER_RE.match(text, match.end()):
            return None
        if match["at"] or _PRICE_CONTEXT_BEFORE_RE.search(text, max(0, start - 24), start):
            rank = 1
        elif grouped:
            rank = 2
        elif len(raw) >= 5:
            rank = 3
        else:
            return None
    if not MIN_PRICE <= number <= MAX_PRICE:
        return None
    if _NOT_PRICE_BEFORE_RE.search(text, max(0, start - 24), start):
        return None
    end = match.end()
    if tail := _PER_UNIT_RE.match(text, end):
        end = tail.end()
    return _Price(value=round(number), rank=rank, start=start, end=end)


def _struck_through(text: str, price: _Price) -> bool:
    """WhatsApp renders ~Rp 20.000~ struck through: that is the old price."""
    i = price.start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    j = price.end
    while j < len(text) and text[j] in " \t":
        j += 1
    return i >= 0 and text[i] == "~" and j < len(text) and text[j] == "~"


def _find_price(text: str) -> _Price | None:
    """Best price in cleaned ``text``: surest rank first, then earliest; spans ranges."""
    masked = _mask_phones(text)
    found = [p for m in _CANDIDATE_RE.finditer(masked) if (p := _evaluate(m, masked))]
    live = [p for p in found if not _struck_through(masked, p)]
    if not live:
        return None
    best = min(live, key=lambda p: (p.rank, p.start))
    by_start = {p.start: p for p in found}
    start, end, value = best.start, best.end, best.value
    if (now := _NOW_RE.match(masked, end)) and (newer := by_start.get(now.end())):
        end, value = newer.end, newer.value  # "20rb jadi 15rb"
    elif (dash := _RANGE_RE.match(masked, end)) and (upper := by_start.get(dash.end())):
        end = upper.end  # "15rb-20rb": keep the lower bound
    # A struck-through old price right before it belongs to the same phrase.
    old = max((p for p in found if p.end <= start), key=lambda p: p.end, default=None)
    if old and _struck_through(masked, old) and not masked[old.end : start].strip(" \t~"):
        start = masked.rfind("~", 0, old.start)
    return _Price(value=value, rank=best.rank, start=start, end=end)


def parse_price(text: str) -> int | None:
    """The price of a product post in whole Rupiah, or None if there is no clear price."""
    price = _find_price(_clean(text))
    return price.value if price else None


def _trim(text: str, *, keep_end: bool = False) -> str:
    """Strip spaces and punctuation at both ends, keeping a "%" and balanced brackets or
    markup ("(XL)", "<b>Keripik</b>", "*pedas*", "{rasa}"); nothing is left without a
    letter or digit. With `keep_end`, only spaces leave the end ("pedas!!" stays).
    """
    text = _SPACES_RE.sub(" ", text).strip()
    last = {closer: text.rfind(closer) for closer in (*_CLOSERS, *_MARKUP_CLOSERS)}
    i, j = 0, len(text)
    while i < j and not text[i].isalnum():
        ch = text[i]
        if ch in _OPENERS and last[_OPENERS[ch]] > i:
            break
        if ch in _MARKUP_OPENERS and last[_MARKUP_OPENERS[ch]] > i and not text[i + 1].isspace():
            break
        i += 1
    first = {opener: text.find(opener, i) for opener in (*_OPENERS, *_MARKUP_OPENERS)}
    while j > i and not keep_end and not text[j - 1].isalnum():
        ch = text[j - 1]
        if ch in _CLOSERS and 0 <= first[_CLOSERS[ch]] < j - 1:
            break
        if (
            ch in _MARKUP_CLOSERS
            and 0 <= first[_MARKUP_CLOSERS[ch]] < j - 1
            and not text[j - 2].isspace()
        ):
            break
        if ch == "%" and j - 2 >= i and text[j - 2].isdigit():
            break
        j -= 1
    kept = text[i:j]
    return kept if any(ch.isalnum() for ch in kept) else ""


def _clean_title(text: str) -> str:
    """Drop sales filler ("jual", "promo", "kak" ...) and tidy; capitalise the first letter."""
    title = _trim(_TITLE_FILLER_RE.sub(" ", text))
    return title[:1].upper() + title[1:]


def _split_title(piece: str, pos: int) -> tuple[str, int]:
    """From ``pos``, cut the product name at the first separator or inquiry phrase.

    Returns the name and where the rest of the piece starts. The inquiry search stops at
    the separator, so walking a long piece segment by segment stays linear.
    """
    end = _TITLE_END_RE.search(piece, pos)
    stop = end.start() if end else len(piece)
    inquiry = _INQUIRY_RE.search(piece, pos, stop)
    if inquiry and _clean_title(head := piece[pos : inquiry.start()]):
        return head, inquiry.start()  # "Bolu pandan DM untuk harga"
    return piece[pos:stop], end.end() if end else len(piece)


def _strip_trailing_filler(text: str) -> str:
    """Drop filler words ("harga", "cuma", "kak" ...) that end ``text``.

    Only the last _EDGE_WINDOW characters are searched: the regex would be quadratic
    on a long run of punctuation, and real filler before a price is a few words.
    """
    tail = _TRAILING_FILLER_RE.search(text, max(0, len(text) - _EDGE_WINDOW))
    return text[: tail.start()] if tail else text


def _clean_description(text: str, touches_price_before: bool, touches_price_after: bool) -> str:
    """Tidy one description piece, peeling filler off the edge that touched the price.

    What the seller wrote is kept as typed: only the words and marks joining it to the
    price (", aja kak") go, and an end that does not touch the price keeps its marks.
    """
    if touches_price_after and (lead := _LEADING_FILLER_RE.match(text)):
        text = text[lead.end() :]
    if touches_price_before:
        text = _strip_trailing_filler(text)
    return _trim(text, keep_end=not touches_price_before)


def parse_listing(text: str) -> ParsedListing:
    """Split a seller's post into product title, price (whole Rupiah) and description.

    The title is the first meaningful text: usually what comes before the price on the
    first line, or the first line up to a comma when the price is elsewhere. The
    description is everything else except the price phrase itself.
    """
    cleaned = _clean(text)
    price = _find_price(cleaned)
    # Pieces of text in order: (line number, text, ends at price, starts after price).
    pieces: list[tuple[int, str, bool, bool]] = []
    offset = 0
    for line_no, line in enumerate(cleaned.split("\n")):
        line_end = offset + len(line)
        if price and offset <= price.start < line_end:
            pieces.append((line_no, cleaned[offset : price.start], True, False))
            pieces.append((line_no, cleaned[price.end : line_end], False, True))
        else:
            pieces.append((line_no, line, False, False))
        offset = line_end + 1

    title = ""
    parts: list[tuple[int, str]] = []
    for line_no, piece, ends_at_price, starts_after_price in pieces:
        rest, touches_before, touches_after = piece, ends_at_price, starts_after_price
        if ends_at_price:
            rest = _strip_trailing_filler(rest)
        pos = 0
        while not title and _NON_SPACE_RE.search(rest, pos):
            head, pos = _split_title(rest, pos)
            title = _clean_title(head)
            if not any(ch.isalpha() for ch in title):
                title = ""
            touches_after = False
        rest = rest[pos:]
        description = _clean_description(rest, touches_before, touches_after)
        if description:
            parts.append((line_no, description))

    chunks: list[str] = []
    for index, (line_no, part) in enumerate(parts):
        if index:
            chunks.append(" " if parts[index - 1][0] == line_no else "\n")
        chunks.append(part)
    return ParsedListing(
        title=title, price=price.value if price else None, description="".join(chunks)
    )


# --- Prices to question, and the answer to "how much?" ---------------------------------

# A number that is clearly meant as a price: after Rp/IDR/"harga", or before rb/k/jt.
_MARKED_PRICE_RE = re.compile(
    r"(?:(?<![^\W\d_])(?:rp|idr|harga)\.?[ \t]*:?[ \t]*(?P<a>\d[\d.,]*)"
    r"(?:[ \t]*(?P<am>rb|ribu|k|jt|juta|m|miliar|milyar)(?![^\W\d_]))?)"
    r"|(?:(?<![\d.,])(?P<b>\d[\d.,]*)[ \t]*(?P<bm>rb|ribu|k|jt|juta|miliar|milyar)(?![^\W\d_]))",
    re.IGNORECASE,
)
_ZERO_PRICE_RE = re.compile(r"(?<![\w.,])0+(?:[.,]0+)*(?:[.,]-+)?[ \t]*$")


@dataclass(frozen=True)
class PriceAnswer:
    """An answer to "what does it cost?": a price, "ask the seller", or nonsense."""

    price: int | None = None
    no_price: bool = False
    doubtful: int | None = None

    @property
    def understood(self) -> bool:
        return self.price is not None or self.no_price


def doubtful_price(text: str) -> tuple[int, tuple[int, int]] | None:
    """A clearly marked price outside what Guyub accepts, and where it is in `text`.

    A bare 0 ending the first line ("Tahu 0") is a price of nothing, also asked about.
    """
    for match in _MARKED_PRICE_RE.finditer(text):
        value = _amount(match["a"] or match["b"], match["am"] or match["bm"])
        if value is not None and not MIN_PRICE <= value <= MAX_SENSIBLE_PRICE:
            return value, match.span()
    if zero := _ZERO_PRICE_RE.search(text.split("\n", 1)[0]):
        return 0, zero.span()
    return None


def read_price(text: str) -> PriceAnswer:
    """The answer to the price question: "15rb", "Rp 15.000", "15000", "nego" or "0"."""
    answer = " ".join(text.casefold().split()).strip(" .!")
    if answer in NO_PRICE_WORDS or is_skip(answer):
        return PriceAnswer(no_price=True)
    doubtful = doubtful_price(text)
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
