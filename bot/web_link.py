"""The socket between `guyub run` and one of its web processes: requests both ways.

Each side may ask the other (`call(kind, body)`) and answers what it is asked with the
handler registered for that kind. A web process asks the main process to write inbox rows
(SQLite: one writer) and to record WhatsApp delivery reports. Messages are JSON lines:
`{"n": N, "kind": K, "body": B}` asks, `{"re": N, "result": R}` or `{"re": N, "error": E}`
answers. When the socket closes every open call fails with ConnectionError (a webhook
then answers 500, and the platform retries).

A handler may also answer at once (`Immediate`: given the bodies of every request of its
kind that arrived together, their results, or LATER to run each as a task): the main
process writes the rows of the webhooks that came in one read, in one transaction, as
soon as their bytes arrive when nothing else holds its turn. Under load each hop through
the event loop (a task to read the line, one to answer, one to write) waited behind
everything else ready in that process; at 500 messages/s those hops were most of a
webhook's acknowledgement (bench/inbound.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["LATER", "Handlers", "Immediate", "Link", "open_link"]

log = logging.getLogger(__name__)

Handlers = dict[str, Callable[[Any], Awaitable[Any]]]
LATER = object()
"""An immediate handler's answer for "not now": the request goes to the ordinary handler."""
Immediate = dict[str, Callable[[list[Any]], list[Any] | object]]


class Link(asyncio.Protocol):
    """One end of the link; `closed` is done once the other end is gone."""

    def __init__(self, handlers: Handlers, immediate: Immediate | None = None) -> None:
        self.handlers, self.immediate = handlers, immediate or {}
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._calls: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._buffer = b""
        self._answering: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        asked: dict[str, list[dict[str, Any]]] = {}
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("web link: a line that is not JSON was dropped")
                continue
            if "re" in message:
                self._answered(message)
            else:
                asked.setdefault(str(message.get("kind", "")), []).append(message)
        for kind, messages in asked.items():
            self._asked(kind, messages)

    def connection_lost(self, exc: Exception | None) -> None:
        for answer in self._calls.values():
            if not answer.done():
                answer.set_exception(ConnectionError("the other process is gone"))
        if not self.closed.done():
            self.closed.set_result(None)

    async def call(self, kind: str, body: Any) -> Any:
        """Ask the other side; its result, or raises (ConnectionError once it is gone)."""
        if self.closed.done() or self.transport is None:
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

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _send(self, message: dict[str, Any]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def _answered(self, message: dict[str, Any]) -> None:
        answer = self._calls.get(message["re"])
        if answer is None or answer.done():
            return
        if "error" in message:
            answer.set_exception(RuntimeError(message["error"]))
        else:
            answer.set_result(message.get("result"))

    def _asked(self, kind: str, messages: list[dict[str, Any]]) -> None:
        """Requests of one kind that arrived together: answered at once, or each by a task."""
        now = self.immediate.get(kind)
        if now is not None:
            try:
                results = now([message.get("body") for message in messages])
            except Exception as error:
                log.exception("web link requests %r failed", kind)
                for message in messages:
                    self._send({"re": message.get("n"), "error": type(error).__name__})
                return
            if results is not LATER:
                assert isinstance(results, list)
                for message, result in zip(messages, results, strict=True):
                    self._send({"re": message.get("n"), "result": result})
                return
        for message in messages:
            task = asyncio.create_task(self._answer(message))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(self, message: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"re": message.get("n")}
        try:
            reply["result"] = await self.handlers[message["kind"]](message.get("body"))
        except Exception as error:
            log.exception("web link request %r failed", message.get("kind"))
            reply["error"] = type(error).__name__
        self._send(reply)


async def open_link(
    sock: socket.socket, handlers: Handlers, immediate: Immediate | None = None
) -> tuple[Link, asyncio.Future[None]]:
    """A Link over a connected socket, already reading; the future is done when it closes."""
    loop = asyncio.get_running_loop()
    _, link = await loop.create_connection(lambda: Link(handlers, immediate), sock=sock)
    return link, link.closed
