"""The injectable clock: ManualClock lets virtual time pass for sleepers, in order."""

import asyncio
from datetime import datetime, timedelta

from handlers.clock import Clock, ManualClock, OffsetClock, SystemClock


async def test_sleepers_wake_in_the_order_of_their_wake_up_times(clock: ManualClock) -> None:
    start, woke = clock.now(), []

    async def nap(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, (clock.now() - start).total_seconds()))

    await asyncio.gather(nap("long", 5), nap("short", 1), nap("none", 0))
    assert woke == [("none", 0), ("short", 1), ("long", 5)]
    assert clock.now() - start == timedelta(seconds=5)


async def test_a_sleep_is_never_shorter_than_asked(clock: ManualClock) -> None:
    start = clock.now()
    await clock.sleep(1e-9)  # rounded up to datetime's microsecond: time does move
    assert clock.now() - start == timedelta(microseconds=1)


async def test_moving_the_clock_wakes_who_is_due(clock: ManualClock) -> None:
    start, asleep = clock.now(), asyncio.Event()

    async def nap() -> datetime:
        asleep.set()  # nothing yields between this and the sleep below
        await clock.sleep(60)
        return clock.now()

    napping = asyncio.create_task(nap())
    await asleep.wait()
    clock.advance(timedelta(minutes=5))  # a test moving time wakes the sleeper at once
    assert await napping == start + timedelta(minutes=5)


async def test_a_cancelled_sleep_is_forgotten(clock: ManualClock) -> None:
    start, asleep = clock.now(), asyncio.Event()

    async def nap() -> None:
        asleep.set()
        await clock.sleep(3600)

    napping = asyncio.create_task(nap())
    await asleep.wait()
    napping.cancel()
    await clock.sleep(1)
    assert clock.now() - start == timedelta(seconds=1)  # the hour never passed


def test_every_clock_is_a_clock() -> None:
    clocks: list[Clock] = [SystemClock(), OffsetClock(), ManualClock()]  # mypy checks the shape
    assert all(callable(c.sleep) and c.now().tzinfo is not None for c in clocks)
