"""A community whose members get the weekly digest: the transcript helper, the clock moved
to each digest fire time, and readers for the digest's rows."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.app import Core
from handlers.clock import ManualClock
from jobs.scheduler import build_specs, due_between
from storage.models import Community, Digest, Exposure, ExposureKind, OutboxMessage
from tests.factories import Transcript

FRIDAY_9_WIB = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)
"""The first digest after the test clock's start (Monday 7 December 2026, 09:00 WIB)."""


@pytest.fixture
def market(core: Core, community: Community) -> Iterator[Transcript]:
    """KBA 13 Ulu (WIB, invite KBA13) and the transcript helper on it."""
    shop = Transcript(core, community)
    yield shop
    if shop.core is not core:
        shop.core.close()


async def move(chat: Transcript, delta: timedelta, *, again: bool = False) -> list[datetime]:
    """Move the clock, running every digest job that falls due (twice with `again`, as a
    re-run or catch-up would); the fire times run."""
    clock = chat.core.clock
    assert isinstance(clock, ManualClock)
    start = clock.now()
    specs = [s for s in build_specs(chat.core.job_env) if s.id.startswith("digest:")]
    fired = []
    for when, spec in due_between(specs, start, start + delta):
        clock.set(when)
        await spec.run(when)
        if again:
            await spec.run(when)
        fired.append(when)
        await chat.core.drain()
    clock.set(start + delta)
    await chat.core.drain()
    return fired


async def to_friday(chat: Transcript, **kwargs: bool) -> list[datetime]:
    """Move to just after the next Friday 09.00 WIB."""
    now = chat.core.clock.now()
    days = (4 - (now + timedelta(hours=7)).weekday()) % 7 or 7
    return await move(chat, _after_nine(now, days) - now, **kwargs)


def _after_nine(now: datetime, days: int) -> datetime:
    local = (now + timedelta(hours=7)).replace(hour=9, minute=1, second=0, microsecond=0)
    return local + timedelta(days=days) - timedelta(hours=7)


def digests(chat: Transcript) -> list[Digest]:
    """Every digest row, oldest first."""
    with chat.core.open_session() as session:
        return list(session.exec(select(Digest).order_by(col(Digest.id))).all())


def digest_rows(chat: Transcript) -> list[OutboxMessage]:
    """The outbox rows of kind digest."""
    return [row for row in chat.outbox() if row.kind == "digest"]


def digest_exposures(chat: Transcript) -> list[Exposure]:
    """The exposure ledger's digest rows."""
    with chat.core.open_session() as session:
        query = select(Exposure).where(Exposure.kind == ExposureKind.DIGEST)
        return list(session.exec(query.order_by(col(Exposure.id))).all())


def sent_digests(chat: Transcript, who: str, channel: str = "local") -> list[str]:
    """The digest texts delivered to `who` on `channel`."""
    return [
        o.reply.text for o in chat.senders[channel].sent if o.address == who and o.kind == "digest"
    ]
