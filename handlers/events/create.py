"""`/acara`: the list of upcoming events, one event's card, and creating one.

`/acara` lists the next 30 days for everyone; `/acara 3` shows one event with Hadir /
Tidak / Mungkin. Coordinators create: `/acara Posyandu Melati | Kamis 10 Des 08.00 |
Balai RW 05 | kuota 30` at once, or `/acara baru` step by step. Either way the `CREATE`
flow ends on a confirm step showing the date in full, and nothing is stored before Ya.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.arguments import is_skip, parse_name
from handlers.commands import hint
from handlers.context import Context, has_role
from handlers.dates import full_date
from handlers.events.cards import event_card, event_label, list_line, pick, zone_of
from handlers.events.recurrence import describe_recurrence, read_recurrence
from handlers.events.schedule import UPCOMING_DAYS, next_occurrence, upcoming
from handlers.events.when import read_when
from handlers.flow import Flow
from handlers.messages import Button, Incoming, Reply
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.events import create_event
from storage.models import Event, Role

__all__ = ["CREATE", "EventDraft", "read_capacity"]

NEW_WORDS = {"baru", "buat", "new", "create"}
PLACE_LIMIT = 100
LIST_LIMIT = 10
CAPACITY = re.compile(
    r"^(?:(?:kuota|maks(?:imal)?|max(?:imum)?|capacity|kapasitas)\s*:?\s*)?(-?\d{1,6})"
    r"(?:\s*(?:orang|org|peserta|people))?$",
    re.IGNORECASE,
)


@dataclass
class EventDraft:
    """What the coordinator has told so far; nothing is stored before the confirm step."""

    guided: bool
    title: str | None = None
    starts_at: datetime | None = None  # UTC
    ends_at: datetime | None = None
    rule: str | None = None
    place: str | None = None
    capacity: int | None = None
    capacity_set: bool = False
    capacity_again: bool = False  # the one given could not be read: ask with the rules
    weekday_mismatch: bool = False  # "Selasa 10 Des" when the 10th is a Thursday: say so


CREATE = Flow("event", EventDraft)  # its buttons: `event:yes`, `event:no`, `event:skip`


@REGISTRY.command("events", slash=("acara", "event", "events"), en="event")
async def events(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/acara` lists, `/acara 3` shows one, `/acara baru` or `/acara A | B | C` creates."""
    text = rest.strip()
    if text and text.split()[0].removeprefix("#").isdigit():
        return _show(ctx, text)
    if text.casefold() in NEW_WORDS or "|" in text:
        if not has_role(ctx.member, Role.COORDINATOR):
            return [ctx.reply("events.not_coordinator", cmd=hint(ctx, "events"))]
        ctx.end_flow()
        if "|" in text:
            return _quick(ctx, text)
        data = EventDraft(guided=True)
        CREATE.start(ctx, "title", data)
        return [ctx.reply("events.ask.title")]
    return [_list(ctx)]


def _list(ctx: Context) -> Reply:
    """The next occurrence of every event in the coming 30 days."""
    assert ctx.community is not None
    coming = upcoming(ctx.session, ctx.community.id or 0, now=ctx.now, zone=zone_of(ctx))
    coordinator = has_role(ctx.member, Role.COORDINATOR)
    cmd = hint(ctx, "events")
    # a coordinator's `/acara` alone also offers the guided creation, one tap away
    create = [ctx.button("events.button.create", "/acara baru")] if coordinator else []
    if not coming:
        key = "events.list.empty_coordinator" if coordinator else "events.list.empty"
        return ctx.reply(key, days=UPCOMING_DAYS, cmd=cmd, buttons=create)
    lines = [ctx.t("events.list.header", days=UPCOMING_DAYS)]
    buttons = []
    for occurrence in coming[:LIST_LIMIT]:
        lines.append(list_line(ctx, occurrence))
        event = occurrence.event
        buttons.append(Button(shorten(event_label(event), 40), f"/acara {event.id}"))
    lines.append(ctx.t("events.list.footer", cmd=cmd))
    return Reply(text="\n".join(lines), buttons=(*buttons, *create))


def _show(ctx: Context, text: str) -> list[Reply]:
    """One event's card, for its next (or named) occurrence."""
    picked, problem = pick(ctx, text, "events.usage.show")
    if picked is None:
        return problem
    if picked.occurrence is None:
        return [_no_occurrence(ctx, picked.event)]
    return [event_card(ctx, picked.occurrence)]


def _no_occurrence(ctx: Context, event: Event) -> Reply:
    if event.cancelled_at is not None:
        return ctx.reply("events.cancelled_event", event=event_label(event))
    return ctx.reply("events.no_next", event=event_label(event), cmd=hint(ctx, "events"))


# --- creating ------------------------------------------------------------------------


def _quick(ctx: Context, text: str) -> list[Reply]:
    """`Nama | waktu | tempat | kuota 30`: every part at once, then the confirm step."""
    parts = [part.strip() for part in text.split("|")]
    data = EventDraft(guided=False, title=parse_name(parts[0]) or None)
    data.place = shorten(parts[2], PLACE_LIMIT) if len(parts) > 2 else ""
    if data.title is None:
        CREATE.start(ctx, "title", data)
        return [ctx.reply("events.ask.title")]
    if len(parts) > 3 and parts[3]:
        capacity = read_capacity(parts[3])
        data.capacity, data.capacity_set = capacity, capacity is not None
        data.capacity_again = capacity is None
    else:
        data.capacity_set = True
    when = parts[1] if len(parts) > 1 else ""
    return _take_when(ctx, data, when)


def read_capacity(text: str) -> int | None:
    """`kuota 30`, `30 orang`, `maks 30` -> 30; zero, negative or no number -> None."""
    match = CAPACITY.match(" ".join(text.split()))
    if match is None:
        return None
    number = int(match[1])
    return number if number > 0 else None


def _take_when(ctx: Context, data: EventDraft, text: str) -> list[Reply]:
    """Read the when part (a date, or a recurrence); ask again with an example if it is
    unreadable, past, or ends before it starts."""
    zone = zone_of(ctx)
    problem: Reply | None = None
    recurrence = read_recurrence(text, now=ctx.now, zone=zone) if text else None
    if recurrence is not None and recurrence.end is not None and recurrence.end <= recurrence.first:
        problem = ctx.reply(
            "events.ask.end_before_start",
            start=full_date(recurrence.first, lang=ctx.lang, zone=zone),
            end=full_date(recurrence.end, lang=ctx.lang, zone=zone),
        )
    elif recurrence is not None:
        data.starts_at, data.ends_at, data.rule = recurrence.first, recurrence.end, recurrence.rule
        data.weekday_mismatch = False
    elif (when := read_when(text, now=ctx.now, zone=zone) if text else None) is None:
        problem = ctx.reply("events.ask.when_again")
    elif when.start <= ctx.now:
        problem = ctx.reply(
            "events.ask.when_past", when=full_date(when.start, lang=ctx.lang, zone=zone)
        )
    elif when.end is not None and when.end <= when.start:
        problem = ctx.reply(
            "events.ask.end_before_start",
            start=full_date(when.start, lang=ctx.lang, zone=zone),
            end=full_date(when.end, lang=ctx.lang, zone=zone),
        )
    else:
        data.starts_at, data.ends_at, data.rule = when.start, when.end, None
        data.weekday_mismatch = when.weekday_mismatch
    if problem is not None:
        CREATE.start(ctx, "when", data)
        return [problem]
    return _continue(ctx, data)


def _continue(ctx: Context, data: EventDraft) -> list[Reply]:
    """Ask the next missing part, or show the draft for confirmation."""
    if data.starts_at is None:
        CREATE.start(ctx, "when", data)
        return [ctx.reply("events.ask.when")]
    if data.place is None:
        CREATE.start(ctx, "place", data)
        skip = CREATE.button(ctx, "events.button.skip", "skip")
        return [ctx.reply("events.ask.place", buttons=[skip])]
    if not data.capacity_set:
        CREATE.start(ctx, "capacity", data)
        return [_ask_capacity(ctx, again=data.capacity_again)]
    return [_confirm(ctx, data)]


def _ask_capacity(ctx: Context, *, again: bool = False) -> Reply:
    skip = CREATE.button(ctx, "events.button.no_limit", "skip")
    key = "events.ask.capacity_again" if again else "events.ask.capacity"
    return ctx.reply(key, buttons=[skip])


def _confirm(ctx: Context, data: EventDraft) -> Reply:
    """The draft in full (the date as `Kamis, 10 Desember 2026 pukul 08.00 WIB`): Ya or Batal."""
    assert data.starts_at is not None
    CREATE.start(ctx, "confirm", data)
    zone = zone_of(ctx)
    lines = [ctx.t("events.confirm.heading"), ctx.t("events.card.title", event=data.title)]
    lines.append(
        ctx.t("events.card.when", when=full_date(data.starts_at, lang=ctx.lang, zone=zone))
    )
    if data.ends_at is not None:
        until = full_date(data.ends_at, lang=ctx.lang, zone=zone)
        lines.append(ctx.t("events.card.until", when=until))
    if data.place:
        lines.append(ctx.t("events.card.place", place=data.place))
    if data.rule:
        lines.append(
            ctx.t("events.card.repeats", repeats=describe_recurrence(data.rule, lang=ctx.lang))
        )
    if data.capacity is not None:
        lines.append(ctx.t("events.card.capacity", count=data.capacity))
    if data.weekday_mismatch:  # the date wins; the coordinator checks which one they meant
        lines.append(ctx.t("events.confirm.weekday_mismatch"))
    lines.append(ctx.t("events.confirm.question"))
    buttons = (
        CREATE.button(ctx, "events.button.save", "yes"),
        CREATE.button(ctx, "common.cancel", "no"),
    )
    return Reply(text="\n".join(lines), buttons=buttons)


def _typed(msg: Incoming) -> str:
    return "" if msg.payload else msg.text.strip()


@CREATE.step("title", free_text=True)
async def title(msg: Incoming, ctx: Context, data: EventDraft) -> Sequence[Reply]:
    """The event's name."""
    name = parse_name(_typed(msg))
    if not name:
        return [ctx.reply("events.ask.title")]
    data.title = name
    return _continue(ctx, data)


@CREATE.step("when", free_text=True)
async def when(msg: Incoming, ctx: Context, data: EventDraft) -> Sequence[Reply]:
    """The date and time, or a recurrence (`setiap bulan tanggal 10 jam 08.00`)."""
    return _take_when(ctx, data, _typed(msg))


@CREATE.step("place", free_text=True)
async def place(msg: Incoming, ctx: Context, data: EventDraft) -> Sequence[Reply]:
    """Where, or Lewati."""
    text = _typed(msg)
    if CREATE.pressed(msg, "skip") or is_skip(text):
        data.place = ""
    elif text:
        data.place = shorten(" ".join(text.split()), PLACE_LIMIT)
    return _continue(ctx, data)


@CREATE.step("capacity")
async def capacity(msg: Incoming, ctx: Context, data: EventDraft) -> Sequence[Reply]:
    """A capacity above zero, or no limit."""
    text = _typed(msg)
    if CREATE.pressed(msg, "skip") or is_skip(text):
        data.capacity, data.capacity_set = None, True
        return _continue(ctx, data)
    number = read_capacity(text)
    if number is None:
        return [_ask_capacity(ctx, again=True)]
    data.capacity, data.capacity_set = number, True
    return _continue(ctx, data)


@CREATE.step("confirm")
async def confirm(msg: Incoming, ctx: Context, data: EventDraft) -> Sequence[Reply]:
    """Ya stores the event; Batal (or any no) stores nothing."""
    assert ctx.member is not None and ctx.community is not None
    if CREATE.said_no(msg):
        CREATE.end(ctx)
        return [ctx.reply("events.create_cancelled")]
    if not CREATE.said_yes(msg) or data.starts_at is None:
        return [ctx.reply("events.confirm.hint"), _confirm(ctx, data)]
    if data.starts_at <= ctx.now:  # the confirm came too late
        data.starts_at = None
        CREATE.start(ctx, "when", data)
        return [
            ctx.reply(
                "events.ask.when_past", when=full_date(ctx.now, lang=ctx.lang, zone=zone_of(ctx))
            )
        ]
    event = create_event(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        created_by_id=ctx.member.id,
        title=data.title or "",
        place=data.place or "",
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        rule=data.rule,
        capacity=data.capacity,
        now=ctx.now,
    )
    CREATE.end(ctx)
    done = ctx.reply(
        "events.created", event=event_label(event), cmd=hint(ctx, "events"), id=event.id
    )
    coming = next_occurrence(ctx.session, event, now=ctx.now, zone=zone_of(ctx))
    return [done, event_card(ctx, coming)] if coming is not None else [done]
