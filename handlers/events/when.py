"""When an event happens, read from what a coordinator types: `besok pagi jam 7`,
`Jumat minggu depan jam 13.30`, `31-12-2026 19:00`, `Senin, 4 Januari 2027 pukul 08.00 WIB`.

A thin layer reads what dateparser does not (relative days, `lusa`, weekday + `depan`,
`tanggal 15`, parts of the day, `.` as the time separator, time ranges) and hands the absolute
date that is left (`5 Feb`, `15/1`, `01.02.2027`, `4 Januari 2027`) to dateparser, day before
month. Pure: `now` is passed in and the clock is never read.

Decisions where people's words leave room:
- A day without a time is not an event time: `read_when` gives None and `read_day` gives the
  day, so the caller can ask "jam berapa?" and read the day and the answer together.
- A time without a day is today. The past is not refused here: the caller compares with `now`.
- A bare hour is the 24-hour clock (`jam 3` is 03.00); `pagi/siang/sore/malam` move it
  (`jam 2 siang` 14.00, `jam 7 malam` 19.00, `jam 12 malam` the midnight after that day).
- `Rabu` alone is the next Wednesday after today; `Rabu ini` the nearest one from today on;
  `Rabu depan` / `Rabu minggu depan` the Wednesday of next week (weeks start on Monday).
- A year-less date (`5 Feb`, `15/1`) is the next one from today on, and `tanggal 15` the next
  15th from today on; a date written with its year is taken as written.
- An end (`08.00-11.00`, `sampai 11.00`, `s/d 11.00`) is on the same day; an end that is not
  after the start is returned as is (the caller refuses it).
- A weekday that does not match the date (`Selasa 10 Des` when 10 December is a Thursday)
  keeps the date and sets `weekday_mismatch`, so the caller can say so.
- `WIB`/`WITA`/`WIT` typed after the time reads it in that zone; the result is always in the
  community's zone.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateparser.date import DateDataParser

from handlers.dates import local, zone_info
from handlers.events.phrases import (
    MONTHS,
    PARTS,
    WEEK_WORD,
    WEEKDAYS,
    ClockTime,
    TimeOfDay,
    blank,
    normalise,
    take_time,
)

__all__ = ["MAX_LENGTH", "When", "read_day", "read_when", "warm_up"]

MAX_LENGTH = 120
"""A date phrase is short; longer text is not read at all (and cannot make the reader slow)."""


@dataclass(frozen=True)
class When:
    """A moment read from text: aware, in the community's zone."""

    start: datetime
    end: datetime | None = None
    weekday_mismatch: bool = False
    """The text named a weekday that is not the date's weekday (the date wins)."""


_BASE_YEAR = 2000
"""dateparser fills a missing year from this fixed base (a leap year, so 29/2 reads); the
real year is chosen here, from `now`, so dateparser never looks at the clock."""

_PARSER = DateDataParser(
    languages=["id", "en"],
    settings={
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "future",
        "PREFER_DAY_OF_MONTH": "first",
        "RELATIVE_BASE": datetime(_BASE_YEAR, 1, 1),  # noqa: DTZ001 (a date, no zone meant)
        "REQUIRE_PARTS": ["day", "month"],
    },
)
"""One parser for the module: building its language data is the slow part (about 0.2 s once)."""

_ZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
_ZONE_WORD = re.compile(r"\b(wib|wita|wit)\b")

_PARTS = "|".join(PARTS)
_TODAY = re.compile(rf"\b(?:(?:{_PARTS}) ini|nanti(?: (?:{_PARTS}))?|hari ini|sekarang)\b")
_ANY_PART = re.compile(rf"\b(?:{_PARTS})\b")
_RELATIVE = re.compile(
    r"\b(?:(?P<tomorrow>besok)|(?P<after>lusa)"
    rf"|(?P<days>\d{{1,3}}) hari (?:lagi|kemudian)|dalam (?P<in_days>\d{{1,3}}) hari"
    rf"|(?P<weeks>\d{{1,2}}) {WEEK_WORD} (?:lagi|kemudian)"
    rf"|dalam (?P<in_weeks>\d{{1,2}}) {WEEK_WORD})\b"
)
_DAY_NAMES = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_WEEKDAY = re.compile(
    rf"\b(?P<day>{_DAY_NAMES})\b"
    rf"(?:\s+(?:hari\s+)?(?P<mod>ini|depan|{WEEK_WORD} ini|{WEEK_WORD} depan)\b)?"
)
_WEEK = re.compile(rf"\b{WEEK_WORD} (?P<mod>ini|depan)\b")
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_TANGGAL = re.compile(
    rf"\btanggal\s*(?P<day>\d{{1,3}})\b(?!\s*(?:[/.-]\s*\d|(?:{_MONTH_NAMES})\b))"
)
_FILLER = re.compile(
    r"\b(?:hari|tanggal|pada|di|ya|yaa|aja|saja|insyaallah|insya allah|inshaallah|mulai|acara"
    r"|jam|pukul|on|the|nanti)\b|[-.,:;!?()]"
)
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class _Reading:
    day: date | None
    time: TimeOfDay | None
    source_zone: str
    weekday_mismatch: bool = False


def _next_monthday(day: int, today: date) -> date | None:
    """The next `day`-th of a month from today on (`tanggal 31` skips months without a 31st)."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next_date(month: int, day: int, today: date) -> date | None:
    """The next `day` `month` from today on: `5 Feb` in December is next year's."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _weekday(number: int, modifier: str | None, today: date) -> date:
    """`Rabu` (next after today), `Rabu ini` (nearest from today on), `Rabu depan` (next week)."""
    ahead = (number - today.weekday()) % 7
    if modifier is None:
        return today + timedelta(days=ahead or 7)
    if modifier.endswith("depan"):
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=number)
    return today + timedelta(days=ahead)


def _absolute(fragment: str, today: date) -> date | None:
    """`5 Feb`, `15/1`, `31-12-2026`, `01.02.2027`, `4 Januari 2027` through dateparser."""
    found = _PARSER.get_date_data(fragment).date_obj
    if found is None:
        return None
    numbers = {int(number) for number in _NUMBER.findall(fragment)}
    if found.day not in numbers:
        return None  # dateparser read something relative ("dalam 3 hari"), not a date
    if found.year != _BASE_YEAR:
        if found.year not in numbers and found.year % 100 not in numbers:
            return None
        return found.date()
    if _BASE_YEAR in numbers:
        return found.date()
    return _next_date(found.month, found.day, today)


def _read(text: str, now: datetime, zone: str) -> _Reading | None:
    """Everything the text says about the day and the time, or None if it does not make sense."""
    if len(text) > MAX_LENGTH:
        return None
    phrase = normalise(text)
    if not phrase:
        return None
    today = local(now, zone).date()
    source_zone = zone
    zone_word = _ZONE_WORD.search(phrase)
    if zone_word:
        source_zone = _ZONES[zone_word.group(1)]
        phrase = blank(phrase, zone_word)
    clock, rest, ok = take_time(phrase)
    if not ok:
        return None

    days: list[date] = []
    named: list[date] = []
    if found := _TODAY.search(rest):
        days.append(today)
        rest = blank(rest, found)
    while found := _ANY_PART.search(rest):
        rest = blank(rest, found)
    while found := _RELATIVE.search(rest):
        if found["tomorrow"]:
            offset = 1
        elif found["after"]:
            offset = 2
        elif found["days"] or found["in_days"]:
            offset = int(found["days"] or found["in_days"])
        else:
            offset = 7 * int(found["weeks"] or found["in_weeks"])
        days.append(today + timedelta(days=offset))
        rest = blank(rest, found)

    week = _WEEK.search(rest)
    week_modifier = week["mod"] if week else None
    if week:
        rest = blank(rest, week)
    while found := _WEEKDAY.search(rest):
        modifier = found["mod"] or week_modifier
        named.append(_weekday(WEEKDAYS[found["day"]], modifier, today))
        rest = blank(rest, found)
    if week and not named:
        return None  # "minggu depan" with no day of that week

    if found := _TANGGAL.search(rest):
        monthday = _next_monthday(int(found["day"]), today)
        if monthday is None:
            return None
        days.append(monthday)
        rest = blank(rest, found)

    rest = _FILLER.sub(" ", rest).strip()
    if rest:
        if not any(character.isdigit() for character in rest):
            return None
        absolute = _absolute(rest, today)
        if absolute is None:
            return None
        days.append(absolute)

    if len(set(days)) > 1 or len({day.weekday() for day in named}) > 1:
        return None
    mismatch = False
    if days:
        day: date | None = days[0]
        mismatch = bool(named) and named[0].weekday() != days[0].weekday()
    elif named:
        day = named[0]
    else:
        day = today if clock else None
    if day is None and clock is None:
        return None
    return _Reading(day, clock, source_zone, mismatch)


def _moment(day: date, clock: ClockTime, source_zone: str, zone: str) -> datetime:
    wall = datetime.combine(
        day + timedelta(days=int(clock.next_day)), time(clock.hour, clock.minute)
    )
    # Through UTC, so a wall time skipped by a daylight-saving jump becomes a real instant.
    return local(wall.replace(tzinfo=zone_info(source_zone)).astimezone(UTC), zone)


def read_when(text: str, *, now: datetime, zone: str) -> When | None:
    """The moment `text` names, in `zone`; None if unreadable or if it names no time of day.

    The past is returned as read: the caller compares `start` with `now` ("sudah lewat").
    """
    reading = _read(text, now, zone)
    if reading is None or reading.day is None or reading.time is None:
        return None
    start = _moment(reading.day, reading.time.start, reading.source_zone, zone)
    end = None
    if reading.time.end is not None:
        end = _moment(reading.day, reading.time.end, reading.source_zone, zone)
    return When(start, end, reading.weekday_mismatch)


def read_day(text: str, *, now: datetime, zone: str) -> date | None:
    """The day `text` names even without a time (`besok pagi`, `tanggal 15`), in `zone`.

    With `read_when` giving None and this a day, the caller asks only for the time.
    """
    reading = _read(text, now, zone)
    return reading.day if reading is not None else None


def warm_up() -> None:
    """Load dateparser's language data now (about 0.5 s) rather than on a member's first date."""
    _PARSER.get_date_data("5 Feb 2027")
