"""When an event happens: its rule expanded into occurrences, moves and cancellations applied.

An occurrence is named by its original start (`Occurrence.original`, UTC); in buttons and
commands it travels as `key` (`202612100100`, UTC to the minute). Reminders, the calendar
file and titip build on `occurrences_between` and `next_occurrence`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from handlers.events.recurrence import occurrences
from storage.events import community_events, event_exceptions
from storage.models import Event, EventOccurrence

__all__ = [
    "HORIZON",
    "UPCOMING_DAYS",
    "Occurrence",
    "next_occurrence",
    "occurrence_at",
    "occurrences_between",
    "parse_key",
    "upcoming",
]

UPCOMING_DAYS = 30
"""`/acara` lists what happens in this many days."""
HORIZON = timedelta(days=400)
"""How far ahead the next occurrence is looked for (a yearly rule has one within it)."""
KEY_FORMAT = "%Y%m%d%H%M"
KEY_LENGTH = 12


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: its original start (the key RSVPs use) and when it
    really starts, after a move."""

    event: Event
    original: datetime
    starts_at: datetime
    ends_at: datetime | None
    cancelled: bool = False
    moved: bool = False

    @property
    def key(self) -> str:
        """The original start as it travels in a button: `202612100100` (UTC)."""
        return self.original.astimezone(UTC).strftime(KEY_FORMAT)


def parse_key(text: str) -> datetime | None:
    """`202612100100` -> that UTC minute; anything else -> None."""
    if len(text) != KEY_LENGTH or not (text.isascii() and text.isdigit()):
        return None
    try:
        return datetime.strptime(text, KEY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _originals(event: Event, *, after: datetime, until: datetime, zone: str) -> list[datetime]:
    if event.rule is None:
        return [event.starts_at] if after <= event.starts_at <= until else []
    # the window is inclusive on both ends, `occurrences` is exclusive after `after`
    since = after - timedelta(microseconds=1)
    found = occurrences(event.rule, event.starts_at, after=since, until=until, zone=zone)
    return [moment.astimezone(UTC) for moment in found]


def _occurrence(event: Event, original: datetime, exception: EventOccurrence | None) -> Occurrence:
    length = event.ends_at - event.starts_at if event.ends_at else None
    start, cancelled, moved = original, event.cancelled_at is not None, False
    if exception is not None:
        if exception.moved_to is not None:
            start, moved = exception.moved_to, True
        cancelled = cancelled or exception.cancelled_at is not None
    end = start + length if length is not None else None
    return Occurrence(event, original, start, end, cancelled=cancelled, moved=moved)


def occurrences_between(
    session: Session, event: Event, *, after: datetime, until: datetime, zone: str
) -> list[Occurrence]:
    """Every occurrence starting (after any move) in [after, until], cancelled ones included
    (flagged), in order."""
    exceptions = event_exceptions(session=session, event=event)
    originals = set(_originals(event, after=after, until=until, zone=zone))
    originals |= {
        original
        for original, row in exceptions.items()
        if row.moved_to is not None and after <= row.moved_to <= until
    }
    found = [_occurrence(event, o, exceptions.get(o)) for o in originals]
    return sorted((o for o in found if after <= o.starts_at <= until), key=lambda o: o.starts_at)


def next_occurrence(
    session: Session, event: Event, *, now: datetime, zone: str, skip: int = 0
) -> Occurrence | None:
    """The next occurrence not cancelled that starts after `now` (`skip` passes over that
    many: `skip=1` is the one after next)."""
    if event.cancelled_at is not None:
        return None
    coming = occurrences_between(
        session, event, after=now + timedelta(seconds=1), until=now + HORIZON, zone=zone
    )
    live = [o for o in coming if not o.cancelled]
    return live[skip] if len(live) > skip else None


def occurrence_at(
    session: Session, event: Event, original: datetime, *, zone: str
) -> Occurrence | None:
    """The occurrence whose original start is `original`, if the event has one then."""
    if not _originals(event, after=original, until=original, zone=zone):
        return None
    return _occurrence(
        event, original, event_exceptions(session=session, event=event).get(original)
    )


def upcoming(
    session: Session, community_id: int, *, now: datetime, zone: str, days: int = UPCOMING_DAYS
) -> list[Occurrence]:
    """Each event's next occurrence within `days`, soonest first."""
    until = now + timedelta(days=days)
    found = []
    for event in community_events(session=session, community_id=community_id, since=now):
        coming = next_occurrence(session, event, now=now, zone=zone)
        if coming is not None and coming.starts_at <= until:
            found.append(coming)
    return sorted(found, key=lambda o: (o.starts_at, o.event.id or 0))
