"""The tables. Money is whole Rupiah in integers; times are aware UTC."""

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

__all__ = [
    "Announcement",
    "AnnouncementAudience",
    "BuddyAssignment",
    "ChannelIdentity",
    "Community",
    "ConversationState",
    "DashboardLogin",
    "Digest",
    "Event",
    "EventOccurrence",
    "Exposure",
    "ExposureKind",
    "InboxMessage",
    "LinkAttempt",
    "LinkCode",
    "Media",
    "Member",
    "OutboxLane",
    "OutboxMessage",
    "OutboxStatus",
    "ProcessedInbound",
    "Product",
    "ProductRequest",
    "ProductStatus",
    "Recommendation",
    "Role",
    "Rsvp",
    "RsvpAnswer",
    "ShareLink",
    "ShareOpen",
    "WhatsAppQuota",
]


DEFAULT_EVENT_REMINDERS = ("-1d@18:00", "-2h")


def _utc(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), index=True, nullable=nullable
        ),
    )


class Role(StrEnum):
    """What a member may do: every seller is a member, every coordinator a seller."""

    MEMBER = "member"
    SELLER = "seller"
    COORDINATOR = "coordinator"


class Community(SQLModel, table=True):
    """A kampung, koperasi, alumni group or posyandu that sells together."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    invite_code: str = Field(unique=True, index=True)
    area: str | None = None  # where it is (kelurahan, town), shown on its public pages
    timezone: str = "Asia/Jakarta"
    language: str = "id"
    approval_required: bool = False
    max_active_products: int = 20
    telegram_group_chat_id: str | None = None
    recommendations_per_day: int = Field(default=10, sa_column_kwargs={"server_default": "10"})
    # promo buddies are paired weekly at this local time (weekday 0 = Monday)
    buddy_weekday: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    buddy_time: str = Field(default="08:00", sa_column_kwargs={"server_default": "08:00"})
    # the weekly digest goes out at this local time (weekday 4 = Friday)
    digest_weekday: int = Field(default=4, sa_column_kwargs={"server_default": "4"})
    digest_time: str = Field(default="09:00", sa_column_kwargs={"server_default": "09:00"})
    # event reminders unless an event sets its own (Event.reminder_offsets): "-1d@18:00" is
    # the day before at 18:00 local time, "-2h" two hours before the start
    event_reminders: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EVENT_REMINDERS),
        sa_column=Column(
            JSON, nullable=False, server_default=json.dumps(list(DEFAULT_EVENT_REMINDERS))
        ),
    )
    # the catalogue at /k/<code> and the poster at /poster/<code> are open to anyone
    public_catalogue: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """One person in one community, however many chat apps they use."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    display_name: str
    business_name: str | None = None
    area: str | None = None
    role: str = Field(default=Role.MEMBER)
    language: str = "id"
    phone: str | None = None  # E.164, from WhatsApp or given by the member
    hide_phone: bool = False
    contact_channel: str | None = None  # how buyers should reach them: whatsapp | telegram
    assisted: bool = False  # created by a coordinator for someone without a smartphone
    consent_at: datetime | None = _utc()
    opted_out_at: datetime | None = _utc()
    buddy_since: datetime | None = _utc()  # opted in to weekly promo buddies (PASANGAN ikut)
    leaderboard_hidden: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ChannelIdentity(SQLModel, table=True):
    """An address on one channel (Telegram id, WhatsApp number, local name)."""

    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    address: str
    member_id: int | None = _fk("member.id", nullable=True)
    display_name: str = ""
    username: str | None = Field(default=None, index=True)
    language: str | None = None  # chosen or guessed before joining
    last_inbound_at: datetime | None = _utc()
    unreachable_at: datetime | None = _utc()  # blocked the bot, number gone, ...
    unreachable_reason: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class ConversationState(SQLModel, table=True):
    """Where a person is in a multi-step flow, and what the last buttons meant."""

    identity_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("channelidentity.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    buttons: list[list[str]] = Field(default_factory=list, sa_type=JSON)  # [label, payload]
    # When those buttons were shown (they stay answerable by number for a day), and how many
    # notices they gather (0: one reply's buttons; 2+: several notices, a number is ambiguous).
    buttons_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    button_notices: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProcessedInbound(SQLModel, table=True):
    """Inbound ids already handled, so platform retries are answered once."""

    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    message_id: str
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)


class InboxMessage(SQLModel, table=True):
    """An inbound message, written before the platform hears 2xx; done once its effects are.

    The payload is what the channel needs to route it later (form fields, the update's
    JSON, media references, never downloaded bytes). It is emptied once done, so the
    table keeps no conversation beyond what the features stored themselves.
    """

    __tablename__ = "inbox"

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    platform_id: str  # MessageSid, u<update_id>, a local id
    sender: str = Field(index=True)  # whose messages must stay in order
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    attempts: int = 0
    received_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = _utc(index=True)
    # PostgreSQL, several workers: who holds the row and until when (also a failed row's
    # retry time); a killed worker's rows are taken again once the lease is over
    claimed_by: str | None = None
    lease_until: datetime | None = _utc()


class ProcessBeat(SQLModel, table=True):
    """One running `guyub run` process, seen every few seconds (`guyub status`, the
    per-process share of the rate limits)."""

    __tablename__ = "process"

    id: str = Field(primary_key=True)  # the process name: DELIVERY_WORKER_NAME, or host:pid
    role: str
    host: str
    pid: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
    leader: bool = False  # holds the scheduler lock (runs the jobs, polls Telegram)


class LinkCode(SQLModel, table=True):
    """A one-time code that joins a second chat app to an existing member."""

    code: str = Field(primary_key=True)
    member_id: int = _fk("member.id")
    expires_at: datetime = Field(sa_type=UTCDateTime)


class DashboardLogin(SQLModel, table=True):
    """A one-time dashboard link a coordinator asked for in chat: only the token's hash is
    kept, so a copy of the database opens nothing; used once, within minutes."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    community_id: int = _fk("community.id")
    member_id: int = _fk("member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = _utc()


class LinkAttempt(SQLModel, table=True):
    """A wrong link code, kept an hour so codes cannot be guessed without limit.

    `who` is a hash of channel and address, not an identity: erasing one's data must not
    reset the count, and the row names no one (it is deleted within the hour anyway).
    """

    id: int | None = Field(default=None, primary_key=True)
    who: str = Field(index=True)
    attempted_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OutboxStatus(StrEnum):
    """Life of a bot-initiated message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"
    NEEDS_TEMPLATE = "needs_template"


class OutboxLane:
    """Which rows the delivery worker serves first: lower is sooner."""

    REPLY = 0  # answers to a person's own message
    NOTICE = 1  # one person hears about something (a notice, a reminder)
    BULK = 2  # digests and broadcasts to many


class OutboxMessage(SQLModel, table=True):
    """One message the bot starts itself, for one recipient, sent at most once."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int | None = _fk("community.id", nullable=True)  # None: a reply to a stranger
    member_id: int | None = _fk("member.id", nullable=True)
    chat_id: str | None = None  # a group chat instead of a member
    address: str | None = None  # a reply goes back where the message came from (`channel`)
    inbox_id: int | None = Field(default=None, index=True)  # the message a reply answers
    lane: int = Field(default=OutboxLane.NOTICE, index=True)
    kind: str = "notice"
    idempotency_key: str = Field(unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=OutboxStatus.PENDING, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, index=True)
    channel: str | None = None
    provider_message_id: str | None = Field(default=None, index=True)
    error_code: str | None = None
    last_error: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)  # while `sending`: when it was claimed
    sent_at: datetime | None = _utc()
    claimed_by: str | None = None  # the delivery worker sending it (its lease: updated_at)
    # the announcement this row carries (its counts and progress are read from the rows)
    broadcast_id: int | None = _fk("announcement.id", nullable=True, ondelete="SET NULL")


class Media(SQLModel, table=True):
    """A file kept by the bot: a photo (so a picture posted on one channel shows on the
    other), or a document made for one member, such as their data export."""

    id: str = Field(primary_key=True)  # unguessable token, also the public URL part
    community_id: int | None = _fk("community.id", nullable=True)
    member_id: int | None = _fk("member.id", nullable=True)  # whose personal file this is
    sha256: str = Field(index=True)
    content_type: str = "image/jpeg"
    size: int = 0
    path: str  # relative to the media folder
    telegram_file_id: str | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class ProductStatus(StrEnum):
    """Life of a product: nothing is public before the seller confirms."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    SOLD_OUT = "sold_out"
    HIDDEN = "hidden"  # by a coordinator, with a reason
    REMOVED = "removed"


class Product(SQLModel, table=True):
    """Something a seller offers to the community."""

    # Ids are shown to people (#12) and sit in old buttons: never reuse a deleted one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    seller_id: int = _fk("member.id")
    posted_by_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    title: str
    description: str = ""
    price: int | None = None  # whole Rupiah; None means "ask the seller"
    category: str = "lainnya"
    status: str = Field(default=ProductStatus.DRAFT, index=True)
    photo_media_id: str | None = Field(
        default=None,
        sa_column=Column(ForeignKey("media.id", ondelete="SET NULL"), nullable=True),
    )
    search_text: str = ""  # normalised title + description, for accent-insensitive search
    moderation_reason: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    last_confirmed_at: datetime = Field(sa_type=UTCDateTime)
    stale_asked_at: datetime | None = _utc()


class ProductRequest(SQLModel, table=True):
    """A *permintaan*: a member searched for something nobody offers, and asked to tell sellers.

    Coordinators see them (PERMINTAAN, LAPORAN); `words` are the search words as typed.
    """

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    member_id: int = _fk("member.id")
    words: str = Field(max_length=60)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Recommendation(SQLModel, table=True):
    """A member vouching for another member's product (*rekomendasi*), one per product.

    An erased member's recommendations stay counted but name nobody (member_id NULL).
    """

    __table_args__ = (UniqueConstraint("product_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    product_id: int = _fk("product.id")
    member_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    testimonial: str | None = Field(default=None, max_length=200)
    testimonial_removed_at: datetime | None = _utc()  # by a coordinator (/hapusulasan)
    seller_notified_at: datetime | None = _utc()  # gathered into the seller's daily notice
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ShareLink(SQLModel, table=True):
    """A member's personal link to a product (*Bagikan*): who opens it credits the sharer."""

    __table_args__ = (UniqueConstraint("product_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    product_id: int = _fk("product.id")
    member_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    code: str = Field(unique=True, index=True)  # unguessable, shown in t.me / wa.me links
    created_at: datetime = Field(sa_type=UTCDateTime)


class ShareOpen(SQLModel, table=True):
    """Someone opened a share link. `credited` once per distinct person, never the sharer.

    The opener is a member once known; before joining, the chat identity that opened it.
    """

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    share_link_id: int = _fk("sharelink.id")
    opener_member_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    opener_identity_id: int | None = _fk("channelidentity.id", nullable=True, ondelete="SET NULL")
    credited: bool = False
    opened_at: datetime = Field(sa_type=UTCDateTime, index=True)


class BuddyAssignment(SQLModel, table=True):
    """One week's promo-buddy task: `member_id` promotes `partner_id`'s product this week.

    A pair is two rows (each promotes the other); a group of three is a ring of three rows.
    """

    __table_args__ = (UniqueConstraint("community_id", "week", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    week: str = Field(index=True)  # ISO week of the pairing in the community's zone: 2026-W49
    group_no: int = 0  # rows of one pair or trio share it within a week
    member_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    partner_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    product_id: int | None = _fk("product.id", nullable=True, ondelete="SET NULL")
    done_at: datetime | None = _utc()  # answered SUDAH
    reminded_at: datetime | None = _utc()
    ended_at: datetime | None = _utc()  # a member left or was erased
    created_at: datetime = Field(sa_type=UTCDateTime)


class ExposureKind(StrEnum):
    """Where a product was shown to people: the ledger behind fair promotion."""

    DIGEST = "digest"
    SHARE = "share"
    BUDDY = "buddy"
    SHARE_OPEN = "share_open"


class Exposure(SQLModel, table=True):
    """One appearance of a product in front of people (digest, share, buddy, link opened).

    `member_id` is who caused it (the sharer, the buddy), anonymised on erasure.
    """

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    product_id: int = _fk("product.id")
    kind: str
    member_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    at: datetime = Field(sa_type=UTCDateTime, index=True)


class Event(SQLModel, table=True):
    """A community event (posyandu day, bazaar, arisan): once, or recurring by an RRULE.

    `starts_at` is the first occurrence (UTC); a recurring event's other occurrences follow
    `rule` (RFC 5545 RRULE value, read in the community's zone). One occurrence is moved or
    cancelled by an `EventOccurrence` row, never by editing the event.
    """

    # Ids are shown to people (`/acara 3`) and sit in old buttons: never reuse a deleted one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    title: str
    place: str = ""
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime | None = _utc()  # of the first occurrence; later ones keep the length
    rule: str | None = None  # RRULE value, e.g. FREQ=MONTHLY;BYMONTHDAY=10; None: once
    capacity: int | None = None  # None: no limit
    created_by_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    cancelled_at: datetime | None = _utc()  # the whole event, every occurrence
    # reminders (the reminders job reads these): who hears them, a line to bring along, and
    # the offsets (as Community.event_reminders; None: the community's)
    remind_to: str = Field(default="attending", sa_column_kwargs={"server_default": "attending"})
    checklist: str | None = None
    reminder_offsets: list[str] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class EventOccurrence(SQLModel, table=True):
    """An exception to an event's schedule: one occurrence moved (`moved_to`) or cancelled.

    `occurrence` is the occurrence's original start (UTC), as the rule (or the one-off
    event's `starts_at`) gives it: RSVPs and reminders key on it, so they survive a move.
    """

    __table_args__ = (UniqueConstraint("event_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    event_id: int = _fk("event.id")
    occurrence: datetime = Field(sa_type=UTCDateTime)
    moved_to: datetime | None = _utc()
    cancelled_at: datetime | None = _utc()
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RsvpAnswer(StrEnum):
    """What a member said about coming to one occurrence."""

    HADIR = "hadir"
    TIDAK = "tidak"
    MUNGKIN = "mungkin"


class Rsvp(SQLModel, table=True):
    """A member's answer for one occurrence (its original start), changeable until the start.

    A Hadir beyond the event's capacity waits (`waitlisted`); the waiting list is ordered
    by `updated_at`, which changes only when the answer does.
    """

    __table_args__ = (UniqueConstraint("event_id", "occurrence", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    event_id: int = _fk("event.id")
    occurrence: datetime = Field(sa_type=UTCDateTime)
    member_id: int = _fk("member.id")
    answer: str
    waitlisted: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Consignment(SQLModel, table=True):
    """*Titip produk*: a seller's product to be brought to one occurrence of an event
    (its original start, as RSVPs), by a carrier who answered Hadir; after the event the
    carrier reports how many sold (`sold`, `reported_at`), which counts as promotion help.
    """

    __table_args__ = (UniqueConstraint("event_id", "occurrence", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    event_id: int = _fk("event.id")
    occurrence: datetime = Field(sa_type=UTCDateTime)
    product_id: int = _fk("product.id")
    seller_id: int = _fk("member.id")
    carrier_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    quantity: int | None = None  # how many pieces; None: not said
    sold: int | None = None  # reported by the carrier after the event
    created_at: datetime = Field(sa_type=UTCDateTime)
    carried_at: datetime | None = _utc()
    reported_at: datetime | None = _utc()


class Digest(SQLModel, table=True):
    """One member's weekly digest: what it showed, so the next one knows what is new.

    One row per member and ISO week (the outbox key `digest:{week}:{member_id}` matches).
    `pending` holds the full digest while a WhatsApp member outside the 24-hour window has
    only had the template teaser; their next message brings it (`followed_at`).
    """

    __table_args__ = (UniqueConstraint("member_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    member_id: int = _fk("member.id")
    week: str  # ISO week in the community's zone: 2027-W02
    product_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    event_keys: list[str] = Field(default_factory=list, sa_type=JSON)  # "3:202701100100"
    channel: str | None = None  # the channel it was written for
    pending: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    followed_at: datetime | None = _utc()
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class AnnouncementAudience(StrEnum):
    """Who hears an announcement."""

    EVERYONE = "everyone"
    SELLERS = "sellers"
    EVENT = "event"  # those who answered Hadir to `event_id`


class Announcement(SQLModel, table=True):
    """A coordinator's message to many members (*pengumuman*), now or at `scheduled_for`.

    One outbox row per recipient carries it (`OutboxMessage.broadcast_id`); its counts are
    read from those rows. `started_at` is set once the rows are queued (never twice).
    """

    # Ids are shown to people (`/umumkan batal 3`): never reuse a deleted one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = _fk("community.id")
    author_id: int | None = _fk("member.id", nullable=True, ondelete="SET NULL")
    text: str
    media_id: str | None = Field(
        default=None,
        sa_column=Column(ForeignKey("media.id", ondelete="SET NULL"), nullable=True),
    )
    audience: str = Field(default=AnnouncementAudience.EVERYONE)
    event_id: int | None = _fk("event.id", nullable=True, ondelete="SET NULL")
    scheduled_for: datetime = Field(sa_type=UTCDateTime, index=True)
    started_at: datetime | None = _utc()
    finished_at: datetime | None = _utc()
    cancelled_at: datetime | None = _utc()
    recipients: int = 0  # members queued when it started
    held: int = 0  # WhatsApp messages held for a later day by the daily cap
    progress_seq: int = 0  # progress messages sent to the author so far
    progress_done: int = 0  # the count the last one showed
    created_at: datetime = Field(sa_type=UTCDateTime)


class WhatsAppQuota(SQLModel, table=True):
    """Business-initiated WhatsApp messages planned per day, against the sender's daily cap.

    One WhatsApp sender serves every community, so the count is not per community.
    """

    day: str = Field(primary_key=True)  # local date, 2027-01-11
    used: int = 0
