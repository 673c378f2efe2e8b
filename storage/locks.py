"""PostgreSQL advisory locks: one scheduler leader, one migration at a time.

Advisory locks belong to a database session (a connection): when the process holding one
dies, PostgreSQL closes its connection and the lock is free at once. Nothing else in the
database is locked by them. On SQLite (one process per database) they are not needed.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

__all__ = ["LEADER_KEY", "MIGRATIONS_KEY", "LeaderLock", "is_shared", "migration_lock"]

MIGRATIONS_KEY = 0x6775_0001  # "gu" 1: migrating the schema at start
LEADER_KEY = 0x6775_0002  # "gu" 2: the active scheduler (and Telegram poller)
# Each lock is (key, the schema's hash): two Guyubs in two schemas of one database (tests,
# a staging copy) do not share a leader.
LOCK = "SELECT pg_advisory_lock(:key, hashtext(coalesce(current_schema(), '')))"
TRY_LOCK = "SELECT pg_try_advisory_lock(:key, hashtext(coalesce(current_schema(), '')))"
UNLOCK = "SELECT pg_advisory_unlock(:key, hashtext(coalesce(current_schema(), '')))"


def is_shared(engine: Engine) -> bool:
    """Whether several processes may use this database (PostgreSQL, not SQLite)."""
    return engine.dialect.name == "postgresql"


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the migrations lock meanwhile (PostgreSQL; nothing on SQLite): processes that
    start together check and migrate the schema one after another, so it happens once."""
    if not is_shared(engine):
        yield
        return
    with engine.connect() as connection:
        connection.execute(text(LOCK), {"key": MIGRATIONS_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text(UNLOCK), {"key": MIGRATIONS_KEY})
            connection.commit()


class LeaderLock:
    """The leader's advisory lock, held on a connection of its own for as long as it leads."""

    def __init__(self, engine: Engine, key: int = LEADER_KEY) -> None:
        self.engine, self.key = engine, key
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        """Whether this process took the lock (and has not let it go)."""
        return self._connection is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (never waits); True when this process leads."""
        if self._connection is not None:
            return True
        connection = self.engine.connect()
        try:
            got = connection.execute(text(TRY_LOCK), {"key": self.key}).scalar_one()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if got:
            self._connection = connection
        else:
            connection.close()
        return bool(got)

    def still_held(self) -> bool:
        """Whether the lock's connection is alive (a lost connection is a lost lock)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except Exception:
            self._drop()
            return False
        return True

    def release(self) -> None:
        """Let another process lead (closing the connection frees the lock in any case)."""
        if self._connection is None:
            return
        try:
            self._connection.execute(text(UNLOCK), {"key": self.key})
            self._connection.commit()
        except Exception:  # the connection is gone: so is the lock
            pass
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()  # never back into the pool, lock or not
                connection.close()
            except Exception:  # already broken
                pass
