"""Exact rate limits: never more than `limit` sends in ANY window of `period` seconds.

A leaky bucket only holds the limit on average (it lets up to twice the limit through
within one sliding second); platforms count in sliding windows and answer 429. So this
keeps the times of the last `limit` sends and lets the next one go only once the oldest of
them is a whole window old. It waits on the injected clock (virtual time in tests), and
waiters are served by priority (replies before bulk, see `SEND_PRIORITY`), then in order.

A slot is granted some time before its request is written (the task has to wake up, the
client library builds the request, other work holds the loop or the GIL), and that delay
varies: two sends granted a whole window apart could reach the platform within one. So the
HTTP layer calls `sending_now()` right before it writes, and the slots this task was
granted count from that moment instead (later, never earlier): the window then holds for
what the platform sees, whatever the delay, and only the small write-to-arrival jitter is
left for the margin.
"""

import asyncio
import heapq
import itertools
import math
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field

from handlers.clock import Clock

__all__ = ["SEND_PRIORITY", "SlidingWindow", "sending_now"]

MOST_IN_FLIGHT = 64
"""Per channel: 640 messages/s at a 100 ms round trip. More only costs CPU: the HTTP
clients' connection pools (httpcore, aiohttp) scan every connection for every request."""

SEND_PRIORITY: ContextVar[int] = ContextVar("send_priority", default=0)
"""The lane of the message being sent (0 = reply): lower goes first at every limiter."""

_GRANTED: ContextVar[tuple[tuple["SlidingWindow", float], ...]] = ContextVar(
    "granted_slots", default=()
)
"""The slots this task was granted and has not written yet: (window, granted at)."""


def sending_now() -> None:
    """The request this task's slots were granted for is being written now: count them
    from now (call right before the HTTP write; without it they count from the grant)."""
    granted = _GRANTED.get()
    if granted:
        _GRANTED.set(())
        for window, at in granted:
            window.restamp(at, window.clock.now().timestamp())


def _granted(window: "SlidingWindow", at: float) -> None:
    """Remember a slot for `sending_now()` (a task sends one request at a time)."""
    _GRANTED.set((*_GRANTED.get()[-3:], (window, at)))


@dataclass(eq=False)
class _Ticket:
    """One waiter: its place in the queue, its wake-up, and the slot it was given."""

    order: int
    seq: int
    turn: asyncio.Event = field(default_factory=asyncio.Event)
    granted: float | None = None

    def __lt__(self, other: "_Ticket") -> bool:
        return (self.order, self.seq) < (other.order, other.seq)


class SlidingWindow:
    """At most `limit` acquisitions in any `period` (stretched by `margin`, a fraction, to
    absorb the jitter between our clock and the time a request reaches the platform)."""

    def __init__(
        self,
        limit: float,
        period: float,
        *,
        clock: Clock,
        margin: float = 0.0,
        smooth: bool = False,
    ) -> None:
        if limit < 1:  # 0.5 a second is one every two seconds
            period, limit = period / max(limit, 1e-9), 1
        self.limit = int(limit)
        self.period = period
        self.span = period * (1 + margin)
        # smooth: also paced evenly (one window's share apart, bursts of a tenth of a
        # window allowed so a late wake-up catches up), so no whole window's worth goes at
        # once: a burst's requests reach the platform spread out, the next burst's early
        self.gap = self.span / self.limit if smooth else 0.0
        self.tolerance = self.span / 10 if smooth else 0.0
        self._due = 0.0  # smooth: the theoretical time of the next send
        self.clock = clock
        self._times: deque[float] = deque(maxlen=self.limit)
        self._paused_until = 0.0
        self._waiters: list[_Ticket] = []
        self._order = itertools.count()
        self.turn = asyncio.Lock()  # for callers that combine this window with another

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def wait_seconds(self) -> float:
        """Seconds until one more acquisition fits (0: now), ignoring anyone queued."""
        return self._wait(self._now())

    def take(self) -> None:
        """Record one acquisition now, without waiting (the caller checked wait_seconds(),
        and is the only one taking from this window, see `turn`)."""
        now = self._now()
        self._take(now)
        _granted(self, now)

    def restamp(self, granted: float, now: float) -> None:
        """The acquisition taken at `granted` really happened at `now` (later): move it.

        The times stay in order; one that already left the window is not brought back.
        """
        times = self._times
        if now <= granted or not times or times[0] > granted:
            return
        index = len(times) - 1
        while index >= 0 and times[index] != granted:  # recent: near the end
            if times[index] < granted:
                return
            index -= 1
        if index < 0:
            return
        del times[index]
        index = len(times)
        while index > 0 and times[index - 1] > now:
            index -= 1
        times.insert(index, now)

    def _wait(self, now: float) -> float:
        """Seconds until one more acquisition fits (0: now)."""
        free = self._times[0] + self.span if len(self._times) >= self.limit else now
        if self.gap:
            free = max(free, self._due - self.tolerance)
        return max(free - now, self._paused_until - now, 0.0)

    def in_window(self) -> int:
        """Acquisitions in the last window."""
        start = self._now() - self.span
        return sum(1 for t in self._times if t > start)

    def has_capacity(self, amount: float = 1) -> bool:
        """Whether `amount` acquisitions would go through now without waiting."""
        return self._now() >= self._paused_until and self.in_window() + amount <= self.limit

    def pause(self, seconds: float) -> None:
        """Let nothing through for `seconds` (the platform asked us to wait)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def _take(self, now: float) -> None:
        self._times.append(now)
        if self.gap:
            self._due = max(self._due, now) + self.gap

    async def acquire(self, priority: int | None = None) -> float:
        """Wait (on the clock) until one more fits, take it, and return when (timestamp).

        The first waiter (by priority, then arrival) sleeps until the window has room,
        then takes its slot and, while there is room at that same moment, the next
        waiters' too, so they need not each wait for the event loop to hand over.
        """
        now = self._now()
        if not self._waiters and self._wait(now) <= 0:
            self._take(now)
            _granted(self, now)
            return now
        order = SEND_PRIORITY.get() if priority is None else priority
        ticket = _Ticket(order, next(self._order))
        heapq.heappush(self._waiters, ticket)
        try:
            while ticket.granted is None:
                if self._waiters[0] is not ticket:
                    ticket.turn.clear()
                    await ticket.turn.wait()  # set when it is first, or given a slot
                    continue
                wait = self._wait(self._now())
                if wait > 0:
                    await self.clock.sleep(max(wait, 1e-6))
                    continue
                self._grant(self._now())
        except BaseException:
            self._leave(ticket)
            raise
        _granted(self, ticket.granted)
        return ticket.granted

    def _grant(self, now: float) -> None:
        """Give slots to the first waiters while the window has room now; wake the next."""
        while self._waiters and self._wait(now) <= 0:
            ticket = heapq.heappop(self._waiters)
            self._take(now)
            ticket.granted = now
            ticket.turn.set()
        if self._waiters:
            self._waiters[0].turn.set()

    def _leave(self, ticket: "_Ticket") -> None:
        """A waiter gave up (cancelled): out of the queue, and the next one told."""
        if ticket in self._waiters:
            self._waiters.remove(ticket)
            heapq.heapify(self._waiters)
            if self._waiters:
                self._waiters[0].turn.set()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        """Nothing to give back: capacity returns as time passes."""


def in_flight_for(rate_per_second: float, latency: float = 0.25) -> int:
    """How many sends to keep in flight so a `latency`-second round trip does not cut the
    rate: rate x latency, with room for slow answers; at least 4, at most MOST_IN_FLIGHT."""
    return max(4, min(MOST_IN_FLIGHT, math.ceil(rate_per_second * latency * 2)))
