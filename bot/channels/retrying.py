"""One in-memory retry for passing failures, honouring the wait a platform asks for.

Everything that can wait longer is an outbox row and retried from there, across restarts;
this is only for the tail of a message whose first part is already out (retrying the
whole row would send that part twice).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from jobs.sending import RetryLater

__all__ = ["retry_passing"]

T = TypeVar("T")


async def retry_passing(
    call: Callable[[], Awaitable[T]],
    delays: Sequence[float],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`call()`, again after each delay (or the `retry_after` asked for) while it raises
    RetryLater; the last RetryLater is raised."""
    for delay in (*delays, None):
        try:
            return await call()
        except RetryLater as error:
            if delay is None:
                raise
            await sleep(error.retry_after or delay)
    raise AssertionError("unreachable")  # pragma: no cover
