"""Scale benchmark (issue 15): throughput with 1, 2 and 4 worker processes on PostgreSQL.

Run from the repository root:

    .venv/bin/python bench/scale.py                       # workers 1, 2, 4
    .venv/bin/python bench/scale.py --workers 1,2 --messages 1000 --outbox 2000

For each worker count it makes a fresh schema of `--database-url`, starts 2 `web` and N
`worker` processes (`guyub run --role ...`) against the fake Twilio API on 127.0.0.1 with
WhatsApp's rate limit lifted, lets `--members` people join, and measures:

- inbound: `--messages` signed webhooks (`cari zq<N>`) spread over both web processes at
  `--concurrency`: acknowledged/s (2xx answers per second) and answered/s (replies that
  reached the fake platform, per second, from the first request to the last reply);
- outbox: `--outbox` notices queued in one transaction (as a broadcast queues them), then
  sent/s from the commit to the last one reaching the fake platform.

Everything runs on this machine (the load generator, the fakes, PostgreSQL and Guyub),
so the numbers say how the processes share its cores, not what a cluster would do.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.communities import create_community
from storage.db import make_engine, prepare, session_factory, transaction
from storage.models import Member
from storage.outbox import enqueue
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.platforms import ACCOUNT_SID, AUTH_TOKEN, WhatsApp, join_all
from tests.processes import PUBLIC_BASE_URL, GuyubProcess, free_port

NOTICE = "Pengumuman bench"


@contextmanager
def schema(url: str) -> Iterator[str]:
    """A fresh schema of `url` (dropped afterwards): its URL, with the community made."""
    name = f"guyub_bench_{secrets.token_hex(4)}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{name}"
    engine = make_engine(scoped)
    prepare(engine)
    with transaction(session_factory(engine)) as session:
        create_community(
            session=session,
            name="Bench",
            invite_code="KBA13",
            timezone="Asia/Jakarta",
            language="id",
            now=datetime.now(UTC),
        )
    engine.dispose()
    try:
        yield scoped
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def queue_notices(url: str, count: int) -> float:
    """`count` notices to the members, one transaction; when it committed (time.time())."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    with transaction(session_factory(engine)) as session:
        members = list(session.exec(select(Member)).all())
        for n in range(count):
            member = members[n % len(members)]
            enqueue(
                session=session,
                community_id=member.community_id,
                member_id=member.id,
                kind="broadcast",
                idempotency_key=f"bench:{n}",
                payload={"text": f"{NOTICE} {n}"},
                now=now,
                channel="whatsapp",
            )
    committed = time.time()
    engine.dispose()
    return committed


async def one_run(args: argparse.Namespace, workers: int, folder: Path) -> dict[str, float]:
    """Start 2 web + `workers` worker processes on a fresh schema and measure."""
    with schema(args.database_url) as url:
        async with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio:
            whatsapp = WhatsApp(twilio, args.members)
            settings = {
                "DATABASE_URL": url,
                "MEDIA_DIR": str(folder / "media"),
                "HOST": "127.0.0.1",
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "LOG_LEVEL": "WARNING",
                "WORKER_PROCESSES": str(workers),
                **whatsapp.settings(),
                "WHATSAPP_RATE_PER_SECOND": "100000",  # the platform's limit lifted
            }
            processes = [
                GuyubProcess(
                    settings | {"PORT": str(free_port()), "DELIVERY_WORKER_NAME": f"{role}{n}"},
                    folder / f"{workers}-{role}{n}.log",
                    ["--role", role],
                )
                for role, count in (
                    (("all", 1),) if workers == 0 else (("web", 2), ("worker", workers))
                )
                for n in range(1, count + 1)
            ]
            clients = [httpx.AsyncClient(base_url=p.base_url, timeout=30) for p in processes[:2]]
            watch = whatsapp.watch()
            following = asyncio.create_task(watch.run())
            try:
                await asyncio.gather(*(p.start(timeout=60) for p in processes))
                if not await join_all(clients[0], whatsapp, watch):
                    raise SystemExit("not every member joined")
                result = await inbound(args, whatsapp, clients, watch)
                before = len(twilio.messages)
                committed = await asyncio.to_thread(queue_notices, url, args.outbox)
                done = await watch.until(
                    lambda seen: sum(NOTICE in s.text for s in seen) >= args.outbox,
                    args.timeout,
                )
                last = max(s.at for s in watch.seen if NOTICE in s.text)
                sent = len(twilio.messages) - before
                result["outbox/s"] = sent / (last - committed)
                result["outbox complete"] = float(done)
            finally:
                following.cancel()
                for client in clients:
                    await client.aclose()
                for process in processes:
                    await process.stop()
                    await process.close()
    return result


async def inbound(
    args: argparse.Namespace,
    whatsapp: WhatsApp,
    clients: list[httpx.AsyncClient],
    watch: object,
) -> dict[str, float]:
    """Send the webhooks over both web processes; acknowledged/s and answered/s."""
    from tests.platforms import ReplyWatch

    assert isinstance(watch, ReplyWatch)
    markers = iter(range(1, args.messages + 1))
    turn = itertools.count()
    acked: set[int] = set()

    async def sender() -> None:
        for marker in markers:
            client = clients[next(turn) % len(clients)]
            member = whatsapp.members[marker % len(whatsapp.members)]
            try:
                if (await whatsapp.send(client, member, marker)) == 200:
                    acked.add(marker)
            except httpx.TransportError:
                pass

    started_wall, started = time.time(), time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(args.concurrency)))
    ack_seconds = time.perf_counter() - started
    complete = await watch.until(lambda seen: acked <= watch.markers, args.timeout)
    last = max((s.at for s in watch.seen if "zq" in s.text), default=started_wall + 1)
    return {
        "acked/s": len(acked) / ack_seconds,
        "answered/s": len(acked & watch.markers) / (last - started_wall),
        "inbound complete": float(complete),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--workers",
        default="1,2,4",
        help="worker process counts to try (0: one `--role all` process, for comparison)",
    )
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--outbox", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="guyub-scale-") as folder:
        for workers in [int(n) for n in args.workers.split(",")]:
            result = await one_run(args, workers, Path(folder))
            rows.append((workers, result))
            print(
                f"workers {workers}: acknowledged {result['acked/s']:6.1f}/s, "
                f"answered {result['answered/s']:6.1f}/s, outbox {result['outbox/s']:6.1f}/s"
                + (
                    ""
                    if result["inbound complete"] and result["outbox complete"]
                    else " (timed out)"
                ),
                flush=True,
            )
    print("\n| worker processes | webhooks acknowledged/s | answered/s | outbox sent/s |")
    print("| --- | --- | --- | --- |")
    for workers, result in rows:
        print(
            f"| {workers} | {result['acked/s']:.0f} | {result['answered/s']:.0f} "
            f"| {result['outbox/s']:.0f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
