"""Event reminders, derived from the database every time: restart-safe by construction.

No reminder is ever stored as an APScheduler job. One job (`event-reminders`) queues, for
every occurrence that has not started yet (in the coming `MAX_LEAD` + a day), every
reminder whose due time has come (`due <= fire time`), keyed
`reminder:{event_id}:{occurrence key}:{kind}:{member_id}` in the outbox, so a re-run, a
catch-up or a second process adds nothing. From that follows:

- a reminder that fell due while the bot was down is sent at start-up (the scheduler's
  catch-up runs the job's latest fire time), as long as the occurrence has not started;
- a cancelled occurrence (or event) is never reminded: it is skipped when the job runs;
- a moved occurrence's due times follow its new start; its `kind` carries the new start
  (`-2h~202612170100`), so a reminder already sent for the old time does not silence the
  one for the new time;
- a reminder that fell due before the event was created, before the occurrence was moved,
  or (to one member) before that member answered or joined, is not sent: they just heard.

When it fires: `ReminderTrigger` fires at each due time the database knows, looked up
whenever the scheduler asks for the next fire time. Live, every `REFRESH` (5 minutes;
`JobSpec.refresh`) the job also runs for "now" and the trigger is asked again, so a
reminder added since (a new event, a new `/pengingat`, a move) is at most five minutes
late; a rehearsal or test moving the clock a month runs the job only at the due times,
not thousands of times.

APScheduler settings, on purpose: `coalesce=True`: a backlog of missed fire times is one
run, which is all it takes since each run queues everything due by then;
`misfire_grace_time` = a week (`MAX_LEAD`): a late run is always safe (it skips what has
started and the keys drop what was queued), so it should happen rather than be dropped.
The run uses the later of its fire time and the clock, so a late run or the start-up
catch-up (which runs the latest due time) queues everything due by now. Jobs live in the
in-memory job store with stable ids (`replace_existing`), rebuilt from the database at each
start: nothing to duplicate across restarts.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from sqlmodel import Session, col, select

from handlers.context import member_context
from handlers.events.reminders import MAX_LEAD, Offset, due_time, offsets_of, reminder_message
from handlers.events.schedule import Occurrence, occurrences_between
from handlers.messages import reply_to_payload
from jobs.scheduler import JOB_FACTORIES, JobEnv, JobSpec
from storage.communities import members_of
from storage.db import SessionFactory, transaction
from storage.events import ATTENDING, community_events, event_exceptions, occurrence_rsvps
from storage.models import Community, Member, OutboxMessage
from storage.outbox import enqueue

__all__ = ["REFRESH", "ReminderTrigger", "due_reminders", "queue_reminders", "reminder_jobs"]

log = logging.getLogger(__name__)

REFRESH = timedelta(minutes=5)
LOOKAHEAD = MAX_LEAD + timedelta(days=1)  # `-7d@18:00` of a morning event is > 7 days


def _due(
    session: Session, community: Community, after: datetime, until: datetime
) -> list[tuple[datetime, Offset, Occurrence]]:
    """(due time, offset, occurrence) of the community's live occurrences starting after
    `after`, whose reminders fall due up to `until`."""
    found = []
    zone = community.timezone
    for event in community_events(session=session, community_id=community.id or 0, since=after):
        offsets = offsets_of(event, community)
        if not offsets:
            continue
        coming = occurrences_between(
            session, event, after=after + timedelta(seconds=1), until=until + LOOKAHEAD, zone=zone
        )
        for occurrence in coming:
            if occurrence.cancelled:
                continue
            for offset in offsets:
                due = due_time(offset, occurrence.starts_at, zone)
                if due <= until and due < occurrence.starts_at:
                    found.append((due, offset, occurrence))
    return found


def due_reminders(session: Session, *, after: datetime, until: datetime) -> list[datetime]:
    """Every due time in [after, until) of occurrences not started by `after`, sorted."""
    communities = session.exec(select(Community)).all()
    times = {
        due
        for community in communities
        for due, _, _ in _due(session, community, after, until)
        if after <= due < until
    }
    return sorted(times)


class ReminderTrigger(BaseTrigger):
    """Fires at each reminder's due time, as the database has them when asked."""

    def __init__(self, open_session: SessionFactory) -> None:
        self.open_session = open_session

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The next due time; with none in the coming week, a week on (never None: that
        would remove the job; the live refresh asks again long before)."""
        until = now + LOOKAHEAD
        with self.open_session() as session:
            times = due_reminders(session, after=now, until=until)
        return times[0] if times else until


def _kind(offset: Offset, occurrence: Occurrence) -> str:
    if not occurrence.moved:
        return offset.spec
    return f"{offset.spec}~{occurrence.starts_at.astimezone(UTC):%Y%m%d%H%M}"


def _recipients(
    session: Session, community: Community, occurrence: Occurrence, due: datetime
) -> list[Member]:
    """Who hears it: those who answered Hadir/Mungkin before it fell due, or (`all`) every
    member who had joined by then. Opt-out is checked later, at send time."""
    event = occurrence.event
    if event.remind_to == "all":
        members = members_of(session=session, community_id=community.id or 0)
        return [m for m in members if m.created_at <= due]
    rows = occurrence_rsvps(session=session, event=event, occurrence=occurrence.original)
    return [m for r, m in rows if r.answer in ATTENDING and r.created_at <= due]


def _floor(session: Session, occurrence: Occurrence) -> datetime:
    """Reminders due before this are not sent: the event was created (or the occurrence
    moved) after them, and people were told then."""
    event = occurrence.event
    if occurrence.moved:
        row = event_exceptions(session=session, event=event).get(occurrence.original)
        if row is not None:
            return max(event.created_at, row.updated_at)
    return event.created_at


def _taken(session: Session, occurrence: Occurrence) -> set[str]:
    prefix = f"reminder:{occurrence.event.id}:{occurrence.key}:"
    query = select(OutboxMessage.idempotency_key).where(
        col(OutboxMessage.idempotency_key).startswith(prefix, autoescape=True)
    )
    return set(session.exec(query).all())


async def queue_reminders(env: JobEnv, fire_time: datetime) -> int:
    """Queue every reminder due by `fire_time` for occurrences not started; how many new."""
    queued = 0
    now = max(fire_time, env.clock.now())  # a late run or a catch-up: what is due by now
    with transaction(env.open_session) as session:
        for community in session.exec(select(Community)).all():
            queued += _queue_community(session, env, community, now)
    if queued:
        log.info("queued %d event reminders", queued)
        env.kick_delivery()
    return queued


def _queue_community(session: Session, env: JobEnv, community: Community, now: datetime) -> int:
    queued = 0
    taken: dict[tuple[int, str], set[str]] = {}
    for due, offset, occurrence in _due(session, community, now, now):
        if due < _floor(session, occurrence):
            continue
        slot = (occurrence.event.id or 0, occurrence.key)
        if slot not in taken:
            taken[slot] = _taken(session, occurrence)
        prefix = f"reminder:{occurrence.event.id}:{occurrence.key}:{_kind(offset, occurrence)}"
        for member in _recipients(session, community, occurrence, due):
            key = f"{prefix}:{member.id}"
            if key in taken[slot]:
                continue
            ctx = member_context(
                session=session,
                clock=env.clock,
                options=env.options,
                member=member,
                community=community,
            )
            added = enqueue(
                session=session,
                community_id=community.id,
                member_id=member.id,
                kind="reminder",
                idempotency_key=key,
                payload=reply_to_payload(reminder_message(ctx, occurrence)),
                now=now,
            )
            taken[slot].add(key)
            queued += int(added)
    return queued


def reminder_jobs(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
    """One job for every community (each due time computed in its own zone)."""

    async def run(fire_time: datetime) -> None:
        await queue_reminders(env, fire_time)

    trigger = ReminderTrigger(env.open_session)
    return [JobSpec("event-reminders", trigger, run, misfire_grace=MAX_LEAD, refresh=REFRESH)]


def _register(factory: Callable[[JobEnv, list[Community]], list[JobSpec]]) -> None:
    if factory not in JOB_FACTORIES:
        JOB_FACTORIES.append(factory)


_register(reminder_jobs)
