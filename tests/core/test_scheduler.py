"""Scheduled jobs: derived from the database, run by fire time, caught up after downtime."""

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger

import jobs.scheduler
from bot.app import Core
from bot.channels.local import LocalChat
from handlers.clock import ManualClock
from handlers.messages import Channel
from jobs.scheduler import JobEnv, JobSpec, build_specs, catch_up, due_between, start_scheduler
from storage.models import Community
from tests.factories import Transcript


def weekly_spec(ran: list[datetime], tz: str = "Asia/Jakarta") -> JobSpec:
    async def run(fire_time: datetime) -> None:
        ran.append(fire_time)

    return JobSpec("test:weekly", CronTrigger(day_of_week="mon", hour=8, timezone=tz), run)


def test_fire_times_follow_the_community_zone() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    due = due_between([weekly_spec([])], start, start + timedelta(days=14))
    # Monday 08:00 WIB is 01:00 UTC
    assert [when for when, _ in due] == [
        datetime(2026, 12, 7, 1, tzinfo=UTC),
        datetime(2026, 12, 14, 1, tzinfo=UTC),
    ]
    wit = due_between([weekly_spec([], "Asia/Jayapura")], start, start + timedelta(days=7))
    assert [when for when, _ in wit] == [datetime(2026, 12, 6, 23, tzinfo=UTC)]


async def test_catch_up_runs_only_the_latest_missed_time() -> None:
    ran: list[datetime] = []
    await catch_up([weekly_spec(ran)], datetime(2026, 12, 16, tzinfo=UTC))
    assert ran == [datetime(2026, 12, 14, 1, tzinfo=UTC)]


async def test_specs_are_built_from_the_database_and_moved_by_clock(
    chat: Transcript, core: Core, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[tuple[str, datetime]] = []

    def factory(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
        specs = []
        for c in communities:

            async def run(fire_time: datetime, name: str = c.name) -> None:
                ran.append((name, fire_time))

            specs.append(JobSpec(f"test:{c.id}", CronTrigger(hour=18, timezone=c.timezone), run))
        return specs

    monkeypatch.setattr(jobs.scheduler, "JOB_FACTORIES", [*jobs.scheduler.JOB_FACTORIES, factory])
    assert "test:1" in {spec.id for spec in build_specs(core.job_env)}
    lines: list[str] = []
    local = LocalChat(core, emit=lines.append)
    await local.line("@clock 2026-12-09 18:00")
    assert ran == [
        ("KBA 13 Ulu", datetime(2026, 12, 7, 11, tzinfo=UTC)),
        ("KBA 13 Ulu", datetime(2026, 12, 8, 11, tzinfo=UTC)),
        ("KBA 13 Ulu", datetime(2026, 12, 9, 11, tzinfo=UTC)),
    ]
    assert lines[-1] == "-- jam: 2026-12-09 18:00 WIB --"


async def test_clock_is_refused_where_real_members_live(chat: Transcript, core: Core) -> None:
    await chat.join("+6281234567890", channel=Channel.WHATSAPP)
    lines: list[str] = []
    before = core.clock.now()
    await LocalChat(core, emit=lines.append).line("@clock 2026-12-09 18:00")
    assert "refused" in lines[-1] and core.clock.now() == before


async def test_the_live_scheduler_wires_jobs_with_stable_ids(core: Core) -> None:
    scheduler = start_scheduler(core.job_env, [weekly_spec([]), weekly_spec([])])
    try:
        assert [job.id for job in scheduler.get_jobs()] == ["test:weekly"]
    finally:
        scheduler.shutdown(wait=False)


async def test_a_live_run_gets_its_scheduled_time_as_a_catch_up_would() -> None:
    ran: list[datetime] = []
    spec = weekly_spec(ran)
    late = ManualClock(datetime(2026, 12, 7, 1, 0, 3, 250000, tzinfo=UTC))  # 3 s after 08:00 WIB
    await jobs.scheduler._run_now(spec, late)
    await catch_up([spec], late.now())
    assert ran == [datetime(2026, 12, 7, 1, tzinfo=UTC)] * 2  # same key: nothing sent twice


async def test_clock_cannot_go_back_and_a_broken_job_does_not_end_the_rehearsal(
    chat: Transcript, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    def factory(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
        async def run(fire_time: datetime) -> None:
            raise RuntimeError("broken job")

        return [JobSpec("test:broken", CronTrigger(hour=18, timezone="Asia/Jakarta"), run)]

    monkeypatch.setattr(jobs.scheduler, "JOB_FACTORIES", [factory])
    lines: list[str] = []
    local = LocalChat(core, emit=lines.append)
    before = core.clock.now()
    await local.line("@clock 2020-01-01 00:00")
    assert "cannot go back" in lines[-1] and core.clock.now() == before
    await local.line("@clock 2026-12-08 19:00")
    assert sum("test:broken failed" in line for line in lines) == 2
    assert lines[-1] == "-- jam: 2026-12-08 19:00 WIB --"
    await local.line(": no name")
    assert "not understood" in lines[-1]
