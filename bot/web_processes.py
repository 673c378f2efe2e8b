"""Webhooks answered by child processes, so acknowledging and handling each get a core.

A webhook is acknowledged once its inbox row is written; routing it and sending the reply
come after. In one process both share one event loop, so on the 2-core machine of the
issue's target one core did everything while the other idled (bench/inbound.py, README
"Inbound load"). With WEB_PROCESSES=N (default: 1 where the machine has two cores or more)
`guyub run` binds the port itself, starts its channels, then starts N children
(`guyub run --role web`) that serve HTTP on that same socket: they check webhooks, have
the inbox row written and answer. On SQLite the main process writes the rows they send
it over a socket (bot/inbox_writer.py: one writer, no waiting on SQLite's lock), and
records WhatsApp delivery reports the same way; on PostgreSQL they write themselves. A
child wakes the main process through a pipe whenever it wrote something the main process
works on (an inbox row; an outbox row from the dashboard), so nothing waits for a
polling interval.

The children live and die with the main process: on Linux the kernel kills them when it
dies (PR_SET_PDEATHSIG), elsewhere they notice their lifeline pipe closing. `kill -9` of
`guyub run` therefore takes them along, and loses nothing they acknowledged: it is in the
inbox, where the next start resumes it. A child that dies on its own is started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass

from pydantic import SecretStr

from bot.settings import Settings
from bot.web_link import Handlers, Immediate, Link, open_link

__all__ = [
    "ChildSpec",
    "WebChildren",
    "become_child",
    "child_env",
    "link_to_parent",
    "watch_lifeline",
    "web_process_count",
]

log = logging.getLogger(__name__)

RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)  # a child that keeps dying is retried slower
STOP_TIMEOUT = 30.0
PR_SET_PDEATHSIG = 1


def web_process_count(settings: Settings) -> int:
    """How many web children `guyub run` starts: WEB_PROCESSES, or 1 with two cores or more
    (0: the main process answers webhooks itself, as on a one-core machine)."""
    if settings.web_processes is not None:
        return max(settings.web_processes, 0)
    return 1 if usable_cores() >= 2 else 0


def usable_cores() -> int:
    """Cores this process may run on (a container's cpuset, where the OS says), else all."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ChildSpec:
    """What a web child gets from its parent (`guyub run --web-child JSON`)."""

    listen_fd: int  # the bound, listening socket
    link_fd: int  # a socket to the main process: requests as JSON lines (bot/inbox_writer.py)
    wake_fd: int  # write end: b"i" "I wrote inbox rows", b"o" "... outbox rows"
    lifeline_fd: int  # read end: end of file when the parent is gone
    parent_pid: int
    telegram_bot_username: str | None = None  # as the parent's getMe found it

    def encode(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def decode(cls, text: str) -> ChildSpec:
        return cls(**json.loads(text))


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a child: the parent's settings exactly, as variables.

    The parent's Settings may not come from the environment (tests build them, `--db`
    overrides), so every field is written out, and a field the parent has unset is
    removed rather than inherited.
    """
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[name.upper()] = str(value)
    return env


class WebChildren:
    """The parent's side: start the children, answer their requests (`calls`, by kind),
    restart one that dies, and stop them first."""

    def __init__(
        self,
        settings: Settings,
        listener: socket.socket,
        count: int,
        on_wake: Callable[[bytes], None],
        calls: Handlers,
        immediate: Immediate | None = None,
        telegram_bot_username: str | None = None,
    ) -> None:
        self.settings, self.listener, self.count = settings, listener, count
        self.on_wake, self.calls, self.immediate = on_wake, calls, immediate
        self.telegram_bot_username = telegram_bot_username
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)  # a full pipe means a wake is pending anyway
        self._lifeline_read, self._lifeline_write = os.pipe()
        self._children: list[subprocess.Popen[bytes]] = []
        self._stopping = False

    def _spawn(self, link: socket.socket) -> subprocess.Popen[bytes]:
        spec = ChildSpec(
            listen_fd=self.listener.fileno(),
            link_fd=link.fileno(),
            wake_fd=self._wake_write,
            lifeline_fd=self._lifeline_read,
            parent_pid=os.getpid(),
            telegram_bot_username=self.telegram_bot_username,
        )
        command = [sys.executable, "-m", "bot", "run", "--role", "web"]
        return subprocess.Popen(
            [*command, "--web-child", spec.encode()],
            pass_fds=(spec.listen_fd, spec.link_fd, spec.wake_fd, spec.lifeline_fd),
            env=child_env(self.settings),
        )

    async def run(self) -> None:
        """Start the children and keep them running until `stop()`."""
        loop = asyncio.get_running_loop()
        loop.add_reader(self._wake_read, self._woken)
        try:
            await asyncio.gather(*(self._keep(index) for index in range(self.count)))
        finally:
            loop.remove_reader(self._wake_read)

    async def _keep(self, index: int) -> None:
        failures = 0
        while not self._stopping:
            ours, theirs = socket.socketpair()
            try:
                child = self._spawn(theirs)
            finally:
                theirs.close()  # the child has its own copy
            self._children.append(child)
            log.info("web process %d started (pid %d)", index + 1, child.pid)
            serving = asyncio.create_task(self._serve_link(ours), name=f"web-link-{index + 1}")
            code = await asyncio.to_thread(child.wait)
            self._children.remove(child)
            await asyncio.gather(serving, return_exceptions=True)  # ends with the child's end
            if self._stopping:
                return
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            failures += 1
            log.error(
                "web process %d ended (exit %s); starting it again in %.0fs", index + 1, code, delay
            )
            await asyncio.sleep(delay)

    async def _serve_link(self, ours: socket.socket) -> None:
        """Answer one child's requests until the child is gone."""
        _, closed = await open_link(ours, self.calls, self.immediate)
        await closed

    def _woken(self) -> None:
        kinds = bytearray()
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self._wake_read, 4096):
                kinds += chunk
        self.on_wake(bytes(kinds))

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109
        """Ask every child to finish the requests it has (SIGTERM), then kill stragglers."""
        self._stopping = True
        children = list(self._children)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                await asyncio.wait_for(asyncio.to_thread(child.wait), timeout)
            except TimeoutError:
                log.warning("web process %d did not stop in %.0fs; killed", child.pid, timeout)
                child.kill()
        self.on_wake(b"io")  # rows the last requests wrote
        self.close()

    def close(self) -> None:
        for fd in (self._wake_read, self._wake_write, self._lifeline_read, self._lifeline_write):
            with contextlib.suppress(OSError):
                os.close(fd)


def become_child(spec: ChildSpec) -> tuple[socket.socket, Callable[[bytes], None]]:
    """In the child: die with the parent, ignore Ctrl-C (the parent stops us), and return
    the listening socket and the function that wakes the parent (b"i" for inbox rows, b"o"
    for outbox rows)."""
    _die_with_parent(spec)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    listener = socket.socket(fileno=spec.listen_fd)

    def wake(kind: bytes) -> None:
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            os.write(spec.wake_fd, kind)

    return listener, wake


async def link_to_parent(spec: ChildSpec, handlers: Handlers) -> Link:
    """In the child: the link to the main process, answering `handlers`."""
    link, _ = await open_link(socket.socket(fileno=spec.link_fd), handlers)
    return link


def _die_with_parent(spec: ChildSpec) -> None:
    """The kernel kills us when the parent dies (Linux); the lifeline covers the rest."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != spec.parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def watch_lifeline(spec: ChildSpec) -> None:
    """End this process at once when the parent's end of the lifeline closes."""

    def parent_gone() -> None:
        try:
            if os.read(spec.lifeline_fd, 1):
                return
        except BlockingIOError:
            return
        os._exit(0)

    os.set_blocking(spec.lifeline_fd, False)
    asyncio.get_running_loop().add_reader(spec.lifeline_fd, parent_gone)
