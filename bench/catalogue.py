"""Public catalogue benchmark: the page for a community of 500 products.

Run from the repository root:

    .venv/bin/python bench/catalogue.py

It seeds a fresh SQLite file (in a temporary folder) with the web tests' market
(tests/site/market.py) plus enough generated products for 500 active ones, then renders
pages through the real web app in-process (Starlette over httpx's ASGI transport: routing,
the database, the template, no network): the first page, a later page, a category, a
search and a typo search, each `--runs` times after one warm-up. It prints the server time
per render (p50/p95/max) and the page weight before images (the HTML plus the stylesheet).
Targets: p95 under 100 ms and under 200 KB; it exits 1 when a target is missed.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bot.site.routes import site_routes
from bot.web import build_web_app
from handlers.context import Options
from storage.db import make_engine, prepare, session_factory
from storage.media import MediaStore
from tests.site.market import seed_market

PRODUCTS = 500
SEEDED = 5  # the market's own active products
TARGET_MS = 100.0
TARGET_BYTES = 200_000
PAGES = {
    "first page": "/k/kba13",
    "page 5": "/k/kba13?hal=5",
    "category": "/k/kba13?kategori=kuliner",
    "search": "/k/kba13?q=produk+contoh",
    "typo search": "/k/kba13?q=prodk+contho",
}


async def measure(folder: Path, runs: int) -> bool:
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    prepare(engine)
    open_session = session_factory(engine)
    started = time.perf_counter()
    seed_market(
        open_session,
        folder / "media",
        datetime(2026, 12, 7, 2, tzinfo=UTC),
        extra=PRODUCTS - SEEDED,
    )
    print(f"seeded {PRODUCTS} active products in {time.perf_counter() - started:.1f} s")
    options = Options(
        telegram_bot_username="GuyubBot",
        whatsapp_number="6285550001111",
        public_base_url="https://guyub.example",
        media_dir=folder / "media",
    )
    app = build_web_app(
        open_session=open_session,
        media=MediaStore(folder / "media"),
        routes=site_routes(open_session=open_session, options=lambda: options),
    )
    ok = True
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        css = len((await client.get("/static/style.css")).content)
        print(f"stylesheet: {css / 1000:.1f} KB (cached for a year after the first page)")
        columns = ("p50 ms", "p95 ms", "max ms", "cards", "HTML KB", "+CSS KB")
        print(f"{'page':<12} " + " ".join(f"{column:>8}" for column in columns))
        for name, path in PAGES.items():
            first = await client.get(path)  # warm-up (and the size)
            assert first.status_code == 200, (path, first.status_code)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            times.sort()
            p95 = times[max(int(len(times) * 0.95) - 1, 0)]
            weight = len(first.content) + css
            cards = first.text.count('<li class="card">')
            print(
                f"{name:<12} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f} "
                f"{cards:8d} {len(first.content) / 1000:8.1f} {weight / 1000:8.1f}"
            )
            ok = ok and p95 < TARGET_MS and weight < TARGET_BYTES
    engine.dispose()
    verdict = "met" if ok else "MISSED"
    print(f"targets: p95 < {TARGET_MS:.0f} ms, weight < {TARGET_BYTES // 1000} KB: {verdict}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="renders per page (default 50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="guyub-bench-") as folder:
        return 0 if asyncio.run(measure(Path(folder), args.runs)) else 1


if __name__ == "__main__":
    sys.exit(main())
