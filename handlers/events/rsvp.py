"""Answering an event: `/hadir 3`, `/tidak 3`, `/mungkin 3` (the card's buttons carry the
occurrence), and `/peserta 3` for coordinators.

An answer is changeable until the occurrence starts; answering twice changes it, never
counts it twice. Beyond the capacity a Hadir waits; when a place frees up, the first waiting
is moved up and told, in their own language.
"""

import re
from collections.abc import Sequence

from handlers.commands import hint
from handlers.context import Context, in_language_of
from handlers.dates import full_date
from handlers.events.cards import ANSWER_TEXT, event_label, pick, when_text, zone_of
from handlers.events.schedule import Occurrence
from handlers.labels import label
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.events import RsvpOutcome, answer_rsvp, occurrence_rsvps
from storage.models import Member, Role, RsvpAnswer

__all__ = ["answer"]

SAVED_KEYS = {
    RsvpAnswer.HADIR: "events.rsvp.hadir",
    RsvpAnswer.TIDAK: "events.rsvp.tidak",
    RsvpAnswer.MUNGKIN: "events.rsvp.mungkin",
}
TYPED = re.compile(
    r"^(?P<word>hadir|tidak\s*hadir|tidak|mungkin|going|not\s*going|maybe)\s*#?(?P<rest>\d+.*)$",
    re.IGNORECASE,
)
WORDS = {
    "hadir": RsvpAnswer.HADIR,
    "going": RsvpAnswer.HADIR,
    "tidak": RsvpAnswer.TIDAK,
    "tidakhadir": RsvpAnswer.TIDAK,
    "notgoing": RsvpAnswer.TIDAK,
    "mungkin": RsvpAnswer.MUNGKIN,
    "maybe": RsvpAnswer.MUNGKIN,
}


@REGISTRY.command("rsvp_yes", slash=("hadir", "going"), bare=(), en="going", listed=False)
async def rsvp_yes(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """HADIR 3: coming (or waiting, when the event is full)."""
    return answer(ctx, rest, RsvpAnswer.HADIR)


@REGISTRY.command("rsvp_no", slash=("tidak", "notgoing"), bare=(), en="notgoing", listed=False)
async def rsvp_no(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """TIDAK 3: not coming."""
    return answer(ctx, rest, RsvpAnswer.TIDAK)


@REGISTRY.command("rsvp_maybe", slash=("mungkin", "maybe"), bare=(), en="maybe", listed=False)
async def rsvp_maybe(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """MUNGKIN 3: perhaps."""
    return answer(ctx, rest, RsvpAnswer.MUNGKIN)


@REGISTRY.fallback(62)
async def typed_answer(msg: Incoming, ctx: Context) -> Sequence[Reply] | None:
    """`HADIR 3`, `tidak 3`, `mungkin #3` typed without a slash (a number is required, so
    "tidak" alone stays a no)."""
    match = TYPED.match(msg.text.strip())
    if ctx.member is None or ctx.community is None or msg.payload or match is None:
        return None
    word = re.sub(r"\s+", "", match["word"].casefold())
    return answer(ctx, match["rest"], WORDS[word])


def answer(ctx: Context, rest: str, choice: RsvpAnswer) -> list[Reply]:
    """Record the member's answer for the named (or next) occurrence."""
    assert ctx.member is not None
    picked, problem = pick(ctx, rest, "events.usage.rsvp")
    if picked is None:
        return problem
    event, occurrence = picked.event, picked.occurrence
    if event.cancelled_at is not None:
        return [ctx.reply("events.cancelled_event", event=event_label(event))]
    if occurrence is None:
        return [ctx.reply("events.no_next", event=event_label(event), cmd=hint(ctx, "events"))]
    when = when_text(ctx, occurrence)
    if occurrence.cancelled:
        return [ctx.reply("events.rsvp.cancelled", event=event_label(event), when=when)]
    if occurrence.starts_at <= ctx.now:
        return [ctx.reply("events.rsvp.past", event=event_label(event), when=when)]
    outcome = answer_rsvp(
        session=ctx.session,
        event=event,
        occurrence=occurrence.original,
        member_id=ctx.member.id or 0,
        answer=choice,
        now=ctx.now,
    )
    _tell_moved_up(ctx, occurrence, outcome)
    return [_answered(ctx, occurrence, outcome, choice, when)]


def _answered(
    ctx: Context, occurrence: Occurrence, outcome: RsvpOutcome, choice: RsvpAnswer, when: str
) -> Reply:
    name = event_label(occurrence.event)
    if outcome.position is not None:
        return ctx.reply("events.rsvp.waitlisted", event=name, when=when, position=outcome.position)
    if not outcome.changed:
        return ctx.reply("events.rsvp.same", event=name, answer=label(ctx, ANSWER_TEXT, choice))
    return ctx.reply(SAVED_KEYS[choice], event=name, when=when)


def _tell_moved_up(ctx: Context, occurrence: Occurrence, outcome: RsvpOutcome) -> None:
    """Each person moved up from the waiting list hears it, in their language."""
    for rsvp in outcome.moved_up:
        member = ctx.session.get(Member, rsvp.member_id)
        if member is None:
            continue
        theirs = in_language_of(ctx, member)
        when = full_date(occurrence.starts_at, lang=member.language, zone=zone_of(ctx))
        notice = theirs.reply(
            "events.rsvp.moved_up", event=event_label(occurrence.event), when=when
        )
        ctx.notify(member.id or 0, notice)


# --- who comes -----------------------------------------------------------------------


@REGISTRY.command(
    "attendees", slash=("peserta", "attendees"), en="attendees", role=Role.COORDINATOR
)
async def attendees(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """PESERTA 3: counts and names per answer, the waiting list in its order."""
    picked, problem = pick(ctx, rest, "events.usage.attendees")
    if picked is None:
        return problem
    event, occurrence = picked.event, picked.occurrence
    if occurrence is None:
        if event.cancelled_at is not None:
            return [ctx.reply("events.cancelled_event", event=event_label(event))]
        return [ctx.reply("events.no_next", event=event_label(event), cmd=hint(ctx, "events"))]
    rows = occurrence_rsvps(session=ctx.session, event=event, occurrence=occurrence.original)
    groups: dict[str, list[str]] = {"hadir": [], "waiting": [], "mungkin": [], "tidak": []}
    for rsvp, member in rows:
        group = "waiting" if rsvp.waitlisted else rsvp.answer
        groups.setdefault(group, []).append(member.display_name)
    lines = [
        ctx.t("events.attendees.heading", event=event_label(event), when=when_text(ctx, occurrence))
    ]
    if occurrence.cancelled:
        lines.append(ctx.t("events.attendees.cancelled"))
    if event.capacity is not None:
        lines.append(ctx.t("events.card.capacity", count=event.capacity))
    none = ctx.t("events.attendees.nobody")
    for key, group in (
        ("events.attendees.hadir", "hadir"),
        ("events.attendees.waiting", "waiting"),
        ("events.attendees.mungkin", "mungkin"),
        ("events.attendees.tidak", "tidak"),
    ):
        names = groups[group]
        if group == "waiting" and not names:
            continue
        lines.append(ctx.t(key, count=len(names), names=", ".join(names) or none))
    return [Reply(text="\n".join(lines))]
