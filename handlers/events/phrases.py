"""The words of dates and times as Indonesians type them, shared by `when` and `recurrence`.

`normalise` turns a message into one lower-case spelling (`Minggu` the day becomes `ahad`,
`minggu` the week becomes `pekan`, `bsk` becomes `besok`, English `tomorrow` becomes `besok`),
and `take_time` reads the clock time out of it (`jam 2 siang`, `08.00-11.00`, `pukul 7 malam`).
Pure functions over strings: no clock, no zone.
"""

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel.dates import get_day_names, get_month_names

__all__ = [
    "MONTHS",
    "ORDINALS",
    "PARTS",
    "WEEKDAYS",
    "ClockTime",
    "TimeOfDay",
    "blank",
    "normalise",
    "take_time",
]

SUNDAY_WORD = "ahad"
"""`Minggu` read as the day: an unambiguous word for Sunday, so later steps never guess again."""
WEEK_WORD = "pekan"
"""`minggu` read as the week."""


def _names(kind: Callable[..., Mapping[Any, Any]], extra: dict[str, int]) -> dict[str, int]:
    found: dict[str, int] = {}
    for locale in ("id", "en"):
        for width in ("wide", "abbreviated"):
            for number, name in kind(width, locale=locale).items():
                found[str(name).lower()] = int(number)
    return found | extra


WEEKDAYS = _names(get_day_names, {"jumat": 4, "ahad": 6, "senen": 0, "rebo": 2, "kemis": 3})
"""Weekday words (Indonesian and English, full and short) to Python's number (Monday = 0)."""
MONTHS = _names(
    get_month_names,
    {"agt": 8, "ags": 8, "agus": 8, "pebruari": 2, "nopember": 11, "sept": 9, "peb": 2, "nop": 11},
)
"""Month words to their number (1-12)."""

ORDINALS = {
    "pertama": 1,
    "kesatu": 1,
    "first": 1,
    "1st": 1,
    "kedua": 2,
    "second": 2,
    "2nd": 2,
    "ketiga": 3,
    "third": 3,
    "3rd": 3,
    "keempat": 4,
    "fourth": 4,
    "4th": 4,
    "kelima": 5,
    "fifth": 5,
    "5th": 5,
    "terakhir": -1,
    "last": -1,
}
"""Which one in the month: `Selasa kedua` is the second Tuesday (RFC 5545 `2TU`)."""

PARTS = ("pagi", "siang", "sore", "petang", "malam", "dini hari", "subuh")
"""Parts of the day that move a 12-hour clock time: `jam 2 siang` is 14.00."""

_NUMBER_WORDS = {
    "satu": "1",
    "dua": "2",
    "tiga": "3",
    "empat": "4",
    "lima": "5",
    "enam": "6",
    "tujuh": "7",
    "delapan": "8",
    "sembilan": "9",
    "sepuluh": "10",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
}

_SPELLINGS: list[tuple[str, str]] = [
    # Indonesian short forms and synonyms.
    (r"\bs\s*/\s*d\b|\bs\.d\b\.?|\bsd\b|\bsampai dengan\b|\bhingga\b|\bsmp\b", " sampai "),
    (r"\b(?:besuk|bsk|esok)\b", "besok"),
    (r"\bhr\b", "hari"),
    (r"\btgl\b\.?|\btg\b\.?", "tanggal "),
    (r"\bpkl\b\.?|\bpk\b\.?", "pukul "),
    (r"\bjm\b", "jam"),
    (r"\b([ap])\.m\b\.?", r"\1m"),
    (r"\byang akan datang\b|\byad\b", "depan"),
    (r"\bseminggu\b|\bsepekan\b", f"1 {WEEK_WORD}"),
    (r"\bsehari\b", "1 hari"),
    (r"\bsebulan\b", "1 bulan"),
    (r"\bsetahun\b", "1 tahun"),
    (r"\bke-\s*(\d)\b", r"ke\1"),
    # English, mapped onto the Indonesian words the readers know.
    (r"\b(?:the )?day after tomorrow\b", "lusa"),
    (r"\btomorrow\b", "besok"),
    (r"\btoday\b", "hari ini"),
    (r"\btonight\b", "malam ini"),
    (r"\bthis morning\b", "pagi ini"),
    (r"\bthis (?:afternoon|evening)\b", "sore ini"),
    (r"\bnext week\b", f"{WEEK_WORD} depan"),
    (r"\bthis week\b", f"{WEEK_WORD} ini"),
    (r"\bnext (\w+)", r"\1 depan"),
    (r"\bthis (\w+)", r"\1 ini"),
    (r"\bin (\d+) days?\b", r"\1 hari lagi"),
    (r"\bin (\d+) weeks?\b", rf"\1 {WEEK_WORD} lagi"),
    (r"\b(\d{1,2})(?:st|nd|rd|th)\b(?! (?:tu|mo|we|th|fr|sa|su))", r"tanggal \1"),
    (r"\bweeks?\b", WEEK_WORD),
    (r"\bdays?\b", "hari"),
    (r"\bmonths?\b", "bulan"),
    (r"\byears?\b", "tahun"),
    (r"\bmorning\b", "pagi"),
    (r"\bafternoon\b", "sore"),
    (r"\b(?:evening|night)\b", "malam"),
    (r"\bevery\b|\beach\b", "setiap"),
    (r"\band\b", "dan"),
    (r"\bat\b", "pukul"),
    (r"\buntil\b|\btill\b", "sampai"),
]
_SPELLING_RULES = [(re.compile(pattern), replacement) for pattern, replacement in _SPELLINGS]
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")

_OTHER_DAYS = re.compile(
    r"\b(?:" + "|".join(sorted((w for w, n in WEEKDAYS.items() if n != 6), key=len)[::-1]) + r")\b"
)
_MINGGU = re.compile(r"\bminggu\b", re.IGNORECASE)
_HARI_BEFORE = re.compile(r"\bhari\s+$", re.IGNORECASE)
_COUNT_BEFORE = re.compile(
    r"(?:\d+|\b(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|beberapa))\s+$",
    re.IGNORECASE,
)
_WEEK_AFTER = re.compile(
    r"\s+(?:depan|ini|lalu|kemarin|pertama|kedua|ketiga|keempat|kelima|terakhir|ke-?\s*\d)\b",
    re.IGNORECASE,
)
_WEEK_BEFORE = re.compile(r"\b(?:tiap|setiap|per|dalam|saban)\s+$", re.IGNORECASE)


def _minggu(text: str) -> str:
    """Tell `Minggu` (Sunday) from `minggu` (week).

    `hari Minggu` is the day and `2 minggu` the week, whatever the case. Next to another weekday
    (`Jumat minggu depan`, `tiap minggu Sabtu`) it is the week. Otherwise a capital means the
    day (`Minggu ini 06.30`); in lower case, `minggu depan`/`minggu ini`/`setiap minggu` are
    the week and a lone `minggu` is the day (`minggu jam 7`).
    """
    other_day = _OTHER_DAYS.search(text.lower()) is not None

    def pick(match: re.Match[str]) -> str:
        before, after = text[: match.start()], text[match.end() :]
        if _HARI_BEFORE.search(before):
            return SUNDAY_WORD
        if _COUNT_BEFORE.search(before) or other_day:
            return WEEK_WORD
        if match.group()[0].isupper():
            return SUNDAY_WORD
        if _WEEK_AFTER.match(after) or _WEEK_BEFORE.search(before):
            return WEEK_WORD
        return SUNDAY_WORD

    return _MINGGU.sub(pick, text)


def normalise(text: str) -> str:
    """One lower-case spelling of a date phrase, with `Minggu`/`minggu` already told apart."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(char)[0] == "S" else char for char in text)
    text = re.sub(r"[’'`´]", "", text)
    text = re.sub(r"[–—‒−]", "-", text)
    text = _minggu(text).lower()
    for pattern, replacement in _SPELLING_RULES:
        text = pattern.sub(replacement, text)
    text = _NUMBER_WORD.sub(lambda match: _NUMBER_WORDS[match.group(1)], text)
    text = text.replace(",", " ")
    return re.sub(r"\s+", " ", text).strip()


def blank(text: str, match: re.Match[str]) -> str:
    """`text` with `match` replaced by spaces: later patterns keep their positions."""
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


@dataclass(frozen=True)
class ClockTime:
    """A time on the wall clock; `next_day` for `jam 12 malam` (midnight after that day)."""

    hour: int
    minute: int
    next_day: bool = False


@dataclass(frozen=True)
class TimeOfDay:
    """The clock time read from a phrase, and the end of the range if one was given."""

    start: ClockTime
    end: ClockTime | None = None


_PART = "|".join(PARTS)
_TIME = re.compile(
    r"(?:"
    r"(?:jam|pukul)\s*(?P<h1>\d{1,2})(?:[.:](?P<m1>\d{2}))?(?!\d|[./]\d)"
    r"|(?<![\d./-])(?P<h2>\d{1,2})[.:](?P<m2>\d{2})(?![.:/]?\d)"
    r"|(?<![\d./-])(?P<h3>\d{1,2})(?:[.:](?P<m3>\d{2}))?(?=\s*(?:am|pm)\b)"
    rf"|(?<![\d./-])(?P<h4>\d{{1,2}})(?=\s+(?:{_PART})\b)"
    r")"
    r"(?:\s*(?P<ampm>am|pm)\b)?"
    rf"(?:\s*(?P<part>{_PART})\b)?"
    r"(?:\s*(?:-|sampai)\s*(?:jam|pukul)?\s*(?P<eh>\d{1,2})(?:[.:](?P<em>\d{2}))?(?![.:/-]?\d)"
    rf"(?:\s*(?P<eampm>am|pm)\b)?(?:\s*(?P<epart>{_PART})\b)?)?"
)
_ANY_PART = re.compile(rf"\b(?:{_PART})\b")
_TANGGAL_BEFORE = re.compile(r"\btanggal\s*$")


def _shift(hour: int, minute: int, part: str | None, ampm: str | None) -> ClockTime | None:
    """The 24-hour time meant by `hour` with its part of the day, or None if they clash."""
    if minute > 59 or hour > 23:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        return ClockTime(hour % 12 + (12 if ampm == "pm" else 0), minute)
    if part is None:
        return ClockTime(hour, minute)
    if part in ("pagi", "subuh", "dini hari"):
        return ClockTime(hour, minute) if hour <= 11 else None
    if part == "siang":
        if 10 <= hour <= 17:
            return ClockTime(hour, minute)
        return ClockTime(hour + 12, minute) if 1 <= hour <= 5 else None
    if part in ("sore", "petang"):
        if 12 <= hour <= 19:
            return ClockTime(hour, minute)
        return ClockTime(hour + 12, minute) if 1 <= hour <= 7 else None
    # malam: evening, or the small hours after that day's midnight.
    if 18 <= hour <= 23:
        return ClockTime(hour, minute)
    if 6 <= hour <= 11:
        return ClockTime(hour + 12, minute)
    if hour == 12 or hour == 0:
        return ClockTime(0, minute, next_day=True)
    return ClockTime(hour, minute, next_day=True) if hour <= 4 else None


def _end(match: re.Match[str], start: ClockTime, part: str | None) -> ClockTime | None:
    """The end of `08.00-11.00` / `jam 2 sampai 4 sore`; a bare end hour follows the start."""
    hour, minute = int(match["eh"]), int(match["em"] or 0)
    if match["epart"] or match["eampm"]:
        return _shift(hour, minute, match["epart"], match["eampm"])
    shifted = _shift(hour, minute, part, None) if part else None
    if shifted is not None and (shifted.hour, shifted.minute) > (start.hour, start.minute):
        return shifted
    plain = _shift(hour, minute, None, None)
    written_loosely = match["em"] is None and not match["eh"].startswith("0")
    if plain is not None and written_loosely and plain.hour < start.hour and plain.hour + 12 <= 23:
        later = ClockTime(plain.hour + 12, plain.minute)
        if later.hour > start.hour:
            return later  # `jam 10-2`: until two in the afternoon
    return plain


def take_time(text: str) -> tuple[TimeOfDay | None, str, bool]:
    """Read the clock time out of a normalised phrase.

    Returns (time or None, the text with the time blanked out, whether it made sense): `jam 25`,
    `jam 2 pagi sampai 99` or two different times give `ok=False`. A part of the day standing
    elsewhere (`besok pagi jam 7`, `malam ini jam 7`) moves the time too, and stays in the text.
    """
    matches = [
        match
        for match in _TIME.finditer(text)
        if not (match["h4"] and _TANGGAL_BEFORE.search(text[: match.start()]))
    ]
    if not matches:
        return None, text, True
    if len(matches) > 1:
        return None, text, False
    match = matches[0]
    rest = blank(text, match)
    hour = next(match[name] for name in ("h1", "h2", "h3", "h4") if match[name] is not None)
    minute = match["m1"] or match["m2"] or match["m3"] or "0"
    part = match["part"]
    if part is None and not match["ampm"]:
        elsewhere = _ANY_PART.search(rest)
        part = elsewhere.group() if elsewhere else match["epart"]  # `jam 2 sampai 4 sore`
    start = _shift(int(hour), int(minute), part, match["ampm"])
    if start is None:
        return None, rest, False
    end = None
    if match["eh"] is not None:
        end = _end(match, start, part)
        if end is None:
            return None, rest, False
    return TimeOfDay(start, end), rest, True
