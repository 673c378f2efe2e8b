"""The tables. Money is whole Rupiah in integers; times are aware UTC."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

__all__ = [
    "ChannelIdentity",
    "Community",
    "ConversationState",
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
    "Role",
]


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
    timezone: str = "Asia/Jakarta"
    language: str = "id"
    approval_required: bool = False
    max_active_products: int = 20
    telegram_group_chat_id: str | None = None
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


class LinkCode(SQLModel, table=True):
    """A one-time code that joins a second chat app to an existing member."""

    code: str = Field(primary_key=True)
    member_id: int = _fk("member.id")
    expires_at: datetime = Field(sa_type=UTCDateTime)


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
    updated_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = _utc()


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
