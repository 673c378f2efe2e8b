"""One injectable source of "now", so tests and rehearsals move time instead of sleeping."""

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "OffsetClock", "SystemClock", "utcnow"]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Clock(Protocol):
    """Anything that can tell the current aware UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock:
    """A clock that only moves when told to: for tests and `@clock` rehearsals."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or utcnow()
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to an aware datetime (it may not go backwards)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = max(self._now, when.astimezone(UTC))

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`."""
        self._now += delta


class OffsetClock:
    """The wall clock shifted by an offset: interactive rehearsals that `@clock` moves."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return utcnow() + self._offset

    def set(self, when: datetime) -> None:
        """Make `now()` read `when` from here on (it may not go backwards)."""
        if when.tzinfo is None:
            raise ValueError("OffsetClock needs an aware datetime")
        self._offset = max(self._offset, when - utcnow())
