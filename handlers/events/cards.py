"""How an event shows (a list line, its card with RSVP buttons) and how a command names one.

`/acara 3`, `/hadir 3`, `/peserta 3 ke-2`: the first word is the event's number, scoped to
the member's community (another community's is "not found"); then, optionally, which
occurrence: `ke-2` (the one after next) or a button's key (`202612100100`). Without it,
the next occurrence.
"""

import re
from dataclasses import dataclass

from handlers.arguments import parse_id
from handlers.commands import hint
from handlers.context import Context
from handlers.dates import full_date, short_date
from handlers.events.recurrence import describe_recurrence
from handlers.events.schedule import Occurrence, next_occurrence, occurrence_at, parse_key
from handlers.labels import label
from handlers.messages import Reply
from storage.events import find_event, find_rsvp, occurrence_rsvps
from storage.models import Event, RsvpAnswer

__all__ = [
    "ANSWER_TEXT",
    "Picked",
    "event_card",
    "event_label",
    "list_line",
    "pick",
    "when_text",
    "zone_of",
]

ANSWER_TEXT: dict[str, str] = {
    RsvpAnswer.HADIR: "events.answer.hadir",
    RsvpAnswer.TIDAK: "events.answer.tidak",
    RsvpAnswer.MUNGKIN: "events.answer.mungkin",
}
NTH = re.compile(r"^(?:ke-?\s*|#)(\d{1,2})(?:\s+|$)", re.IGNORECASE)


def zone_of(ctx: Context) -> str:
    """The community's zone name (Asia/Jakarta by default)."""
    return ctx.community.timezone if ctx.community else "Asia/Jakarta"


def event_label(event: Event) -> str:
    """`#3 Posyandu Melati`, as people name it."""
    return f"#{event.id} {event.title}"


def when_text(ctx: Context, occurrence: Occurrence) -> str:
    """The occurrence's start in full, in the community's zone and this person's language."""
    return full_date(occurrence.starts_at, lang=ctx.lang, zone=zone_of(ctx))


def list_line(ctx: Context, occurrence: Occurrence) -> str:
    """`#3 Posyandu Melati — Kam 10 Des 08.00 — Balai RW 05`."""
    event = occurrence.event
    parts = [event_label(event), short_date(occurrence.starts_at, lang=ctx.lang, zone=zone_of(ctx))]
    if event.place:
        parts.append(event.place)
    line = " — ".join(parts)
    return f"{line} 🔁" if event.rule else line


def details(ctx: Context, event: Event, occurrence: Occurrence | None) -> list[str]:
    """The lines every view of an event shares: name, when, where, how often, capacity."""
    lines = [ctx.t("events.card.title", event=event_label(event))]
    if occurrence is not None:
        lines.append(ctx.t("events.card.when", when=when_text(ctx, occurrence)))
        if occurrence.moved:
            original = full_date(occurrence.original, lang=ctx.lang, zone=zone_of(ctx))
            lines.append(ctx.t("events.card.moved", original=original))
    if event.place:
        lines.append(ctx.t("events.card.place", place=event.place))
    if event.rule:
        repeats = describe_recurrence(event.rule, lang=ctx.lang)
        lines.append(ctx.t("events.card.repeats", repeats=repeats))
    if event.capacity is not None:
        lines.append(ctx.t("events.card.capacity", count=event.capacity))
    return lines


def event_card(ctx: Context, occurrence: Occurrence) -> Reply:
    """The event with its next occurrence, the answers so far, and Hadir / Tidak / Mungkin."""
    assert ctx.member is not None
    event = occurrence.event
    lines = details(ctx, event, occurrence)
    rows = occurrence_rsvps(session=ctx.session, event=event, occurrence=occurrence.original)
    counts = {answer: 0 for answer in RsvpAnswer}
    waiting = 0
    for rsvp, _ in rows:
        if rsvp.waitlisted:
            waiting += 1
        elif rsvp.answer in counts:
            counts[RsvpAnswer(rsvp.answer)] += 1
    lines.append(
        ctx.t(
            "events.card.counts",
            hadir=counts[RsvpAnswer.HADIR],
            mungkin=counts[RsvpAnswer.MUNGKIN],
            tidak=counts[RsvpAnswer.TIDAK],
        )
    )
    if waiting:
        lines.append(ctx.t("events.card.waiting", count=waiting))
    mine = find_rsvp(
        session=ctx.session,
        event=event,
        occurrence=occurrence.original,
        member_id=ctx.member.id or 0,
    )
    if mine is not None:
        answer = label(ctx, ANSWER_TEXT, mine.answer)
        key = "events.card.yours_waiting" if mine.waitlisted else "events.card.yours"
        lines.append(ctx.t(key, answer=answer))
    lines.append(ctx.t("events.card.how", cmd=hint(ctx, "rsvp_yes", typed=True), id=event.id))
    arg = f"{event.id} {occurrence.key}"
    buttons = (
        ctx.button("events.button.hadir", f"/hadir {arg}"),
        ctx.button("events.button.mungkin", f"/mungkin {arg}"),
        ctx.button("events.button.tidak", f"/tidak {arg}"),
        ctx.button("reminders.button.calendar", f"/kalender {event.id}"),
    )
    return Reply(text="\n".join(lines), buttons=buttons)


@dataclass(frozen=True)
class Picked:
    """What a command named: the event, the occurrence (None when it has none to come),
    and the rest of the text."""

    event: Event
    occurrence: Occurrence | None
    rest: str


def pick(ctx: Context, rest: str, usage: str) -> tuple[Picked | None, list[Reply]]:
    """The event and occurrence `rest` names, or the friendly reply to send instead."""
    assert ctx.community is not None
    event_id, remainder = parse_id(rest)
    if event_id is None:
        return None, [ctx.reply(usage, cmd=hint(ctx, "events"))]
    event = find_event(session=ctx.session, community_id=ctx.community.id or 0, event_id=event_id)
    if event is None:
        return None, [ctx.reply("events.not_found", cmd=hint(ctx, "events"))]
    zone = zone_of(ctx)
    first, _, after = remainder.partition(" ")
    if (original := parse_key(first)) is not None:
        occurrence = occurrence_at(ctx.session, event, original, zone=zone)
        if occurrence is None:
            return None, [ctx.reply("events.no_such_occurrence", event=event_label(event))]
        return Picked(event, occurrence, after.strip()), []
    skip = 0
    if match := NTH.match(remainder):
        skip = max(int(match[1]) - 1, 0)
        remainder = remainder[match.end() :].strip()
    occurrence = next_occurrence(ctx.session, event, now=ctx.now, zone=zone, skip=skip)
    return Picked(event, occurrence, remainder), []
