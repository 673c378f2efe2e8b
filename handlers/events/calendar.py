"""`/kalender 3` (the card's "Tambah ke kalender"): the event as an `.ics` file (RFC 5545).

Made with the `icalendar` library, in the community's zone (a VTIMEZONE and TZID on every
time). A one-off event is one VEVENT whose UID names its occurrence
(`event-3-202612100100@KBA13.guyub`: the original start, UTC, so a move keeps it). A
recurring event is one series: its RRULE as stored, EXDATE for each cancelled occurrence,
and for each moved one an override VEVENT with the series' UID and a RECURRENCE-ID (RFC
5545 names an occurrence of a series that way; calendars then update, not duplicate). The
series' UID is `event-3@KBA13.guyub`.

The file is kept in the media store (no member's: it holds nothing personal) and goes out
as a document on Telegram and as a download link on WhatsApp, under the media store's
unguessable id (bot/web.py serves it). Its DTSTAMP is the event's last change, so the same
event gives the same bytes and the same link.
"""

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from icalendar.prop import vRecur

from handlers.commands import hint
from handlers.context import Context
from handlers.dates import local
from handlers.events.cards import event_label, pick, zone_of
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.events import event_exceptions
from storage.models import Community, Event, EventOccurrence

__all__ = ["calendar_file", "occurrence_uid", "series_uid"]

KEY_FORMAT = "%Y%m%d%H%M"


def _domain(community: Community) -> str:
    return f"{community.invite_code}.guyub"


def occurrence_uid(event: Event, original: datetime, community: Community) -> str:
    """The UID of one occurrence of a one-off event, stable across moves."""
    return f"event-{event.id}-{original:{KEY_FORMAT}}@{_domain(community)}"


def series_uid(event: Event, community: Community) -> str:
    """The UID of a recurring event's series (its overrides share it)."""
    return f"event-{event.id}@{_domain(community)}"


def _vevent(
    event: Event, uid: str, start: datetime, end: datetime | None, zone: str, stamp: datetime
) -> CalendarEvent:
    item = CalendarEvent()
    item.add("uid", uid)
    item.add("dtstamp", stamp)
    item.add("summary", event.title)
    if event.place:
        item.add("location", event.place)
    item.add("dtstart", local(start, zone))
    if end is not None:
        item.add("dtend", local(end, zone))
    if event.cancelled_at is not None:
        item.add("status", "CANCELLED")
    return item


def calendar_file(
    event: Event,
    community: Community,
    *,
    exceptions_: dict[datetime, EventOccurrence] | None = None,
) -> bytes:
    """The event as iCalendar bytes (see the module docstring for its shape)."""
    zone, stamp = community.timezone, event.updated_at
    length = event.ends_at - event.starts_at if event.ends_at else None
    exceptions = exceptions_ or {}
    calendar = Calendar()
    calendar.add("prodid", "-//Guyub//Acara Komunitas//ID")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", event.title)
    calendar.add("x-wr-timezone", zone)
    if event.rule is None:
        original = event.starts_at
        row = exceptions.get(original)
        start = row.moved_to if row is not None and row.moved_to is not None else original
        end = start + length if length is not None else None
        item = _vevent(event, occurrence_uid(event, original, community), start, end, zone, stamp)
        if row is not None and row.cancelled_at is not None:
            item["status"] = "CANCELLED"
        calendar.add_component(item)
    else:
        uid = series_uid(event, community)
        master = _vevent(event, uid, event.starts_at, event.ends_at, zone, stamp)
        master.add("rrule", vRecur.from_ical(event.rule))
        cancelled = sorted(o for o, row in exceptions.items() if row.cancelled_at is not None)
        for original in cancelled:
            master.add("exdate", local(original, zone))
        calendar.add_component(master)
        for original, row in sorted(exceptions.items()):
            if row.moved_to is None or row.cancelled_at is not None:
                continue
            end = row.moved_to + length if length is not None else None
            override = _vevent(event, uid, row.moved_to, end, zone, stamp)
            override.add("recurrence-id", local(original, zone))
            calendar.add_component(override)
    calendar.add_missing_timezones()
    return calendar.to_ical()


@REGISTRY.command("calendar", slash=("kalender", "calendar"), en="calendar")
async def calendar(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """KALENDER 3: the event's `.ics` file, to add it to one's phone calendar."""
    assert ctx.community is not None
    picked, problem = pick(ctx, rest, "reminders.calendar.usage")
    if picked is None:
        return problem
    event = picked.event
    if event.cancelled_at is not None:
        return [ctx.reply("events.cancelled_event", event=event_label(event))]
    raw = calendar_file(
        event, ctx.community, exceptions_=event_exceptions(session=ctx.session, event=event)
    )
    saved = ctx.media.save(
        session=ctx.session,
        data=raw,
        content_type="text/calendar",
        now=ctx.now,
        community_id=ctx.community.id,
        filename=f"acara-{event.id}.ics",
    )
    text = ctx.t("reminders.calendar.sent", event=event_label(event), zone=zone_of(ctx))
    text += "\n" + ctx.t("reminders.calendar.how", cmd=hint(ctx, "events"), id=event.id)
    return [Reply(text=text, documents=(saved.id,))]
