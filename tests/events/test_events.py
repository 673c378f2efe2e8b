"""Creating, listing and showing events; a monthly event over three months with one date
moved and one cancelled; communities in WIB and WIT on the same clock; bad input.

The clock starts on Monday 7 December 2026, 09:00 WIB.
"""

from datetime import UTC, datetime, timedelta

from bot.app import Core
from handlers.clock import ManualClock
from handlers.events.create import read_capacity
from handlers.events.schedule import occurrences_between
from storage.models import Community
from tests.events.town import answers, coordinator, create, events, exceptions
from tests.factories import Transcript, make_community


async def test_one_line_is_confirmed_in_full_before_anything_is_stored(town: Transcript) -> None:
    await coordinator(town)
    await town.join("Siti")
    text = await town.text("Bu RT", "/acara Posyandu Melati | Kamis 10 Des 08.00 | Balai RW 05")
    assert "Periksa dulu" in text
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIB" in text
    assert "📍 Balai RW 05" in text
    assert events(town) == []  # nothing before Ya

    done = await town.texts("Bu RT", press="Ya, simpan")
    assert "Acara #1 Posyandu Melati tersimpan" in done[0]
    assert "✅ Hadir 0 · ❔ Mungkin 0 · ❌ Tidak 0" in done[1]
    (event,) = events(town)
    assert event.starts_at == datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # 08.00 WIB
    assert (event.place, event.rule, event.capacity) == ("Balai RW 05", None, None)

    listing = await town.text("Siti", "/acara")
    assert "#1 Posyandu Melati — Kam 10 Des 08.00 — Balai RW 05" in listing
    card = await town.text("Siti", press="Posyandu")
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIB" in card
    assert town.buttons("Siti") == ["✅ Hadir", "❔ Mungkin", "❌ Tidak", "📅 Tambah ke kalender"]


async def test_english_and_capacity_in_the_one_line(town: Transcript) -> None:
    await coordinator(town)
    await town.say("Bu RT", "LANGUAGE en")
    text = await town.text("Bu RT", "/event Bazaar | 31-12-2026 19:00 | Lapangan | kuota 30")
    assert "Thursday, 31 December 2026 at 19:00 WIB" in text
    assert "Capacity 30 people" in text
    done = await town.texts("Bu RT", press="Yes, save")
    assert "Event #1 Bazaar saved" in done[0]
    assert events(town)[0].capacity == 30


async def test_guided_flow_asks_again_until_right_and_cancel_stores_nothing(
    town: Transcript,
) -> None:
    await coordinator(town)
    assert "nama acaranya" in (await town.texts("Bu RT", "/acara baru"))[0]
    assert "Kapan" in (await town.texts("Bu RT", "Arisan RT 03"))[0]
    for unreadable in ("kapan-kapan", "tgl 35"):
        again = await town.texts("Bu RT", unreadable)
        assert "belum terbaca" in again[0] and "contoh: " in again[0]
    past = await town.texts("Bu RT", "01-12-2026 08:00")
    assert "sudah lewat" in past[0] and "Selasa, 1 Desember 2026 pukul 08.00 WIB" in past[0]
    assert "Di mana" in (await town.texts("Bu RT", "31-12-2026 19:00"))[0]
    assert "kuota" in (await town.texts("Bu RT", press="Lewati"))[0]
    for bad in ("0", "-5", "banyak"):
        assert "lebih dari 0" in (await town.texts("Bu RT", bad))[0], bad
    confirm = await town.text("Bu RT", "30 orang")
    assert "Arisan RT 03" in confirm and "Kuota 30 orang" in confirm
    assert "Kamis, 31 Desember 2026 pukul 19.00 WIB" in confirm
    assert "Periksa" in await town.text("Bu RT", "hmm")  # asked again with its buttons
    assert "tidak jadi dibuat" in (await town.texts("Bu RT", press="Batal"))[0]
    assert events(town) == []

    await town.say("Bu RT", "/acara baru")
    await town.say("Bu RT", "Arisan RT 03")
    await town.say("Bu RT", "31-12-2026 19:00")
    await town.say("Bu RT", "Rumah Bu Siti")
    await town.say("Bu RT", press="Tanpa batas")
    assert "tersimpan" in (await town.texts("Bu RT", "ya"))[0]
    (event,) = events(town)
    assert (event.title, event.place, event.capacity) == ("Arisan RT 03", "Rumah Bu Siti", None)


async def test_one_line_with_bad_parts_asks_for_them(town: Transcript) -> None:
    await coordinator(town)
    again = await town.texts("Bu RT", "/acara Rapat koperasi | kapan-kapan | Balai")
    assert "belum terbaca" in again[0]
    quota = await town.texts("Bu RT", "31-12-2026 19:00")
    assert "Periksa" in quota[0]
    for bad in ("kuota 0", "kuota -3"):
        asked = await town.texts("Bu RT", f"/acara Rapat | 31-12-2026 19:00 | Balai | {bad}")
        assert "lebih dari 0" in asked[0], bad
    tuesday = await town.text("Bu RT", "/acara Posyandu | Selasa 10 Des 08.00 | Balai RW 05")
    assert "Kamis, 10 Desember 2026" in tuesday and "tidak cocok" in tuesday  # the 10th: Thu
    await town.say("Bu RT", "BATAL")
    ended = await town.texts("Bu RT", "/acara Rapat | 31-12-2026 19:00-17:00 | Balai")
    assert "tidak boleh sebelum jam mulai" in ended[0]
    weekly = await town.texts("Bu RT", "/acara Senam | setiap Jumat jam 07.00-06.00 | Lapangan")
    assert "tidak boleh sebelum jam mulai" in weekly[0]
    assert events(town) == []
    assert read_capacity("kuota 30") == 30 and read_capacity("maks 12 orang") == 12
    assert read_capacity("0") is None and read_capacity("-1") is None


async def test_plain_members_may_list_but_not_create_or_manage(town: Transcript) -> None:
    await coordinator(town)
    await town.join("Siti")
    empty = await town.texts("Siti", "/acara")
    assert "Belum ada acara" in empty[0] and town.buttons("Siti") == []
    await town.texts("Bu RT", "/acara")
    assert town.buttons("Bu RT") == ["➕ Buat acara baru"]
    assert "Apa nama acaranya" in (await town.texts("Bu RT", press="➕ Buat acara baru"))[0]
    await town.say("Bu RT", "BATAL")
    for attempt in ("/acara baru", "/acara Pesta | 31-12-2026 19:00 | Rumah"):
        assert "hanya koordinator" in (await town.texts("Siti", attempt))[0], attempt
    await create(town, "Posyandu | Kamis 10 Des 08.00 | Balai")
    for attempt in ("/peserta 1", "/ubahacara 1 31-12-2026 19:00", "/batalacara 1"):
        assert "hanya untuk koordinator" in (await town.texts("Siti", attempt))[0], attempt
    assert exceptions(town) == [] and events(town)[0].cancelled_at is None


async def test_another_communitys_event_is_not_found(town: Transcript, core: Core) -> None:
    make_community(core, name="Kampung Papua", invite="PAPUA", timezone="Asia/Jayapura")
    await coordinator(town, "Pak Yan", invite="PAPUA")
    await create(town, "Rapat | Kamis 10 Des 08.00 | Gereja", who="Pak Yan")
    await coordinator(town)
    await town.join("Siti")
    for who, attempt in (
        ("Siti", "/acara 1"),
        ("Siti", "/hadir 1"),
        ("Siti", "HADIR 1"),
        ("Bu RT", "/peserta 1"),
        ("Bu RT", "/ubahacara 1 31-12-2026 19:00"),
        ("Bu RT", "/batalacara 1 semua"),
    ):
        assert "tidak ditemukan" in (await town.texts(who, attempt))[0], attempt
    assert answers(town) == [] and exceptions(town) == []
    assert "Belum ada acara" in (await town.texts("Siti", "/acara"))[0]


async def test_wib_and_wit_read_the_same_words_in_their_own_zone(
    town: Transcript, core: Core
) -> None:
    make_community(core, name="Kampung Papua", invite="PAPUA", timezone="Asia/Jayapura")
    await coordinator(town)
    await coordinator(town, "Pak Yan", invite="PAPUA")
    wib = await town.text("Bu RT", "/acara Posyandu | Kamis 10 Des 08.00 | Balai")
    wit = await town.text("Pak Yan", "/acara Posyandu | Kamis 10 Des 08.00 | Balai")
    assert "pukul 08.00 WIB" in wib and "pukul 08.00 WIT" in wit
    await town.say("Bu RT", press="Ya, simpan")
    await town.say("Pak Yan", press="Ya, simpan")
    jakarta, jayapura = events(town)
    assert jakarta.starts_at - jayapura.starts_at == timedelta(hours=2)
    # 10.00 today: an hour ahead in Jakarta (09.00), already past in Jayapura (11.00)
    later = await town.texts("Bu RT", "/acara Rapat | 07-12-2026 10:00 | Balai")
    assert "Periksa" in later[0]
    past = await town.texts("Pak Yan", "/acara Rapat | 07-12-2026 10:00 | Balai")
    assert "sudah lewat" in past[0] and "10.00 WIT" in past[0]


async def test_a_monthly_posyandu_over_three_months_with_one_date_moved_and_one_cancelled(
    town: Transcript, clock: ManualClock
) -> None:
    await coordinator(town)
    await town.join("Siti")
    await town.join("Budi")
    confirm = await town.text(
        "Bu RT", "/acara Posyandu Melati | setiap bulan tanggal 10 jam 08.00 | Balai RW 05"
    )
    assert "🔁 setiap bulan tanggal 10" in confirm
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIB" in confirm
    await town.say("Bu RT", press="Ya, simpan")
    assert events(town)[0].rule == "FREQ=MONTHLY;BYMONTHDAY=10"

    await town.say("Siti", "/hadir 1")  # December
    await town.say("Siti", "/hadir 1 ke-2")  # January
    await town.say("Budi", "MUNGKIN 1 ke-2")
    await town.say("Budi", "/tidak 1 ke-3")  # February

    move = await town.text("Bu RT", "/ubahacara 1 ke-2 12-01-2027 08:00")
    assert "Minggu, 10 Januari 2027 pukul 08.00 WIB" in move
    assert "Selasa, 12 Januari 2027 pukul 08.00 WIB" in move
    assert "2 orang diberi tahu" in (await town.texts("Bu RT", press="Ya, pindahkan"))[0]
    cancel = await town.text("Bu RT", "/batalacara 1 ke-3")
    assert "Rabu, 10 Februari 2027 pukul 08.00 WIB" in cancel
    assert "0 orang diberi tahu" in (await town.texts("Bu RT", press="Ya, batalkan"))[0]
    moved_note = "dipindah ke Selasa, 12 Januari 2027 pukul 08.00 WIB"
    assert any(moved_note in text for text in town.delivered("Siti"))
    assert any(moved_note in text for text in town.delivered("Budi"))  # Mungkin hears it
    assert not any("Februari" in text for text in town.delivered("Budi"))  # Tidak does not

    with town.core.open_session() as session:
        dates = occurrences_between(
            session,
            events(town)[0],
            after=clock.now(),
            until=datetime(2027, 3, 31, tzinfo=UTC),
            zone="Asia/Jakarta",
        )
    assert [(o.starts_at.day, o.starts_at.month, o.moved, o.cancelled) for o in dates] == [
        (10, 12, False, False),
        (12, 1, True, False),
        (10, 2, False, True),
        (10, 3, False, False),
    ]

    clock.set(datetime(2026, 12, 11, 2, 0, tzinfo=UTC))
    card = await town.text("Siti", "/acara 1")
    assert "Selasa, 12 Januari 2027 pukul 08.00 WIB" in card
    assert "dipindah dari Minggu, 10 Januari 2027" in card
    assert "Jawaban Anda: Hadir" in card  # her answer followed the move
    assert "✅ Hadir 1 · ❔ Mungkin 1 · ❌ Tidak 0" in card
    assert "Kam 10 Des" not in await town.text("Siti", "/acara")
    late = await town.texts("Siti", "/tidak 1 202612100100")  # December has passed
    assert "sudah dimulai" in late[0]

    clock.set(datetime(2027, 1, 13, 2, 0, tzinfo=UTC))
    assert "Rabu, 10 Maret 2027 pukul 08.00 WIB" in await town.text("Siti", "/acara 1")
    assert "Belum ada acara" in await town.text("Siti", "/acara")  # March is 56 days away
    cancelled = await town.texts("Siti", "/hadir 1 202702100100")
    assert "dibatalkan" in cancelled[0]
    assert len(answers(town)) == 4  # nothing was counted by the refused answers


async def test_cancelling_the_whole_event_tells_each_person_once(town: Transcript) -> None:
    await coordinator(town)
    await town.join("Siti")
    await create(town, "Posyandu | setiap bulan tanggal 10 jam 08.00 | Balai")
    await town.say("Siti", "/hadir 1")
    await town.say("Siti", "/mungkin 1 ke-2")
    assert "semua jadwalnya" in (await town.texts("Bu RT", "/batalacara 1 semua"))[0]
    assert "Baik, tidak ada yang diubah" in (await town.texts("Bu RT", press="Jangan"))[0]
    assert events(town)[0].cancelled_at is None
    await town.say("Bu RT", "/batalacara 1 semua")
    assert "1 orang diberi tahu" in (await town.texts("Bu RT", "ya"))[0]
    notices = [t for t in town.delivered("Siti") if "dibatalkan" in t]
    assert notices == [
        "❌ Acara #1 Posyandu dibatalkan, semua jadwalnya. Mohon maaf atas perubahannya."
    ]
    assert "sudah dibatalkan" in (await town.texts("Siti", "/hadir 1"))[0]
    assert "Belum ada acara" in (await town.texts("Siti", "/acara"))[0]


async def test_moving_to_a_past_or_unreadable_time_changes_nothing(town: Transcript) -> None:
    await coordinator(town)
    await create(town, "Posyandu | Kamis 10 Des 08.00 | Balai")
    assert "sudah lewat" in (await town.texts("Bu RT", "/ubahacara 1 01-12-2026 08:00"))[0]
    assert "belum terbaca" in (await town.texts("Bu RT", "/ubahacara 1 kapan-kapan"))[0]
    assert "Tulis nomor acara" in (await town.texts("Bu RT", "/ubahacara"))[0]
    assert "Tulis nomor acara" in (await town.texts("Bu RT", "/ubahacara 1"))[0]
    assert exceptions(town) == []


def test_a_community_row_carries_the_reminder_default(community: Community) -> None:
    assert community.event_reminders == ["-1d@18:00", "-2h"]
