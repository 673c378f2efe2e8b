"""The delivery engine on the test clock: rate, latency, 429s, failures, opt-out, crashes."""

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import col, select

from bot.app import Core
from handlers.clock import ManualClock
from jobs.delivery import DeliveryWorker, backoff
from jobs.sending import PermanentFailure, RetryLater
from storage.db import transaction
from storage.models import Community, Member, OutboxLane, OutboxMessage, OutboxStatus
from storage.outbox import claim_due
from tests.delivery.audience import Audience, add_audience, statuses
from tests.delivery.channel import PacedChannel, most_in_any_window


def broadcast(core: Core, community: Community, count: int, **options: object) -> Audience:
    with transaction(core.open_session) as session:
        return add_audience(
            session,
            community_id=community.id or 0,
            channels={"telegram": count},
            now=core.clock.now(),
            **options,  # type: ignore[arg-type]
        )


def paced(core: Core, clock: ManualClock, rate: float = 30) -> PacedChannel:
    channel = PacedChannel("telegram", clock, rate=rate, latency=0.1)
    core.senders["telegram"] = channel
    return channel


async def run_until(core: Core, done: Callable[[], bool], **options: object) -> DeliveryWorker:
    """Run a worker until `done()`, then stop it (virtual time runs meanwhile)."""
    worker = DeliveryWorker(
        open_session=core.open_session,
        senders=core.senders,
        clock=core.clock,
        interval=0.05,
        **options,  # type: ignore[arg-type]
    )
    task = asyncio.create_task(worker.run())
    async with asyncio.timeout(30):
        while not done():  # noqa: ASYNC110 (a predicate on the database: no event)
            await asyncio.sleep(0.005)
    worker.stop()
    await asyncio.wait_for(task, timeout=10)
    return worker


def rows(core: Core) -> dict[str, OutboxMessage]:
    with core.open_session() as session:
        found = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "broadcast"))
        return {row.idempotency_key: row for row in found}


async def test_a_100ms_round_trip_does_not_cut_the_rate(
    core: Core, community: Community, clock: ManualClock
) -> None:
    channel = paced(core, clock)
    audience = broadcast(core, community, 600)
    await run_until(core, lambda: len(channel.sent) == 600)
    times = channel.times()
    assert sorted(a for a, _ in channel.sent) == sorted(audience.addresses["telegram"])
    assert most_in_any_window(times) == 30  # the limit in every sliding second, never more
    seconds = max(times) - min(times)
    assert 599 / seconds >= 0.95 * 30  # and at least 95 % of it, 100 ms latency or not
    assert channel.most_in_flight >= 3  # several in flight: 30/s x 0.1 s
    with core.open_session() as session:
        assert statuses(session) == {OutboxStatus.SENT: 600}


async def test_retry_after_for_one_chat_does_not_delay_the_others(
    core: Core, community: Community, clock: ManualClock
) -> None:
    channel = paced(core, clock)
    audience = broadcast(core, community, 90)
    flooded = audience.addresses["telegram"][0]
    channel.refuse[flooded] = [RetryLater("Too Many Requests: retry after 30", retry_after=30)]
    start = clock.now().timestamp()
    await run_until(core, lambda: len(channel.sent) == 89)
    # the other 89 went out at full speed: 3 seconds, not 30 more
    assert max(channel.times()) - start < 89 / 30 * 1.03 + 0.5
    waiting = next(r for r in rows(core).values() if r.status == OutboxStatus.PENDING)
    assert waiting.attempts == 1
    assert abs((waiting.next_attempt_at.timestamp() - start) - 30.1) < 1.0
    clock.advance(timedelta(seconds=31))
    await run_until(core, lambda: len(channel.sent) == 90)
    assert channel.times(flooded) and channel.attempts[flooded] == 2


async def test_permanent_failures_are_marked_once_and_never_retried(
    core: Core, community: Community, clock: ManualClock
) -> None:
    channel = paced(core, clock)
    audience = broadcast(core, community, 20)
    blocked = audience.addresses["telegram"][:3]
    for address in blocked:
        channel.refuse[address] = [
            PermanentFailure("Forbidden: bot was blocked by the user", "403", unreachable=True)
        ]
    await run_until(core, lambda: len(channel.sent) == 17)
    clock.advance(timedelta(hours=2))
    await run_until(core, lambda: True)
    failed = [r for r in rows(core).values() if r.status == OutboxStatus.FAILED]
    assert len(failed) == 3
    assert {(r.error_code, r.last_error, r.attempts) for r in failed} == {
        ("403", "Forbidden: bot was blocked by the user", 1)
    }
    assert all(channel.attempts[a] == 1 for a in blocked)


async def test_a_member_who_opts_out_after_queueing_is_not_sent_to(
    core: Core, community: Community, clock: ManualClock
) -> None:
    channel = paced(core, clock)
    audience = broadcast(core, community, 200, opted_out_every=10)
    last = audience.addresses["telegram"][-2]  # the last one opted out before
    with core.open_session() as session:
        stopping = session.exec(select(Member).order_by(col(Member.id).desc()).offset(1)).first()
        assert stopping is not None and stopping.opted_out_at is None
    opted_out = False

    def done() -> bool:  # halfway through the send, the last member writes BERHENTI
        nonlocal opted_out
        if len(channel.sent) >= 100 and not opted_out:
            with transaction(core.open_session) as session:
                member = session.get(Member, stopping.id)
                assert member is not None
                member.opted_out_at = clock.now()
            opted_out = True
        return len(rows(core)) == sum(
            r.status != OutboxStatus.PENDING and r.status != OutboxStatus.SENDING
            for r in rows(core).values()
        )

    await run_until(core, done)
    sent_to = {a for a, _ in channel.sent}
    assert not sent_to & audience.opted_out
    assert last not in sent_to
    skipped = [r for r in rows(core).values() if r.status == OutboxStatus.SKIPPED]
    assert len(skipped) == 20 + 1 and {r.last_error for r in skipped} == {"opted_out"}
    assert len(sent_to) == 200 - 21


async def test_passing_failures_back_off_exponentially_with_jitter(
    core: Core, community: Community, clock: ManualClock
) -> None:
    channel = paced(core, clock)
    audience = broadcast(core, community, 1)
    address = audience.addresses["telegram"][0]
    channel.refuse[address] = [RetryLater("network down"), RetryLater("network down")]
    start = clock.now()
    await run_until(core, lambda: channel.attempts[address] == 1, rng=random.Random(5))
    (row,) = rows(core).values()
    expected = backoff(1, OutboxLane.BULK, random.Random(5))
    assert timedelta(seconds=15) <= expected <= timedelta(seconds=30)
    assert abs((row.next_attempt_at - start - expected).total_seconds()) < 0.5
    assert backoff(3, OutboxLane.BULK) == timedelta(seconds=120)  # no rng: the ceiling


async def test_rows_left_sending_by_a_crash_are_sent_once_after_restart(
    core: Core, community: Community, clock: ManualClock
) -> None:
    channel = paced(core, clock)
    broadcast(core, community, 50)
    with transaction(core.open_session) as session:  # the dead process had claimed 20
        claim_due(session=session, now=clock.now(), limit=20, worker="host:111")
    await run_until(core, lambda: len(channel.sent) == 50, name="host:222")
    assert len({a for a, _ in channel.sent}) == 50  # every one, and each once


async def test_on_a_shared_database_only_dead_or_expired_claims_are_taken_back(
    core: Core, community: Community, clock: ManualClock
) -> None:
    channel = paced(core, clock)
    broadcast(core, community, 30)
    with transaction(core.open_session) as session:
        claim_due(session=session, now=clock.now(), limit=10, worker="a")  # a is alive
        claim_due(session=session, now=clock.now(), limit=10, worker="b")  # b restarts
    options = {"name": "b", "shared_database": True}
    await run_until(core, lambda: len(channel.sent) == 20, **options)
    assert sum(r.status == OutboxStatus.SENDING for r in rows(core).values()) == 10
    clock.advance(timedelta(minutes=10, seconds=1))  # a's lease is over: a died too
    await run_until(core, lambda: len(channel.sent) == 30, **options)
    assert len({a for a, _ in channel.sent}) == 30
