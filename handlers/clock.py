"""One injectable source of "now" and of waiting, so tests and rehearsals move time instead
of sleeping."""

import asyncio
import heapq
import itertools
import math
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "OffsetClock", "SystemClock", "utcnow"]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Clock(Protocol):
    """Anything that can tell the current aware UTC time and let time pass."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return utcnow()

    async def sleep(self, seconds: float) -> None:
        """Wait for real (without blocking the event loop)."""
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to: for tests and `@clock` rehearsals."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or utcnow()
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._jumping = False

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to an aware datetime (it may not go backwards)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = max(self._now, when.astimezone(UTC))
        self._wake_due()

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`."""
        self._now += delta
        self._wake_due()

    async def sleep(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass without waiting for them.

        Once the tasks that were ready to run have had their turn, the clock jumps to the
        earliest wake-up time and wakes that sleeper, which runs before the next jump: so
        sleepers wake in the order of their wake-up times, each reading its own time. A rate
        limiter spaces its calls exactly as in real time, and a test takes no time at all.
        """
        loop = asyncio.get_running_loop()
        wake: asyncio.Future[None] = loop.create_future()
        # Rounded up to whole microseconds (datetime's grain): a positive wait moves the clock.
        until = self._now + timedelta(microseconds=math.ceil(max(seconds, 0.0) * 1e6))
        heapq.heappush(self._sleepers, (until, next(self._order), wake))
        if not self._jumping:
            self._jumping = True
            loop.call_soon(self._jump)
        await wake

    def _jump(self) -> None:
        """Move to the earliest wake-up time and wake that sleeper; the next jump comes after
        it has run."""
        self._jumping = False
        while self._sleepers and self._sleepers[0][2].done():  # cancelled, or woken by `set`
            heapq.heappop(self._sleepers)
        if not self._sleepers:
            return
        until, _, first = heapq.heappop(self._sleepers)
        self._now = max(self._now, until)
        first.set_result(None)  # schedules the sleeper's next step ...
        if self._sleepers:  # ... ahead of the next jump
            self._jumping = True
            first.get_loop().call_soon(self._jump)

    def _wake_due(self) -> None:
        """Wake the sleepers whose time has come (after `set` or `advance`)."""
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, wake = heapq.heappop(self._sleepers)
            if not wake.done():
                wake.set_result(None)


class OffsetClock:
    """The wall clock shifted by an offset: interactive rehearsals that `@clock` moves."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return utcnow() + self._offset

    async def sleep(self, seconds: float) -> None:
        """Wait for real: only `@clock` moves this clock ahead."""
        await asyncio.sleep(seconds)

    def set(self, when: datetime) -> None:
        """Make `now()` read `when` from here on (it may not go backwards)."""
        if when.tzinfo is None:
            raise ValueError("OffsetClock needs an aware datetime")
        self._offset = max(self._offset, when - utcnow())
