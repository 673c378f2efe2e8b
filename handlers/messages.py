"""The contracts between channels and features: what comes in, what goes out."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from handlers.text_hygiene import clean_optional, clean_text

__all__ = [
    "Button",
    "Channel",
    "Incoming",
    "MediaRef",
    "Reply",
    "payload_to_reply",
    "reply_to_payload",
]


class Channel(StrEnum):
    """Where a message came from or goes to."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A piece of media attached to an incoming message.

    `ref` is what the channel needs to fetch it: a Telegram file_id, a Twilio media URL,
    or a media-store id for the local channel.
    """

    kind: str  # photo, sticker, audio, video, document, location, other
    ref: str
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a person, stripped of everything platform-specific, its text cleaned."""

    channel: Channel
    message_id: str
    address: str  # Telegram user id, E.164 phone for WhatsApp, a name on the local channel
    display_name: str
    received_at: datetime
    text: str = ""
    media: tuple[MediaRef, ...] = ()
    payload: str | None = None  # button payload, when the person pressed a button
    username: str | None = None  # Telegram @username, without the @
    language_hint: str | None = None  # e.g. Telegram's language_code
    chat_id: str | None = None  # the group chat, when said in a group
    is_group: bool = False

    def __post_init__(self) -> None:
        """Every channel's text is cleaned here, once, before anything stores or shows it."""
        for name in ("text", "display_name"):
            object.__setattr__(self, name, clean_text(getattr(self, name)))
        for name in ("payload", "username", "language_hint"):
            object.__setattr__(self, name, clean_optional(getattr(self, name)))

    @property
    def photos(self) -> tuple[MediaRef, ...]:
        """The attached photos."""
        return tuple(m for m in self.media if m.kind == "photo")


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the person; `payload` comes back when it is chosen."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """Something to say: text, optional media-store ids, optional buttons.

    `media` are photos, shown as pictures; `documents` are files (a data export, say),
    sent as a document where the channel can and as a download link where it cannot.
    `to_member` addresses another member of the same community (a notice to a seller,
    say); such replies go through the outbox like every message the bot starts itself.
    """

    text: str
    media: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    to_member: int | None = None
    kind: str = "reply"  # reply, notice, digest, broadcast, reminder
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    documents: tuple[str, ...] = ()


def reply_to_payload(reply: Reply) -> dict[str, object]:
    """A reply as JSON for the outbox."""
    return {
        "text": reply.text,
        "media": list(reply.media),
        "buttons": [[b.label, b.payload] for b in reply.buttons],
        "extra": dict(reply.extra),
        "documents": list(reply.documents),
    }


def payload_to_reply(payload: dict[str, object], kind: str = "notice") -> Reply:
    """An outbox payload back as a reply."""
    buttons = payload.get("buttons") or []
    media = payload.get("media") or []
    extra = payload.get("extra") or {}
    documents = payload.get("documents") or []
    assert isinstance(buttons, list) and isinstance(media, list) and isinstance(extra, dict)
    assert isinstance(documents, list)
    return Reply(
        text=str(payload.get("text", "")),
        media=tuple(str(m) for m in media),
        buttons=tuple(Button(str(label), str(data)) for label, data in buttons),
        kind=kind,
        extra={str(k): str(v) for k, v in extra.items()},
        documents=tuple(str(d) for d in documents),
    )
