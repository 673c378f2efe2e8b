"""Coordinators move or cancel an event: one occurrence, or (`semua`) the whole event.

`/ubahacara 3 12-01-2027 08:00` moves the next occurrence (`/ubahacara 3 ke-2 ...` the one
after); `/batalacara 3` cancels the next one, `/batalacara 3 semua` every one. Each asks
first (the `CHANGE` flow's confirm step); once confirmed, everyone who answered Hadir or
Mungkin hears it once, in their language, with the date in full. Others are untouched:
the other occurrences, and every answer (they belong to the original start).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.commands import hint
from handlers.context import Context, in_language_of
from handlers.dates import full_date
from handlers.events.cards import event_label, pick, zone_of
from handlers.events.schedule import HORIZON, Occurrence, occurrence_at, occurrences_between
from handlers.events.when import read_when
from handlers.flow import Flow
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.events import (
    answered_members,
    cancel_event,
    cancel_occurrence,
    find_event,
    move_occurrence,
)
from storage.models import Event, Member, Role

__all__ = ["CHANGE", "ChangeData"]

ALL_WORDS = {"semua", "all", "seluruhnya"}


@dataclass
class ChangeData:
    """The change waiting for the coordinator's Ya: `move`, `cancel` or `cancel_all`."""

    event_id: int
    action: str
    original: datetime | None = None  # the occurrence (its original start, UTC)
    to: datetime | None = None  # a move's new start


CHANGE = Flow("eventchange", ChangeData)  # its buttons: `eventchange:yes`, `eventchange:no`


@REGISTRY.command(
    "move_event", slash=("ubahacara", "moveevent"), en="moveevent", role=Role.COORDINATOR
)
async def move_event(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """UBAHACARA 3 <waktu baru>: move the next (or `ke-2`) occurrence, after a confirm."""
    picked, problem = pick(ctx, rest, "events.usage.move")
    if picked is None:
        return problem
    event, occurrence = picked.event, picked.occurrence
    if occurrence is None or occurrence.cancelled:
        return [_nothing_to_change(ctx, event)]
    zone = zone_of(ctx)
    if not picked.rest:
        return [ctx.reply("events.usage.move", cmd=hint(ctx, "events"))]
    when = read_when(picked.rest, now=ctx.now, zone=zone)
    if when is None:
        return [ctx.reply("events.move.unreadable", cmd=hint(ctx, "move_event"), id=event.id)]
    if when.start <= ctx.now:
        past = full_date(when.start, lang=ctx.lang, zone=zone)
        return [ctx.reply("events.move.past", when=past, cmd=hint(ctx, "move_event"), id=event.id)]
    data = ChangeData(event.id or 0, "move", occurrence.original, when.start)
    CHANGE.start(ctx, "confirm", data)
    question = ctx.reply(
        "events.move.confirm",
        event=event_label(event),
        old=full_date(occurrence.starts_at, lang=ctx.lang, zone=zone),
        new=full_date(when.start, lang=ctx.lang, zone=zone),
    )
    return [_with_buttons(ctx, question, "events.button.confirm_move")]


@REGISTRY.command(
    "cancel_event", slash=("batalacara", "cancelevent"), en="cancelevent", role=Role.COORDINATOR
)
async def cancel_event_command(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """BATALACARA 3: cancel the next (or `ke-2`) occurrence; `BATALACARA 3 semua`: all."""
    picked, problem = pick(ctx, rest, "events.usage.cancel")
    if picked is None:
        return problem
    event, occurrence = picked.event, picked.occurrence
    if event.cancelled_at is not None:
        return [ctx.reply("events.cancelled_event", event=event_label(event))]
    if picked.rest.casefold() in ALL_WORDS:
        CHANGE.start(ctx, "confirm", ChangeData(event.id or 0, "cancel_all"))
        question = ctx.reply("events.cancel.confirm_all", event=event_label(event))
        return [_with_buttons(ctx, question, "events.button.confirm_cancel")]
    if occurrence is None or occurrence.cancelled:
        return [_nothing_to_change(ctx, event)]
    CHANGE.start(ctx, "confirm", ChangeData(event.id or 0, "cancel", occurrence.original))
    when = full_date(occurrence.starts_at, lang=ctx.lang, zone=zone_of(ctx))
    question = ctx.reply("events.cancel.confirm", event=event_label(event), when=when)
    return [_with_buttons(ctx, question, "events.button.confirm_cancel")]


def _with_buttons(ctx: Context, question: Reply, yes_key: str) -> Reply:
    buttons = (CHANGE.button(ctx, yes_key, "yes"), CHANGE.button(ctx, "events.button.keep", "no"))
    return Reply(text=question.text, buttons=buttons)


def _nothing_to_change(ctx: Context, event: Event) -> Reply:
    if event.cancelled_at is not None:
        return ctx.reply("events.cancelled_event", event=event_label(event))
    return ctx.reply("events.no_next", event=event_label(event), cmd=hint(ctx, "events"))


@CHANGE.step("confirm")
async def confirm(msg: Incoming, ctx: Context, data: ChangeData) -> Sequence[Reply]:
    """Ya does the change and tells those who answered Hadir/Mungkin; Jangan changes nothing."""
    assert ctx.community is not None
    if CHANGE.said_no(msg):
        CHANGE.end(ctx)
        return [ctx.reply("events.change.kept")]
    if not CHANGE.said_yes(msg):
        return [ctx.reply("events.change.hint")]
    CHANGE.end(ctx)
    event = find_event(
        session=ctx.session, community_id=ctx.community.id or 0, event_id=data.event_id
    )
    if event is None or event.cancelled_at is not None:
        return [ctx.reply("events.not_found", cmd=hint(ctx, "events"))]
    if data.action == "cancel_all":
        return _cancel_all(ctx, event)
    zone = zone_of(ctx)
    occurrence = (
        occurrence_at(ctx.session, event, data.original, zone=zone) if data.original else None
    )
    if occurrence is None or occurrence.cancelled:
        return [_nothing_to_change(ctx, event)]
    if data.action == "move" and data.to is not None:
        return _move(ctx, occurrence, data.to)
    return _cancel_one(ctx, occurrence)


def _move(ctx: Context, occurrence: Occurrence, to: datetime) -> list[Reply]:
    event, zone = occurrence.event, zone_of(ctx)
    if to <= ctx.now:
        past = full_date(to, lang=ctx.lang, zone=zone)
        return [ctx.reply("events.move.past", when=past, cmd=hint(ctx, "move_event"), id=event.id)]
    move_occurrence(
        session=ctx.session, event=event, occurrence=occurrence.original, to=to, now=ctx.now
    )
    people = answered_members(session=ctx.session, event=event, occurrences=[occurrence.original])
    for member in people:
        _notify(ctx, member, "move", event, old=occurrence.starts_at, new=to)
    new = full_date(to, lang=ctx.lang, zone=zone)
    return [ctx.reply("events.move.done", event=event_label(event), new=new, count=len(people))]


def _cancel_one(ctx: Context, occurrence: Occurrence) -> list[Reply]:
    event = occurrence.event
    cancel_occurrence(session=ctx.session, event=event, occurrence=occurrence.original, now=ctx.now)
    people = answered_members(session=ctx.session, event=event, occurrences=[occurrence.original])
    for member in people:
        _notify(ctx, member, "cancel", event, old=occurrence.starts_at)
    when = full_date(occurrence.starts_at, lang=ctx.lang, zone=zone_of(ctx))
    return [ctx.reply("events.cancel.done", event=event_label(event), when=when, count=len(people))]


def _cancel_all(ctx: Context, event: Event) -> list[Reply]:
    """Every occurrence to come is off; each person who answered any of them hears it once."""
    coming = occurrences_between(
        ctx.session,
        event,
        after=ctx.now + timedelta(seconds=1),
        until=ctx.now + HORIZON,
        zone=zone_of(ctx),
    )
    originals = [o.original for o in coming if not o.cancelled]
    cancel_event(session=ctx.session, event=event, now=ctx.now)
    people = answered_members(session=ctx.session, event=event, occurrences=originals)
    for member in people:
        _notify(ctx, member, "cancel_all", event)
    return [ctx.reply("events.cancel.done_all", event=event_label(event), count=len(people))]


def _notify(
    ctx: Context,
    member: Member,
    action: str,
    event: Event,
    *,
    old: datetime | None = None,
    new: datetime | None = None,
) -> None:
    """One notice to one member, in their language, the dates in full."""
    theirs, zone, lang = in_language_of(ctx, member), zone_of(ctx), member.language
    label = event_label(event)
    if action == "move" and old is not None and new is not None:
        notice = theirs.reply(
            "events.move.notice",
            event=label,
            old=full_date(old, lang=lang, zone=zone),
            new=full_date(new, lang=lang, zone=zone),
            place=event.place or "-",
        )
    elif action == "cancel" and old is not None:
        when = full_date(old, lang=lang, zone=zone)
        notice = theirs.reply("events.cancel.notice", event=label, when=when)
    else:
        notice = theirs.reply("events.cancel.notice_all", event=label)
    ctx.notify(member.id or 0, notice)
