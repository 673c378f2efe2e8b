"""Event reminders: when they fall due, what they say, and how coordinators set them.

An offset is stored as a short string (Community.event_reminders, Event.reminder_offsets):
`-1d@18:00` is the day before at 18:00 on the community's wall clock, `-2h` two hours
before, `-30m` thirty minutes before, `-1d` exactly a day before. People type them the
way they say them: `H-1 18.00, 2 jam` (`D-1 18:00, 2 hours`), read by `read_offsets`.

`/atur pengingat H-1 18.00, 2 jam` sets the community's default; `/pengingat 3 ...` one
event's: `semua` / `hadir` (everyone, or those who answered Hadir/Mungkin), `bawa Buku KIA
dan KMS` (the checklist line; `bawa -` removes it), `H-1 18.00, 1 jam` (its own times;
`bawaan` back to the community's, `tidak` none). The reminders job (jobs/event_reminders.py)
reads all of this from the database each time it runs.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.commands import hint
from handlers.community_settings import Setting, register_setting
from handlers.context import Context
from handlers.dates import full_date, local, zone_info
from handlers.events.cards import event_label, pick, zone_of
from handlers.events.schedule import Occurrence
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.models import Community, Event, Role

__all__ = [
    "MAX_LEAD",
    "MAX_OFFSETS",
    "Offset",
    "describe_offsets",
    "due_time",
    "offsets_of",
    "parse_offset",
    "read_offsets",
    "reminder_message",
]

MAX_OFFSETS = 3
MAX_LEAD = timedelta(days=7)
"""No reminder earlier than a week before (the job looks this far ahead)."""
CHECKLIST_LIMIT = 120
STORED = re.compile(r"^-(\d{1,3})([dhm])(?:@(\d{2}):(\d{2}))?$")
DAY_AT = re.compile(
    r"^(?:h|d)\s*-\s*(\d{1,2})(?:\s+(?:jam|pukul|pkl\.?|at))?(?:\s+(\d{1,2})[.:](\d{2}))?$"
)
BEFORE = re.compile(
    r"^(\d{1,3})\s*(jam|j|hours?|hrs?|h|menit|mnt|minutes?|mins?|m|hari|days?|d)"
    r"(?:\s+(?:sebelumnya|sebelum|before))?$"
)
UNITS = {"jam": "h", "j": "h", "hour": "h", "hours": "h", "hr": "h", "hrs": "h", "h": "h"}
UNITS |= {"menit": "m", "mnt": "m", "minute": "m", "minutes": "m", "min": "m", "mins": "m"}
UNITS |= {"m": "m", "hari": "d", "day": "d", "days": "d", "d": "d"}
NONE_WORDS = {"tidak", "tidak ada", "off", "none", "mati", "no"}
DEFAULT_WORDS = {"bawaan", "default", "standar"}
ALL_WORDS = {"semua", "all", "everyone"}
ATTENDING_WORDS = {"hadir", "attending", "going"}
BRING_WORDS = ("bawa", "bring", "checklist")
CLEAR_WORDS = {"-", "hapus", "tidak", "none", "remove", "off"}


@dataclass(frozen=True)
class Offset:
    """One reminder time relative to an occurrence's start."""

    spec: str  # as stored: `-1d@18:00`, `-2h`
    days: int = 0
    hours: int = 0
    minutes: int = 0
    at: tuple[int, int] | None = None  # the local wall-clock time, for `-Nd@HH:MM`

    @property
    def lead(self) -> timedelta:
        """Roughly how long before the start (for sorting and the week's limit)."""
        return timedelta(days=self.days, hours=self.hours, minutes=self.minutes)


def parse_offset(spec: str) -> Offset | None:
    """A stored offset back as an `Offset`; anything malformed is None (and ignored)."""
    match = STORED.match(spec.strip())
    if match is None:
        return None
    number, unit = int(match[1]), match[2]
    if match[3] is not None:
        hour, minute = int(match[3]), int(match[4])
        if unit != "d" or number < 1 or hour > 23 or minute > 59:
            return None
        return Offset(spec, days=number, at=(hour, minute))
    if number < 1:
        return None
    return Offset(
        spec,
        days=number if unit == "d" else 0,
        hours=number if unit == "h" else 0,
        minutes=number if unit == "m" else 0,
    )


def due_time(offset: Offset, starts_at: datetime, zone: str) -> datetime:
    """When the reminder for an occurrence starting at `starts_at` (UTC) falls due (UTC).

    `-1d@18:00` is 18:00 on the community's wall clock the day before the local start date.
    """
    if offset.at is None:
        return starts_at - offset.lead
    start = local(starts_at, zone)
    day = start.date() - timedelta(days=offset.days)
    hour, minute = offset.at
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone_info(zone))
    return moment.astimezone(starts_at.tzinfo)


def offsets_of(event: Event, community: Community) -> list[Offset]:
    """The event's own offsets, else the community's; malformed ones dropped."""
    specs = event.reminder_offsets
    if specs is None:
        specs = community.event_reminders
    found = [parse_offset(spec) for spec in specs]
    return [offset for offset in found if offset is not None]


def _read_one(text: str) -> str | None:
    text = " ".join(text.casefold().split())
    if match := DAY_AT.match(text):
        days = int(match[1])
        if match[2] is None:
            return f"-{days}d" if days else None
        hour, minute = int(match[2]), int(match[3])
        if hour > 23 or minute > 59 or days < 1:
            return None
        return f"-{days}d@{hour:02d}:{minute:02d}"
    if match := BEFORE.match(text):
        number = int(match[1])
        return f"-{number}{UNITS[match[2]]}" if number else None
    return None


def read_offsets(text: str) -> list[str] | None:
    """`H-1 18.00, 2 jam` -> ["-1d@18:00", "-2h"]; `tidak` -> []; unreadable, more than
    three, or earlier than a week before -> None (ask again with an example)."""
    text = text.strip()
    if text.casefold() in NONE_WORDS:
        return []
    parts = [p for p in re.split(r"\s*(?:,|;|\bdan\b|\band\b|&)\s*", text) if p.strip()]
    specs: list[str] = []
    for part in parts:
        spec = _read_one(part)
        offset = parse_offset(spec) if spec else None
        if spec is None or offset is None or offset.lead > MAX_LEAD:
            return None
        if spec not in specs:
            specs.append(spec)
    if not specs or len(specs) > MAX_OFFSETS:
        return None
    return sorted(specs, key=lambda s: -(o.lead if (o := parse_offset(s)) else timedelta()))


def _describe(ctx: Context, offset: Offset) -> str:
    if offset.at is not None:
        hour, minute = offset.at
        separator = "." if ctx.lang == "id" else ":"
        time = f"{hour:02d}{separator}{minute:02d}"
        return ctx.t("reminders.offset.day_at", count=offset.days, time=time)
    if offset.days:
        return ctx.t("reminders.offset.days", count=offset.days)
    if offset.hours:
        return ctx.t("reminders.offset.hours", count=offset.hours)
    return ctx.t("reminders.offset.minutes", count=offset.minutes)


def describe_offsets(ctx: Context, specs: Sequence[str]) -> str:
    """`H-1 pukul 18.00, 2 jam sebelumnya`, or "tidak ada pengingat"."""
    offsets = [o for s in specs if (o := parse_offset(s)) is not None]
    if not offsets:
        return ctx.t("reminders.offset.none")
    return ", ".join(_describe(ctx, offset) for offset in offsets)


def reminder_message(ctx: Context, occurrence: Occurrence) -> Reply:
    """One reminder in the member's language (`ctx` speaks it); `extra` carries the
    WhatsApp template's variables: 1 the event, 2 the date in full, 3 the place."""
    event, zone = occurrence.event, zone_of(ctx)
    when = full_date(occurrence.starts_at, lang=ctx.lang, zone=zone)
    lines = [ctx.t("reminders.message.title", event=event_label(event)), when]
    if event.place:
        lines.append(ctx.t("events.card.place", place=event.place))
    if event.checklist:
        lines.append(ctx.t("reminders.message.checklist", checklist=event.checklist))
    lines.append(ctx.t("reminders.message.footer", cmd=hint(ctx, "events"), id=event.id))
    return Reply(
        text="\n".join(lines),
        kind="reminder",
        extra={"1": event.title, "2": when, "3": event.place or "-"},
    )


# --- the coordinator's command --------------------------------------------------------


@REGISTRY.command(
    "event_reminders",
    slash=("pengingat", "reminders"),
    en="reminders",
    role=Role.COORDINATOR,
)
async def event_reminders(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """PENGINGAT 3 [semua|hadir | bawa ... | H-1 18.00, 2 jam | bawaan | tidak]."""
    assert ctx.community is not None
    picked, problem = pick(ctx, rest, "reminders.usage")
    if picked is None:
        return problem
    event, value = picked.event, picked.rest.strip()
    if event.cancelled_at is not None:
        return [ctx.reply("events.cancelled_event", event=event_label(event))]
    if not value:
        return [_overview(ctx, event, ctx.community)]
    word, _, after = value.partition(" ")
    folded = value.casefold()
    if folded in ALL_WORDS or folded in ATTENDING_WORDS:
        event.remind_to = "all" if folded in ALL_WORDS else "attending"
        key = "reminders.saved.all" if event.remind_to == "all" else "reminders.saved.attending"
        return _save(ctx, event, ctx.reply(key, event=event_label(event)))
    if word.casefold() in BRING_WORDS:
        checklist = after.strip()
        if not checklist:
            return [ctx.reply("reminders.usage", cmd=hint(ctx, "event_reminders"))]
        if checklist.casefold() in CLEAR_WORDS:
            event.checklist = None
            return _save(ctx, event, ctx.reply("reminders.saved.no_checklist"))
        event.checklist = shorten(checklist, CHECKLIST_LIMIT)
        reply = ctx.reply("reminders.saved.checklist", checklist=event.checklist)
        return _save(ctx, event, reply)
    if folded in DEFAULT_WORDS:
        event.reminder_offsets = None
        shown = describe_offsets(ctx, ctx.community.event_reminders)
        return _save(ctx, event, ctx.reply("reminders.saved.default", times=shown))
    specs = read_offsets(value)
    if specs is None:
        return [ctx.reply("reminders.unreadable", value=shorten(value, 40))]
    event.reminder_offsets = specs
    shown = describe_offsets(ctx, specs)
    return _save(ctx, event, ctx.reply("reminders.saved.times", times=shown))


def _save(ctx: Context, event: Event, reply: Reply) -> list[Reply]:
    event.updated_at = ctx.now
    ctx.session.add(event)
    return [reply]


def _overview(ctx: Context, event: Event, community: Community) -> Reply:
    own = event.reminder_offsets is not None
    specs = event.reminder_offsets if event.reminder_offsets is not None else None
    times = describe_offsets(ctx, specs if specs is not None else community.event_reminders)
    key = (
        "reminders.overview.to_all"
        if event.remind_to == "all"
        else "reminders.overview.to_attending"
    )
    lines = [
        ctx.t("reminders.overview.title", event=event_label(event)),
        ctx.t(
            "reminders.overview.times" if own else "reminders.overview.times_default", times=times
        ),
        ctx.t(key),
    ]
    if event.checklist:
        lines.append(ctx.t("reminders.message.checklist", checklist=event.checklist))
    lines.append(ctx.t("reminders.overview.how", cmd=hint(ctx, "event_reminders"), id=event.id))
    return Reply(text="\n".join(lines))


# --- the community's default, in /atur ------------------------------------------------


def _show_community(ctx: Context, community: Community) -> str:
    return describe_offsets(ctx, community.event_reminders)


def _change_community(ctx: Context, community: Community, value: str) -> Reply:
    specs = read_offsets(value)
    if specs is None:
        return ctx.reply(
            "reminders.setting.invalid", value=shorten(value, 40), cmd=hint(ctx, "settings")
        )
    community.event_reminders = specs
    ctx.session.add(community)
    return ctx.reply("reminders.setting.saved", times=describe_offsets(ctx, specs))


register_setting(
    Setting(
        names=("pengingat", "reminders", "reminder"),
        line="reminders.setting.line",
        show=_show_community,
        change=_change_community,
    )
)
