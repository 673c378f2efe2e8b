"""Dates shown in full and in lists, in the community's zone and the member's language."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.dates import full_date, short_date, zone_label

MOMENT = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # Thursday 10 December 2026, 08.00 WIB


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("Asia/Jakarta", "WIB"),
        ("Asia/Pontianak", "WIB"),
        ("Asia/Makassar", "WITA"),
        ("Asia/Jayapura", "WIT"),
        ("Asia/Tokyo", "JST"),
        ("UTC", "UTC"),
        ("Asia/Singapore", "UTC+8"),
        ("Asia/Kathmandu", "UTC+5:45"),
        ("America/Sao_Paulo", "UTC-3"),
    ],
)
def test_zone_labels(zone: str, label: str) -> None:
    assert zone_label(zone) == label


def test_zone_label_follows_daylight_saving_when_given_the_moment() -> None:
    assert zone_label("Europe/Amsterdam") == "CET"
    assert zone_label("Europe/Amsterdam", at=datetime(2026, 7, 1, tzinfo=UTC)) == "CEST"


@pytest.mark.parametrize(
    ("zone", "indonesian", "english"),
    [
        (
            "Asia/Jakarta",
            "Kamis, 10 Desember 2026 pukul 08.00 WIB",
            "Thursday, 10 December 2026 at 08:00 WIB",
        ),
        (
            "Asia/Makassar",
            "Kamis, 10 Desember 2026 pukul 09.00 WITA",
            "Thursday, 10 December 2026 at 09:00 WITA",
        ),
        (
            "Asia/Jayapura",
            "Kamis, 10 Desember 2026 pukul 10.00 WIT",
            "Thursday, 10 December 2026 at 10:00 WIT",
        ),
        (
            "America/New_York",
            "Rabu, 9 Desember 2026 pukul 20.00 EST",
            "Wednesday, 9 December 2026 at 20:00 EST",
        ),
    ],
)
def test_full_date(zone: str, indonesian: str, english: str) -> None:
    assert full_date(MOMENT, lang="id", zone=zone) == indonesian
    assert full_date(MOMENT, lang="en", zone=zone) == english


def test_the_issue_example_on_a_tuesday() -> None:
    tuesday = datetime(2024, 12, 10, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert full_date(tuesday, lang="id", zone="Asia/Jakarta") == (
        "Selasa, 10 Desember 2024 pukul 08.00 WIB"
    )
    assert full_date(tuesday, lang="en", zone="Asia/Jakarta") == (
        "Tuesday, 10 December 2024 at 08:00 WIB"
    )


@pytest.mark.parametrize(
    ("zone", "indonesian", "english"),
    [
        ("Asia/Jakarta", "Kam 10 Des 08.00", "Thu 10 Dec 08:00"),
        ("Asia/Jayapura", "Kam 10 Des 10.00", "Thu 10 Dec 10:00"),
    ],
)
def test_short_date(zone: str, indonesian: str, english: str) -> None:
    assert short_date(MOMENT, lang="id", zone=zone) == indonesian
    assert short_date(MOMENT, lang="en", zone=zone) == english


def test_naive_moments_are_utc_as_stored() -> None:
    naive = datetime(2026, 12, 10, 1, 0)  # noqa: DTZ001 (as SQLite hands it back)
    assert short_date(naive, lang="id", zone="Asia/Jakarta") == "Kam 10 Des 08.00"


def test_unknown_language_falls_back_to_indonesian() -> None:
    assert full_date(MOMENT, lang="fr", zone="Asia/Jakarta").endswith("pukul 08.00 WIB")
    assert short_date(MOMENT, lang="", zone="Asia/Jakarta") == "Kam 10 Des 08.00"


def test_midnight_and_single_digit_days() -> None:
    moment = datetime(2027, 1, 4, 0, 5, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert (
        full_date(moment, lang="id", zone="Asia/Jakarta") == "Senin, 4 Januari 2027 pukul 00.05 WIB"
    )
    assert short_date(moment, lang="en", zone="Asia/Jakarta") == "Mon 4 Jan 00:05"
