"""The channels' rate limit: an exact sliding window (jobs/pacing.py) on the injected clock.

aiolimiter waits on the event loop's own clock, which a test cannot move, and a leaky
bucket lets up to twice the limit through within a sliding second; this one never does.
"""

from handlers.clock import Clock
from jobs.pacing import SlidingWindow

__all__ = ["MARGIN", "RateLimit"]

MARGIN = 0.03
"""Windows are 3 % longer than the platform's: a request reaches it a little after we let
it go, and not always equally late."""


class RateLimit(SlidingWindow):
    """At most `max_rate` acquisitions in any `time_period` seconds; `smooth`: evenly spaced
    (a platform-wide rate), else in bursts of up to `max_rate` (a group's 20 a minute)."""

    def __init__(
        self,
        max_rate: float,
        time_period: float,
        *,
        clock: Clock,
        margin: float = MARGIN,
        smooth: bool = False,
    ) -> None:
        super().__init__(max_rate, time_period, clock=clock, margin=margin, smooth=smooth)
        self.max_rate = max_rate
        self.time_period = time_period
