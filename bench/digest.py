"""Weekly digest benchmark: one community of 10,000 members and 5,000 products.

Run from the repository root:

    .venv/bin/python bench/digest.py            # --members 1000 --products 500 for a quick run

It builds a fresh SQLite file (in a temporary folder, or `--db PATH` to keep it) with the
members (half on Telegram, half on WhatsApp, one in ten on both, a few opted out), products
of 500 sellers posted over the last 30 days, recommendations, past digest exposures, and
six events, then times, on that file:

- build: every member's digest as the job makes it (jobs/digest.py `plan_digests`: the
  shared parts read once, then each member's selection and text), nothing written;
- job: the whole weekly run (`send_digests`): the build plus one `Digest` row and one
  outbox row per member and the exposure ledger, committed.

Target: build under 2 s for the whole community. Peak memory is the process's maximum
resident set (target under 200 MB) and the build's own Python allocations (tracemalloc,
in a second, untimed build).
"""

import argparse
import asyncio
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from handlers.clock import ManualClock
from handlers.context import Options
from jobs.digest import load_edition, plan_digests, send_digests
from jobs.scheduler import JobEnv
from storage.communities import create_community
from storage.db import make_engine, prepare, session_factory, transaction
from storage.models import (
    ChannelIdentity,
    Community,
    Event,
    Exposure,
    ExposureKind,
    Member,
    Product,
    ProductStatus,
    Recommendation,
)

COMMAND = ".venv/bin/python bench/digest.py"
NOW = datetime(2027, 1, 15, 2, 0, tzinfo=UTC)  # Friday 09.00 WIB
SELLERS = 500
WORDS = [
    "keripik",
    "pisang",
    "rendang",
    "sambal",
    "bolu",
    "pandan",
    "kopi",
    "robusta",
    "tempe",
    "batik",
    "noken",
    "madu",
]


def _populate(open_session: object, members: int, products: int, rng: random.Random) -> int:
    """One community with its people, products and events; its id."""
    with transaction(open_session) as session:  # type: ignore[arg-type]
        community = create_community(
            session=session,
            name="KBA 13 Ulu",
            invite_code="KBA13",
            timezone="Asia/Jakarta",
            language="id",
            now=NOW - timedelta(days=60),
        )
        community_id = community.id or 0
        joined = NOW - timedelta(days=60)
        session.execute(
            insert(Member),
            [
                {
                    "community_id": community_id,
                    "display_name": f"Anggota {i}",
                    "business_name": f"Warung {i}" if i < SELLERS else None,
                    "role": "seller" if i < SELLERS else "member",
                    "language": "en" if i % 10 == 3 else "id",
                    "consent_at": joined,
                    "opted_out_at": joined if i % 50 == 7 else None,
                    "contact_channel": "whatsapp" if i % 2 else "telegram",
                    "created_at": joined,
                    "updated_at": joined,
                }
                for i in range(members)
            ],
        )
        ids = [
            m
            for (m,) in session.execute(Member.__table__.select().with_only_columns(Member.id))  # type: ignore[attr-defined]
        ]
        identities = []
        for n, member_id in enumerate(ids):
            channels = ["whatsapp" if n % 2 else "telegram"]
            if n % 10 == 0:
                channels.append("whatsapp")
            for channel in channels:
                address = (
                    f"+62812{member_id:07d}" if channel == "whatsapp" else str(10**6 + member_id)
                )
                identities.append(
                    {
                        "channel": channel,
                        "address": address,
                        "member_id": member_id,
                        "display_name": "",
                        "last_inbound_at": NOW - timedelta(hours=rng.choice((2, 30, 200))),
                        "created_at": joined,
                    }
                )
        session.execute(insert(ChannelIdentity), identities)
        rows = []
        for i in range(products):
            posted = NOW - timedelta(minutes=rng.randrange(30 * 24 * 60))
            rows.append(
                {
                    "community_id": community_id,
                    "seller_id": ids[i % SELLERS],
                    "title": " ".join(rng.sample(WORDS, 3)).capitalize(),
                    "price": rng.randrange(5, 500) * 1000,
                    "status": ProductStatus.SOLD_OUT if i % 40 == 0 else ProductStatus.ACTIVE,
                    "created_at": posted,
                    "updated_at": posted,
                    "last_confirmed_at": posted,
                }
            )
        session.execute(insert(Product), rows)
        product_ids = [
            p
            for (p,) in session.execute(Product.__table__.select().with_only_columns(Product.id))  # type: ignore[attr-defined]
        ]
        liked = rng.sample(product_ids, min(300, len(product_ids)))
        session.execute(
            insert(Recommendation),
            [
                {
                    "community_id": community_id,
                    "product_id": product_id,
                    "member_id": ids[(n * 7 + k) % len(ids)],
                    "created_at": NOW - timedelta(days=3),
                }
                for n, product_id in enumerate(liked)
                for k in range(1 + n % 4)
            ],
        )
        session.execute(
            insert(Exposure),
            [
                {
                    "community_id": community_id,
                    "product_id": rng.choice(product_ids),
                    "kind": ExposureKind.SHARE,
                    "member_id": None,
                    "at": NOW - timedelta(days=rng.randrange(28)),
                }
                for _ in range(products)
            ],
        )
        for n in range(6):
            starts = NOW + timedelta(days=2 * n + 1)
            session.add(
                Event(
                    community_id=community_id,
                    title=f"Arisan RT {n}",
                    place="Balai RW 05",
                    starts_at=starts,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    return community_id


def _build_file(path: Path, members: int, products: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    prepare(engine)
    _populate(session_factory(engine), members, products, random.Random(42))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--db", help="keep the SQLite file here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="guyub-bench-digest-") as folder:
        path = Path(args.db) if args.db else Path(folder) / "digest.db"
        path.unlink(missing_ok=True)
        # built in a child process, so the peak memory measured below is the digest's own
        builder = multiprocessing.Process(
            target=_build_file, args=(path, args.members, args.products)
        )
        builder.start()
        builder.join()
        engine = make_engine(f"sqlite:///{path}")
        open_session = session_factory(engine)
        community_id = 1

        with open_session() as session:
            community = session.get(Community, community_id)
            assert community is not None
            started = time.perf_counter()
            edition = load_edition(session, community, NOW)
            shared = time.perf_counter() - started
            plans = list(plan_digests(session, community, NOW, edition=edition))
            build = time.perf_counter() - started
            tracemalloc.start()  # a second build, for its allocations (tracing slows it)
            list(plan_digests(session, community, NOW))
            _, traced = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        teasers = sum(plan.teaser for plan in plans)
        longest = max((len(plan.full.text) for plan in plans), default=0)
        count = len(plans)
        del plans

        env = JobEnv(open_session, ManualClock(NOW), Options(), lambda: None)
        started = time.perf_counter()
        queued = asyncio.run(send_digests(env, community_id, NOW))
        job = time.perf_counter() - started
        engine.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"$ {COMMAND} --members {args.members} --products {args.products}")
    print(f"members {args.members}, products {args.products}: {count} digests")
    print(f"  ({teasers} WhatsApp teasers, longest digest {longest} characters)")
    print(f"build: {build:.2f} s (shared parts read once: {shared:.2f} s)  target < 2 s")
    print(f"job (build + {queued} outbox and digest rows, committed): {job:.2f} s")
    print(
        f"peak memory: {rss:.0f} MB resident (target < 200 MB), build allocations "
        f"{traced / 2**20:.0f} MB"
    )
    return 0 if build < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
