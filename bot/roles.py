"""What one `guyub run` process does (`--role`), who it is, and the one-process rule of SQLite.

`all` (the default) is the whole bot in one process, as always. On PostgreSQL the work can
be split: `web` processes validate webhooks, write them to the inbox and answer; `worker`
processes handle the inbox and drain the outbox; `scheduler` processes wait for the
leader lock, and the one holding it runs the scheduled jobs (and Telegram long polling).
"""

import fcntl
import logging
import os
import socket
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

__all__ = [
    "NotShareable",
    "ProcessRole",
    "ProcessTag",
    "SingleProcess",
    "identity",
    "sqlite_guard",
]


class ProcessRole(StrEnum):
    """`guyub run --role`."""

    ALL = "all"
    WEB = "web"
    WORKER = "worker"
    SCHEDULER = "scheduler"

    @property
    def serves_webhooks(self) -> bool:
        return self in (ProcessRole.ALL, ProcessRole.WEB)

    @property
    def works(self) -> bool:
        """Handles the inbox and drains the outbox."""
        return self in (ProcessRole.ALL, ProcessRole.WORKER)

    @property
    def schedules(self) -> bool:
        return self in (ProcessRole.ALL, ProcessRole.SCHEDULER)


class NotShareable(RuntimeError):
    """SQLite serves one process: a role split or a second process is refused."""


@dataclass(frozen=True)
class ProcessTag:
    """This process in logs, heartbeats and claims."""

    name: str  # DELIVERY_WORKER_NAME, or host:pid
    role: ProcessRole
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


def identity(role: ProcessRole, name: str | None) -> ProcessTag:
    """This process's tag; the name stays the same across restarts when it is configured,
    so a restarted worker takes back its own claims at once."""
    return ProcessTag(name or f"{socket.gethostname()}:{os.getpid()}", role)


class SingleProcess:
    """An exclusive lock on `<database file>.lock` for the life of the process."""

    def __init__(self, handle: IO[str], path: Path) -> None:
        self.handle, self.path = handle, path

    def release(self) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def sqlite_guard(database_url: str, role: ProcessRole) -> SingleProcess | None:
    """On SQLite: refuse a role other than `all`, and a second `guyub run` on the same file.

    A lock file (flock, freed by the kernel when the process dies, however it dies) rather
    than a database lock, so `guyub status`, `guyub db status` and friends still work
    beside a running bot. PostgreSQL needs nothing: None.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if role != ProcessRole.ALL:
        raise NotShareable(
            f"--role {role.value} needs PostgreSQL (DATABASE_URL=postgresql://...); "
            "on SQLite run one process with --role all"
        )
    if not url.database or url.database == ":memory:":
        return None
    path = Path(f"{Path(url.database).expanduser()}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise NotShareable(
            f"another guyub run is already using {url.database} (SQLite serves one process; "
            "stop it first, or move to PostgreSQL to run several)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return SingleProcess(handle, path)


class TagFilter(logging.Filter):
    """Puts `role` and `process` on every log record (the format shows them)."""

    def __init__(self, tag: ProcessTag) -> None:
        super().__init__()
        self.tag = tag

    def filter(self, record: logging.LogRecord) -> bool:
        record.role = self.tag.role.value
        record.process_name = self.tag.name
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s [%(role)s %(process_name)s] %(name)s: %(message)s"


def tag_logs(tag: ProcessTag) -> None:
    """Every handler of the root logger shows this process's role and name."""
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(TagFilter(tag))
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
