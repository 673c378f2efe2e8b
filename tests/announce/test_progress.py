"""Progress on large sends (at most one message a minute) and the final report."""

from datetime import timedelta

from handlers.announce.sending import number
from tests.announce.conftest import Kampung


def test_numbers_read_the_way_each_language_writes_them() -> None:
    assert (number("id", 1200), number("en", 1200), number("id", 350)) == ("1.200", "1,200", "350")


async def _scheduled_send(kampung: Kampung, members: int) -> None:
    """Bu RT schedules an announcement to `members` members for 09.30; the clock gets there
    and the job queues it (nothing sent yet)."""
    await kampung.coordinator_bu_rt()
    kampung.crowd(members)
    await kampung.say("Bu RT", "/umumkan Kerja bakti Minggu")
    await kampung.say("Bu RT", press="Semua")
    await kampung.say("Bu RT", press="Jadwalkan")
    await kampung.say("Bu RT", "hari ini jam 09.29")
    kampung.clock.advance(timedelta(minutes=28))


async def test_large_send_shows_progress_at_most_once_a_minute(kampung: Kampung) -> None:
    await _scheduled_send(kampung, 60)
    await kampung.minute(8, batch=25)  # 25 rows a minute

    told = kampung.senders["local"].sent
    to_bu_rt = [(o.reply.text, o.kind) for o in told if o.address == "Bu RT"]
    progress = [text for text, _ in to_bu_rt if "terkirim" in text]
    assert progress == [  # when it starts, then at most once a minute
        "📣 Pengumuman #1: terkirim 0/60",
        "📣 Pengumuman #1: terkirim 24/60",  # the first progress line took a slot too
        "📣 Pengumuman #1: terkirim 48/60",
    ]
    report = to_bu_rt[-1][0]
    assert report.splitlines() == [
        "📊 Laporan pengumuman #1",
        "Penerima: 60",
        "Terkirim: 60",
        "Gagal: 0",
        "Sudah berhenti langganan: 0",
        "Perlu template WhatsApp (di luar 24 jam): 0",
    ]
    assert len(to_bu_rt) == 4
    # one progress row per minute at most: the keys say which minute's it was
    rows = [r for r in kampung.outbox() if r.idempotency_key.startswith("broadcast-progress:")]
    assert [r.created_at for r in rows] == sorted({r.created_at for r in rows})


async def test_small_sends_get_only_the_report(kampung: Kampung) -> None:
    await _scheduled_send(kampung, 49)
    await kampung.minute(6, batch=20)
    to_bu_rt = kampung.delivered("Bu RT")
    assert len(to_bu_rt) == 1 and to_bu_rt[0].startswith("📊 Laporan pengumuman #1")
    assert kampung.announcement().finished_at is not None
