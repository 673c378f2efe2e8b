"""`/atur`: the settings registry, the weekday-and-time reader, and who may change what."""

import pytest

from handlers.community_settings import SETTINGS, Setting, register_setting
from handlers.weekly_time import WeeklyTime, read_weekly_time, shown_weekly_time
from storage.models import Community
from tests.factories import Transcript


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Senin 08.00", WeeklyTime(0, 8, 0)),
        ("senin 8:00", WeeklyTime(0, 8, 0)),
        ("Senin 08", WeeklyTime(0, 8, 0)),
        ("SELASA 7.30", WeeklyTime(1, 7, 30)),
        ("Rabu jam 9", WeeklyTime(2, 9, 0)),
        ("kamis, 19:45", WeeklyTime(3, 19, 45)),
        ("Jumat 09.00", WeeklyTime(4, 9, 0)),
        ("jum'at 13.00", WeeklyTime(4, 13, 0)),
        ("Sabtu 00.00", WeeklyTime(5, 0, 0)),
        ("Minggu 23.59", WeeklyTime(6, 23, 59)),
        ("Ahad 6", WeeklyTime(6, 6, 0)),
        ("Monday 8:00", WeeklyTime(0, 8, 0)),
        ("fri 17:15", WeeklyTime(4, 17, 15)),
        ("sunday 10 WIB", WeeklyTime(6, 10, 0)),
        ("Senin", None),  # no time
        ("08.00", None),  # no day
        ("Senin 24.00", None),
        ("Senin 8.60", None),
        ("Senin pagi", None),
        ("Besok 08.00", None),
        ("Senin 8.5", None),  # minutes are two digits
        ("", None),
    ],
)
def test_reading_a_weekday_and_a_time(text: str, expected: WeeklyTime | None) -> None:
    assert read_weekly_time(text) == expected


def test_a_weekly_time_is_shown_the_way_each_language_writes_it() -> None:
    assert WeeklyTime(0, 8, 0).time == "08:00"
    assert shown_weekly_time(0, "08:00", "id") == "Senin 08.00"
    assert shown_weekly_time(4, "09:30", "en") == "Friday 09:30"


def test_a_setting_name_cannot_be_taken_twice() -> None:
    taken = SETTINGS[0]
    with pytest.raises(ValueError, match="clashes"):
        register_setting(
            Setting(names=taken.names[:1], line=taken.line, show=taken.show, change=taken.change)
        )


def _community(chat: Transcript) -> Community:
    with chat.core.open_session() as session:
        community = session.get(Community, chat.community.id)
        assert community is not None
        return community


async def test_a_coordinator_sees_and_changes_the_settings(chat: Transcript) -> None:
    await chat.join("Rina")
    chat.coordinator("Rina")
    overview = await chat.text("Rina", "/atur")
    assert "Pengaturan KBA 13 Ulu" in overview
    assert "Senin 08.00" in overview and "ATUR pasangan Senin 08.00" in overview
    assert "Rekomendasi per anggota per hari: 10" in overview

    saved = await chat.text("Rina", "/atur pasangan Jumat 9:30")
    assert "Jumat 09.30" in saved
    assert await chat.text("Rina", "/atur rekomendasi 5") == (
        "✅ Tersimpan: setiap anggota bisa memberi paling banyak 5 rekomendasi per hari."
    )
    community = _community(chat)
    assert (community.buddy_weekday, community.buddy_time) == (4, "09:30")
    assert community.recommendations_per_day == 5
    assert "Jumat 09.30" in await chat.text("Rina", "ATUR")


async def test_bad_values_get_an_example_and_change_nothing(chat: Transcript) -> None:
    await chat.join("Rina")
    chat.coordinator("Rina")
    for typed, example in [
        ("/atur pasangan besok pagi", "ATUR pasangan Senin 08.00"),
        ("/atur pasangan Senin 25.00", "ATUR pasangan Senin 08.00"),
        ("/atur rekomendasi 0", "ATUR rekomendasi 10"),
        ("/atur rekomendasi 51", "ATUR rekomendasi 10"),
        ("/atur rekomendasi banyak", "ATUR rekomendasi 10"),
        ("/atur rekomendasi", "ATUR rekomendasi 10"),
        ("/atur warna biru", "ATUR pasangan Senin 08.00"),
    ]:
        assert example in await chat.text("Rina", typed), typed
    community = _community(chat)
    assert (community.buddy_weekday, community.buddy_time) == (0, "08:00")
    assert community.recommendations_per_day == 10


async def test_english_and_plain_members(chat: Transcript) -> None:
    await chat.join("Rina")
    chat.coordinator("Rina")
    await chat.say("Rina", "LANGUAGE en")
    assert "Friday 17:00" in await chat.text("Rina", "/settings buddy friday 17")
    assert "Example: SETTINGS recommendations 10" in await chat.text("Rina", "/settings")

    await chat.join("Budi")
    refused = await chat.text("Budi", "/atur pasangan Selasa 08.00")
    assert "hanya untuk koordinator" in refused
    assert _community(chat).buddy_weekday == 4
