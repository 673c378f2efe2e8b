"""Scheduled jobs, derived from the database, run by APScheduler or by a simulated clock.

Every job is a plain async function of the time it was *scheduled* for, and must be
idempotent for that time (outbox keys include it). That gives three things at once:
APScheduler can run it live; `@clock` rehearsals run exactly the fire times they pass
over; and a restart simply re-runs the last fire time of each job as a catch-up, which
sends nothing twice.
"""

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select

from handlers.clock import Clock
from handlers.context import Options
from storage.db import SessionFactory, transaction
from storage.inbound import prune_processed
from storage.inbox import prune_done
from storage.models import Community

__all__ = [
    "JOB_FACTORIES",
    "JobEnv",
    "JobSpec",
    "build_specs",
    "catch_up",
    "community_jobs",
    "due_between",
    "scheduled_time",
    "start_scheduler",
]

log = logging.getLogger(__name__)

INBOUND_MEMORY = timedelta(days=7)
CATCH_UP_WINDOW = timedelta(days=7)
RECENT = timedelta(hours=1)
MISFIRE_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class JobEnv:
    """What jobs may use; passed in, since jobs/ may not reach up into bot/."""

    open_session: SessionFactory
    clock: Clock
    options: Options
    kick_delivery: Callable[[], None]


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: a stable id, when it fires, and what it does for a fire time."""

    id: str
    trigger: BaseTrigger
    run: Callable[[datetime], Awaitable[None]]
    misfire_grace: timedelta = MISFIRE_GRACE  # how late APScheduler may still start a run
    # live only: this often, run the job for "now" and ask its trigger again (a trigger
    # derived from the database learns of rows added since its last fire, and the run
    # catches what fell due in between); rehearsals rebuild the specs at each move
    refresh: timedelta | None = None


JobFactory = Callable[[JobEnv, list[Community]], list[JobSpec]]


def _housekeeping(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
    async def prune(fire_time: datetime) -> None:
        with transaction(env.open_session) as session:
            prune_processed(session=session, before=fire_time - INBOUND_MEMORY)
            prune_done(session=session, before=fire_time - INBOUND_MEMORY)

    return [JobSpec("housekeeping:prune-inbound", CronTrigger(hour=3, timezone="UTC"), prune)]


JOB_FACTORIES: list[JobFactory] = [_housekeeping]
"""Features append a factory here (jobs for each community, in its own time zone)."""


CommunityRun = Callable[[JobEnv, int, datetime], Awaitable[object]]


def community_jobs(
    env: JobEnv,
    communities: list[Community],
    name: str,
    run: CommunityRun,
    trigger_for: Callable[[Community], BaseTrigger],
) -> list[JobSpec]:
    """One job per community, `{name}:{community id}`, firing on the community's own trigger
    (its zone, its chosen day and time) and running `run(env, community_id, fire_time)`."""
    specs = []
    for community in communities:
        community_id = community.id or 0

        async def fire(fire_time: datetime, community_id: int = community_id) -> None:
            await run(env, community_id, fire_time)

        specs.append(JobSpec(f"{name}:{community_id}", trigger_for(community), fire))
    return specs


def build_specs(env: JobEnv) -> list[JobSpec]:
    """Every job for the communities as the database has them now."""
    import jobs.features  # noqa: F401  (each feature appends its factory on import)

    with env.open_session() as session:
        communities = list(session.exec(select(Community)).all())
    return [spec for factory in JOB_FACTORIES for spec in factory(env, communities)]


def _fire_times(trigger: BaseTrigger, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fire times in (start, end], straight from the trigger's own arithmetic."""
    previous = None
    moment = trigger.get_next_fire_time(previous, start + timedelta(microseconds=1))
    while moment is not None and moment <= end:
        yield moment
        previous = moment
        moment = trigger.get_next_fire_time(previous, moment + timedelta(microseconds=1))


def due_between(
    specs: list[JobSpec], start: datetime, end: datetime
) -> list[tuple[datetime, JobSpec]]:
    """Every (fire time, job) in (start, end], in time order: what a moved clock must run."""
    due = [(when, spec) for spec in specs for when in _fire_times(spec.trigger, start, end)]
    return sorted(due, key=lambda item: (item[0], item[1].id))


async def catch_up(specs: list[JobSpec], now: datetime) -> int:
    """Run each job's latest missed fire time once (jobs are idempotent per fire time)."""
    ran = 0
    for spec in specs:
        # the last hour first: a job firing every few minutes has its latest time there, and
        # walking seven days of them (a database look each) cost seconds at every start
        times = list(_fire_times(spec.trigger, now - RECENT, now))
        times = times or list(_fire_times(spec.trigger, now - CATCH_UP_WINDOW, now - RECENT))
        if times:
            try:
                await spec.run(times[-1])
                ran += 1
            except Exception:
                log.exception("catch-up of job %s failed", spec.id)
    return ran


def start_scheduler(env: JobEnv, specs: list[JobSpec]) -> AsyncIOScheduler:
    """Wire the jobs into a running AsyncIOScheduler with stable ids."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for spec in specs:
        scheduler.add_job(
            _run_now,
            spec.trigger,
            args=[spec, env.clock],
            id=spec.id,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=int(spec.misfire_grace.total_seconds()),
        )
        if spec.refresh is not None:
            scheduler.add_job(
                _refresh,
                IntervalTrigger(seconds=int(spec.refresh.total_seconds())),
                args=[scheduler, spec, env.clock],
                id=f"{spec.id}:refresh",
                replace_existing=True,
                coalesce=True,
            )
    scheduler.start()
    return scheduler


def scheduled_time(trigger: BaseTrigger, now: datetime) -> datetime:
    """The fire time APScheduler is running a job for: the latest one not after `now`.

    Jobs are keyed by their scheduled time, so the live run and a later catch-up of the
    same fire time must see the same value, not two slightly different `now`s.
    """
    times = list(_fire_times(trigger, now - MISFIRE_GRACE - timedelta(minutes=1), now))
    return times[-1] if times else now


async def _refresh(scheduler: AsyncIOScheduler, spec: JobSpec, clock: Clock) -> None:
    """Run a database-derived job for now (it is idempotent), then recompute its next fire
    time from the database."""
    try:
        await spec.run(clock.now())
        scheduler.reschedule_job(spec.id, trigger=spec.trigger)
    except Exception:
        log.exception("refreshing job %s failed", spec.id)


async def _run_now(spec: JobSpec, clock: Clock) -> None:
    try:
        await spec.run(scheduled_time(spec.trigger, clock.now()))
    except Exception:
        log.exception("job %s failed", spec.id)
