"""Group commit for webhooks: rows of concurrent requests written in one transaction.

Every webhook must have its inbox row committed before it answers 2xx. Committing each one
alone costs a commit per message (on PostgreSQL a round trip and a WAL flush, with the
event loop blocked meanwhile). Here the rows of the requests that reach this point in the
same turn of the event loop are written together, right after that turn, and each request
answers once its batch is committed. A batch that fails is written again row by row, so
one bad row fails (5xx, the platform retries) only its own request.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from handlers.clock import Clock
from storage.db import SessionFactory, transaction
from storage.inbox import accept

__all__ = ["InboxWriter"]

log = logging.getLogger(__name__)


@dataclass
class _Row:
    channel: str
    platform_id: str
    sender: str
    payload: dict[str, Any]
    done: asyncio.Future[int | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class InboxWriter:
    """`await write(...)` returns once the row is committed: its inbox id, or None for a
    duplicate. Raises what the write raised (the caller answers 5xx)."""

    def __init__(self, *, open_session: SessionFactory, clock: Clock) -> None:
        self.open_session, self.clock = open_session, clock
        self._batch: list[_Row] = []
        self.batches = 0  # how many commits the rows took (tests, the bench)

    async def write(
        self, *, channel: str, platform_id: str, sender: str, payload: dict[str, Any]
    ) -> int | None:
        row = _Row(channel, platform_id, sender, payload)
        if not self._batch:
            asyncio.get_running_loop().call_soon(self._flush)
        self._batch.append(row)
        return await asyncio.shield(row.done)  # a client gone does not undo the write

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        self.batches += 1
        try:
            ids = self._commit(batch)
        except Exception as error:
            if len(batch) == 1:
                batch[0].done.set_exception(error)
                return
            log.warning("inbox batch of %d failed; writing its rows one by one", len(batch))
            for row in batch:
                try:
                    ids = self._commit([row])
                except Exception as row_error:
                    row.done.set_exception(row_error)
                else:
                    row.done.set_result(ids[0])
            return
        for row, inbox_id in zip(batch, ids, strict=True):
            row.done.set_result(inbox_id)

    def _commit(self, batch: list[_Row]) -> list[int | None]:
        now = self.clock.now()
        with transaction(self.open_session) as session:
            return [
                accept(
                    session=session,
                    channel=row.channel,
                    platform_id=row.platform_id,
                    sender=row.sender,
                    payload=row.payload,
                    now=now,
                )
                for row in batch
            ]
