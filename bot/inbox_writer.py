"""Writing webhooks' inbox rows: at once, or, in a web process on SQLite, several together.

SQLite has one writer at a time across processes. The main process holds the write lock
for each message it handles (a transaction of a millisecond or two); a web process
(bot/web_processes.py) writing a row meanwhile would wait in SQLite's busy handler, which
sleeps and blocks its whole event loop, so every request in hand waits too. Here the web
process never blocks: its rows queue up, one task writes all that are waiting in one
transaction on a connection that does not wait (busy_timeout 0), and on "database is
locked" it yields for a moment and tries again with whatever arrived meanwhile. Each
request is answered only once its row is committed, so nothing is acknowledged before it
is durable; a write that keeps failing answers 500 and the platform retries.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from storage.db import SessionFactory, transaction

__all__ = ["InboxWriter", "is_locked"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Session], Any]

RETRY_EVERY = 0.0005  # seconds between tries while the main process holds the lock
GIVE_UP_AFTER = 5.0  # then the requests in the batch answer 500 (the platform retries)


def is_locked(error: BaseException) -> bool:
    """SQLite's "database is locked" (another process is writing)."""
    orig = getattr(error, "orig", None)
    return isinstance(orig, sqlite3.OperationalError) and (
        getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
        or "locked" in str(orig).lower()
    )


class InboxWriter:
    """`await write(work)`: run `work(session)` in a committed transaction, return its result.

    Without `group` (one process, or PostgreSQL) each write is its own transaction, as
    before. With `group` (a web process on SQLite) writes wait for the batch writer.
    """

    def __init__(self, open_session: SessionFactory, *, group: bool = False) -> None:
        self.open_session, self.group = open_session, group
        self._waiting: list[tuple[Work, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, work: Callable[[Session], T]) -> T:
        if not self.group:
            with transaction(self.open_session) as session:
                return work(session)
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="inbox-writer")
        return await done

    async def _write_all(self) -> None:
        while self._waiting:
            batch: list[tuple[Work, asyncio.Future[Any]]] = []
            started = time.monotonic()
            while True:
                batch += self._waiting  # what arrived while the lock was taken joins in
                self._waiting = []
                try:
                    results = self._commit(batch)
                except OperationalError as error:
                    if is_locked(error) and time.monotonic() - started < GIVE_UP_AFTER:
                        await asyncio.sleep(RETRY_EVERY)
                        continue
                    self._one_by_one(batch)  # not a lock: one bad request fails alone
                    break
                except Exception:
                    self._one_by_one(batch)
                    break
                for (_, done), result in zip(batch, results, strict=True):
                    if not done.done():
                        done.set_result(result)
                break
            await asyncio.sleep(0)  # let the answered requests go before the next batch

    def _commit(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> list[Any]:
        with transaction(self.open_session) as session:
            return [work(session) for work, _ in batch]

    def _one_by_one(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        """Each in its own transaction, so the request that broke the batch fails alone."""
        for work, done in batch:
            if done.done():
                continue
            try:
                done.set_result(self._commit([(work, done)])[0])
            except Exception as error:
                done.set_exception(error)
