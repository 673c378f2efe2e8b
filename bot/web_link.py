"""The socket between `guyub run` and one of its web processes: requests both ways.

Each side may ask the other (`call(kind, body)`) and answers what it is asked with the
handler registered for that kind. A web process asks the main process to write inbox rows
(SQLite: one writer) and to record WhatsApp delivery reports; the main process asks a web
process to make its Twilio API calls (the HTTP work then runs on the other core). Messages
are JSON lines: `{"n": N, "kind": K, "body": B}` asks, `{"re": N, "result": R}` or
`{"re": N, "error": E}` answers. When the socket closes every open call fails with
ConnectionError, and its caller falls back (a webhook answers 500, a send goes direct).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["Handlers", "Link"]

log = logging.getLogger(__name__)

Handlers = dict[str, Callable[[Any], Awaitable[Any]]]


class Link:
    """One end of the link; `run()` reads until the other end is gone."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handlers: Handlers
    ) -> None:
        self.reader, self.writer, self.handlers = reader, writer, handlers
        self._calls: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._answering: set[asyncio.Task[None]] = set()
        self.closed = False

    async def call(self, kind: str, body: Any) -> Any:
        """Ask the other side; its result, or raises (ConnectionError once it is gone)."""
        if self.closed:
            raise ConnectionError("the other process is gone")
        self._next += 1
        number = self._next
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._calls[number] = answer
        self._send({"n": number, "kind": kind, "body": body})
        try:
            return await answer
        finally:
            self._calls.pop(number, None)

    def _send(self, message: dict[str, Any]) -> None:
        self.writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    async def run(self) -> None:
        """Read answers and requests until the other side closes the socket."""
        try:
            while line := await self.reader.readline():
                message = json.loads(line)
                if "re" in message:
                    answer = self._calls.get(message["re"])
                    if answer is not None and not answer.done():
                        if "error" in message:
                            answer.set_exception(RuntimeError(message["error"]))
                        else:
                            answer.set_result(message.get("result"))
                    continue
                task = asyncio.create_task(self._answer(message))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)
        except (ConnectionError, ValueError) as error:
            log.warning("web link closed: %r", error)
        finally:
            self.closed = True
            for answer in self._calls.values():
                if not answer.done():
                    answer.set_exception(ConnectionError("the other process is gone"))
            await asyncio.gather(*self._answering, return_exceptions=True)
            self.writer.close()

    async def _answer(self, message: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"re": message.get("n")}
        try:
            reply["result"] = await self.handlers[message["kind"]](message.get("body"))
        except Exception as error:
            log.exception("web link request %r failed", message.get("kind"))
            reply["error"] = type(error).__name__
        if not self.closed:
            self._send(reply)


async def open_link(sock: Any, handlers: Handlers) -> tuple[Link, asyncio.Task[None]]:
    """A Link over a connected socket, already reading."""
    reader, writer = await asyncio.open_connection(sock=sock)
    link = Link(reader, writer, handlers)
    return link, asyncio.create_task(link.run(), name="web-link")
