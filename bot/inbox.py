"""The inbox worker: routes inbox rows in order per sender, and resumes them after a crash.

Channels only write rows (storage/inbox.py) before answering 2xx; everything slow (media
downloads, routing, replies) happens here. One sender's rows run one after another, in
the order they arrived; different senders run side by side (the router still takes one
transaction at a time, as SQLite has one writer). A row is done in the router's own
transaction, with its replies queued in the outbox; those replies are sent right after,
before the sender's next row, so a person hears answers in the order they asked.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from handlers.clock import Clock
from handlers.messages import Channel, Incoming, MediaRef, Reply
from storage.db import SessionFactory, transaction
from storage.inbox import claim, hold, mark_done, pending, release_claims
from storage.models import InboxMessage

__all__ = [
    "Direct",
    "Handler",
    "InboxWorker",
    "Prepared",
    "Preparer",
    "incoming_from_payload",
    "incoming_to_payload",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a row that keeps failing before routing is given up on, not retried forever
FETCH = 500
INTERVAL = 5.0  # look for rows nobody kicked us about (a retry after a failure)
CLAIM_INTERVAL = 0.2  # shared database: rows are written by other (web) processes
CLAIM_BATCH = 32  # shared database: rows claimed at once (small: others take the rest)


@dataclass(frozen=True)
class Claims:
    """Shared database (PostgreSQL, several workers): rows are claimed with a lease."""

    worker: str  # claimed_by: this process's name
    lease: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class Direct:
    """Replies decided before routing (a photo that could not be fetched), for `msg`'s sender."""

    msg: Incoming
    replies: list[Reply]


Prepared = Incoming | Direct | None  # None: nothing to route (an edit, a bot, a status)
Preparer = Callable[[InboxMessage], Awaitable[Prepared]]


class Handler(Protocol):
    """What the worker needs from the router (bot/router.py)."""

    async def process(self, inbox_id: int, msg: Incoming) -> list[Reply]:
        """Route the message; mark the row done with its effects and queued replies."""
        ...

    async def answer(self, inbox_id: int, msg: Incoming, replies: list[Reply]) -> None:
        """Queue these replies and mark the row done, without routing."""
        ...

    def skip(self, inbox_id: int) -> None:
        """Mark the row done: nothing in it to route."""
        ...


def incoming_to_payload(msg: Incoming) -> dict[str, Any]:
    """An Incoming as JSON for the inbox (the local channel and tests store this)."""
    data = asdict(msg)
    data["received_at"] = msg.received_at.isoformat()
    data["media"] = [[m.kind, m.ref, m.content_type] for m in msg.media]
    return {"incoming": data}


def incoming_from_payload(payload: dict[str, Any]) -> Incoming:
    """The Incoming stored by `incoming_to_payload`."""
    data = dict(payload["incoming"])
    data["channel"] = Channel(data["channel"])
    data["received_at"] = datetime.fromisoformat(data["received_at"])
    data["media"] = tuple(MediaRef(*m) for m in data["media"])
    return Incoming(**data)


async def prepare_stored(row: InboxMessage) -> Prepared:
    """Rows that hold a whole Incoming need nothing fetched."""
    return incoming_from_payload(row.payload)


class InboxWorker:
    """Processes inbox rows of the channels being served; `idle()` waits until none is left."""

    def __init__(
        self,
        *,
        open_session: SessionFactory,
        router: Handler,
        deliver: Callable[[int], Awaitable[object]],
        clock: Clock,
        concurrency: int = 64,
        claims: Claims | None = None,
    ) -> None:
        self.open_session, self.router, self.deliver, self.clock = (
            open_session,
            router,
            deliver,
            clock,
        )
        self._preparers: dict[str, Preparer] = {}
        self._queues: dict[tuple[str, str], deque[InboxMessage]] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._queued: set[int] = set()
        self._not_before: dict[tuple[str, str], datetime] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._newest = 0  # rows up to this id have been seen; a kick only reads newer ones
        self._more = False  # the last read stopped at FETCH rows: there may be others
        self.concurrency = concurrency
        self.claims = claims
        """Set on a shared database: rows are claimed (storage/inbox.py claim), not read."""
        self._released = False
        self.also_kick: list[Callable[[], None]] = []
        """Called on every kick: a web process (bot/web_processes.py) wakes the main one."""
        self.on_done: list[Callable[[InboxMessage], None]] = []
        """Called with each row once it is handled and its replies were offered to the
        channel: a test waits on this instead of polling, a metric could count it."""

    @property
    def busy(self) -> bool:
        """Whether any row is in hand or queued."""
        return bool(self._tasks)

    def serve(self, channel: str, prepare: Preparer = prepare_stored) -> None:
        """Start processing this channel's rows, beginning with any a crash left behind."""
        self._preparers[channel] = prepare
        if self.claims is not None and not self._released:
            self._released = True
            with transaction(self.open_session) as session:
                released = release_claims(session=session, worker=self.claims.worker)
            if released:
                log.info("inbox: %d rows this worker held before a restart are free", released)
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._run(), name="inbox-worker")
        self.kick()

    def kick(self) -> None:
        """A row was just written: look now rather than at the next interval."""
        self._wake.set()
        for kick in self.also_kick:
            kick()

    async def release(self, channel: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Finish this channel's rows written so far (up to `timeout`), then take no more.

        What is not finished stays in the inbox for the next start.
        """
        if channel not in self._preparers:
            return
        try:
            async with asyncio.timeout(timeout):
                await self.idle(channels=(channel,))
        except TimeoutError:
            log.warning("inbox: %s rows still in hand at shutdown; resumed at next start", channel)
        del self._preparers[channel]
        mine = [key for key in self._tasks if key[0] == channel]
        tasks = [self._tasks[key] for key in mine]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for key in mine:
            for row in self._queues.pop(key, deque()):
                self._queued.discard(row.id or 0)
        if not self._preparers and self._loop_task is not None:
            task, self._loop_task = self._loop_task, None
            task.cancel()
            if task.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def idle(self, channels: tuple[str, ...] | None = None) -> None:
        """Wait until every row of these channels (default: all served) written so far is done."""
        while True:
            self._fill()
            busy = [t for key, t in self._tasks.items() if channels is None or key[0] in channels]
            if not busy:
                return
            await asyncio.gather(*busy, return_exceptions=True)

    async def _run(self) -> None:
        kicked = False
        while True:
            try:
                self._fill(only_new=kicked)
            except Exception:
                log.exception("inbox: could not read pending rows")
            kicked = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLAIM_INTERVAL if self.claims else INTERVAL):
                    await self._wake.wait()
                    kicked = True
            self._wake.clear()

    def _fill(self, *, only_new: bool = False) -> None:
        """Queue every pending row of a served channel behind its sender's earlier rows.

        After a kick only rows newer than those seen are read (cheap under load); the
        periodic pass reads them all again, which finds rows waiting for a retry.
        """
        if not self._preparers:
            return
        if self.claims is not None:
            self._claim()
            return
        with self.open_session() as session:
            rows = pending(
                session=session,
                limit=FETCH,
                channels=list(self._preparers),
                after_id=self._newest if only_new else 0,
            )
        self._more = len(rows) >= FETCH
        now = self.clock.now()
        for row in rows:
            self._newest = max(self._newest, row.id or 0)
            key = (row.channel, row.sender)
            if row.id in self._queued:
                continue
            waiting_until = self._not_before.get(key)
            # a sender whose row failed resumes only in a full pass, which reads their
            # rows oldest first: a newer one must not overtake the one being retried
            if (
                waiting_until is not None
                and key not in self._tasks
                and (only_new or waiting_until > now)
            ):
                continue
            self._queued.add(row.id or 0)
            self._queues.setdefault(key, deque()).append(row)
            if key not in self._tasks:
                task = asyncio.create_task(self._drain(key), name=f"inbox-{row.channel}")
                self._tasks[key] = task

    def _claim(self) -> None:
        """Shared database: claim what this worker has room for, each row queued behind
        its sender's (a sender has one row in hand at a time, across all workers)."""
        assert self.claims is not None
        room = min(CLAIM_BATCH, self.concurrency - len(self._tasks))
        if room <= 0:
            return
        now = self.clock.now()
        with transaction(self.open_session) as session:
            rows = claim(
                session=session,
                channels=list(self._preparers),
                worker=self.claims.worker,
                now=now,
                until=now + self.claims.lease,
                limit=room,
            )
        for row in rows:
            if row.id in self._queued:
                continue
            key = (row.channel, row.sender)
            self._queued.add(row.id or 0)
            self._queues.setdefault(key, deque()).append(row)
            if key not in self._tasks:
                task = asyncio.create_task(self._drain(key), name=f"inbox-{row.channel}")
                self._tasks[key] = task

    async def _drain(self, key: tuple[str, str]) -> None:
        """One sender's rows, one at a time, in order."""
        queue = self._queues[key]
        try:
            async with self._slots:
                while queue:
                    row = queue[0]
                    ok = await self._process(row)
                    queue.popleft()
                    self._queued.discard(row.id or 0)
                    if not ok:  # keep the order: later rows wait for this one's retry
                        for later in queue:
                            self._queued.discard(later.id or 0)
                        self._unclaim([later.id or 0 for later in queue])
                        queue.clear()
        finally:
            self._tasks.pop(key, None)
            if not queue:
                self._queues.pop(key, None)
            if self._more or self.claims is not None:
                self.kick()  # rows beyond the last read may be waiting

    async def _process(self, row: InboxMessage) -> bool:
        """Prepare and route one row; False if it must be tried again later."""
        key = (row.channel, row.sender)
        assert row.id is not None
        try:
            prepared = await self._preparers[row.channel](row)
            if prepared is None:
                self.router.skip(row.id)
            elif isinstance(prepared, Direct):
                await self.router.answer(row.id, prepared.msg, prepared.replies)
            else:
                await self.router.process(row.id, prepared)
        except Exception:
            log.exception("inbox row %s (%s) failed before it was handled", row.id, row.channel)
            return self._failed(row, key)
        self._not_before.pop(key, None)
        try:
            await self.deliver(row.id)
        except Exception:  # the outbox retries them: the row itself is done
            log.exception("inbox row %s: replies not sent now; the outbox retries", row.id)
        for listener in self.on_done:
            listener(row)
        return True

    def _failed(self, row: InboxMessage, key: tuple[str, str]) -> bool:
        """Count the failure; give up after MAX_ATTEMPTS so one message cannot block a person."""
        now = self.clock.now()
        if self.claims is not None:
            return self._hold(row, now)
        try:
            with transaction(self.open_session) as session:
                stored = session.get(InboxMessage, row.id)
                if stored is None or stored.done_at is not None:
                    return True
                stored.attempts += 1
                if stored.attempts >= MAX_ATTEMPTS:
                    log.error("inbox row %s given up after %d attempts", row.id, stored.attempts)
                    mark_done(session=session, row=stored, now=now)
                    return True
                session.add(stored)
                attempts = stored.attempts
        except Exception:
            log.exception("inbox row %s: could not count the failure", row.id)
            attempts = 1
        self._not_before[key] = now + timedelta(seconds=min(2**attempts, 300))
        return False

    def _unclaim(self, ids: list[int]) -> None:
        """Shared database: rows claimed behind a failed one are free again (they wait
        for it anyway, and then any worker may take them)."""
        if self.claims is None or not ids:
            return
        try:
            with transaction(self.open_session) as session:
                release_claims(session=session, worker=self.claims.worker, ids=ids)
        except Exception:  # their lease runs out in any case
            log.exception("inbox: could not release %d rows", len(ids))

    def _hold(self, row: InboxMessage, now: datetime) -> bool:
        """Shared database: the retry time is the row's lease, so any worker retries it."""
        assert self.claims is not None and row.id is not None
        try:
            with transaction(self.open_session) as session:
                attempts = hold(session=session, row_id=row.id, worker=self.claims.worker, now=now)
                if attempts is not None and attempts >= MAX_ATTEMPTS:
                    log.error("inbox row %s given up after %d attempts", row.id, attempts)
                    mark_done(session=session, row=row.id, now=now)
                return attempts is None or attempts >= MAX_ATTEMPTS
        except Exception:
            log.exception("inbox row %s: could not count the failure", row.id)
        return False
