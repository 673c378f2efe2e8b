"""Catalogue search benchmark: 50,000 products, 200 queries, p50/p95 in milliseconds.

Run from the repository root:

    .venv/bin/python bench/search.py

It builds a fresh SQLite file (in a temporary folder, or `--db PATH` to keep it) through
the real storage code, with products generated deterministically from word lists
(`random.Random(42)`) in one community, then times `handlers.catalogue.lookup.search_page`,
the function behind CARI / /cari, for all queries and for the typo queries among them
(about TYPO_SHARE: one letter missing, extra, wrong or swapped, or a known variant from
TYPOS), which take the typo-tolerant path (storage/search_fuzzy.py). Target: p95 < 20 ms.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.catalogue.fields import index_text
from handlers.catalogue.lookup import search_page
from handlers.catalogue.search_text import normalize, tokens
from storage.communities import create_community
from storage.db import make_engine, prepare, session_factory, transaction
from storage.models import Member, ProductStatus
from storage.products import create_product
from storage.search_index import ensure_index

COMMAND = ".venv/bin/python bench/search.py"
PRODUCTS = 50_000
QUERIES = 200
SELLERS = 300
START = datetime(2026, 1, 1, tzinfo=UTC)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NOUNS = _words(
    """
    keripik kripik rendang pempek tekwan bolu brownies roti donat nastar kastengel sambal
    bakso cilok siomay dimsum risol lumpia martabak seblak abon dendeng kerupuk kemplang
    rempeyek dodol kopi teh madu jamu sabun lulur batik mukena hijab gamis kaos kemeja
    sandal tas dompet anyaman rajut tenun songket keramik lukisan sayur beras telur bibit
    pupuk cabai bawang tomat alpukat durian mangga laundry jahit servis pijat les kursus
    café crème pâté jalapeño
    """
)
ADJECTIVES = _words(
    """
    pisang coklat keju pedas manis gurih original balado renyah lembut premium spesial
    jumbo mini organik segar asli tulis cap motif katun sutra rotan pandan kelapa durian
    robusta arabika hutan kampung frozen homemade crispy
    """
)
PLACES = _words(
    """
    palembang lampung pekalongan solo jogja bandung garut padang medan makassar bali
    lombok aceh manado bogor
    """
)
DESCRIPTION = _words(
    """
    pesan dulu ya kak bisa antar area ulu ilir tanpa pengawet halal tahan lama cocok
    untuk oleh oleh hampers lebaran arisan kantor stok terbatas ready setiap hari po
    jumat sabtu minggu kemasan toples plastik box isi gram kilo pcs rasa enak banget
    resep keluarga turun temurun dibuat fresh langsung dari dapur kami
    """
)
RARE = ("jalapeño", "crème", "pâté", "songket", "aceh", "manado", "tenun")


def _product(rng: random.Random) -> tuple[str, str, int | None, str]:
    title = " ".join(
        [rng.choice(NOUNS), *rng.sample(ADJECTIVES, rng.randint(1, 2)), rng.choice(PLACES)]
    )
    if rng.random() < 0.3:
        title = title.title()
    description = " ".join(rng.choice(DESCRIPTION) for _ in range(rng.randint(4, 18)))
    price = rng.choice([None, *range(5_000, 500_000, 2_500)])
    return title, description, price, rng.choice(["kuliner", "fashion", "kerajinan", "lainnya"])


def build(db: Path, rng: random.Random) -> int:
    """Fill a new database file; returns the community id."""
    engine = make_engine(f"sqlite:///{db}")
    prepare(engine)
    open_session = session_factory(engine)
    with transaction(open_session) as session:
        community = create_community(
            session=session,
            name="Bench",
            invite_code="BENCH",
            timezone="Asia/Jakarta",
            language="id",
            now=START,
        )
        community_id = community.id or 0
        ensure_index(session)  # as after the first search: every insert goes through triggers
        sellers = []
        for number in range(SELLERS):
            seller = Member(
                community_id=community_id,
                display_name=f"Penjual {number}",
                role="seller",
                created_at=START,
                updated_at=START,
            )
            session.add(seller)
            sellers.append(seller)
        session.flush()
    for batch in range(0, PRODUCTS, 5_000):
        with transaction(open_session) as session:
            for number in range(batch, batch + 5_000):
                title, description, price, category = _product(rng)
                create_product(
                    session=session,
                    community_id=community_id,
                    seller_id=rng.choice(sellers).id or 0,
                    posted_by_id=None,
                    title=title,
                    description=description,
                    price=price,
                    category=category,
                    photo_media_id=None,
                    search_text=index_text(title, description),
                    now=START + timedelta(minutes=number),
                    status=ProductStatus.ACTIVE,
                )
    engine.dispose()
    return community_id


def _variant(word: str, rng: random.Random) -> str:
    """The same word as people type it: upper case, capitalised, accents dropped or added."""
    choice = rng.random()
    if choice < 0.2:
        return word.upper()
    if choice < 0.4:
        return word.capitalize()
    if choice < 0.5:
        return word.replace("e", "é", 1)
    return word


TYPOS = ("keripk", "krupuk", "esteh", "es teh", "cabe", "rendng", "brownis", "sambel pedes")
"""Typos and spelling variants people send; each query has a TYPO_SHARE chance of one."""
TYPO_SHARE = 0.3


def _typo(word: str, rng: random.Random) -> str:
    """One letter missing, extra, wrong, or two neighbours swapped."""
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["missing", "extra", "wrong", "swapped"])
    if kind == "missing":
        return word[:at] + word[at + 1 :]
    if kind == "extra":
        return word[:at] + rng.choice("aeiouk") + word[at:]
    if kind == "wrong":
        return word[:at] + rng.choice("aeiouk") + word[at + 1 :]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def queries(rng: random.Random) -> list[str]:
    """1-3 words, common and rare, prefixes included, with case and accent variations;
    about TYPO_SHARE of them with a typo (random, or a known one from TYPOS)."""
    result = []
    pools = [NOUNS, ADJECTIVES, PLACES, DESCRIPTION, RARE]
    for _ in range(QUERIES):
        words = []
        for _ in range(rng.randint(1, 3)):
            word = rng.choice(rng.choice(pools))
            if rng.random() < 0.2 and len(word) > 4:
                word = word[: rng.randint(3, len(word) - 1)]  # a prefix
            words.append(word)
        if rng.random() < TYPO_SHARE:
            long = [i for i, word in enumerate(words) if len(word) >= 4]
            if long and rng.random() < 0.7:
                at = rng.choice(long)
                words[at] = _typo(words[at], rng)
            else:
                words = [rng.choice(TYPOS)]
        result.append(" ".join(_variant(word, rng) for word in words))
    return result


def run(db: Path, community_id: int, rng: random.Random) -> dict[str, list[float]]:
    """Time every query (first page, as CARI shows it); milliseconds by kind of query."""
    engine = make_engine(f"sqlite:///{db}")
    open_session = session_factory(engine)
    timings: dict[str, list[float]] = {"all": [], "typo": []}
    with open_session() as session:
        search_page(session=session, community_id=community_id, query="warm up")
        for query in queries(rng):
            started = time.perf_counter()
            search_page(session=session, community_id=community_id, query=query)
            elapsed = (time.perf_counter() - started) * 1000
            timings["all"].append(elapsed)
            if not _known(query):
                timings["typo"].append(elapsed)
    engine.dispose()
    return timings


_KNOWN = {normalize(word) for pool in (NOUNS, ADJECTIVES, PLACES, DESCRIPTION) for word in pool}


def _known(query: str) -> bool:
    """Whether every word of the query starts a word of the bench's word lists."""
    return all(any(known.startswith(word) for known in _KNOWN) for word in tokens(query))


def main() -> None:
    """Build, run, print p50/p95."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="keep the database at this path")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "bench.db"
        if db.exists():
            db.unlink()
        started = time.perf_counter()
        community_id = build(db, rng)
        built = time.perf_counter() - started
        timings = run(db, community_id, rng)
    print(f"command: {COMMAND}")
    print(f"built {PRODUCTS} products in {built:.1f} s; {len(timings['all'])} queries")
    for kind, values in timings.items():
        quantiles = statistics.quantiles(values, n=100)
        print(
            f"{kind} ({len(values)}): p50 {quantiles[49]:.2f} ms, p95 {quantiles[94]:.2f} ms, "
            f"max {max(values):.2f} ms"
        )


if __name__ == "__main__":
    main()
