"""Writing webhooks' inbox rows: here, or, from a web process on SQLite, by the main process.

A webhook is answered 2xx only once its row is committed. In one process (or on
PostgreSQL, where writers do not block each other) the channel writes it at once. A web
process on SQLite (bot/web_processes.py) must not: SQLite has one writer at a time across
processes, the main process holds the write lock for each message it handles, and a web
process writing meanwhile waits in SQLite's busy handler, which sleeps in steps of 1, 2,
5 ms and blocks whichever event loop it runs in. Measured (bench/inbound.py at 400
messages/s), the main process then spent a fifth of its time asleep on the lock and fell
behind. So a web process sends its rows to the main process over its link (bot/web_link.py),
and the main process writes all that are waiting in one transaction, between two
messages it handles (`ArrivalDesk`), and answers with their ids: one writer, no waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.turn import Turn
from bot.web_link import LATER, Link
from storage.db import SessionFactory, transaction
from storage.inbox import accept

__all__ = ["Arrival", "ArrivalDesk", "InboxWriter", "forward_over", "write_arrivals"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Arrival:
    """One inbound message as a channel accepted it, to be written to the inbox."""

    channel: str
    platform_id: str
    sender: str
    payload: dict[str, Any]
    received_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "received_at": self.received_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Arrival:
        return cls(**{**data, "received_at": datetime.fromisoformat(data["received_at"])})


def write_arrivals(session: Session, arrivals: Sequence[Arrival]) -> list[int | None]:
    """Each arrival's inbox id, None for a duplicate; in the caller's transaction."""
    return [
        accept(
            session=session,
            channel=a.channel,
            platform_id=a.platform_id,
            sender=a.sender,
            payload=a.payload,
            now=a.received_at,
        )
        for a in arrivals
    ]


Forward = Callable[[Sequence[Arrival]], Awaitable[list[int | None]]]


class InboxWriter:
    """`await write(arrivals)`: their inbox ids once committed (raises if not written)."""

    def __init__(self, open_session: SessionFactory, forward: Forward | None = None) -> None:
        self.open_session, self.forward = open_session, forward

    async def write(self, arrivals: Sequence[Arrival]) -> list[int | None]:
        if self.forward is not None:
            return await self.forward(arrivals)
        with transaction(self.open_session) as session:
            return write_arrivals(session, arrivals)


def forward_over(link: Link) -> Forward:
    """A web process's `forward`: the main process writes the rows (`ArrivalDesk`)."""

    async def forward(arrivals: Sequence[Arrival]) -> list[int | None]:
        result = await link.call("inbox", [a.to_json() for a in arrivals])
        return [None if row_id is None else int(row_id) for row_id in result]

    return forward


class ArrivalDesk:
    """The main process's side: rows from web processes, written together in its turn.

    `turn` is the router's lock: no transaction of this process is open across an await
    while the rows are written, so the write never waits for the lock.
    """

    def __init__(
        self, open_session: SessionFactory, turn: Turn, written: Callable[[], None]
    ) -> None:
        self.open_session, self.turn, self.written = open_session, turn, written
        self._waiting: list[tuple[list[Arrival], asyncio.Future[list[int | None]]]] = []
        self._task: asyncio.Task[None] | None = None

    def take_now(self, requests: list[list[Arrival]]) -> list[list[int | None]] | object:
        """Write these requests' rows at once, in one transaction, if the turn is free and
        no batch waits (the usual case: the router holds the turn only while it runs);
        else LATER, for `take`."""
        if self._waiting or not self.turn.try_acquire():
            return LATER
        try:
            results = self._commit(requests)
        finally:
            self.turn.release()
        self.written()
        return results

    def take(self, arrivals: list[Arrival]) -> asyncio.Future[list[int | None]]:
        done: asyncio.Future[list[int | None]] = asyncio.get_running_loop().create_future()
        self._waiting.append((arrivals, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._write_all(), name="arrival-desk")
        return done

    async def _write_all(self) -> None:
        while self._waiting:
            async with self.turn.first():  # webhooks wait for this: before any message
                batch, self._waiting = self._waiting, []
                results: list[list[int | None] | Exception]
                try:
                    results = list(self._commit([rows for rows, _ in batch]))
                except Exception:
                    log.exception("inbox: %d forwarded requests not written", len(batch))
                    results = self._one_by_one(batch)
            for (_, done), result in zip(batch, results, strict=True):
                if done.done():
                    continue
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)
            self.written()

    def _one_by_one(
        self, batch: list[tuple[list[Arrival], asyncio.Future[list[int | None]]]]
    ) -> list[list[int | None] | Exception]:
        """After a failed batch: each request alone, so one that cannot be written fails alone."""
        results: list[list[int | None] | Exception] = []
        for rows, _ in batch:
            try:
                results += self._commit([rows])
            except Exception as error:
                results.append(error)
        return results

    def _commit(self, requests: list[list[Arrival]]) -> list[list[int | None]]:
        """Each request's inbox ids, all written in one transaction."""
        with transaction(self.open_session) as session:
            return [write_arrivals(session, arrivals) for arrivals in requests]
