"""Event reminders through the real router, the real job and the outbox, on a moved clock:
who hears what, restarts, moves and cancellations, two zones, opt-out at send time."""

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.app import Core
from handlers.clock import ManualClock
from handlers.events.reminders import due_time, parse_offset, read_offsets
from jobs.event_reminders import due_reminders, queue_reminders
from jobs.scheduler import build_specs, catch_up, due_between, start_scheduler
from storage.models import Community, OutboxMessage
from tests.events.town import coordinator, create, events
from tests.factories import Transcript, make_community

EVENING_BEFORE = datetime(2026, 12, 9, 11, 0, tzinfo=UTC)  # Wed 9 Dec 18:00 WIB
TWO_HOURS_BEFORE = datetime(2026, 12, 9, 23, 0, tzinfo=UTC)  # Thu 10 Dec 06:00 WIB
STARTS = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # Thu 10 Dec 08:00 WIB
POSYANDU = "Posyandu Melati | Kamis 10 Des 08.00 | Balai RW 05"
MINUTE = timedelta(minutes=1)


async def move_clock(chat: Transcript, to: datetime) -> int:
    """Move the clock to `to`, running the reminder job at each fire time on the way (as a
    rehearsal's `@clock` does) and delivering; how many times it ran."""
    clock = chat.core.clock
    assert isinstance(clock, ManualClock)
    specs = [s for s in build_specs(chat.core.job_env) if s.id == "event-reminders"]
    runs = 0
    for when, spec in due_between(specs, clock.now(), to):
        clock.set(when)
        await spec.run(when)
        await chat.core.drain()
        runs += 1
    clock.set(to)
    await chat.core.drain()
    return runs


def reminders_to(chat: Transcript, who: str) -> list[str]:
    return [text for text in chat.delivered(who) if "⏰ Pengingat" in text]


def reminder_rows(core: Core) -> list[OutboxMessage]:
    with core.open_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "reminder")
        return list(session.exec(query.order_by(col(OutboxMessage.id))).all())


async def posyandu_with_answers(town: Transcript) -> int:
    """Bu RT's posyandu; Siti Hadir, Dewi Mungkin, Budi Tidak, Eko silent."""
    await coordinator(town)
    for name in ("Siti", "Dewi", "Budi", "Eko"):
        await town.join(name)
    event_id = await create(town, POSYANDU)
    await town.say("Siti", f"/hadir {event_id}")
    await town.say("Dewi", f"MUNGKIN {event_id}")
    await town.say("Budi", f"/tidak {event_id}")
    return event_id


def test_offsets_read_as_people_type_them() -> None:
    assert read_offsets("H-1 18.00, 2 jam") == ["-1d@18:00", "-2h"]
    assert read_offsets("2 jam dan H-1 jam 18.00") == ["-1d@18:00", "-2h"]
    assert read_offsets("D-2 07:30; 30 minutes") == ["-2d@07:30", "-30m"]
    assert read_offsets("1 hari") == ["-1d"]
    assert read_offsets("tidak") == []
    for bad in ("kapan-kapan", "H-1 25.00", "H-9 08.00", "1 jam, 2 jam, 3 jam, 4 jam", ""):
        assert read_offsets(bad) is None, bad
    offset = parse_offset("-1d@18:00")
    assert offset is not None
    assert due_time(offset, STARTS, "Asia/Jakarta") == EVENING_BEFORE
    assert due_time(offset, STARTS, "Asia/Jayapura") == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)


async def test_by_default_the_evening_before_and_two_hours_before_to_hadir_and_mungkin(
    town: Transcript, clock: ManualClock
) -> None:
    await posyandu_with_answers(town)

    await move_clock(town, EVENING_BEFORE - MINUTE)
    assert reminders_to(town, "Siti") == []
    await move_clock(town, EVENING_BEFORE)
    [evening] = reminders_to(town, "Siti")
    assert "⏰ Pengingat: #1 Posyandu Melati" in evening
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIB" in evening
    assert "Balai RW 05" in evening
    assert "Jangan lupa" not in evening  # no checklist set
    assert len(reminders_to(town, "Dewi")) == 1  # Mungkin hears it too
    assert reminders_to(town, "Budi") == reminders_to(town, "Eko") == []
    assert reminders_to(town, "Bu RT") == []

    await move_clock(town, TWO_HOURS_BEFORE)
    assert len(reminders_to(town, "Siti")) == len(reminders_to(town, "Dewi")) == 2
    await move_clock(town, STARTS + timedelta(days=1))
    assert len(reminders_to(town, "Siti")) == 2  # nothing more, nothing twice
    keys = sorted(row.idempotency_key for row in reminder_rows(town.core))
    siti, dewi = town.member("Siti"), town.member("Dewi")
    assert siti is not None and dewi is not None
    assert keys == sorted(
        f"reminder:1:202612100100:{kind}:{member.id}"
        for kind in ("-1d@18:00", "-2h")
        for member in (siti, dewi)
    )


async def test_to_everyone_with_a_checklist_line(town: Transcript, clock: ManualClock) -> None:
    await posyandu_with_answers(town)
    assert "Dewi" not in await town.text("Siti", "/pengingat 1 semua")  # coordinators only
    assert "semua anggota" in await town.text("Bu RT", "/pengingat 1 semua")
    saved = await town.text("Bu RT", "/pengingat 1 bawa Buku KIA dan KMS")
    assert "🎒 Buku KIA dan KMS" in saved
    overview = await town.text("Bu RT", "/pengingat 1")
    assert "H-1 pukul 18.00, 2 jam sebelumnya (bawaan komunitas)" in overview
    assert "semua anggota" in overview

    await move_clock(town, EVENING_BEFORE)
    for who in ("Bu RT", "Siti", "Dewi", "Budi", "Eko"):
        [text] = reminders_to(town, who)
        assert "🎒 Jangan lupa: Buku KIA dan KMS" in text

    await town.say("Bu RT", "/pengingat 1 hadir")
    await town.say("Bu RT", "/pengingat 1 bawa -")
    await move_clock(town, TWO_HOURS_BEFORE)
    assert len(reminders_to(town, "Eko")) == 1  # back to Hadir/Mungkin only
    [_, morning] = reminders_to(town, "Siti")
    assert "Jangan lupa" not in morning


async def test_an_event_and_a_community_choose_their_own_times(
    town: Transcript, clock: ManualClock
) -> None:
    await posyandu_with_answers(town)
    assert "H-1 pukul 20.00, 1 jam sebelumnya" in await town.text(
        "Bu RT", "/pengingat 1 H-1 20.00, 1 jam"
    )
    assert "belum bisa saya baca" in await town.text("Bu RT", "/pengingat 1 kapan-kapan")
    assert "tidak ditemukan" in await town.text("Bu RT", "/pengingat 9 semua")

    await move_clock(town, EVENING_BEFORE + 2 * timedelta(hours=1) - MINUTE)
    assert reminders_to(town, "Siti") == []  # not at 18:00 any more
    await move_clock(town, EVENING_BEFORE + 2 * timedelta(hours=1))
    assert len(reminders_to(town, "Siti")) == 1  # 20:00
    await move_clock(town, STARTS - timedelta(hours=1))
    assert len(reminders_to(town, "Siti")) == 2  # 07:00

    # the community's default, in /atur; an event with its own times keeps them
    saved = await town.text("Bu RT", "/atur pengingat H-2 09.00, 30 menit")
    assert "H-2 pukul 09.00, 30 menit sebelumnya" in saved
    assert "belum bisa saya baca" in await town.text("Bu RT", "/atur pengingat sering")
    assert "⏰ Pengingat acara: H-2 pukul 09.00" in await town.text("Bu RT", "/atur")
    with town.core.open_session() as session:
        community = session.get(Community, town.community.id)
        assert community is not None and community.event_reminders == ["-2d@09:00", "-30m"]
    assert "pengingat komunitas: H-2" in await town.text("Bu RT", "/pengingat 1 bawaan")
    assert "tidak ada pengingat" in await town.text("Bu RT", "/pengingat 1 tidak")


async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_after_the_restart(
    town: Transcript, clock: ManualClock
) -> None:
    await posyandu_with_answers(town)
    await move_clock(town, EVENING_BEFORE - timedelta(hours=1))  # 17:00, then the bot stops
    town.core.close()
    clock.set(EVENING_BEFORE + timedelta(hours=3, minutes=20))  # starts again at 21:20
    town.restart()
    specs = build_specs(town.core.job_env)
    assert await catch_up(specs, clock.now()) >= 1
    await town.core.drain()
    [late] = reminders_to(town, "Siti")
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIB" in late

    town.restart()  # and once more: the catch-up finds the reminder already queued
    await catch_up(build_specs(town.core.job_env), clock.now())
    await move_clock(town, EVENING_BEFORE + timedelta(hours=5))
    assert len(reminders_to(town, "Siti")) == 1
    assert len(reminders_to(town, "Dewi")) == 1


async def test_down_until_the_event_started_nothing_is_sent_late(
    town: Transcript, clock: ManualClock
) -> None:
    await posyandu_with_answers(town)
    town.core.close()
    clock.set(STARTS + timedelta(minutes=5))
    town.restart()
    await catch_up(build_specs(town.core.job_env), clock.now())
    await town.core.drain()
    assert reminder_rows(town.core) == []


async def test_a_reminder_due_before_one_answered_or_the_event_existed_is_not_sent(
    town: Transcript, clock: ManualClock
) -> None:
    await coordinator(town)
    await town.join("Siti")
    clock.set(EVENING_BEFORE + timedelta(hours=2))  # Wed 20:00: tomorrow's posyandu is new
    await create(town, POSYANDU)
    await town.say("Siti", "/hadir 1")
    await move_clock(town, TWO_HOURS_BEFORE - MINUTE)
    assert reminders_to(town, "Siti") == []  # the 18:00 one was before all of it
    await move_clock(town, TWO_HOURS_BEFORE)
    assert len(reminders_to(town, "Siti")) == 1


async def test_a_moved_occurrence_is_reminded_at_its_new_time_a_cancelled_one_never(
    town: Transcript, clock: ManualClock
) -> None:
    await coordinator(town)
    await town.join("Siti")
    await create(town, "Posyandu Melati | setiap bulan tanggal 10 jam 08.00 | Balai RW 05")
    await town.say("Siti", "/hadir 1 ke-2")  # January
    await town.say("Siti", "/hadir 1 ke-3")  # February
    await town.say("Bu RT", "/ubahacara 1 ke-2 17-01-2027 08:00")
    await town.say("Bu RT", press="Ya, pindahkan")
    await town.say("Bu RT", "/batalacara 1 ke-3")
    await town.say("Bu RT", press="Ya, batalkan")

    old_evening = datetime(2027, 1, 9, 11, 0, tzinfo=UTC)
    new_evening = datetime(2027, 1, 16, 11, 0, tzinfo=UTC)
    february_evening = datetime(2027, 2, 9, 11, 0, tzinfo=UTC)
    with town.core.open_session() as session:
        due = due_reminders(session, after=clock.now(), until=datetime(2027, 3, 1, tzinfo=UTC))
    assert new_evening in due and new_evening + timedelta(hours=12) in due
    assert old_evening not in due and february_evening not in due

    await move_clock(town, datetime(2027, 2, 11, tzinfo=UTC))
    texts = reminders_to(town, "Siti")
    assert len(texts) == 2  # Siti did not answer December: two for the moved January date
    assert all("Minggu, 17 Januari 2027 pukul 08.00 WIB" in text for text in texts)
    assert not any("Februari" in text for text in texts)
    kinds = {
        row.idempotency_key.split(":", 3)[3].rsplit(":", 1)[0] for row in reminder_rows(town.core)
    }
    assert kinds == {"-1d@18:00~202701170100", "-2h~202701170100"}


async def test_a_reminder_already_sent_is_sent_again_for_the_new_time_after_a_move(
    town: Transcript, clock: ManualClock
) -> None:
    await posyandu_with_answers(town)
    await move_clock(town, EVENING_BEFORE + timedelta(hours=1))  # Wed 19:00, H-1 sent
    await town.say("Bu RT", "/ubahacara 1 Sabtu 12 Des 08.00")
    await town.say("Bu RT", press="Ya, pindahkan")
    await move_clock(town, datetime(2026, 12, 12, 1, 0, tzinfo=UTC))
    texts = reminders_to(town, "Siti")
    assert len(texts) == 3  # Wed 18:00 (old time), then Fri 18:00 and Sat 06:00
    assert "Kamis, 10 Desember" in texts[0]
    assert all("Sabtu, 12 Desember 2026 pukul 08.00 WIB" in text for text in texts[1:])


async def test_wib_and_wit_communities_on_the_same_clock(
    core: Core, community: Community, clock: ManualClock
) -> None:
    papua = make_community(core, name="Jayapura", invite="JPR1", timezone="Asia/Jayapura")
    java, east = Transcript(core, community), Transcript(core, papua)
    await coordinator(java)
    await coordinator(east, "Mama Yo", invite="JPR1")
    await java.join("Siti")
    await east.join("Maria", invite="JPR1")
    await create(java, POSYANDU)
    await create(east, "Posyandu Sentani | Kamis 10 Des 08.00 | Gereja", who="Mama Yo")
    await java.say("Siti", "/hadir 1")
    await east.say("Maria", "/hadir 2")

    await move_clock(java, datetime(2026, 12, 9, 12, 0, tzinfo=UTC))
    rows = {row.member_id: row for row in reminder_rows(core)}
    siti, maria = java.member("Siti"), east.member("Maria")
    assert siti is not None and maria is not None
    assert rows[maria.id].created_at == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # 18:00 WIT
    assert rows[siti.id].created_at == EVENING_BEFORE  # 18:00 WIB
    [east_text] = reminders_to(java, "Maria")  # one core: the first transcript records
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIT" in east_text
    assert "pukul 08.00 WIB" in reminders_to(java, "Siti")[0]


async def test_opting_out_between_queueing_and_sending_skips_the_reminder(
    town: Transcript, clock: ManualClock
) -> None:
    await posyandu_with_answers(town)
    clock.set(EVENING_BEFORE)
    assert await queue_reminders(town.core.job_env, EVENING_BEFORE) == 2  # queued, not sent
    await town.say("Siti", "STOP")  # her reply goes out, then the outbox drains
    rows = {row.member_id: row for row in reminder_rows(town.core)}
    siti, dewi = town.member("Siti"), town.member("Dewi")
    assert siti is not None and dewi is not None
    assert rows[siti.id].status == "skipped" and rows[siti.id].last_error == "opted_out"
    assert rows[dewi.id].status == "sent"
    assert reminders_to(town, "Siti") == []


async def test_a_cancelled_event_is_never_reminded(town: Transcript, clock: ManualClock) -> None:
    await posyandu_with_answers(town)
    await town.say("Bu RT", "/batalacara 1 semua")
    await town.say("Bu RT", press="Ya, batalkan")
    await move_clock(town, STARTS)
    assert reminder_rows(town.core) == []
    assert events(town)[0].cancelled_at is not None


async def test_a_rehearsal_runs_the_job_only_at_due_times_and_live_it_is_refreshed(
    town: Transcript, clock: ManualClock
) -> None:
    await posyandu_with_answers(town)
    runs = await move_clock(town, clock.now() + timedelta(days=3))
    assert runs == 2  # Wednesday 18:00 and Thursday 06:00, nothing in between

    specs = [s for s in build_specs(town.core.job_env) if s.id == "event-reminders"]
    scheduler = start_scheduler(town.core.job_env, specs)
    try:
        job = scheduler.get_job("event-reminders")
        assert job is not None and job.coalesce is True
        assert job.misfire_grace_time == 7 * 24 * 3600  # a late run is safe: let it happen
        refresh = scheduler.get_job("event-reminders:refresh")
        assert refresh is not None and refresh.trigger.interval == timedelta(minutes=5)
    finally:
        scheduler.shutdown(wait=False)


async def test_live_the_refresh_catches_a_reminder_that_fell_due_between_fires(
    town: Transcript, clock: ManualClock
) -> None:
    """An event created at 17:58 for tomorrow: its 18:00 reminder was not known when the
    scheduler last looked; the five-minute refresh runs the job and sends it."""
    await coordinator(town)
    await town.join("Siti")
    clock.set(EVENING_BEFORE - 2 * MINUTE)
    await create(town, POSYANDU)
    await town.say("Siti", "/hadir 1")
    specs = [s for s in build_specs(town.core.job_env) if s.id == "event-reminders"]
    scheduler = start_scheduler(town.core.job_env, specs)
    try:
        refresh = scheduler.get_job("event-reminders:refresh")
        assert refresh is not None
        clock.set(EVENING_BEFORE + 3 * MINUTE)
        await refresh.func(*refresh.args)
        await refresh.func(*refresh.args)  # twice: nothing twice
    finally:
        scheduler.shutdown(wait=False)
    await town.core.drain()
    assert len(reminders_to(town, "Siti")) == 1
