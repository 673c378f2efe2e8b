"""Several workers on one PostgreSQL outbox: each row is claimed, and sent, exactly once."""

import asyncio
import threading
import time
from collections import Counter

from sqlalchemy import Engine
from sqlmodel import Session

from handlers.clock import ManualClock
from jobs.delivery import DeliveryWorker
from storage.communities import create_community
from storage.db import session_factory, transaction
from storage.outbox import claim_due
from tests.delivery.audience import add_audience, statuses
from tests.delivery.channel import PacedChannel

ROWS = 400


def audience(engine: Engine, clock: ManualClock, channels: dict[str, int]) -> None:
    with transaction(session_factory(engine)) as session:
        community = create_community(
            session=session,
            name="KBA 13 Ulu",
            invite_code="KBA13",
            timezone="Asia/Jakarta",
            language="id",
            now=clock.now(),
        )
        add_audience(session, community_id=community.id or 0, channels=channels, now=clock.now())


def test_two_workers_claiming_at_once_never_take_the_same_row(
    postgres: Engine, clock: ManualClock
) -> None:
    """Real concurrency: two threads, each in its own transaction holding its claim a while
    (as a slow worker would), so SKIP LOCKED is what keeps them apart."""
    audience(postgres, clock, {"telegram": ROWS // 2, "whatsapp": ROWS // 2})
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def work(name: str) -> None:
        while True:
            with Session(postgres) as session:
                rows = claim_due(session=session, now=clock.now(), limit=15, worker=name)
                ids = [row.id or 0 for row in rows]
                time.sleep(0.01)  # the other worker claims meanwhile
                session.commit()
            if not ids:
                return
            taken[name].extend(ids)

    threads = [threading.Thread(target=work, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert taken["a"] and taken["b"]  # both did work
    assert not set(taken["a"]) & set(taken["b"])
    assert len(taken["a"]) + len(taken["b"]) == ROWS


async def test_two_delivery_workers_send_each_row_once(
    postgres: Engine, clock: ManualClock
) -> None:
    audience(postgres, clock, {"telegram": ROWS})
    channel = PacedChannel("telegram", clock, rate=200, latency=0.1)
    workers = [
        DeliveryWorker(
            open_session=session_factory(postgres),
            senders={"telegram": channel},
            clock=clock,
            interval=0.05,
            name=name,
        )
        for name in ("host:1", "host:2")
    ]
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    async with asyncio.timeout(60):
        while len(channel.sent) < ROWS:  # noqa: ASYNC110 (virtual time runs meanwhile)
            await asyncio.sleep(0.01)
    for worker in workers:
        worker.stop()
    await asyncio.gather(*tasks)
    assert max(Counter(address for address, _ in channel.sent).values()) == 1
    with session_factory(postgres)() as session:
        assert statuses(session) == {"sent": ROWS}
