"""Reading event dates and times as Indonesians type them, against a fixed `now`.

`now` is Monday 30 November 2026, 10.00 WIB (12.00 WIT): the same instant in both zones.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.events.when import When, read_day, read_when, warm_up

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(WIB))


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


TABLE = [
    # The examples, in WIB.
    ("besok pagi jam 7", WIB, at(WIB, 2026, 12, 1, 7)),
    ("Minggu ini 06.30", WIB, at(WIB, 2026, 12, 6, 6, 30)),
    ("tanggal 15 pukul 09.00", WIB, at(WIB, 2026, 12, 15, 9)),
    ("15/1 jam 10", WIB, at(WIB, 2027, 1, 15, 10)),
    ("lusa pukul 16.00", WIB, at(WIB, 2026, 12, 2, 16)),
    ("hari ini jam 2 siang", WIB, at(WIB, 2026, 11, 30, 14)),
    ("malam ini jam 7", WIB, at(WIB, 2026, 11, 30, 19)),
    ("Rabu depan jam 9", WIB, at(WIB, 2026, 12, 9, 9)),
    ("Jumat minggu depan jam 13.30", WIB, at(WIB, 2026, 12, 11, 13, 30)),
    ("2 hari lagi jam 8", WIB, at(WIB, 2026, 12, 2, 8)),
    ("5 Feb jam 10", WIB, at(WIB, 2027, 2, 5, 10)),
    ("31-12-2026 19:00", WIB, at(WIB, 2026, 12, 31, 19)),
    ("01.02.2027 08:00", WIB, at(WIB, 2027, 2, 1, 8)),
    ("Senin, 4 Januari 2027 pukul 08.00 WIB", WIB, at(WIB, 2027, 1, 4, 8)),
    ("Selasa 8 Des 08.00", WIB, at(WIB, 2026, 12, 8, 8)),
    # Day/month order is Indonesian; a year-less date is the next one from today on.
    ("10/12 jam 8", WIB, at(WIB, 2026, 12, 10, 8)),
    ("1/12 jam 8", WIB, at(WIB, 2026, 12, 1, 8)),
    ("29/11 jam 8", WIB, at(WIB, 2027, 11, 29, 8)),
    ("30 Nov jam 8", WIB, at(WIB, 2026, 11, 30, 8)),  # today, already past: the caller says so
    ("29/2 jam 8", WIB, at(WIB, 2028, 2, 29, 8)),
    ("4 jan 27 jam 8", WIB, at(WIB, 2027, 1, 4, 8)),
    ("31/12/26 pukul 20.00", WIB, at(WIB, 2026, 12, 31, 20)),
    ("17 Agustus 2027 jam 7 pagi", WIB, at(WIB, 2027, 8, 17, 7)),
    ("tgl 15 Januari jam 9", WIB, at(WIB, 2027, 1, 15, 9)),
    ("tanggal 30 jam 8", WIB, at(WIB, 2026, 11, 30, 8)),
    ("tanggal 31 jam 8", WIB, at(WIB, 2026, 12, 31, 8)),
    ("tgl 5 pkl 10.00", WIB, at(WIB, 2026, 12, 5, 10)),
    # Relative days and weekdays.
    ("besok 07:00", WIB, at(WIB, 2026, 12, 1, 7)),
    ("bsk jam 7", WIB, at(WIB, 2026, 12, 1, 7)),
    ("seminggu lagi jam 9", WIB, at(WIB, 2026, 12, 7, 9)),
    ("dalam 3 hari jam 8", WIB, at(WIB, 2026, 12, 3, 8)),
    ("dua hari lagi jam 8", WIB, at(WIB, 2026, 12, 2, 8)),
    ("Senin jam 8", WIB, at(WIB, 2026, 12, 7, 8)),  # a bare weekday is after today
    ("Senin ini jam 15", WIB, at(WIB, 2026, 11, 30, 15)),
    ("Sabtu 7 pagi", WIB, at(WIB, 2026, 12, 5, 7)),
    ("hari minggu jam 7", WIB, at(WIB, 2026, 12, 6, 7)),
    ("Minggu depan jam 9", WIB, at(WIB, 2026, 12, 13, 9)),
    ("Jum'at depan ba jam 9", WIB, None),
    ("Jum'at depan jam 9", WIB, at(WIB, 2026, 12, 11, 9)),
    ("Kamis minggu ini jam 16.00", WIB, at(WIB, 2026, 12, 3, 16)),
    ("besok Selasa jam 8", WIB, at(WIB, 2026, 12, 1, 8)),
    # Parts of the day move the hour.
    ("besok jam 7 malam", WIB, at(WIB, 2026, 12, 1, 19)),
    ("besok jam 3 sore", WIB, at(WIB, 2026, 12, 1, 15)),
    ("besok jam 11 siang", WIB, at(WIB, 2026, 12, 1, 11)),
    ("nanti malam jam 8", WIB, at(WIB, 2026, 11, 30, 20)),
    ("jam 12 malam", WIB, at(WIB, 2026, 12, 1, 0)),
    ("jam 9 malam", WIB, at(WIB, 2026, 11, 30, 21)),
    ("besok jam 3", WIB, at(WIB, 2026, 12, 1, 3)),  # a bare hour is the 24-hour clock
    # English.
    ("tomorrow at 7pm", WIB, at(WIB, 2026, 12, 1, 19)),
    ("next friday 9am", WIB, at(WIB, 2026, 12, 11, 9)),
    ("in 3 days at 10:00", WIB, at(WIB, 2026, 12, 3, 10)),
    # The same words in Papua (WIT): read on the community's own calendar and clock.
    ("besok pagi jam 7", WIT, at(WIT, 2026, 12, 1, 7)),
    ("hari ini jam 2 siang", WIT, at(WIT, 2026, 11, 30, 14)),
    ("Rabu depan jam 9", WIT, at(WIT, 2026, 12, 9, 9)),
    ("5 Feb jam 10", WIT, at(WIT, 2027, 2, 5, 10)),
    ("31-12-2026 19:00", WIT, at(WIT, 2026, 12, 31, 19)),
    ("Senin, 4 Januari 2027 pukul 08.00 WIT", WIT, at(WIT, 2027, 1, 4, 8)),
    ("tanggal 15 pukul 09.00", WITA, at(WITA, 2026, 12, 15, 9)),
    # A zone typed after the time is read in that zone, shown in the community's.
    ("besok 10.00 WITA", WIB, at(WIB, 2026, 12, 1, 9)),
    ("besok 10.00 WIB", WIT, at(WIT, 2026, 12, 1, 12)),
]


@pytest.mark.parametrize(("text", "zone", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_reads_dates_as_people_type_them(text: str, zone: str, expected: datetime | None) -> None:
    when = read_when(text, now=NOW, zone=zone)
    if expected is None:
        assert when is None
        return
    assert when is not None
    assert when.start == expected
    assert when.start.tzinfo == ZoneInfo(zone)
    assert when.end is None


def test_the_table_is_long_enough() -> None:
    assert len(TABLE) >= 45


def test_late_in_the_day_wit_is_already_tomorrow_in_the_community() -> None:
    """At 23.00 WIB it is 01.00 WIT the next day: `besok` in Papua is two WIB days on."""
    late = datetime(2026, 11, 30, 23, 0, tzinfo=ZoneInfo(WIB))
    assert read_when("besok jam 7", now=late, zone=WIT) == When(at(WIT, 2026, 12, 2, 7))
    assert read_when("besok jam 7", now=late, zone=WIB) == When(at(WIB, 2026, 12, 1, 7))


def test_naive_now_is_utc() -> None:
    naive = datetime(2026, 11, 30, 3, 0)  # noqa: DTZ001 (as SQLite hands it back)
    assert read_when("besok jam 7", now=naive, zone=WIB) == When(at(WIB, 2026, 12, 1, 7))


UNREADABLE = [
    "",
    "   ",
    "tgl 35",
    "tanggal 0 jam 8",
    "kapan-kapan",
    "kapan-kapan jam 7",
    "31/2",
    "31/2 jam 8",
    "31/4/2027 jam 8",
    "jam 25",
    "jam 8.75",
    "besok jam 25",
    "jam 7 pagi sampai jam 99",
    "jam 13 pagi",
    "jam 9 siang",
    "besok jam 7 lusa jam 8",
    "besok 5 Feb jam 8",
    "Senin Rabu jam 8",
    "minggu depan jam 9",  # the week, with no day of it
    "Posyandu besok jam 7",
    "12/31 jam 8",  # month/day order is not Indonesian
]


@pytest.mark.parametrize("text", UNREADABLE)
def test_unreadable_text_gives_none(text: str) -> None:
    assert read_when(text, now=NOW, zone=WIB) is None
    assert read_day(text, now=NOW, zone=WIB) is None


ENDS = [
    ("besok 08.00-11.00", at(WIB, 2026, 12, 1, 8), at(WIB, 2026, 12, 1, 11)),
    ("besok 08.00 - 11.00", at(WIB, 2026, 12, 1, 8), at(WIB, 2026, 12, 1, 11)),
    ("besok 08.00 sampai 11.00", at(WIB, 2026, 12, 1, 8), at(WIB, 2026, 12, 1, 11)),
    ("besok jam 8 s/d 11.00", at(WIB, 2026, 12, 1, 8), at(WIB, 2026, 12, 1, 11)),
    ("besok jam 8 s.d. jam 11", at(WIB, 2026, 12, 1, 8), at(WIB, 2026, 12, 1, 11)),
    ("besok jam 8 hingga 11.30", at(WIB, 2026, 12, 1, 8), at(WIB, 2026, 12, 1, 11, 30)),
    ("Sabtu jam 2 sampai 4 sore", at(WIB, 2026, 12, 5, 14), at(WIB, 2026, 12, 5, 16)),
    ("besok jam 10-2", at(WIB, 2026, 12, 1, 10), at(WIB, 2026, 12, 1, 14)),
    ("besok jam 7 malam sampai jam 12 malam", at(WIB, 2026, 12, 1, 19), at(WIB, 2026, 12, 2, 0)),
    (
        "Senin, 4 Januari 2027 pukul 08.00-11.00 WIB",
        at(WIB, 2027, 1, 4, 8),
        at(WIB, 2027, 1, 4, 11),
    ),
    # An end before the start is returned as read: the caller refuses it.
    ("besok 11.00-08.00", at(WIB, 2026, 12, 1, 11), at(WIB, 2026, 12, 1, 8)),
]


@pytest.mark.parametrize(("text", "start", "end"), ENDS, ids=[row[0] for row in ENDS])
def test_reads_end_times(text: str, start: datetime, end: datetime) -> None:
    assert read_when(text, now=NOW, zone=WIB) == When(start, end)


def test_a_day_without_a_time_is_a_day_to_ask_the_time_for() -> None:
    assert read_when("besok pagi", now=NOW, zone=WIB) is None
    assert read_day("besok pagi", now=NOW, zone=WIB) == date(2026, 12, 1)
    assert read_day("tanggal 15", now=NOW, zone=WIB) == date(2026, 12, 15)
    assert read_day("Jumat minggu depan", now=NOW, zone=WIB) == date(2026, 12, 11)
    # The caller asks "jam berapa?" and reads the day and the answer together.
    when = read_when("besok pagi" + " " + "jam 7", now=NOW, zone=WIB)
    assert when == When(at(WIB, 2026, 12, 1, 7))


def test_a_time_alone_is_today() -> None:
    assert read_when("jam 16.00", now=NOW, zone=WIB) == When(at(WIB, 2026, 11, 30, 16))
    assert read_day("jam 16.00", now=NOW, zone=WIB) == date(2026, 11, 30)


def test_the_past_is_returned_for_the_caller_to_refuse() -> None:
    when = read_when("hari ini jam 8", now=NOW, zone=WIB)
    assert when is not None
    assert when.start < NOW
    when = read_when("1-1-2020 08:00", now=NOW, zone=WIB)
    assert when is not None
    assert when.start == at(WIB, 2020, 1, 1, 8)


def test_a_weekday_that_does_not_match_the_date_is_flagged_and_the_date_kept() -> None:
    when = read_when("Selasa 10 Des 08.00", now=NOW, zone=WIB)  # 10 December 2026 is a Thursday
    assert when == When(at(WIB, 2026, 12, 10, 8), weekday_mismatch=True)
    assert read_when("Kamis 10 Des 08.00", now=NOW, zone=WIB) == When(at(WIB, 2026, 12, 10, 8))


def test_minggu_is_sunday_with_a_capital_and_the_week_next_to_another_day() -> None:
    sunday = at(WIB, 2026, 12, 6, 7)
    assert read_when("Minggu jam 7", now=NOW, zone=WIB) == When(sunday)
    assert read_when("minggu jam 7", now=NOW, zone=WIB) == When(sunday)
    assert read_when("hari minggu ini jam 7", now=NOW, zone=WIB) == When(sunday)
    assert read_when("Sabtu minggu ini jam 7", now=NOW, zone=WIB) == When(at(WIB, 2026, 12, 5, 7))
    assert read_when("2 minggu lagi jam 7", now=NOW, zone=WIB) == When(at(WIB, 2026, 12, 14, 7))


def test_daylight_saving_is_respected_outside_indonesia() -> None:
    """A wall time on a day the clocks change keeps its wall time (Amsterdam, 29 March 2026)."""
    spring = datetime(2026, 3, 27, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    when = read_when("29/3 jam 10", now=spring, zone="Europe/Amsterdam")
    assert when is not None
    assert (when.start.hour, when.start.utcoffset()) == (
        10,
        ZoneInfo("Europe/Amsterdam").utcoffset(when.start),
    )
    assert when.start.isoformat() == "2026-03-29T10:00:00+02:00"


def test_emoji_and_capitals_do_not_get_in_the_way() -> None:
    assert read_when("🎉 BESOK JAM 7 🎉", now=NOW, zone=WIB) == When(at(WIB, 2026, 12, 1, 7))


def test_long_text_is_not_read() -> None:
    assert read_when("besok " * 30 + "jam 7", now=NOW, zone=WIB) is None
    assert read_day("1." * 100, now=NOW, zone=WIB) is None


def test_warm_up_loads_the_parser_once_and_changes_nothing() -> None:
    warm_up()
    assert read_when("5 Feb jam 10", now=NOW, zone=WIB) == When(at(WIB, 2027, 2, 5, 10))
