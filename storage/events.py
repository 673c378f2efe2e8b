"""Events, the exceptions to their schedules, and RSVPs: every query scoped to a community.

An occurrence is named by its original start (UTC), as the event's rule or its one-off
`starts_at` gives it: `EventOccurrence` rows move or cancel one occurrence, and `Rsvp`
rows belong to one, so answers survive a move. Expanding a rule into occurrences is the
handlers' job (handlers/events/schedule.py); storage only keeps rows.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Event, EventOccurrence, Member, Rsvp, RsvpAnswer

__all__ = [
    "RsvpOutcome",
    "answer_rsvp",
    "answered_members",
    "cancel_event",
    "cancel_occurrence",
    "community_events",
    "create_event",
    "event_exceptions",
    "find_event",
    "find_rsvp",
    "move_occurrence",
    "occurrence_rsvps",
    "waiting_position",
]

ATTENDING = (RsvpAnswer.HADIR, RsvpAnswer.MUNGKIN)
"""Who hears about a move or a cancellation (and, by default, the reminders)."""


def _minute(moment: datetime) -> datetime:
    """Occurrences are whole minutes: they travel in button payloads at that grain."""
    return moment.replace(second=0, microsecond=0)


def create_event(
    *,
    session: Session,
    community_id: int,
    created_by_id: int | None,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime | None,
    rule: str | None,
    capacity: int | None,
    now: datetime,
) -> Event:
    """A new event, confirmed by its coordinator."""
    event = Event(
        community_id=community_id,
        created_by_id=created_by_id,
        title=title,
        place=place,
        starts_at=_minute(starts_at),
        ends_at=_minute(ends_at) if ends_at else None,
        rule=rule,
        capacity=capacity,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    session.flush()
    return event


def find_event(*, session: Session, community_id: int, event_id: int) -> Event | None:
    """The event with this id in this community (another community's is None)."""
    event = session.get(Event, event_id)
    return event if event is not None and event.community_id == community_id else None


def community_events(*, session: Session, community_id: int, since: datetime) -> list[Event]:
    """Events not cancelled that may still have an occurrence after `since`: recurring ones,
    and one-off ones starting (or moved to) after it."""
    moved = select(EventOccurrence.event_id).where(
        col(EventOccurrence.community_id) == community_id,
        col(EventOccurrence.moved_to) >= since,
    )
    query = (
        select(Event)
        .where(
            col(Event.community_id) == community_id,
            col(Event.cancelled_at).is_(None),
            col(Event.rule).is_not(None)
            | (col(Event.starts_at) >= since)
            | col(Event.id).in_(moved),
        )
        .order_by(col(Event.id))
    )
    return list(session.exec(query).all())


def event_exceptions(*, session: Session, event: Event) -> dict[datetime, EventOccurrence]:
    """The event's moved and cancelled occurrences, by original start."""
    query = select(EventOccurrence).where(
        col(EventOccurrence.community_id) == event.community_id,
        col(EventOccurrence.event_id) == event.id,
    )
    return {row.occurrence: row for row in session.exec(query).all()}


def _exception(
    session: Session, event: Event, occurrence: datetime, now: datetime
) -> EventOccurrence:
    row = event_exceptions(session=session, event=event).get(occurrence)
    if row is None:
        row = EventOccurrence(
            community_id=event.community_id,
            event_id=event.id or 0,
            occurrence=occurrence,
            updated_at=now,
        )
    row.updated_at = now
    return row


def move_occurrence(
    *, session: Session, event: Event, occurrence: datetime, to: datetime, now: datetime
) -> EventOccurrence:
    """Move one occurrence (by its original start) to `to`; the others stay."""
    row = _exception(session, event, occurrence, now)
    row.moved_to = _minute(to)
    session.add(row)
    session.flush()
    return row


def cancel_occurrence(
    *, session: Session, event: Event, occurrence: datetime, now: datetime
) -> EventOccurrence:
    """Cancel one occurrence (by its original start); the others stay."""
    row = _exception(session, event, occurrence, now)
    row.cancelled_at = now
    session.add(row)
    session.flush()
    return row


def cancel_event(*, session: Session, event: Event, now: datetime) -> None:
    """Cancel the whole event: every occurrence, past answers kept."""
    event.cancelled_at = event.updated_at = now
    session.add(event)
    session.flush()


def find_rsvp(
    *, session: Session, event: Event, occurrence: datetime, member_id: int
) -> Rsvp | None:
    """The member's answer for one occurrence, if any."""
    query = select(Rsvp).where(
        col(Rsvp.community_id) == event.community_id,
        col(Rsvp.event_id) == event.id,
        col(Rsvp.occurrence) == occurrence,
        col(Rsvp.member_id) == member_id,
    )
    return session.exec(query).first()


def occurrence_rsvps(
    *, session: Session, event: Event, occurrence: datetime
) -> list[tuple[Rsvp, Member]]:
    """Every answer for one occurrence with its member, oldest answer first (the waiting
    list's order)."""
    query = (
        select(Rsvp, Member)
        .join(Member, col(Member.id) == col(Rsvp.member_id))
        .where(
            col(Rsvp.community_id) == event.community_id,
            col(Rsvp.event_id) == event.id,
            col(Rsvp.occurrence) == occurrence,
        )
        .order_by(col(Rsvp.updated_at), col(Rsvp.id))
    )
    return [(rsvp, member) for rsvp, member in session.exec(query).all()]


def _confirmed(rows: Sequence[tuple[Rsvp, Member]]) -> int:
    return sum(1 for r, _ in rows if r.answer == RsvpAnswer.HADIR and not r.waitlisted)


def waiting_position(*, session: Session, event: Event, rsvp: Rsvp) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if not rsvp.waitlisted:
        return None
    rows = occurrence_rsvps(session=session, event=event, occurrence=rsvp.occurrence)
    waiting = [r.id for r, _ in rows if r.waitlisted]
    return waiting.index(rsvp.id) + 1 if rsvp.id in waiting else None


@dataclass(frozen=True)
class RsvpOutcome:
    """What one answer did: whether it changed anything, a place on the waiting list, and
    who moved up from the waiting list because of it (to be told)."""

    rsvp: Rsvp
    changed: bool
    position: int | None = None
    moved_up: list[Rsvp] = field(default_factory=list)


def answer_rsvp(
    *,
    session: Session,
    event: Event,
    occurrence: datetime,
    member_id: int,
    answer: RsvpAnswer,
    now: datetime,
) -> RsvpOutcome:
    """Record (or change) a member's answer for one occurrence.

    Beyond the event's capacity a Hadir waits; when a confirmed Hadir leaves, the first
    waiting are moved up while there is room. The same answer twice changes nothing.
    """
    rsvp = find_rsvp(session=session, event=event, occurrence=occurrence, member_id=member_id)
    if rsvp is not None and rsvp.answer == answer:
        position = waiting_position(session=session, event=event, rsvp=rsvp)
        return RsvpOutcome(rsvp, changed=False, position=position)
    if rsvp is None:
        rsvp = Rsvp(
            community_id=event.community_id,
            event_id=event.id or 0,
            occurrence=occurrence,
            member_id=member_id,
            answer=answer,
            created_at=now,
            updated_at=now,
        )
    rsvp.answer, rsvp.waitlisted, rsvp.updated_at = answer, False, now
    session.add(rsvp)
    session.flush()
    rows = occurrence_rsvps(session=session, event=event, occurrence=occurrence)
    if answer == RsvpAnswer.HADIR and event.capacity is not None:
        others = [(r, m) for r, m in rows if r.id != rsvp.id]
        if _confirmed(others) >= event.capacity:
            rsvp.waitlisted = True
            session.add(rsvp)
            session.flush()
    moved_up = _move_up(session, event, occurrence, now)
    position = waiting_position(session=session, event=event, rsvp=rsvp)
    return RsvpOutcome(rsvp, changed=True, position=position, moved_up=moved_up)


def _move_up(session: Session, event: Event, occurrence: datetime, now: datetime) -> list[Rsvp]:
    """Confirm the first waiting while there is room; those moved up."""
    if event.capacity is None:
        return []
    rows = occurrence_rsvps(session=session, event=event, occurrence=occurrence)
    room = event.capacity - _confirmed(rows)
    moved = []
    for rsvp, _ in rows:
        if room <= 0:
            break
        if rsvp.waitlisted:
            rsvp.waitlisted = False  # updated_at stays: it orders by when they answered
            session.add(rsvp)
            moved.append(rsvp)
            room -= 1
    session.flush()
    return moved


def answered_members(
    *,
    session: Session,
    event: Event,
    occurrences: Collection[datetime] | None = None,
    answers: Collection[str] = ATTENDING,
) -> list[Member]:
    """Members who answered one of `answers` for any of `occurrences` (None: any), once
    each: who hears that an occurrence moved or was cancelled."""
    query = (
        select(Member)
        .join(Rsvp, col(Member.id) == col(Rsvp.member_id))
        .where(
            col(Rsvp.community_id) == event.community_id,
            col(Rsvp.event_id) == event.id,
            col(Rsvp.answer).in_(list(answers)),
        )
        .distinct()
        .order_by(col(Member.id))
    )
    if occurrences is not None:
        query = query.where(col(Rsvp.occurrence).in_(list(occurrences)))
    return list(session.exec(query).all())
