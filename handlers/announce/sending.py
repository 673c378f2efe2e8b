"""Sending an announcement: who hears it, what it costs, one outbox row each, then progress
and a report read back from those rows.

Shared by the `/umumkan` command (preview, "Kirim sekarang") and the announcements job
(scheduled ones, progress every minute, the final report). Everything here is idempotent:
rows are keyed `broadcast:{id}:{member_id}`, progress and report messages by their number,
so a job re-run or a restart queues nothing twice.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from babel.numbers import format_decimal
from sqlmodel import Session, select

from handlers.context import Options
from handlers.dates import local, short_date, zone_info
from handlers.events.schedule import next_occurrence
from handlers.i18n import t
from handlers.messages import Reply, reply_to_payload
from storage.announcements import (
    BroadcastCounts,
    Recipient,
    broadcast_counts,
    recipients,
    reserve_whatsapp,
)
from storage.communities import identities_of
from storage.events import answered_members, find_event
from storage.models import (
    Announcement,
    AnnouncementAudience,
    Community,
    Member,
    OutboxMessage,
    OutboxStatus,
    RsvpAnswer,
    WhatsAppQuota,
)
from storage.outbox import enqueue

__all__ = [
    "HELD_UNTIL",
    "PROGRESS_FROM",
    "Preview",
    "announcement_message",
    "audience_of",
    "number",
    "preview",
    "report_text",
    "start_announcement",
    "update_progress",
]

PROGRESS_FROM = 50
"""Sends to at least this many members show the coordinator their progress."""
HELD_UNTIL = time(8, 0)
"""Messages held by the daily WhatsApp cap go out from this local time of a later day."""
CHANNELS = ("telegram", "whatsapp", "local")


def number(lang: str, value: int) -> str:
    """1.200 in Indonesian, 1,200 in English."""
    return format_decimal(value, locale="id_ID" if lang == "id" else "en_US")


def announcement_message(lang: str, community: Community, text: str, media: str | None) -> Reply:
    """The announcement as a member sees it: who it is from, the text, how to stop."""
    body = t(lang, "announce.message", community=community.name, text=text)
    return Reply(text=body, media=(media,) if media else (), kind="broadcast")


def audience_of(
    session: Session,
    community: Community,
    *,
    audience: str,
    event_id: int | None,
    now: datetime,
    exclude_member_id: int | None,
) -> list[Recipient]:
    """The recipients now: everyone, sellers, or those who answered Hadir to the event's next
    date (any date, once the event is over)."""
    member_ids = None
    if audience == AnnouncementAudience.EVENT:
        event = find_event(session=session, community_id=community.id or 0, event_id=event_id or 0)
        if event is None:
            return []
        coming = next_occurrence(session, event, now=now, zone=community.timezone)
        dates = [coming.original] if coming is not None else None
        answered = answered_members(
            session=session, event=event, occurrences=dates, answers=(RsvpAnswer.HADIR,)
        )
        member_ids = [m.id or 0 for m in answered]
    return recipients(
        session=session,
        community_id=community.id or 0,
        audience=audience,
        now=now,
        member_ids=member_ids,
        exclude_member_id=exclude_member_id,
    )


@dataclass(frozen=True)
class Preview:
    """What sending now would mean: how many on each app, paid WhatsApp messages, cost."""

    total: int
    per_channel: dict[str, int]
    outside_window: int
    cost: int
    held: int  # beyond today's WhatsApp cap: they wait for the next day
    group: bool


def _day(moment: datetime, zone: str) -> str:
    return local(moment, zone).date().isoformat()


def preview(
    session: Session, community: Community, found: list[Recipient], options: Options, now: datetime
) -> Preview:
    """The numbers shown before a coordinator confirms."""
    per_channel = {c: sum(1 for r in found if r.channel == c) for c in CHANNELS}
    outside = sum(1 for r in found if r.outside_window)
    quota = session.get(WhatsAppQuota, _day(now, community.timezone))
    left = max(0, options.whatsapp_daily_cap - (quota.used if quota else 0))
    return Preview(
        total=len(found),
        per_channel=per_channel,
        outside_window=outside,
        cost=outside * options.whatsapp_template_price,
        held=max(0, outside - left),
        group=community.telegram_group_chat_id is not None,
    )


def _held_until(now: datetime, zone: str, days: int) -> datetime:
    day = local(now, zone).date() + timedelta(days=days)
    return datetime.combine(day, HELD_UNTIL, tzinfo=zone_info(zone))


def _whatsapp_days(
    session: Session, found: list[Recipient], cap: int, now: datetime, zone: str
) -> dict[int, int]:
    """On which day (0: today) each paid WhatsApp message fits under the daily cap; a cap
    of 0 or less means no cap."""
    waiting = [r.member.id or 0 for r in found if r.outside_window]
    days: dict[int, int] = {}
    offset = 0
    while waiting and cap > 0:
        day = _day(now + timedelta(days=offset), zone)
        granted = reserve_whatsapp(session=session, day=day, want=len(waiting), cap=cap)
        days.update((member_id, offset) for member_id in waiting[:granted])
        waiting, offset = waiting[granted:], offset + 1
    return days


def start_announcement(
    session: Session, announcement: Announcement, options: Options, now: datetime
) -> int:
    """Queue one row per recipient (and one group post); how many members it goes to.

    Idempotent: an announcement already started queues nothing. Business-initiated WhatsApp
    messages beyond the day's cap wait for the next day (and the next ...), and the author
    hears once how many wait.
    """
    if announcement.started_at is not None or announcement.cancelled_at is not None:
        return 0
    community = session.get(Community, announcement.community_id)
    assert community is not None
    found = audience_of(
        session,
        community,
        audience=announcement.audience,
        event_id=announcement.event_id,
        now=now,
        exclude_member_id=announcement.author_id,
    )
    aid = announcement.id or 0
    zone = community.timezone
    days = _whatsapp_days(session, found, options.whatsapp_daily_cap, now, zone)
    held = 0
    for recipient in found:
        not_before = None
        offset = days.get(recipient.member.id or 0, 0)
        if offset:
            not_before, held = _held_until(now, zone, offset), held + 1
        message = announcement_message(
            recipient.member.language, community, announcement.text, announcement.media_id
        )
        payload = reply_to_payload(message) | {"channel": recipient.channel}
        enqueue(
            session=session,
            community_id=community.id,
            member_id=recipient.member.id,
            kind="broadcast",
            idempotency_key=f"broadcast:{aid}:{recipient.member.id}",
            payload=payload,
            now=now,
            channel=recipient.channel,  # the app chosen above (the worker sends on it)
            not_before=not_before,
            broadcast_id=aid,
        )
    if community.telegram_group_chat_id:
        message = announcement_message(
            community.language, community, announcement.text, announcement.media_id
        )
        enqueue(
            session=session,
            community_id=community.id,
            member_id=None,
            chat_id=community.telegram_group_chat_id,
            kind="broadcast",
            idempotency_key=f"broadcast:{aid}:group",
            payload=reply_to_payload(message),
            now=now,
            broadcast_id=aid,
        )
    announcement.started_at, announcement.recipients, announcement.held = now, len(found), held
    session.add(announcement)
    author = session.get(Member, announcement.author_id) if announcement.author_id else None
    if held and author is not None:
        when = short_date(_held_until(now, zone, 1), lang=author.language, zone=zone)
        _tell(
            session,
            author,
            f"broadcast-held:{aid}",
            t(author.language, "announce.held", count=held, id=aid, when=when),
            now,
        )
    return len(found)


def _tell(
    session: Session,
    member: Member,
    key: str,
    text: str,
    now: datetime,
    *,
    pin: tuple[str, str] | None = None,
    edit: str | None = None,
) -> None:
    """A notice to the author; `pin` (channel, address) and `edit` change one sent before."""
    reply = Reply(text=text, kind="notice", extra={"edit_message_id": edit} if edit else {})
    enqueue(
        session=session,
        community_id=member.community_id,
        member_id=member.id,
        kind="notice",
        idempotency_key=key,
        payload=reply_to_payload(reply),
        now=now,
        channel=pin[0] if pin else None,
        address=pin[1] if pin else None,
    )


def report_text(lang: str, announcement: Announcement, counts: BroadcastCounts) -> str:
    """The final report: sent, delivered and read where the channel says, failures by reason."""
    lines = [
        t(lang, "announce.report.title", id=announcement.id),
        t(lang, "announce.report.recipients", count=counts.total),
        t(lang, "announce.report.sent", count=counts.sent),
    ]
    if counts.channels["whatsapp"]:
        lines.append(t(lang, "announce.report.delivered", count=counts.delivered))
        lines.append(t(lang, "announce.report.read", count=counts.read))
    lines.append(t(lang, "announce.report.failed", count=counts.failed + counts.skipped))
    for reason, count in sorted(counts.failures.items()):
        if reason != "opted_out":
            lines.append(t(lang, "announce.report.reason", reason=reason, count=count))
    lines.append(t(lang, "announce.report.opted_out", count=counts.opted_out))
    lines.append(t(lang, "announce.report.needs_template", count=counts.needs_template))
    if counts.group in (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ):
        lines.append(t(lang, "announce.report.group_sent"))
    elif counts.group is not None:
        lines.append(t(lang, "announce.report.group_failed"))
    return "\n".join(lines)


def _first_progress(session: Session, aid: int) -> OutboxMessage | None:
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == f"broadcast-progress:{aid}:1")
    ).first()


def update_progress(
    session: Session,
    announcement: Announcement,
    now: datetime,
    progress_from: int = PROGRESS_FROM,
) -> BroadcastCounts:
    """When a send starts and then once a minute: a progress line for sends to
    `progress_from` members or more (edited in place on Telegram), and the report once no
    row is left to send."""
    aid = announcement.id or 0
    counts = broadcast_counts(
        session=session, community_id=announcement.community_id, announcement_id=aid
    )
    author = session.get(Member, announcement.author_id) if announcement.author_id else None
    group_open = counts.group in (OutboxStatus.PENDING, OutboxStatus.SENDING)
    if counts.open == 0 and not group_open:
        announcement.finished_at = now
        session.add(announcement)
        if author is not None:
            text = report_text(author.language, announcement, counts)
            _tell(session, author, f"broadcast-report:{aid}", text, now)
        return counts
    if author is None or announcement.recipients < progress_from:
        return counts
    if counts.sent == announcement.progress_done and announcement.progress_seq > 0:
        return counts  # nothing new to say this minute (the first line says it started)
    first = _first_progress(session, aid)
    if first is not None and first.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
        return counts  # the last one is not out yet: no pile of progress messages
    lang = author.language
    text = t(
        lang,
        "announce.progress",
        id=aid,
        sent=number(lang, counts.sent),
        total=number(lang, counts.total),
    )
    seq = announcement.progress_seq + 1
    key = f"broadcast-progress:{aid}:{seq}"
    if first is not None and first.channel == "telegram" and first.provider_message_id:
        apps = identities_of(session=session, member_id=author.id or 0)
        chat = next((i for i in apps if i.channel == "telegram"), None)
        if chat is not None:
            pin = ("telegram", chat.address)
            _tell(session, author, key, text, now, pin=pin, edit=first.provider_message_id)
    else:
        _tell(session, author, key, text, now)
    announcement.progress_seq, announcement.progress_done = seq, counts.sent
    session.add(announcement)
    return counts
