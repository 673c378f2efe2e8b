"""Sending: confirm, schedule in plain Indonesian, list, cancel, restarts, audiences, opt-out."""

from datetime import UTC, datetime, timedelta

from jobs.announcements import announcement_jobs, run_announcements
from jobs.scheduler import catch_up
from storage.models import Role
from tests.announce.conftest import Kampung

MESSAGE = (
    "📣 Pengumuman KBA 13 Ulu\n\nKerja bakti Minggu\n\n"
    "Tidak ingin menerima pesan lagi? Ketik BERHENTI."
)


async def _announce(kampung: Kampung, text: str = "Kerja bakti Minggu", to: str = "Semua") -> None:
    await kampung.say("Bu RT", f"/umumkan {text}")
    await kampung.say("Bu RT", press=to)


async def test_send_now_queues_one_row_each_and_a_rerun_adds_none(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=3)
    await _announce(kampung)
    answer = await kampung.text("Bu RT", press="Kirim sekarang")
    assert answer == "Pengumuman #1 sedang dikirim ke 3 anggota. Laporannya menyusul."
    keys = [r.idempotency_key for r in kampung.broadcast_rows()]
    assert keys == ["broadcast:1:2", "broadcast:1:3", "broadcast:1:4"]
    for who in ("L1", "L2", "L3"):
        assert kampung.delivered(who) == [MESSAGE]
    assert kampung.delivered("Bu RT") == []  # the author saw the preview instead

    await run_announcements(kampung.core.job_env, kampung.clock.now())  # again: nothing new
    await kampung.minute(3)
    assert [r.idempotency_key for r in kampung.broadcast_rows()] == keys
    for who in ("L1", "L2", "L3"):
        assert kampung.delivered(who) == [MESSAGE]
    report = kampung.delivered("Bu RT")
    assert len(report) == 1 and report[0].startswith("📊 Laporan pengumuman #1")


async def test_schedule_in_plain_indonesian_then_list_and_cancel(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=1)
    await _announce(kampung, "Rapat RT")
    assert "Kapan dikirim?" in await kampung.text("Bu RT", press="Jadwalkan")
    assert "belum terbaca" in await kampung.text("Bu RT", "kapan-kapan saja")
    # Monday 09.00 WIB now: "tadi pagi jam 7" is past and refused, the flow waits
    assert "sudah lewat" in await kampung.text("Bu RT", "hari ini jam 07.00")
    answer = await kampung.text("Bu RT", "besok 08.00")
    assert answer.startswith("Pengumuman #1 dijadwalkan Selasa, 8 Desember 2026 pukul 08.00 WIB.")
    assert kampung.announcement(1).scheduled_for == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)

    await _announce(kampung, "Arisan")
    await kampung.say("Bu RT", press="Jadwalkan")
    await kampung.say("Bu RT", "Jumat 16.00")
    listing = await kampung.text("Bu RT", "/umumkan daftar")
    assert listing.splitlines() == [
        "Pengumuman terjadwal (2):",
        "#1 Sel 8 Des 08.00 — Rapat RT (untuk semua anggota)",
        "#2 Jum 11 Des 16.00 — Arisan (untuk semua anggota)",
        "Membatalkan: UMUMKAN batal NOMOR",
    ]
    assert await kampung.text("Bu RT", "/umumkan batal 2") == (
        "Pengumuman #2 dibatalkan; tidak ada yang dikirim."
    )
    assert "#2" not in await kampung.text("Bu RT", "/umumkan daftar")
    assert "Tidak ada pengumuman terjadwal #9" in await kampung.text("Bu RT", "/umumkan batal 9")

    await kampung.minute(60 * 23)  # to Tuesday 08.00
    assert kampung.delivered("L1") == [MESSAGE.replace("Kerja bakti Minggu", "Rapat RT")]
    assert "sudah mulai dikirim" in await kampung.text("Bu RT", "/umumkan batal 1")
    await kampung.minute(60 * 24 * 4)  # past Friday 16.00: the cancelled one stays unsent
    assert kampung.broadcast_rows(2) == []
    assert "Tidak ada pengumuman terjadwal." in await kampung.text("Bu RT", "/umumkan daftar")


async def test_due_while_down_goes_out_once_at_start_up(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=2)
    await _announce(kampung)
    await kampung.say("Bu RT", press="Jadwalkan")
    await kampung.say("Bu RT", "besok 08.00")

    kampung.clock.advance(timedelta(days=1, hours=3))  # the bot was down at 08.00
    for _ in range(2):  # start up twice: the second catch-up finds nothing to send
        kampung.restart()
        specs = announcement_jobs(kampung.core.job_env, [kampung.community])
        assert await catch_up(specs, kampung.clock.now()) == 1
        await kampung.core.drain()
    assert kampung.delivered("L1") == [MESSAGE] and kampung.delivered("L2") == [MESSAGE]
    assert len(kampung.broadcast_rows()) == 2
    assert kampung.announcement().started_at == kampung.clock.now()


async def test_trigger_idles_until_the_next_scheduled_one(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=1)
    now = kampung.clock.now()
    (spec,) = announcement_jobs(kampung.core.job_env, [kampung.community])
    assert spec.trigger.get_next_fire_time(None, now) is None  # simulated: nothing to do
    await _announce(kampung)
    await kampung.say("Bu RT", press="Jadwalkan")
    await kampung.say("Bu RT", "besok 08.00")
    assert spec.trigger.get_next_fire_time(None, now) == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


async def test_sellers_only(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=3)
    kampung.set_role("L2", Role.SELLER)
    kampung.set_role("L3", Role.COORDINATOR)
    await _announce(kampung, "Bazar Sabtu, daftar lapak", to="Penjual saja")
    await kampung.say("Bu RT", press="Kirim sekarang")
    assert kampung.delivered("L1") == []
    assert len(kampung.delivered("L2")) == 1 and len(kampung.delivered("L3")) == 1


async def test_those_going_to_an_event(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=3)
    event = kampung.event_with("Posyandu", "L1", "L3", maybe=("L2",))
    await kampung.say("Bu RT", f"/umumkan acara {event} Jangan lupa buku KIA")
    numbers = kampung.last("Bu RT")[-1].text
    assert numbers.startswith(f"Penerima: 2 anggota (yang Hadir di acara #{event})")
    await kampung.say("Bu RT", press="Kirim sekarang")
    assert [bool(kampung.delivered(w)) for w in ("L1", "L2", "L3")] == [True, False, True]

    assert "tidak ditemukan" in await kampung.text("Bu RT", "/umumkan acara 99 Halo")
    await kampung.say("Bu RT", "/umumkan Sampai jumpa")
    assert "Acara nomor berapa?" in await kampung.text("Bu RT", press="Peserta acara")
    assert "Penerima: 2 anggota" in await kampung.text("Bu RT", str(event))


async def test_opting_out_after_queueing_is_honoured_at_send_time(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=2)
    await _announce(kampung)
    await kampung.say("Bu RT", press="Jadwalkan")
    await kampung.say("Bu RT", "hari ini jam 09.30")
    kampung.clock.advance(timedelta(minutes=30))
    await run_announcements(kampung.core.job_env, kampung.clock.now())  # queued, not sent
    assert [r.status for r in kampung.broadcast_rows()] == ["pending", "pending"]

    await kampung.say("L1", "BERHENTI")  # then the outbox drains
    await kampung.minute(2)
    assert kampung.delivered("L1") == [] and kampung.delivered("L2") == [MESSAGE]
    rows = [(r.status, r.last_error) for r in kampung.broadcast_rows()]
    assert rows == [("skipped", "opted_out"), ("sent", None)]
    report = kampung.delivered("Bu RT")[-1]
    assert "Terkirim: 1" in report and "Sudah berhenti langganan: 1" in report
