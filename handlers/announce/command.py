"""`/umumkan` (English `/announce`): a coordinator's message to many members.

`/umumkan Kerja bakti Minggu pagi` (a photo may carry it as its caption) goes straight to
the audience question; `/umumkan` alone asks for the text, then an optional photo;
`/umumkan acara 3 ...` is for those who answered Hadir to event #3. A preview shows the
message as members will see it, the audience per app, the paid WhatsApp messages and their
estimated cost, then Kirim sekarang / Jadwalkan / Batal. `/umumkan daftar` lists the
scheduled ones, `/umumkan batal 3` cancels one before it starts.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.announce.sending import (
    Preview,
    announcement_message,
    audience_of,
    number,
    preview,
    start_announcement,
)
from handlers.arguments import is_skip, parse_id
from handlers.catalogue.drafts import first_photo
from handlers.commands import hint
from handlers.context import Context
from handlers.dates import full_date, short_date
from handlers.events.when import read_when
from handlers.flow import Flow
from handlers.i18n import rupiah
from handlers.messages import Button, Incoming, Reply
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.announcements import (
    cancel_announcement,
    create_announcement,
    find_announcement,
    scheduled_announcements,
)
from storage.events import find_event
from storage.models import Announcement, AnnouncementAudience, Event, Role

LIST_WORDS = {"daftar", "list"}
CANCEL_WORDS = {"batal", "batalkan", "cancel"}
EVENT_WORDS = {"acara", "event"}
LIST_TEXT_LIMIT = 40


@dataclass
class AnnounceData:
    """What the coordinator has given so far."""

    text: str = ""
    media: str | None = None
    audience: str = AnnouncementAudience.EVERYONE
    event_id: int | None = None
    audience_set: bool = False


ANNOUNCE = Flow("announce", AnnounceData)


@REGISTRY.command("announce", slash=("umumkan", "announce"), role=Role.COORDINATOR, en="announce")
async def announce(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Start an announcement, or list (`daftar`) / cancel (`batal 3`) scheduled ones."""
    first, _, after = rest.strip().partition(" ")
    word = first.casefold()
    if word in LIST_WORDS:
        return [_list(ctx)]
    if word in CANCEL_WORDS:
        return [_cancel(ctx, after)]
    data = AnnounceData(media=first_photo(ctx, msg))
    text = rest.strip()
    if word in EVENT_WORDS:
        event_id, text = parse_id(after)
        if event_id is None or _event(ctx, event_id) is None:
            return [ctx.reply("announce.event_unknown", cmd=hint(ctx, "events"))]
        data.audience, data.event_id, data.audience_set = (
            AnnouncementAudience.EVENT,
            event_id,
            True,
        )
    if not text:
        ANNOUNCE.start(ctx, "text", data)
        return [ctx.reply("announce.ask.text")]
    data.text = text
    return _next(ctx, data)


def _event(ctx: Context, event_id: int) -> Event | None:
    assert ctx.community is not None
    return find_event(session=ctx.session, community_id=ctx.community.id or 0, event_id=event_id)


def _next(ctx: Context, data: AnnounceData) -> list[Reply]:
    """Ask what is still missing: the audience, then the preview."""
    if not data.audience_set:
        ANNOUNCE.start(ctx, "audience", data)
        return [_ask_audience(ctx)]
    return _preview(ctx, data)


def _ask_audience(ctx: Context, *, again: bool = False) -> Reply:
    buttons = [
        ANNOUNCE.button(ctx, "announce.button.everyone", "to", AnnouncementAudience.EVERYONE),
        ANNOUNCE.button(ctx, "announce.button.sellers", "to", AnnouncementAudience.SELLERS),
        ANNOUNCE.button(ctx, "announce.button.event", "to", AnnouncementAudience.EVENT),
    ]
    key = "announce.ask.audience_again" if again else "announce.ask.audience"
    return ctx.reply(key, buttons=buttons)


@ANNOUNCE.step("text", free_text=True)
async def text_step(msg: Incoming, ctx: Context, data: AnnounceData) -> Sequence[Reply]:
    """The announcement's text (a photo with a caption gives both)."""
    data.media = first_photo(ctx, msg) or data.media
    if not msg.text.strip():
        ANNOUNCE.start(ctx, "text", data)
        return [ctx.reply("announce.ask.text")]
    data.text = msg.text.strip()
    if data.media is None:
        ANNOUNCE.start(ctx, "photo", data)
        skip = ANNOUNCE.button(ctx, "announce.button.skip", "skip")
        return [ctx.reply("announce.ask.photo", buttons=[skip])]
    return _next(ctx, data)


@ANNOUNCE.step("photo")
async def photo_step(msg: Incoming, ctx: Context, data: AnnounceData) -> Sequence[Reply]:
    """An optional photo, or Lewati."""
    photo = first_photo(ctx, msg)
    if photo is None and not (ANNOUNCE.pressed(msg, "skip") or is_skip(msg.text)):
        skip = ANNOUNCE.button(ctx, "announce.button.skip", "skip")
        return [ctx.reply("announce.ask.photo", buttons=[skip])]
    data.media = photo
    return _next(ctx, data)


@ANNOUNCE.step("audience")
async def audience_step(msg: Incoming, ctx: Context, data: AnnounceData) -> Sequence[Reply]:
    """Everyone, sellers only, or those going to an event (then: which one)."""
    answer = ANNOUNCE.answer(msg)
    chosen = answer.arg if answer is not None and answer.action == "to" else None
    if chosen not in set(AnnouncementAudience):
        return [_ask_audience(ctx, again=True)]
    data.audience = AnnouncementAudience(chosen)
    if data.audience == AnnouncementAudience.EVENT:
        ANNOUNCE.start(ctx, "event", data)
        return [ctx.reply("announce.ask.event", cmd=hint(ctx, "events"))]
    data.audience_set = True
    return _preview(ctx, data)


@ANNOUNCE.step("event")
async def event_step(msg: Incoming, ctx: Context, data: AnnounceData) -> Sequence[Reply]:
    """The number of the event whose Hadir answers hear it."""
    event_id, _ = parse_id(msg.text)
    if event_id is None or _event(ctx, event_id) is None:
        return [ctx.reply("announce.event_unknown", cmd=hint(ctx, "events"))]
    data.event_id, data.audience_set = event_id, True
    return _preview(ctx, data)


def _audience_label(ctx: Context, audience: str, event_id: int | None) -> str:
    if audience == AnnouncementAudience.SELLERS:
        return ctx.t("announce.audience.sellers")
    if audience == AnnouncementAudience.EVENT:
        return ctx.t("announce.audience.event", id=event_id)
    return ctx.t("announce.audience.everyone")


def preview_numbers(ctx: Context, data: AnnounceData) -> Preview:
    """Who would hear it now and what it costs (chat's preview and the dashboard's)."""
    assert ctx.community is not None and ctx.member is not None
    found = audience_of(
        ctx.session,
        ctx.community,
        audience=data.audience,
        event_id=data.event_id,
        now=ctx.now,
        exclude_member_id=ctx.member.id,
    )
    return preview(ctx.session, ctx.community, found, ctx.options, ctx.now)


def preview_lines(ctx: Context, data: AnnounceData, numbers: Preview) -> list[str]:
    """The preview's numbers as lines: audience, apps, paid messages, cost, cap, group."""
    lines = [
        ctx.t(
            "announce.preview.audience",
            count=numbers.total,
            audience=_audience_label(ctx, data.audience, data.event_id),
        ),
        ctx.t(
            "announce.preview.channels",
            telegram=number(ctx.lang, numbers.per_channel["telegram"]),
            whatsapp=number(ctx.lang, numbers.per_channel["whatsapp"]),
            local=number(ctx.lang, numbers.per_channel["local"]),
        ),
        ctx.t("announce.preview.outside_window", count=numbers.outside_window),
        ctx.t(
            "announce.preview.cost",
            cost=rupiah(numbers.cost),
            price=rupiah(ctx.options.whatsapp_template_price),
        ),
    ]
    if numbers.held:
        lines.append(
            ctx.t(
                "announce.preview.cap",
                count=numbers.held,
                cap=number(ctx.lang, ctx.options.whatsapp_daily_cap),
            )
        )
    if numbers.group:
        lines.append(ctx.t("announce.preview.group"))
    return lines


def _preview(ctx: Context, data: AnnounceData) -> list[Reply]:
    """The message as members see it, then the numbers and the three choices."""
    assert ctx.community is not None
    lines = preview_lines(ctx, data, preview_numbers(ctx, data))
    ANNOUNCE.start(ctx, "confirm", data)
    shown = announcement_message(ctx.lang, ctx.community, data.text, data.media)
    return [
        ctx.reply("announce.preview.title"),
        Reply(text=shown.text, media=shown.media),
        Reply(text="\n".join(lines), buttons=tuple(_choices(ctx))),
    ]


def _choices(ctx: Context) -> list[Button]:
    return [
        ANNOUNCE.button(ctx, "announce.button.send", "send"),
        ANNOUNCE.button(ctx, "announce.button.schedule", "later"),
        ANNOUNCE.button(ctx, "announce.button.cancel", "no"),
    ]


@ANNOUNCE.step("confirm")
async def confirm_step(msg: Incoming, ctx: Context, data: AnnounceData) -> Sequence[Reply]:
    """Kirim sekarang, Jadwalkan, or Batal."""
    if ANNOUNCE.said_yes(msg, "send"):
        ANNOUNCE.end(ctx)
        return [send_now(ctx, data)[1]]
    if ANNOUNCE.pressed(msg, "later"):
        ANNOUNCE.start(ctx, "when", data)
        return [ctx.reply("announce.ask.when")]
    if ANNOUNCE.said_no(msg):
        ANNOUNCE.end(ctx)
        return [ctx.reply("announce.dropped")]
    return [ctx.reply("announce.ask.confirm_again", buttons=_choices(ctx))]


@ANNOUNCE.step("when", free_text=True)
async def when_step(msg: Incoming, ctx: Context, data: AnnounceData) -> Sequence[Reply]:
    """When to send it, in plain Indonesian (`besok 08.00`); never in the past."""
    row, reply = schedule(ctx, data, msg.text)
    if row is not None:
        ANNOUNCE.end(ctx)
    return [reply]


def send_now(ctx: Context, data: AnnounceData) -> tuple[Announcement, Reply]:
    """Kirim sekarang: the announcement and its rows, queued (chat and dashboard)."""
    row = _create(ctx, data, ctx.now)
    count = start_announcement(ctx.session, row, ctx.options, ctx.now)
    if count == 0:
        return row, ctx.reply("announce.nobody", id=row.id)
    return row, ctx.reply("announce.sending", id=row.id, count=count)


def schedule(ctx: Context, data: AnnounceData, when_text: str) -> tuple[Announcement | None, Reply]:
    """Jadwalkan at a time said in plain words (`besok 08.00`); None and why when unclear or
    past (chat and dashboard)."""
    zone = ctx.community.timezone if ctx.community else "Asia/Jakarta"
    when = read_when(when_text, now=ctx.now, zone=zone)
    if when is None:
        return None, ctx.reply("announce.when_unknown")
    if when.start <= ctx.now:
        shown = full_date(when.start, lang=ctx.lang, zone=zone)
        return None, ctx.reply("announce.when_past", when=shown)
    row = _create(ctx, data, when.start)
    reply = ctx.reply(
        "announce.scheduled",
        id=row.id,
        when=full_date(when.start, lang=ctx.lang, zone=zone),
        list=f"{hint(ctx, 'announce')} daftar",
        cancel=f"{hint(ctx, 'announce')} batal {row.id}",
    )
    return row, reply


def _create(ctx: Context, data: AnnounceData, at: datetime) -> Announcement:
    assert ctx.community is not None and ctx.member is not None
    return create_announcement(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        author_id=ctx.member.id,
        text=data.text,
        media_id=data.media,
        audience=data.audience,
        event_id=data.event_id,
        scheduled_for=at,
        now=ctx.now,
    )


def _list(ctx: Context) -> Reply:
    """The announcements waiting for their time."""
    assert ctx.community is not None
    rows = scheduled_announcements(session=ctx.session, community_id=ctx.community.id or 0)
    if not rows:
        return ctx.reply("announce.list.empty")
    zone = ctx.community.timezone
    lines = [ctx.t("announce.list.title", count=len(rows))]
    lines += [
        ctx.t(
            "announce.list.line",
            id=row.id,
            when=short_date(row.scheduled_for, lang=ctx.lang, zone=zone),
            text=shorten(row.text, LIST_TEXT_LIMIT),
            audience=_audience_label(ctx, row.audience, row.event_id),
        )
        for row in rows
    ]
    lines.append(ctx.t("announce.list.cancel_hint", cmd=f"{hint(ctx, 'announce')} batal"))
    return Reply(text="\n".join(lines))


def _cancel(ctx: Context, rest: str) -> Reply:
    """`batal 3`: cancel announcement #3 unless it has started."""
    assert ctx.community is not None
    announcement_id, _ = parse_id(rest)
    cmd = f"{hint(ctx, 'announce')} daftar"
    if announcement_id is None:
        return ctx.reply("announce.cancel.which", cmd=cmd)
    row = find_announcement(
        session=ctx.session, community_id=ctx.community.id or 0, announcement_id=announcement_id
    )
    if row is None or row.cancelled_at is not None:
        return ctx.reply("announce.cancel.unknown", id=announcement_id, cmd=cmd)
    if not cancel_announcement(session=ctx.session, announcement=row, now=ctx.now):
        return ctx.reply("announce.cancel.started", id=announcement_id)
    return ctx.reply("announce.cancel.done", id=announcement_id)
