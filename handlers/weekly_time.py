"""Reading "a weekday and a time" as people type it: `Senin 08.00`, `monday 8:00`, `Jumat 9`.

Weekly things (promo buddies, the digest, event reminders) are set with it, so one reader
serves every `/atur ... HARI JAM`. Pure: text in, a `WeeklyTime` or None out.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = [
    "WEEKDAYS",
    "WeeklyTime",
    "iso_week",
    "read_time",
    "read_weekly_time",
    "shown_weekly_time",
    "weekday_name",
]

WEEKDAYS: dict[str, int] = {
    "senin": 0, "sen": 0, "monday": 0, "mon": 0,
    "selasa": 1, "sel": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "rabu": 2, "rab": 2, "wednesday": 2, "wed": 2,
    "kamis": 3, "kam": 3, "thursday": 3, "thu": 3, "thurs": 3,
    "jumat": 4, "jum'at": 4, "jumaat": 4, "jum": 4, "friday": 4, "fri": 4,
    "sabtu": 5, "sab": 5, "saturday": 5, "sat": 5,
    "minggu": 6, "ahad": 6, "min": 6, "sunday": 6, "sun": 6,
}  # fmt: skip
"""Weekday names in Indonesian and English (and their usual short forms), 0 = Monday."""

_NAMES = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_TIME = re.compile(r"^(?:jam|pukul|pkl\.?|at)?\s*(\d{1,2})(?:[.:](\d{2}))?\s*(?:wib|wita|wit)?$")


@dataclass(frozen=True)
class WeeklyTime:
    """A weekday (0 = Monday) and a local time of day, stored as `HH:MM`."""

    weekday: int
    hour: int
    minute: int

    @property
    def time(self) -> str:
        """`08:00`: how the time is stored."""
        return f"{self.hour:02d}:{self.minute:02d}"


def read_time(text: str) -> tuple[int, int] | None:
    """`08.00`, `8:00`, `08`, `jam 8` -> (8, 0); None for anything that is not a time of day."""
    match = _TIME.match(" ".join(text.casefold().split()))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def read_weekly_time(text: str) -> WeeklyTime | None:
    """`Senin 08.00`, `monday 8:00`, `Jumat, jam 9` -> a WeeklyTime; None when not understood."""
    words = text.casefold().replace(",", " ").split()
    if len(words) < 2:
        return None
    weekday = WEEKDAYS.get(words[0].strip("."))
    time = read_time(" ".join(words[1:]))
    if weekday is None or time is None:
        return None
    return WeeklyTime(weekday, *time)


def weekday_name(weekday: int, language: str) -> str:
    """`Senin` / `Monday`: a weekday shown to a person."""
    return _NAMES.get(language, _NAMES["id"])[weekday]


def shown_weekly_time(weekday: int, time: str, language: str) -> str:
    """`Senin 08.00` / `Monday 08:00`: a stored weekday and `HH:MM` as a person reads them."""
    clock = time.replace(":", ".") if language == "id" else time
    return f"{weekday_name(weekday, language)} {clock}"


def iso_week(moment: datetime, zone: ZoneInfo) -> str:
    """`2026-W50`: the ISO week `moment` falls in, in the community's zone."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"
