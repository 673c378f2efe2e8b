"""The `.ics` file: made by /kalender and the card's button, parsed back with icalendar."""

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from handlers.clock import ManualClock
from storage.media import MediaStore
from tests.events.town import coordinator, create
from tests.factories import Transcript

WIB = ZoneInfo("Asia/Jakarta")


def calendar_of(town: Transcript, media_id: str) -> Calendar:
    store = MediaStore(town.core.settings.media_dir)
    with town.core.open_session() as session:
        media = store.get(session=session, media_id=media_id)
        assert media is not None
        assert media.content_type == "text/calendar" and media.member_id is None
        assert store.file_name(media).endswith(".ics")
        return Calendar.from_ical(store.read(media))


async def test_a_one_off_event_from_the_card_button(town: Transcript, clock: ManualClock) -> None:
    await coordinator(town)
    await town.join("Siti")
    await create(town, "Posyandu Melati | Kamis 10 Des 08.00 | Balai RW 05")
    await town.say("Siti", "/acara 1")
    [reply] = await town.press("Siti", "Tambah ke kalender")
    assert "Asia/Jakarta" in reply.text
    [media_id] = reply.documents
    calendar = calendar_of(town, media_id)
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Jakarta"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "event-1-202612100100@KBA13.guyub"
    assert str(event["SUMMARY"]) == "Posyandu Melati"
    assert str(event["LOCATION"]) == "Balai RW 05"
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 12, 10, 8, 0, tzinfo=WIB)
    assert event["DTSTART"].params["TZID"] == "Asia/Jakarta"
    assert "RRULE" not in event

    # the same event gives the same file (and link); another member gets it too
    [again] = await town.say("Siti", "KALENDER 1")
    assert again.documents == (media_id,)


async def test_a_recurring_event_with_a_moved_and_a_cancelled_date(
    town: Transcript, clock: ManualClock
) -> None:
    await coordinator(town)
    await create(town, "Posyandu Melati | setiap bulan tanggal 10 jam 08.00 | Balai RW 05")
    await town.say("Bu RT", "/ubahacara 1 ke-2 17-01-2027 08:00")
    await town.say("Bu RT", press="Ya, pindahkan")
    await town.say("Bu RT", "/batalacara 1 ke-3")
    await town.say("Bu RT", press="Ya, batalkan")
    [reply] = await town.say("Bu RT", "/kalender 1")
    calendar = calendar_of(town, reply.documents[0])
    master, override = calendar.walk("VEVENT")
    assert str(master["UID"]) == str(override["UID"]) == "event-1@KBA13.guyub"
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYMONTHDAY=10"
    assert master.decoded("DTSTART") == datetime(2026, 12, 10, 8, 0, tzinfo=WIB)
    assert b"EXDATE;TZID=Asia/Jakarta:20270210T080000" in master.to_ical()
    assert override.decoded("RECURRENCE-ID") == datetime(2027, 1, 10, 8, 0, tzinfo=WIB)
    assert override.decoded("DTSTART") == datetime(2027, 1, 17, 8, 0, tzinfo=WIB)


async def test_a_wit_community_gets_its_own_zone_and_bad_input_is_answered(
    town: Transcript, clock: ManualClock
) -> None:
    await coordinator(town)
    with town.core.open_session() as session:
        from storage.models import Community

        community = session.get(Community, town.community.id)
        assert community is not None
        community.timezone = "Asia/Jayapura"
        session.add(community)
        session.commit()
    await create(town, "Arisan | Kamis 10 Des 19.00 | Rumah Mama Yo")
    [reply] = await town.say("Bu RT", "/kalender 1")
    calendar = calendar_of(town, reply.documents[0])
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Jayapura"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(
        2026, 12, 10, 19, 0, tzinfo=ZoneInfo("Asia/Jayapura")
    )
    assert "tidak ditemukan" in await town.text("Bu RT", "/kalender 7")
    assert "nomor acara" in await town.text("Bu RT", "/kalender")
