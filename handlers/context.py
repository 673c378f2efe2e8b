"""What a handler knows about the message it answers, and the helpers it answers with."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.clock import Clock
from handlers.i18n import t
from handlers.messages import Button, Reply
from storage.communities import identities_of
from storage.media import MediaStore
from storage.models import ChannelIdentity, Community, ConversationState, Member, Role

__all__ = ["ROLE_RANK", "Context", "Options", "has_role", "in_language_of", "member_context"]

ROLE_RANK = {Role.MEMBER: 0, Role.SELLER: 1, Role.COORDINATOR: 2}


def has_role(member: Member | None, role: Role) -> bool:
    """True when the member's role is `role` or above (a coordinator can do what a seller can)."""
    return member is not None and ROLE_RANK[Role(member.role)] >= ROLE_RANK[role]


@dataclass(frozen=True)
class Options:
    """The few settings handlers need, passed down from bot/ (handlers never read env)."""

    telegram_bot_username: str | None = None  # learnt from getMe when Telegram starts
    whatsapp_number: str | None = None  # the bot's WhatsApp number, digits only (wa.me links)
    public_base_url: str | None = None
    web_base_url: str | None = None  # where this server listens (links when no public one)
    media_dir: Path = Path("data/media")
    max_text_length: int = 4000
    whatsapp_template_price: int = 650  # Rupiah per template message (cost estimates)
    whatsapp_daily_cap: int = 1000  # business-initiated WhatsApp messages a day
    announce_progress_from: int = 50  # recipients from which a send reports its progress


@dataclass
class Context:
    """Everything a handler may use while answering one message."""

    session: Session
    clock: Clock
    options: Options
    identity: ChannelIdentity
    state: ConversationState
    member: Member | None = None
    community: Community | None = None
    lang: str = "id"
    outbox: list[Reply] = field(default_factory=list)  # notices to other members
    erased: bool = False  # the person's data was just erased: store nothing more
    after_commit: list[Callable[[], None]] = field(default_factory=list)  # e.g. file deletes

    @property
    def now(self) -> datetime:
        """The current aware UTC time."""
        return self.clock.now()

    @property
    def zone(self) -> ZoneInfo:
        """The community's time zone (WIB by default)."""
        return ZoneInfo(self.community.timezone if self.community else "Asia/Jakarta")

    @property
    def media(self) -> MediaStore:
        """The media store for photos."""
        return MediaStore(self.options.media_dir)

    def t(self, key: str, /, **values: object) -> str:
        """A catalogue text in this person's language."""
        return t(self.lang, key, **values)

    def reply(self, key: str, /, *, buttons: Sequence[Button] = (), **values: object) -> Reply:
        """A reply made of one catalogue text and optional buttons."""
        return Reply(text=self.t(key, **values), buttons=tuple(buttons))

    def button(self, key: str, payload: str, /, **values: object) -> Button:
        """A button whose label comes from the catalogue."""
        return Button(label=self.t(key, **values), payload=payload)

    def start_flow(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Enter (or move within) a multi-step flow; stored, so it survives restarts.

        Features declare flows with `handlers.flow.Flow`, which calls this with typed data.
        """
        self.state.flow, self.state.step = flow, step
        self.state.data = dict(data or {})

    def end_flow(self) -> None:
        """Leave the current flow."""
        self.state.flow = self.state.step = None
        self.state.data = {}

    def notify(self, member_id: int, reply: Reply) -> None:
        """Tell another member something; it goes out through the outbox after commit."""
        self.outbox.append(
            Reply(
                text=reply.text,
                media=reply.media,
                buttons=reply.buttons,
                to_member=member_id,
                kind=reply.kind if reply.kind != "reply" else "notice",
                extra=dict(reply.extra),
                documents=reply.documents,
            )
        )


def in_language_of(ctx: Context, member: Member) -> Context:
    """The same context speaking another member's language, for notices to them."""
    return replace(ctx, lang=member.language)


def member_context(
    *, session: Session, clock: Clock, options: Options, member: Member, community: Community
) -> Context:
    """A context speaking to `member` without a message of theirs (a scheduled notice)."""
    identities = identities_of(session=session, member_id=member.id or 0)
    identity = (
        identities[0]
        if identities
        else ChannelIdentity(channel="local", address="", created_at=clock.now())
    )
    state = ConversationState(identity_id=identity.id, updated_at=clock.now())
    return Context(
        session=session,
        clock=clock,
        options=options,
        identity=identity,
        state=state,
        member=member,
        community=community,
        lang=member.language,
    )
