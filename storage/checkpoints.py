"""SQLite WAL checkpoints in a thread of their own, off the event loop.

By default SQLite checkpoints inside whichever commit finds the write-ahead log past 1,000
pages: that commit copies the pages back into the database file and syncs it, a few
milliseconds during which the event loop (and every webhook and reply in it) waits, about
once every 60 messages. The process that handles messages turns that off
(`wal_autocheckpoint=0` on its connections, storage/db.py) and runs this instead: a
PASSIVE checkpoint every `interval` seconds from its own connection, in a thread (SQLite
releases the GIL while it works), so commits only append to the log. bench/inbound.py:
about 5% less of the router's time per message, and no multi-millisecond commits.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["Checkpointer"]

log = logging.getLogger(__name__)

INTERVAL = 1.0  # seconds between checkpoints


class Checkpointer:
    """Checkpoints one SQLite file's WAL from a daemon thread until `stop()`."""

    def __init__(self, path: Path, interval: float = INTERVAL) -> None:
        self.path, self.interval = path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                self.checkpoint(connection)
            self.checkpoint(connection)  # what the last commits left
        finally:
            connection.close()

    @staticmethod
    def checkpoint(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # busy or gone: the next round tries again
            log.warning("WAL checkpoint skipped: %s", error)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
