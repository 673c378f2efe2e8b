"""Dates and times shown to people, in the community's zone and the member's language.

Shared by events, broadcasts and the digest. Weekday and month names come from Babel (CLDR),
the few connecting words ("pukul" / "at") from handlers/locales/dates.toml. Everything here is
pure: the moment to show is passed in, the clock is never read.
"""

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

from handlers.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

__all__ = ["INDONESIAN_ZONES", "full_date", "local", "short_date", "zone_info", "zone_label"]

INDONESIAN_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}
"""Indonesia's three zones by the names people know them: Western, Central, Eastern."""

_TIME_SEPARATOR = {"id": ".", "en": ":"}
"""Indonesian writes 08.00, English 08:00; both use the 24-hour clock."""

_LABEL_REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)
"""The moment whose abbreviation `zone_label` shows when it is given no moment of its own."""


@cache
def zone_info(name: str) -> ZoneInfo:
    """The zone called `name` (cached: ZoneInfo objects are meant to be shared)."""
    return ZoneInfo(name)


def local(moment: datetime, zone_name: str) -> datetime:
    """`moment` on the community's wall clock. A naive moment is UTC (that is how it is stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone_info(zone_name))


def zone_label(zone_name: str, *, at: datetime | None = None) -> str:
    """`WIB`, `WITA`, `WIT` for Indonesia; elsewhere the zone's abbreviation (`CET`) or offset.

    Abbreviations change with daylight saving, so pass `at` when showing a particular moment;
    without it the label in force on 1 January is shown.
    """
    if zone_name in INDONESIAN_ZONES:
        return INDONESIAN_ZONES[zone_name]
    moment = local(at or _LABEL_REFERENCE, zone_name)
    name = moment.tzname() or ""
    if name.isalpha():
        return name
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def _clock_time(moment: datetime, lang: str) -> str:
    return f"{moment:%H}{_TIME_SEPARATOR[lang]}{moment:%M}"


def full_date(moment: datetime, *, lang: str, zone: str) -> str:
    """`Kamis, 10 Desember 2026 pukul 08.00 WIB` / `Thursday, 10 December 2026 at 08:00 WIB`.

    For confirmations and reminders, where a misread date must be obvious to the reader.
    """
    lang = _lang(lang)
    shown = local(moment, zone)
    return t(
        lang,
        "dates.full",
        date=format_date(shown, "EEEE, d MMMM y", locale=lang),
        time=_clock_time(shown, lang),
        zone=zone_label(zone, at=shown),
    )


def short_date(moment: datetime, *, lang: str, zone: str) -> str:
    """`Kam 10 Des 08.00` / `Thu 10 Dec 08:00`: one line in a list, in the community's zone."""
    lang = _lang(lang)
    shown = local(moment, zone)
    return f"{format_date(shown, 'EEE d MMM', locale=lang)} {_clock_time(shown, lang)}"
