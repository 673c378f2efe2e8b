"""A channel for delivery tests: the platform's round trip on the test clock, exact limits.

It paces with the same limiter the real senders use and records when each message left,
so a test can check every sliding window, and can be told to refuse some addresses.
"""

import itertools
from collections import Counter
from datetime import UTC, datetime

from bot.channels.rate_limit import RateLimit
from handlers.clock import ManualClock
from jobs.sending import Outbound, SendResult


class PacedChannel:
    """Sends after `latency` seconds, at most `rate` a second in any window."""

    def __init__(
        self, channel: str, clock: ManualClock, *, rate: float, latency: float = 0.1
    ) -> None:
        self.channel, self.clock = channel, clock
        self.rate_per_second, self.latency = rate, latency
        self.limiter = RateLimit(rate, 1, clock=clock)
        self.sent: list[tuple[str, datetime]] = []  # address, when it left
        self.refuse: dict[str, list[Exception]] = {}  # address -> errors to raise, in turn
        self.attempts: Counter[str] = Counter()
        self.in_flight = self.most_in_flight = 0
        self._ids = itertools.count(1)

    async def send(self, outbound: Outbound) -> SendResult:
        left = datetime.fromtimestamp(await self.limiter.acquire(), UTC)  # its slot's time
        self.attempts[outbound.address] += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.clock.sleep(self.latency)
        finally:
            self.in_flight -= 1
        errors = self.refuse.get(outbound.address)
        if errors:
            raise errors.pop(0)
        self.sent.append((outbound.address, left))
        return SendResult(provider_id=f"m{next(self._ids)}")

    def times(self, address: str | None = None) -> list[float]:
        """When messages left (to `address`), in seconds on the clock."""
        return [t.timestamp() for a, t in self.sent if address is None or a == address]


def most_in_any_window(times: list[float], seconds: float = 1.0) -> int:
    """The largest number of `times` within any window of `seconds` (sliding, not aligned)."""
    times, most, start = sorted(times), 0, 0
    for end, time in enumerate(times):
        while time - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most
