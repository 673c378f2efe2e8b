"""The announcements job: send scheduled announcements, show progress, report when done.

Derived from the database on every run, like every job here: an announcement is due when
`scheduled_for` has passed and it has not started, so one whose time passed while the bot
was down goes out at the start-up catch-up, once (`started_at`, and outbox keys
`broadcast:{id}:{member_id}`). While an announcement is due or running the job runs every
minute (progress at most once a minute); otherwise its trigger skips ahead to the next
scheduled one, looking again every IDLE_STEP, so a simulated clock moved over weeks does
not run it for every minute.
"""

import logging
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from handlers.announce.sending import start_announcement, update_progress
from handlers.clock import SystemClock
from jobs.scheduler import JOB_FACTORIES, JobEnv, JobSpec
from storage.announcements import (
    busy_communities,
    next_scheduled,
    running_announcements,
    scheduled_announcements,
)
from storage.db import SessionFactory, transaction
from storage.models import Community

__all__ = ["IDLE_STEP", "AnnouncementTrigger", "announcement_jobs", "run_announcements"]

log = logging.getLogger(__name__)

IDLE_STEP = timedelta(minutes=5)


def _ceil(moment: datetime, step: timedelta) -> datetime:
    """The first multiple of `step` (since the epoch) at or after `moment`."""
    epoch = datetime(1970, 1, 1, tzinfo=moment.tzinfo)
    steps = -((moment - epoch) // -step)
    return epoch + steps * step


class AnnouncementTrigger(BaseTrigger):
    """Every minute while an announcement is due or running; else at the next scheduled
    one, or (live) the next IDLE_STEP boundary, whichever comes first.

    A simulated clock (`@clock`, tests) needs no idle look: what it will find was scheduled
    before the clock moved. Live, the look catches announcements scheduled meanwhile (and
    "Kirim sekarang" queues at once, without waiting for the job).
    """

    def __init__(self, open_session: SessionFactory, *, idle_step: timedelta | None) -> None:
        self.open_session = open_session
        self.idle_step = idle_step
        self.busy = False  # known busy since the last run: no need to ask the database

    def ran(self) -> None:
        """The job ran: what is busy may have changed."""
        self.busy = False

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        minute = _ceil(now, timedelta(minutes=1))
        if self.busy:
            return minute
        with self.open_session() as session:
            if busy_communities(session=session, now=minute):
                self.busy = True
                return minute
            coming = next_scheduled(session=session, after=minute)
        times = [_ceil(coming, timedelta(minutes=1))] if coming is not None else []
        if self.idle_step is not None:
            times.append(_ceil(now, self.idle_step))
        return min(times, default=None)


async def run_announcements(env: JobEnv, fire_time: datetime) -> int:
    """Queue every due announcement and update the running ones; how many started."""
    started = 0
    with transaction(env.open_session) as session:
        for community_id in busy_communities(session=session, now=fire_time):
            if session.get(Community, community_id) is None:
                continue
            due = scheduled_announcements(
                session=session, community_id=community_id, due_by=fire_time
            )
            progress_from = env.options.announce_progress_from
            for row in due:
                count = start_announcement(session, row, env.options, fire_time)
                log.info("announcement %s: queued for %d members", row.id, count)
                started += 1
                update_progress(session, row, fire_time, progress_from)  # "0/N": it started
            for row in running_announcements(session=session, community_id=community_id):
                if row.started_at is not None and row.started_at < fire_time:
                    update_progress(session, row, fire_time, progress_from)
    env.kick_delivery()
    return started


def announcement_jobs(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
    """One job for every community (it looks only at those with something to do)."""
    live = isinstance(env.clock, SystemClock)
    trigger = AnnouncementTrigger(env.open_session, idle_step=IDLE_STEP if live else None)

    async def run(fire_time: datetime) -> None:
        trigger.ran()
        await run_announcements(env, fire_time)

    return [JobSpec("announcements", trigger, run)]


if announcement_jobs not in JOB_FACTORIES:
    JOB_FACTORIES.append(announcement_jobs)
