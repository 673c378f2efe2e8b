"""One transaction at a time in a process, with a lane that goes first.

The router handles one message at a time (SQLite has one writer, and a handler may await
inside its transaction); whatever else writes in the process takes the same turn, so a
write never waits on a transaction held open across an await. Up to 64 messages of
different senders queue for it under load. Writing a web process's inbox rows is the
acknowledgement of webhooks that are still waiting for their answer: in a plain FIFO
lock it waited behind every queued message (about 100 ms at 500 messages/s), so it takes
`first()`, which is served before any ordinary waiter.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

__all__ = ["Turn"]


class Turn:
    """An asyncio lock (`async with turn:`) whose `first()` waiters go before the others."""

    def __init__(self) -> None:
        self._held = False
        self._first: deque[asyncio.Future[None]] = deque()
        self._rest: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._held

    def try_acquire(self) -> bool:
        """Take the turn now if it is free and nobody waits for it; whether it was taken."""
        if self._held or self._first or self._rest:
            return False
        self._held = True
        return True

    async def acquire(self, *, first: bool = False) -> None:
        if not self._held and not self._first and not self._rest:
            self._held = True
            return
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._first if first else self._rest).append(handed)
        try:
            await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():  # handed over, then cancelled
                self.release()
            raise

    def release(self) -> None:
        """Hand the turn to the next waiter (the first lane before the rest), if any."""
        for lane in (self._first, self._rest):
            while lane:
                handed = lane.popleft()
                if not handed.done():
                    handed.set_result(None)  # still held: it is theirs now
                    return
        self._held = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    @asynccontextmanager
    async def first(self) -> AsyncIterator[None]:
        """`async with turn.first():` ahead of every ordinary waiter."""
        await self.acquire(first=True)
        try:
            yield
        finally:
            self.release()
