"""Repeating events: phrase -> RFC 5545 rule -> first occurrence -> occurrences -> words."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from handlers.events.recurrence import (
    DEFAULT_TIME,
    describe_recurrence,
    occurrences,
    read_recurrence,
)

WIB, WIT = "Asia/Jakarta", "Asia/Jayapura"
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(WIB))  # Monday


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


RULES = [
    # text, rule, first occurrence (None: no time given, DEFAULT_TIME)
    ("setiap bulan tanggal 10", "FREQ=MONTHLY;BYMONTHDAY=10", at(WIB, 2026, 12, 10, 8)),
    ("setiap bulan tanggal 10 jam 08.00", "FREQ=MONTHLY;BYMONTHDAY=10", at(WIB, 2026, 12, 10, 8)),
    ("tiap tanggal 5 jam 9", "FREQ=MONTHLY;BYMONTHDAY=5", at(WIB, 2026, 12, 5, 9)),
    (
        "sebulan sekali tanggal 10 pukul 13.00",
        "FREQ=MONTHLY;BYMONTHDAY=10",
        at(WIB, 2026, 12, 10, 13),
    ),
    ("setiap tanggal 30 jam 9", "FREQ=MONTHLY;BYMONTHDAY=30", at(WIB, 2026, 12, 30, 9)),
    ("setiap tanggal 30 jam 11", "FREQ=MONTHLY;BYMONTHDAY=30", at(WIB, 2026, 11, 30, 11)),
    ("setiap Selasa kedua", "FREQ=MONTHLY;BYDAY=2TU", at(WIB, 2026, 12, 8, 8)),
    ("setiap Selasa ke-2 jam 9", "FREQ=MONTHLY;BYDAY=2TU", at(WIB, 2026, 12, 8, 9)),
    ("setiap minggu kedua hari Selasa jam 9", "FREQ=MONTHLY;BYDAY=2TU", at(WIB, 2026, 12, 8, 9)),
    ("setiap Minggu kedua jam 7", "FREQ=MONTHLY;BYDAY=2SU", at(WIB, 2026, 12, 13, 7)),
    ("setiap Jumat terakhir jam 13.00", "FREQ=MONTHLY;BYDAY=-1FR", at(WIB, 2026, 12, 25, 13)),
    ("setiap Jumat", "FREQ=WEEKLY;BYDAY=FR", at(WIB, 2026, 12, 4, 8)),
    ("tiap minggu Sabtu 07.00", "FREQ=WEEKLY;BYDAY=SA", at(WIB, 2026, 12, 5, 7)),
    ("setiap hari Minggu jam 6", "FREQ=WEEKLY;BYDAY=SU", at(WIB, 2026, 12, 6, 6)),
    ("setiap Senin dan Kamis jam 16.00", "FREQ=WEEKLY;BYDAY=MO,TH", at(WIB, 2026, 11, 30, 16)),
    ("setiap Senin jam 9", "FREQ=WEEKLY;BYDAY=MO", at(WIB, 2026, 12, 7, 9)),
    (
        "setiap 2 minggu hari Sabtu jam 7",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        at(WIB, 2026, 12, 5, 7),
    ),
    ("setiap hari jam 5 pagi", "FREQ=DAILY", at(WIB, 2026, 12, 1, 5)),
    (
        "setiap tanggal 17 Agustus jam 7",
        "FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=17",
        at(WIB, 2027, 8, 17, 7),
    ),
    ("every second Tuesday at 9am", "FREQ=MONTHLY;BYDAY=2TU", at(WIB, 2026, 12, 8, 9)),
    ("every month on the 10th at 08:00", "FREQ=MONTHLY;BYMONTHDAY=10", at(WIB, 2026, 12, 10, 8)),
    ("every friday", "FREQ=WEEKLY;BYDAY=FR", at(WIB, 2026, 12, 4, 8)),
]


@pytest.mark.parametrize(("text", "rule", "first"), RULES, ids=[row[0] for row in RULES])
def test_reads_recurrence_rules(text: str, rule: str, first: datetime) -> None:
    recurrence = read_recurrence(text, now=NOW, zone=WIB)
    assert recurrence is not None
    assert recurrence.rule == rule
    assert recurrence.first == first
    assert recurrence.first > NOW
    assert recurrence.first.tzinfo == ZoneInfo(WIB)
    rrulestr(rule, dtstart=first.replace(tzinfo=None))  # a valid RFC 5545 value for dateutil


def test_without_a_time_the_default_is_used_and_said() -> None:
    recurrence = read_recurrence("setiap Jumat", now=NOW, zone=WIB)
    assert recurrence is not None
    assert not recurrence.time_given
    assert recurrence.first.time() == DEFAULT_TIME
    timed = read_recurrence("setiap Jumat jam 9", now=NOW, zone=WIB)
    assert timed is not None
    assert timed.time_given


def test_a_range_gives_the_first_occurrence_an_end() -> None:
    recurrence = read_recurrence("setiap Jumat 08.00-10.00", now=NOW, zone=WIB)
    assert recurrence is not None
    assert (recurrence.first, recurrence.end) == (at(WIB, 2026, 12, 4, 8), at(WIB, 2026, 12, 4, 10))


def test_read_in_the_community_zone() -> None:
    recurrence = read_recurrence("setiap bulan tanggal 10 jam 08.00", now=NOW, zone=WIT)
    assert recurrence is not None
    assert recurrence.first == at(WIT, 2026, 12, 10, 8)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "besok jam 7",
        "Selasa 10 Des 08.00",
        "setiap bulan",
        "setiap minggu kedua",
        "setiap bulan tanggal 35",
        "setiap tanggal 31 Februari",
        "setiap Jumat jam 25",
        "setiap Posyandu",
        "kapan-kapan",
    ],
)
def test_not_a_recurrence(text: str) -> None:
    assert read_recurrence(text, now=NOW, zone=WIB) is None


def test_monthly_occurrences_over_three_months() -> None:
    first = at(WIB, 2026, 12, 10, 8)
    found = occurrences(
        "FREQ=MONTHLY;BYMONTHDAY=10", first, after=NOW, until=NOW + timedelta(days=92), zone=WIB
    )
    assert found == [at(WIB, 2026, 12, 10, 8), at(WIB, 2027, 1, 10, 8), at(WIB, 2027, 2, 10, 8)]


def test_second_tuesday_occurrences_over_three_months() -> None:
    first = at(WIB, 2026, 12, 8, 8)
    found = occurrences(
        "FREQ=MONTHLY;BYDAY=2TU", first, after=NOW, until=at(WIB, 2027, 3, 1, 0), zone=WIB
    )
    assert found == [at(WIB, 2026, 12, 8, 8), at(WIB, 2027, 1, 12, 8), at(WIB, 2027, 2, 9, 8)]


def test_after_is_strict_and_until_inclusive() -> None:
    first = at(WIB, 2026, 12, 4, 8)
    found = occurrences(
        "FREQ=WEEKLY;BYDAY=FR", first, after=first, until=at(WIB, 2026, 12, 18, 8), zone=WIB
    )
    assert found == [at(WIB, 2026, 12, 11, 8), at(WIB, 2026, 12, 18, 8)]


def test_day_31_skips_short_months() -> None:
    first = at(WIB, 2026, 12, 31, 9)
    found = occurrences(
        "FREQ=MONTHLY;BYMONTHDAY=31", first, after=NOW, until=at(WIB, 2027, 4, 1, 0), zone=WIB
    )
    assert found == [at(WIB, 2026, 12, 31, 9), at(WIB, 2027, 1, 31, 9), at(WIB, 2027, 3, 31, 9)]


def test_interval_counts_from_the_first_occurrence() -> None:
    first = at(WIB, 2026, 12, 5, 7)
    found = occurrences(
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", first, after=NOW, until=at(WIB, 2027, 1, 1, 0), zone=WIB
    )
    assert found == [at(WIB, 2026, 12, 5, 7), at(WIB, 2026, 12, 19, 7)]


def test_occurrences_keep_the_wall_clock_across_daylight_saving() -> None:
    """Weekly 08.00 in Amsterdam stays 08.00 when the clocks go forward on 29 March 2026."""
    zone = "Europe/Amsterdam"
    first = at(zone, 2026, 3, 22, 8)
    found = occurrences(
        "FREQ=WEEKLY;BYDAY=SU",
        first,
        after=first - timedelta(seconds=1),
        until=at(zone, 2026, 4, 6, 0),
        zone=zone,
    )
    assert [moment.hour for moment in found] == [8, 8, 8]
    assert [moment.utcoffset() for moment in found] == [
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=2),
    ]


def test_occurrences_accept_utc_moments_and_answer_in_the_zone() -> None:
    first = at(WIB, 2026, 12, 10, 8).astimezone(ZoneInfo("UTC"))
    found = occurrences(
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=10",
        first,
        after=NOW.astimezone(ZoneInfo("UTC")),
        until=at(WIB, 2027, 1, 31, 0),
        zone=WIB,
    )
    assert found == [at(WIB, 2026, 12, 10, 8), at(WIB, 2027, 1, 10, 8)]
    assert all(moment.tzinfo == ZoneInfo(WIB) for moment in found)


def test_until_in_utc_inside_the_rule_is_honoured() -> None:
    first = at(WIB, 2026, 12, 4, 8)
    found = occurrences(
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261211T010000Z",
        first,
        after=NOW,
        until=at(WIB, 2027, 1, 31, 0),
        zone=WIB,
    )
    assert found == [at(WIB, 2026, 12, 4, 8), at(WIB, 2026, 12, 11, 8)]


DESCRIPTIONS = [
    ("FREQ=MONTHLY;BYMONTHDAY=10", "setiap bulan tanggal 10", "every month on the 10th"),
    ("FREQ=MONTHLY;BYMONTHDAY=1", "setiap bulan tanggal 1", "every month on the 1st"),
    ("FREQ=MONTHLY;BYMONTHDAY=22", "setiap bulan tanggal 22", "every month on the 22nd"),
    ("FREQ=MONTHLY;BYMONTHDAY=23", "setiap bulan tanggal 23", "every month on the 23rd"),
    ("FREQ=MONTHLY;BYMONTHDAY=11", "setiap bulan tanggal 11", "every month on the 11th"),
    (
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=5",
        "setiap 2 bulan tanggal 5",
        "every 2 months on the 5th",
    ),
    ("FREQ=MONTHLY;BYDAY=2TU", "setiap Selasa kedua", "every second Tuesday"),
    ("FREQ=MONTHLY;BYDAY=1SU", "setiap Minggu pertama", "every first Sunday"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "setiap Jumat terakhir", "every last Friday"),
    ("FREQ=WEEKLY;BYDAY=FR", "setiap Jumat", "every Friday"),
    ("FREQ=WEEKLY;BYDAY=MO,TH", "setiap Senin dan Kamis", "every Monday and Thursday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "setiap 2 minggu, hari Sabtu", "every 2 weeks on Saturday"),
    ("FREQ=DAILY", "setiap hari", "every day"),
    ("FREQ=DAILY;INTERVAL=3", "setiap 3 hari", "every 3 days"),
    (
        "FREQ=YEARLY;BYMONTH=8;BYMONTHDAY=17",
        "setiap tahun tanggal 17 Agustus",
        "every year on 17 August",
    ),
    ("FREQ=HOURLY", "berulang (FREQ=HOURLY)", "repeating (FREQ=HOURLY)"),
]


@pytest.mark.parametrize(
    ("rule", "indonesian", "english"), DESCRIPTIONS, ids=[r[0] for r in DESCRIPTIONS]
)
def test_describes_rules_in_both_languages(rule: str, indonesian: str, english: str) -> None:
    assert describe_recurrence(rule, lang="id") == indonesian
    assert describe_recurrence(rule, lang="en") == english


def test_every_phrase_read_is_described_back() -> None:
    for text, rule, _first in RULES:
        assert not describe_recurrence(rule, lang="id").startswith("berulang"), text
