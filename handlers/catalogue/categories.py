"""Product categories and a keyword-based category suggestion.

The suggestion only pre-selects a button for the seller, who can always change it, so
a transparent keyword score beats anything clever: it is easy to explain and to fix by
adding a word to a list.
"""

from dataclasses import dataclass

from handlers.catalogue.search_text import normalize, tokens

DEFAULT_CATEGORY = "lainnya"


@dataclass(frozen=True, slots=True)
class Category:
    """A catalogue category; ``keywords`` are already normalised (see ``search_text``)."""

    key: str
    name_id: str
    name_en: str
    keywords: tuple[str, ...] = ()


def _kw(words: str) -> tuple[str, ...]:
    """Split a comma-separated keyword block (kept as prose so it is easy to extend)."""
    return tuple(normalize(word) for word in words.split(",") if word.strip())


CATEGORIES: tuple[Category, ...] = (
    Category(
        key="kuliner",
        name_id="Kuliner",
        name_en="Food & drink",
        keywords=_kw(
            """
            keripik, kripik, rendang, pempek, empek, mpek, tekwan, kue, kue kering,
            kue basah, bolu, brownies, roti, donat, cake, cookies, puding, pudding,
            nastar, kastengel, lapis legit, sambal, bakso, cilok, siomay, batagor,
            dimsum, risol, lumpia, martabak, seblak, soto, mie, bakmi, nasi, nasi box,
            tumpeng, catering, katering, lauk, ayam, abon, dendeng, kerupuk, krupuk,
            kemplang, rempeyek, peyek, opak, dodol, lempok, hampers, parsel, frozen,
            frozen food, makanan, minuman, snack, camilan, cemilan, jajanan, takjil,
            kopi, teh, es, jus, susu, sirup, madu, gula aren, bumbu, pisang goreng,
            pancake
            """
        ),
    ),
    Category(
        key="fashion",
        name_id="Fashion",
        name_en="Fashion",
        keywords=_kw(
            """
            batik, mukena, baju, baju koko, koko, kaos, kaus, hijab, jilbab, kerudung,
            pashmina, gamis, sepatu, sandal, sneakers, celana, kulot, legging, rok,
            kemeja, blus, blouse, dress, gaun, daster, piyama, jaket, hoodie, sweater,
            cardigan, kebaya, songket, sarung, peci, kopiah, kain, tas, dompet, topi,
            seragam, busana, pakaian
            """
        ),
    ),
    Category(
        key="kerajinan",
        name_id="Kerajinan",
        name_en="Crafts",
        keywords=_kw(
            """
            kerajinan, handmade, anyaman, anyam, tas anyaman, rajut, tas rajut, ukir,
            ukiran, tenun, kain tenun, sulam, bordir, makrame, macrame, rotan, tas rotan,
            bambu, keramik, gerabah, tembikar, lukisan, lukis, patung, pahat, miniatur,
            wayang, topeng, souvenir, suvenir, gantungan kunci, hiasan, dekorasi,
            manik manik
            """
        ),
    ),
    Category(
        key="jasa",
        name_id="Jasa",
        name_en="Services",
        keywords=_kw(
            """
            jasa, laundry, londri, setrika, jahit, permak, servis, service, reparasi,
            bengkel, pijat, refleksi, les, les privat, privat, kursus, bimbel, antar,
            antar jemput, kurir, ojek, ekspedisi, tukang, renovasi, cleaning, sedot wc,
            cukur, barbershop, potong rambut, rias, mua, fotografer, desain, sablon,
            cetak, fotocopy, rental, sewa
            """
        ),
    ),
    Category(
        key="pertanian",
        name_id="Pertanian",
        name_en="Farming produce",
        keywords=_kw(
            """
            sayur, sayur organik, beras, gabah, telur, telor, bibit, benih, pupuk,
            tanaman, tanaman hias, buah, buah segar, ikan segar, ikan hidup, lele, nila,
            gurame, udang segar, daging segar, cabai, cabe, bawang, tomat, kentang,
            jagung, singkong, ubi, kelapa, pisang, mangga, durian, alpukat, jeruk,
            pepaya, semangka, salak, rambutan, panen, hasil panen, kebun
            """
        ),
    ),
    Category(
        key="kecantikan",
        name_id="Kesehatan & Kecantikan",
        name_en="Health & beauty",
        keywords=_kw(
            """
            jamu, herbal, obat herbal, beras kencur, kunyit asam, temulawak, sabun,
            skincare, skin care, lulur, minyak urut, minyak gosok, minyak kayu putih,
            aromaterapi, essential oil, kosmetik, make up, makeup, lipstik, lipstick,
            bedak, serum, masker, krim wajah, lotion, body lotion, sampo, shampoo,
            parfum, deodoran, suplemen, vitamin, perawatan, kecantikan, kesehatan
            """
        ),
    ),
    Category(key=DEFAULT_CATEGORY, name_id="Lainnya", name_en="Other"),
)

_BY_KEY: dict[str, Category] = {category.key: category for category in CATEGORIES}

# Common Indonesian suffixes ("jahitan", "sayuran", "keripiknya") and the "baju2"
# shorthand for reduplication. Only tried when the whole word is not a keyword.
_SUFFIXES = ("nya", "an", "2")

_KEYWORD_WORDS: frozenset[str] = frozenset(
    word for category in CATEGORIES for keyword in category.keywords for word in keyword.split()
)


def get_category(key: str) -> Category:
    """Return the category for ``key``; raises ``KeyError`` for an unknown key."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown catalogue category: {key!r}") from None


def category_name(key: str, lang: str = "id") -> str:
    """Display name of category ``key``: English for ``en``/``en-*``, Indonesian otherwise."""
    category = get_category(key)
    return category.name_en if lang.lower().startswith("en") else category.name_id


def _canonical_words(text: str) -> list[str]:
    """Normalised words with a known suffix removed when that yields a keyword word."""
    words: list[str] = []
    for word in tokens(text):
        if word not in _KEYWORD_WORDS:
            for suffix in _SUFFIXES:
                stem = word.removesuffix(suffix)
                if stem != word and stem in _KEYWORD_WORDS:
                    word = stem
                    break
        words.append(word)
    return words


def suggest_category(text: str) -> str:
    """Suggest a category key for a product text; ``lainnya`` when nothing matches.

    Each distinct keyword found scores its number of words, so the specific phrase
    "tas anyaman" (kerajinan) outweighs the generic "tas" (fashion). Ties go to the
    category whose keyword appears first, because sellers lead with the product name
    ("Keripik pisang" is a snack, not fruit).
    """
    words = _canonical_words(text)
    if not words:
        return DEFAULT_CATEGORY
    padded = " " + " ".join(words) + " "
    best_key = DEFAULT_CATEGORY
    best: tuple[int, int] = (0, 0)  # (score, -first position): larger is better
    for category in CATEGORIES:
        score = 0
        first = len(padded)
        for keyword in category.keywords:
            position = padded.find(f" {keyword} ")
            if position >= 0:
                score += len(keyword.split())
                first = min(first, position)
        if score and (score, -first) > best:
            best_key, best = category.key, (score, -first)
    return best_key
