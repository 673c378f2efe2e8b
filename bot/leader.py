"""Leadership: exactly one active scheduler among several processes.

The leader holds a PostgreSQL advisory lock on a connection of its own; the others try to
take it every `poll` seconds (on the injected clock), so when the leader dies (its
connection closes and the lock is free) another takes over within one poll. A leader that
loses its connection stops leading at once: it cannot know whether someone else leads now.
On SQLite there is one process, which leads from the start.
"""

import asyncio
import logging

from sqlalchemy import Engine

from handlers.clock import Clock
from storage.locks import LeaderLock, is_shared

__all__ = ["LEADER_POLL", "Leadership", "LostLeadership"]

log = logging.getLogger(__name__)

LEADER_POLL = 5.0  # seconds between tries (and between checks of a held lock)


class LostLeadership(RuntimeError):
    """The leader's lock connection broke: the process must stop scheduling."""


class Leadership:
    """`await elected()` returns once this process leads; `await kept()` raises when it
    no longer does."""

    def __init__(self, engine: Engine, clock: Clock, poll: float = LEADER_POLL) -> None:
        self.clock, self.poll = clock, poll
        self.lock = LeaderLock(engine) if is_shared(engine) else None
        self.leading = False

    async def elected(self) -> None:
        """Wait (trying every `poll` seconds) until this process holds the lock."""
        if self.lock is None:
            self.leading = True
            return
        waited = False
        while True:
            try:
                if await asyncio.to_thread(self.lock.try_acquire):
                    break
            except Exception as error:  # the database is away: try again
                log.warning("leader lock: %s; trying again in %.0f s", error, self.poll)
            if not waited:
                log.info("another scheduler leads; standing by")
                waited = True
            await self.clock.sleep(self.poll)
        self.leading = True
        log.info("this process leads (scheduled jobs, Telegram polling)")

    async def kept(self) -> None:
        """Check every `poll` seconds that the lock is still held; raise LostLeadership
        when it is not (on SQLite, one process: wait until cancelled)."""
        if self.lock is None:
            await asyncio.Event().wait()
            return
        while True:
            await self.clock.sleep(self.poll)
            if not await asyncio.to_thread(self.lock.still_held):
                self.leading = False
                raise LostLeadership("lost the database connection that held the leader lock")

    def resign(self) -> None:
        """Let another process lead (at a clean stop)."""
        self.leading = False
        if self.lock is not None:
            self.lock.release()
