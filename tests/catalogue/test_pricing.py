"""Tests for handlers.catalogue.pricing: prices, titles and descriptions of seller posts."""

import dataclasses
import random
from typing import Any

import pytest

from handlers.catalogue.pricing import (
    ABSURD_PRICE,
    MAX_PRICE,
    MIN_PRICE,
    ParsedListing,
    PriceAnswer,
    doubtful_price,
    parse_listing,
    parse_price,
    read_price,
)
from tests.factories import seller_sample_params


@pytest.mark.parametrize("sample", seller_sample_params())
def test_shared_seller_post_samples(sample: dict[str, Any]) -> None:
    listing = parse_listing(sample["text"])
    assert listing.price == sample["price"]
    for word in sample["title_has"]:
        assert word in listing.title.lower(), (word, listing)


# Every price format the brief lists, plus a few more found in real chats.
PRICE_CASES: list[tuple[str, int]] = [
    ("Keripik 15rb", 15_000),
    ("Keripik 15 rb", 15_000),
    ("Keripik 15 ribu", 15_000),
    ("Keripik 35 ribu", 35_000),
    ("Keripik 15k", 15_000),
    ("Keripik 15K", 15_000),
    ("Keripik 15rbu", 15_000),
    ("Keripik 15 rebu", 15_000),
    ("Keripik Rp15.000", 15_000),
    ("Keripik Rp 15.000,-", 15_000),
    ("Keripik Rp. 15.000,00", 15_000),
    ("Keripik Rp.15.000", 15_000),
    ("Keripik RP 15.000", 15_000),
    ("Keripik IDR 15000", 15_000),
    ("Keripik IDR 150000", 150_000),
    ("Keripik Rp 150000", 150_000),
    ("Keripik 12.500", 12_500),
    ("Keripik 45.000", 45_000),
    ("Keripik 45.000,-", 45_000),
    ("Keripik 15.000 rupiah", 15_000),
    ("Batik 1,5jt", 1_500_000),
    ("Batik 1.2 juta", 1_200_000),
    ("Batik 1 jt", 1_000_000),
    ("Batik 2,5 juta", 2_500_000),
    ("Batik Rp 1.500.000", 1_500_000),
    ("Batik Rp1,5jt", 1_500_000),
    ("Donat @ 7.000", 7_000),
    ("Donat @7000", 7_000),
    ("Donat @ 3rb", 3_000),
    ("Nasi box 25rb/box", 25_000),
    ("Laundry 7rb/kg", 7_000),
    ("Kerupuk 20 rb per bungkus", 20_000),
    ("Hampers Rp250rb", 250_000),
    ("Pempek 50k aja", 50_000),
    ("Tas anyaman\nHarga: Rp 120.000", 120_000),
    ("Kue kering harga 85000", 85_000),
    ("Kerupuk harga 2000", 2_000),
    ("Kopi 45000", 45_000),
    ("Es kopi susu 18K", 18_000),
    ("Keripik 2.5k", 2_500),
    ("Keripik 12,5rb", 12_500),
    ("KERIPIK PISANG 15RB", 15_000),
    ("Keripik １５ｒｂ", 15_000),  # full-width characters from some keyboards
    ("Keripik Rp\u00a015.000", 15_000),  # non-breaking space
    ("Keripik 15rb-an", 15_000),
    # Non-prices mixed with a price.
    ("Bakso isi 50 Rp. 60.000", 60_000),
    ("Kopi 250 gr 45.000", 45_000),
    ("Laundry 7rb/kg antar jemput area 13 Ulu", 7_000),
    ("Brownies isi 20 pcs Rp 45.000", 45_000),
    ("Sepatu ukuran 42 harga 250rb", 250_000),
    ("Gamis 2 pcs 350rb", 350_000),
    ("Madu 1 liter 1.000 ml 150.000", 150_000),
    ("Rendang 500gr Rp85.000, PO tiap Jumat", 85_000),
    ("Keripik 15rb WA 0812-3456-7890", 15_000),
    ("Keripik 08123456789 15rb", 15_000),
    ("Keripik +62 812-3456-7890 Rp 15.000", 15_000),
    ("Kalender 2024 harga 25rb", 25_000),
    ("Buka jam 08.00-17.00, kue 35.000", 35_000),
    # Several candidates: an explicit currency marker beats a bare number ...
    ("Kopi 45.000 atau 2 bungkus 80rb", 80_000),
    # ... and otherwise the first one wins.
    ("Keripik 15rb, 2 bungkus 28rb", 15_000),
    ("Keripik Rp 15.000 - Rp 20.000", 15_000),
    ("Keripik 15rb-20rb tergantung rasa", 15_000),
    # Shipping, discounts and sales counts are not the product price.
    ("Terjual 10rb+ keripik 15rb", 15_000),
    ("Ongkir Rp 10.000, keripik Rp 15.000", 15_000),
    ("Keripik 15rb, diskon 2rb", 15_000),
    # Promo price wins over the old one.
    ("Keripik ~Rp 20.000~ Rp 15.000", 15_000),
    ("Keripik dari 20rb jadi 15rb", 15_000),
    # Multi-line posts and emoji.
    ("🔥 PROMO 🔥\nKeripik pisang\n💰 15rb 💰", 15_000),
    ("Keripik pisang\n\nHarga 👉 Rp 15.000 👈\nWA 0812 3456 7890", 15_000),
    ("☕Kopi☕15rb☕", 15_000),
]


@pytest.mark.parametrize(("text", "expected"), PRICE_CASES)
def test_price_formats(text: str, expected: int) -> None:
    assert parse_price(text) == expected
    assert parse_listing(text).price == expected


NOT_PRICES: list[str] = [
    "Rendang 500gr",
    "Kopi 250 gr",
    "Beras 1 kg",
    "Beras 5kg",
    "Sambal 200ml",
    "Madu 1 liter",
    "Madu 1.000 ml",
    "Bakso isi 50",
    "Pempek isi 5",
    "Nasi box min order 20",
    "Kaos 20 pcs",
    "Sepatu ukuran 42",
    "Hubungi 0812-3456-7890",
    "WA 08123456789",
    "Telp +62 812 3456 7890",
    "Telp +62 812-3456-7890",
    "Kantor (0711) 355000",
    "Laundry area 13 Ulu",
    "Kalender 2024",
    "Kalender tahun 2024",
    "Jual kaos, harga 2024",
    "Jasa jahit, harga nego",
    "Jahit permak nego",
    "Bolu pandan, DM untuk harga",
    "Bolu pandan tanya harga",
    "Catering, hubungi kami",
    "Buka jam 08.00-17.00",
    "Kirim tgl 17.08.2024",
    "Ukuran 30x40 cm",
    "iPhone13 mulus",
    "Kemasan A4",
    "Harga 15",
    "Rp 50",
    "Keripik 15",
    "Gratis ongkir min belanja 50rb",
    "",
    "   ",
    "🔥🔥🔥",
]


@pytest.mark.parametrize("text", NOT_PRICES)
def test_not_prices(text: str) -> None:
    assert parse_price(text) is None
    assert parse_listing(text).price is None


LISTING_CASES: list[tuple[str, ParsedListing]] = [
    (
        "Keripik pisang coklat 15rb",
        ParsedListing("Keripik pisang coklat", 15_000, ""),
    ),
    (
        "Rendang 500gr Rp85.000, PO tiap Jumat",
        ParsedListing("Rendang 500gr", 85_000, "PO tiap Jumat"),
    ),
    (
        "Jual Rendang Daging Sapi 500gr Rp 85.000",
        ParsedListing("Rendang Daging Sapi 500gr", 85_000, ""),
    ),
    (
        "Pempek kapal selam isi 5 cuma 50k aja kak",
        ParsedListing("Pempek kapal selam isi 5", 50_000, ""),
    ),
    (
        "Tas anyaman pandan\nHarga: Rp 120.000\nWarna coklat & hitam",
        ParsedListing("Tas anyaman pandan", 120_000, "Warna coklat & hitam"),
    ),
    (
        "Catering nasi box mulai 25rb/box, min order 20",
        ParsedListing("Catering nasi box", 25_000, "min order 20"),
    ),
    (
        "Laundry kiloan 7rb/kg antar jemput area 13 Ulu",
        ParsedListing("Laundry kiloan", 7_000, "antar jemput area 13 Ulu"),
    ),
    (
        "Jasa jahit permak celana, harga nego",
        ParsedListing("Jasa jahit permak celana", None, "harga nego"),
    ),
    (
        "Bolu pandan DM untuk harga",
        ParsedListing("Bolu pandan", None, "DM untuk harga"),
    ),
    (
        "🔥PROMO🔥 Bakso frozen isi 50 Rp. 60.000 🔥",
        ParsedListing("Bakso frozen isi 50", 60_000, ""),
    ),
    (
        "Sambal roa botol 200ml - 35 ribu",
        ParsedListing("Sambal roa botol 200ml", 35_000, ""),
    ),
    (
        "🔥 PROMO 🔥\nkeripik pisang 15rb\nPO tiap Jumat\nWA 0812-3456-7890",
        ParsedListing("Keripik pisang", 15_000, "PO tiap Jumat\nWA 0812-3456-7890"),
    ),
    (
        "Rp 15.000 aja kak keripik pisang, renyah",
        ParsedListing("Keripik pisang", 15_000, "renyah"),
    ),
    (
        "KERIPIK PISANG 15RB",
        ParsedListing("KERIPIK PISANG", 15_000, ""),
    ),
    (
        "kaos polos (XL) ~Rp 80.000~ Rp 60.000 kak",
        ParsedListing("Kaos polos (XL)", 60_000, ""),
    ),
    (
        "Keripik pisang - renyah, gurih 15rb",
        ParsedListing("Keripik pisang", 15_000, "renyah, gurih"),
    ),
    (
        "Keripik 15rb-20rb tergantung rasa",
        ParsedListing("Keripik", 15_000, "tergantung rasa"),
    ),
    (
        "Kopi dari Aceh 45.000",
        ParsedListing("Kopi dari Aceh", 45_000, ""),
    ),
    (
        "Kue nastar\r\nisi 20 pcs\r\n75rb",
        ParsedListing("Kue nastar", 75_000, "isi 20 pcs"),
    ),
    ("", ParsedListing("", None, "")),
    ("🔥🔥🔥", ParsedListing("", None, "")),
]


@pytest.mark.parametrize(("text", "expected"), LISTING_CASES)
def test_parse_listing_parts(text: str, expected: ParsedListing) -> None:
    assert parse_listing(text) == expected


def test_title_has_no_emoji_filler_or_edge_punctuation() -> None:
    listing = parse_listing("✨ Dijual!!! Kue Lapis Legit 🍰 Harga: Rp 175.000,- kak ✨")
    assert listing.title == "Kue Lapis Legit"
    assert listing.price == 175_000
    assert listing.description == ""


def test_parsed_listing_is_frozen() -> None:
    listing = parse_listing("Keripik 15rb")
    with pytest.raises(dataclasses.FrozenInstanceError):
        listing.price = 1  # type: ignore[misc]


def test_parse_price_matches_parse_listing() -> None:
    for text, _ in PRICE_CASES:
        assert parse_price(text) == parse_listing(text).price


def _random_text(rng: random.Random) -> str:
    """Mostly price-ish soup, sometimes arbitrary code points (including lone surrogates)."""
    soup = "0123456789" * 3 + ".,-+/@:~()  \n\t" + "RpIDRrbkKjtjuta" + "🔥☕é\u200d\ufe0f"
    words = ["Rp", "IDR", "rb", "ribu", "jt", "juta", "k", "isi", "gr", "harga", "nego", "kak"]
    length = rng.choice([0, 1, 3, 10, 40, 200, 1_000, 10_000])
    kind = rng.random()
    if kind < 0.4:
        return "".join(rng.choice(soup) for _ in range(length))
    if kind < 0.7:
        parts = [rng.choice(words) if rng.random() < 0.5 else str(rng.randrange(10**7))]
        while sum(map(len, parts)) < length:
            parts.append(rng.choice(words) if rng.random() < 0.5 else str(rng.randrange(10**7)))
        return rng.choice([" ", ".", ",", ""]).join(parts)
    return "".join(chr(rng.randrange(0x110000)) for _ in range(min(length, 2_000)))


def test_never_crashes_on_random_input() -> None:
    rng = random.Random(20240817)
    for _ in range(300):
        text = _random_text(rng)
        listing = parse_listing(text)
        assert isinstance(listing, ParsedListing)
        assert isinstance(listing.title, str)
        assert isinstance(listing.description, str)
        assert listing.price is None or (
            type(listing.price) is int and MIN_PRICE <= listing.price <= MAX_PRICE
        )
        assert parse_price(text) == listing.price


@pytest.mark.parametrize(
    "text",
    [
        "9" * 5_000,
        "Rp " + "9" * 400,
        "1" * 10_000 + "rb",
        "1." * 5_000 + "rb",
        "🔥" * 10_000,
        "kak " * 2_500 + "15rb",
        "~" * 10_000,
        "\n" * 10_000,
        "kak " * 2_500 + "x 15rb",
        "- " * 5_000 + "15rb",
        "15rb" + " kak -" * 2_000 + " x",
        ", " * 5_000,
        "(" * 10_000,
        "~ 1rb ~" * 1_500,
        "Rp 1.000 - " * 1_000,
    ],
)
def test_pathological_input(text: str) -> None:
    """Long runs of punctuation or filler once made the regexes quadratic (25 s); how long
    they take now is measured by bench/parsing.py, not asserted here."""
    listing = parse_listing(text)
    assert listing.price is None or MIN_PRICE <= listing.price <= MAX_PRICE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>Keripik</b> 15rb", ParsedListing("<b>Keripik</b>", 15_000, "")),
        ("*Keripik* harga 15rb", ParsedListing("*Keripik*", 15_000, "")),
        ("Keripik 15rb aja, *renyah*", ParsedListing("Keripik", 15_000, "*renyah*")),
        ("Keripik 15rb\n*Renyah*\n_gurih_", ParsedListing("Keripik", 15_000, "*Renyah*\n_gurih_")),
        ("*PROMO* `Kopi` 15rb", ParsedListing("`Kopi`", 15_000, "")),
        ("Kopi ^_^ 15rb, ```x```", ParsedListing("Kopi", 15_000, "```x```")),
        ("Keripik 15rb ** ~", ParsedListing("Keripik", 15_000, "")),
    ],
)
def test_markup_that_wraps_text_is_kept_as_typed(text: str, expected: ParsedListing) -> None:
    assert parse_listing(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15rb", PriceAnswer(price=15_000)),
        ("Rp 15.000,-", PriceAnswer(price=15_000)),
        ("15000", PriceAnswer(price=15_000)),
        ("1,5jt", PriceAnswer(price=1_500_000)),
        ("1.2 juta", PriceAnswer(price=1_200_000)),  # Decimal: never 1,199,999
        ("0,3 jt", PriceAnswer(price=300_000)),
        ("nego", PriceAnswer(no_price=True)),
        ("lewati", PriceAnswer(no_price=True)),
        ("0", PriceAnswer(doubtful=0)),
        ("2 miliar", PriceAnswer(doubtful=2_000_000_000)),
        ("Rp 2 m", PriceAnswer(doubtful=2_000_000_000)),
        ("9" * 400, PriceAnswer(doubtful=ABSURD_PRICE)),
        ("Rp " + "9" * 400, PriceAnswer(doubtful=ABSURD_PRICE)),
        ("murah kok", PriceAnswer()),
    ],
)
def test_the_answer_to_the_price_question(text: str, expected: PriceAnswer) -> None:
    assert read_price(text) == expected


def test_one_reader_gives_whole_rupiah_as_int() -> None:
    for text, _ in PRICE_CASES:
        price = read_price(text).price
        assert price is None or type(price) is int
    assert doubtful_price("Keripik Rp0") == (0, (8, 11))
    assert doubtful_price("Keripik 15rb") is None


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("Keripik 15rb {rasa} pedas", "{rasa} pedas"),
        ("Keripik 15rb *promo*", "*promo*"),
        ("Keripik 15rb _x_", "_x_"),
        ("Keripik 15rb (promo)", "(promo)"),
        ('Keripik 15rb "promo" enak', '"promo" enak'),
        ("Keripik 15rb {a} b {c}", "{a} b {c}"),
        ("Keripik 15rb pedas!!!", "pedas!!!"),
        ("Keripik 15rb aja kak *promo*", "*promo*"),
        ("Keripik 15rb\n{rasa} pedas?", "{rasa} pedas?"),
    ],
)
def test_the_description_keeps_what_follows_the_price_as_typed(text: str, description: str) -> None:
    """Issue 9, finding 6: `{rasa}` lost its brace, `*promo*` the whole description."""
    assert parse_listing(text) == ParsedListing("Keripik", 15_000, description)
