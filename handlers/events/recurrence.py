"""Repeating events: `setiap bulan tanggal 10`, `setiap Selasa kedua`, `tiap minggu Sabtu 07.00`.

A phrase becomes an RFC 5545 rule (the RRULE value, e.g. `FREQ=MONTHLY;BYDAY=2TU`) that
python-dateutil expands and the `.ics` file carries as is. Occurrences are computed on the
community's wall clock (a posyandu at 08.00 stays at 08.00 across a daylight-saving change)
and returned as aware datetimes. Pure: `now` is passed in.

Decisions where people's words leave room:
- No time given (`setiap Jumat`): the rule is still read, `time_given` is False and the
  occurrences are at `DEFAULT_TIME` (08.00), so the caller can ask "jam berapa?" or accept it.
- `setiap bulan tanggal 31` keeps RFC 5545 semantics: months without a 31st are skipped.
- A phrase that repeats but names no day (`setiap bulan`, `setiap minggu jam 7`) is not read.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from babel import Locale
from babel.dates import format_date, get_day_names
from babel.lists import format_list
from babel.numbers import format_decimal
from dateutil.rrule import rrule, rrulestr

from handlers.dates import local, zone_info
from handlers.events.phrases import (
    MONTHS,
    ORDINALS,
    WEEK_WORD,
    WEEKDAYS,
    blank,
    normalise,
    take_time,
)
from handlers.events.when import MAX_LENGTH
from handlers.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

__all__ = ["DEFAULT_TIME", "Recurrence", "describe_recurrence", "occurrences", "read_recurrence"]

DEFAULT_TIME = time(8, 0)
"""The time of a recurrence typed without one: morning, when posyandu and arisan usually start."""


@dataclass(frozen=True)
class Recurrence:
    """A repeating event: its RFC 5545 rule and the first occurrence after `now`."""

    rule: str
    first: datetime
    time_given: bool = True
    """False when the text named no time and `first` is at DEFAULT_TIME."""
    end: datetime | None = None
    """The first occurrence's end, when a range was typed (`setiap Jumat 08.00-10.00`)."""


_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_UNITS = {"hari": "DAILY", WEEK_WORD: "WEEKLY", "bulan": "MONTHLY", "tahun": "YEARLY"}
_UNIT_WORDS = "|".join(_UNITS)

_MARKER = re.compile(
    rf"\b(?:setiap|tiap|saban|per)\b|\bsekali\b|\b(?:{_UNIT_WORDS})an\b|\bberulang\b"
)
_DAY_NAMES = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL_WORDS = "|".join(sorted(ORDINALS, key=len, reverse=True))
_ORDINAL = re.compile(rf"\b(?:(?P<word>{_ORDINAL_WORDS})|ke(?P<digit>[1-5]))\b")
_WEEKDAY = re.compile(rf"\b(?P<day>{_DAY_NAMES})\b")
_MONTHDAY = re.compile(rf"\btanggal\s*(?P<day>\d{{1,3}})\b(?:\s*(?P<month>{_MONTH_NAMES})\b)?")
_INTERVAL = re.compile(rf"\b(?P<count>\d{{1,2}})\s*(?P<unit>{_UNIT_WORDS})\b")
_UNIT = re.compile(rf"\b(?P<unit>{_UNIT_WORDS})(?:an)?\b")
_FILLER = re.compile(
    r"\b(?:setiap|tiap|saban|per|sekali|berulang|pada|di|dan|jam|pukul|mulai|acara|on|the"
    r"|ya|aja|saja|nya)\b|[-.,:;!?()]"
)


def read_recurrence(text: str, *, now: datetime, zone: str) -> Recurrence | None:
    """The repeating rule `text` names, or None if it is not a recurrence phrase."""
    if len(text) > MAX_LENGTH:
        return None
    phrase = normalise(text)
    if not _MARKER.search(phrase):
        return None
    clock, rest, ok = take_time(phrase)
    if not ok:
        return None
    for part in ("pagi", "siang", "sore", "petang", "malam", "dini hari", "subuh"):
        rest = re.sub(rf"\b{part}\b", " ", rest)

    interval = 1
    unit: str | None = None
    if found := _INTERVAL.search(rest):
        interval, unit = int(found["count"]), _UNITS[found["unit"]]
        rest = blank(rest, found)
    position: int | None = None
    if found := _ORDINAL.search(rest):
        position = ORDINALS[found["word"]] if found["word"] else int(found["digit"])
        rest = blank(rest, found)
    days: list[int] = []
    while found := _WEEKDAY.search(rest):
        if WEEKDAYS[found["day"]] not in days:
            days.append(WEEKDAYS[found["day"]])
        rest = blank(rest, found)
    monthday = month = None
    if found := _MONTHDAY.search(rest):
        monthday = int(found["day"])
        month = MONTHS[found["month"]] if found["month"] else None
        rest = blank(rest, found)
    while found := _UNIT.search(rest):
        unit = unit or _UNITS[found["unit"]]
        rest = blank(rest, found)
    if _FILLER.sub(" ", rest).strip():
        return None  # words that are not part of a rule: let the caller try a single date

    rule = _rule(unit, interval, position, days, monthday, month)
    if rule is None:
        return None
    at = time(clock.start.hour, clock.start.minute) if clock else DEFAULT_TIME
    first = _first(rule, at, now, zone)
    if first is None:
        return None
    end = None
    if clock and clock.end:
        end_wall = datetime.combine(first.date(), time(clock.end.hour, clock.end.minute))
        end = _aware(end_wall + timedelta(days=int(clock.end.next_day)), zone)
    return Recurrence(rule, first, time_given=clock is not None, end=end)


def _rule(
    unit: str | None,
    interval: int,
    position: int | None,
    days: list[int],
    monthday: int | None,
    month: int | None,
) -> str | None:
    """The RRULE value for what was read, or None if the parts do not make one rule."""
    every = f";INTERVAL={interval}" if interval > 1 else ""
    byday = ",".join(_RRULE_DAYS[day] for day in sorted(days))
    if not 1 <= interval <= 52:
        return None
    if monthday is not None:
        if days or position is not None or not 1 <= monthday <= 31:
            return None
        if month is not None or unit == "YEARLY":
            if month is None:
                return None
            try:
                datetime(2000, month, monthday)  # noqa: DTZ001 (only checks 31 April etc.)
            except ValueError:
                return None
            return f"FREQ=YEARLY{every};BYMONTH={month};BYMONTHDAY={monthday}"
        if unit not in (None, "MONTHLY"):
            return None
        return f"FREQ=MONTHLY{every};BYMONTHDAY={monthday}"
    if position is not None:
        if len(days) != 1 or unit not in (None, "MONTHLY", "WEEKLY"):
            return None  # "setiap minggu kedua" with no day, or two days
        return f"FREQ=MONTHLY{every};BYDAY={position}{byday}"
    if days:
        if unit not in (None, "WEEKLY", "DAILY"):
            return None
        return f"FREQ=WEEKLY{every};BYDAY={byday}"
    if unit == "DAILY":
        return f"FREQ=DAILY{every}"
    return None


def _aware(wall: datetime, zone: str) -> datetime:
    """A wall-clock time in `zone`, through UTC so a skipped hour becomes a real instant."""
    return local(wall.replace(tzinfo=zone_info(zone)).astimezone(UTC), zone)


def _rule_set(rule: str, start: datetime, zone: str) -> rrule:
    """dateutil's rule from its RRULE value, on naive wall-clock times of `zone` from `start`."""
    value = rule.removeprefix("RRULE:")

    def wall_until(match: re.Match[str]) -> str:
        moment = datetime.strptime(match[1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return f"UNTIL={local(moment, zone):%Y%m%dT%H%M%S}"

    # RFC 5545 writes UNTIL in UTC (`...Z`) when the start has a zone: make it wall-clock too.
    value = re.sub(r"UNTIL=(\d{8}T\d{6})Z", wall_until, value)
    parsed = rrulestr(value, dtstart=start)
    if not isinstance(parsed, rrule):
        raise ValueError(f"not a single RRULE: {rule!r}")
    return parsed


def _first(rule: str, at: time, now: datetime, zone: str) -> datetime | None:
    """The first occurrence strictly after `now`: the earliest, so an interval counts from it."""
    today = local(now, zone).date()
    found = occurrences(
        re.sub(r";INTERVAL=\d+", "", rule),
        _aware(datetime.combine(today, at), zone),
        after=now,
        until=now + timedelta(days=366 * 8),
        zone=zone,
        limit=1,
    )
    return found[0] if found else None


def occurrences(
    rule: str,
    first: datetime,
    *,
    after: datetime,
    until: datetime,
    zone: str,
    limit: int | None = None,
) -> list[datetime]:
    """The occurrences of `rule` counted from `first`, strictly after `after`, up to `until`.

    Expanded on the wall clock of `zone` (the time of day never drifts with daylight saving),
    returned aware in `zone`. `first` anchors the rule (its time of day and, for intervals,
    the weeks or months counted); it is itself an occurrence only if it matches the rule.
    """
    start = local(first, zone).replace(tzinfo=None)
    expanded = _rule_set(rule, start, zone)
    low = local(after, zone).replace(tzinfo=None) - timedelta(days=1)
    high = local(until, zone).replace(tzinfo=None) + timedelta(days=1)
    found: list[datetime] = []
    for wall in expanded.xafter(max(low, start), inc=True):
        if wall > high:
            break
        moment = _aware(wall, zone)
        if after < moment <= until:
            found.append(moment)
            if limit is not None and len(found) >= limit:
                break
    return found


def _parts(rule: str) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in rule.removeprefix("RRULE:").split(";") if "=" in item)
    return {key.upper(): value.upper() for key, value in pairs}


_ORDINAL_KEYS = {
    "one": "dates.ordinal.one",
    "two": "dates.ordinal.two",
    "few": "dates.ordinal.few",
    "other": "dates.ordinal.other",
}
_POSITION_KEYS = {
    1: "dates.position.first",
    2: "dates.position.second",
    3: "dates.position.third",
    4: "dates.position.fourth",
    5: "dates.position.fifth",
    -1: "dates.position.last",
}
_BYDAY = re.compile(r"^(?P<position>[+-]?\d)?(?P<day>MO|TU|WE|TH|FR|SA|SU)$")


def _monthday(number: int, lang: str) -> str:
    category = str(Locale.parse(lang).ordinal_form(number))
    key = _ORDINAL_KEYS[category] if category in _ORDINAL_KEYS else _ORDINAL_KEYS["other"]
    return t(lang, key, n=number)


def describe_recurrence(rule: str, *, lang: str) -> str:
    """`setiap bulan tanggal 10` / `every month on the 10th`; `setiap Selasa kedua` /
    `every second Tuesday`. A rule this module did not write is shown as its RRULE."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    parts = _parts(rule)
    frequency = parts.get("FREQ")
    interval = int(parts.get("INTERVAL", "1"))
    names = get_day_names("wide", locale=lang)
    bydays = [_BYDAY.match(item) for item in parts.get("BYDAY", "").split(",") if item]
    known = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"}
    if set(parts) - known or not all(bydays):
        return t(lang, "dates.every.other", rule=rule)
    days = [names[_RRULE_DAYS.index(match["day"])] for match in bydays if match]
    positions = [int(match["position"]) for match in bydays if match and match["position"]]
    monthday = parts.get("BYMONTHDAY", "")
    count = format_decimal(interval, locale=lang)
    if frequency == "DAILY" and not bydays:
        if interval == 1:
            return t(lang, "dates.every.day")
        return t(lang, "dates.every.days", interval=count)
    if frequency == "WEEKLY" and days and not positions:
        listed = format_list(days, locale=lang)
        if interval == 1:
            return t(lang, "dates.every.weekday", days=listed)
        return t(lang, "dates.every.weeks", interval=count, days=listed)
    if frequency == "MONTHLY" and monthday.isdigit() and not bydays and interval >= 1:
        day = _monthday(int(monthday), lang)
        if interval == 1:
            return t(lang, "dates.every.month_day", day=day)
        return t(lang, "dates.every.months_day", interval=count, day=day)
    if (
        frequency == "MONTHLY"
        and interval == 1
        and len(days) == 1
        and len(positions) == 1
        and positions[0] in _POSITION_KEYS
    ):
        return t(
            lang,
            "dates.every.month_weekday",
            day=days[0],
            nth=t(lang, _POSITION_KEYS[positions[0]]),
        )
    month = parts.get("BYMONTH", "")
    if frequency == "YEARLY" and interval == 1 and monthday.isdigit() and month.isdigit():
        shown = format_date(datetime(2000, int(month), int(monthday)), "d MMMM", locale=lang)  # noqa: DTZ001
        return t(lang, "dates.every.year_day", date=shown)
    return t(lang, "dates.every.other", rule=rule)
