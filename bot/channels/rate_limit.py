"""A leaky-bucket rate limit that waits on the injected clock.

aiolimiter waits on the event loop's own clock, which a test cannot move; this one asks the
`Clock` for the time and for the wait, so with a `ManualClock` a burst that would take
seconds is spaced in virtual time and the test takes none.
"""

import asyncio

from handlers.clock import Clock

__all__ = ["RateLimit"]


class RateLimit:
    """At most `max_rate` acquisitions per `time_period` seconds, in bursts of up to `max_rate`.

    Waiters are served first come, first served, so one chat's messages keep their order.
    """

    def __init__(self, max_rate: float, time_period: float, *, clock: Clock) -> None:
        self.max_rate = max_rate
        self.time_period = time_period
        self.clock = clock
        self._per_second = max_rate / time_period
        self._level = 0.0
        self._checked = clock.now()
        self._turn = asyncio.Lock()

    def _leak(self) -> None:
        now = self.clock.now()
        elapsed = max((now - self._checked).total_seconds(), 0.0)  # wall clocks may step back
        self._level = max(self._level - elapsed * self._per_second, 0.0)
        self._checked = now

    def has_capacity(self, amount: float = 1) -> bool:
        """Whether `amount` acquisitions would go through without waiting."""
        self._leak()
        return self._level + amount <= self.max_rate

    async def acquire(self) -> None:
        """Wait (on the clock) until one more acquisition fits, then take it."""
        async with self._turn:
            while not self.has_capacity():
                await self.clock.sleep((self._level + 1 - self.max_rate) / self._per_second)
            self._level += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        """Nothing to give back: capacity returns as time passes."""
