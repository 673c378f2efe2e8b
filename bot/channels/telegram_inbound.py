"""From a Telegram update to an Incoming: who, where, what was said, which photo.

A member's photo is fetched once (getFile + download) into the media store before routing,
so the handlers see a media-store id; a photo Telegram already gave us is found by its
file_id and not downloaded again. Someone who has not joined (consented) yet has nothing
stored: their photo reaches the router as a photo with an empty ref. Other media
(stickers, voice, documents, ...) are only named, so the router can say it reads text and
photos only.
"""

import asyncio
import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session
from telegram import Chat, Message, PhotoSize, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.channels.images import NotAPhoto, photo_type
from bot.channels.telegram_render import TOKEN_PREFIX, resolve_callback
from handlers.messages import Channel, Incoming, MediaRef
from storage.communities import find_identity
from storage.db import SessionFactory, transaction
from storage.media import MediaStore
from storage.models import ChannelIdentity, ConversationState, Member

__all__ = [
    "addressed_elsewhere",
    "incoming",
    "is_group",
    "is_member",
    "named_media",
    "resolve_payload",
    "store_photo",
]

log = logging.getLogger(__name__)

# (Message attribute, MediaRef kind); the first present wins (an animation is also a document).
MEDIA_KINDS = (
    ("sticker", "sticker"),
    ("animation", "video"),
    ("video", "video"),
    ("video_note", "video"),
    ("voice", "audio"),
    ("audio", "audio"),
    ("document", "document"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "other"),
    ("poll", "other"),
    ("dice", "other"),
)


def is_group(chat: Chat) -> bool:
    """A group or supergroup (channels are ignored before this is asked)."""
    return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def addressed_elsewhere(text: str, bot_username: str | None) -> bool:
    """`/menu@OtherBot` in a group is for another bot, not for us."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if not first.startswith("/") or "@" not in first:
        return False
    return first.split("@", 1)[1].lower() != (bot_username or "").lower()


def named_media(message: Message) -> tuple[MediaRef, ...]:
    """Non-photo media as a kind and a file_id, without downloading anything."""
    for attribute, kind in MEDIA_KINDS:
        value = getattr(message, attribute, None)
        if value:
            file_id = getattr(value, "file_id", "")
            return (MediaRef(kind, str(file_id), getattr(value, "mime_type", None)),)
    return ()


def incoming(
    *,
    update_id: int,
    user: User,
    chat: Chat,
    now: datetime,
    text: str = "",
    media: tuple[MediaRef, ...] = (),
    payload: str | None = None,
) -> Incoming:
    """The Incoming for one update; its id `u<update_id>` lets the router drop redeliveries."""
    group = is_group(chat)
    return Incoming(
        channel=Channel.TELEGRAM,
        message_id=f"u{update_id}",
        address=str(user.id),
        display_name=user.full_name,
        received_at=now,
        text=text,
        media=media,
        payload=payload,
        username=user.username,
        language_hint=user.language_code,
        chat_id=str(chat.id) if group else None,
        is_group=group,
    )


def _identity(session: Session, address: str) -> ChannelIdentity | None:
    return find_identity(session=session, channel=Channel.TELEGRAM, address=address)


def is_member(open_session: SessionFactory, address: str) -> bool:
    """Whether this Telegram user has joined a community (and so consented to storage)."""
    with open_session() as session:
        identity = _identity(session, address)
        return identity is not None and identity.member_id is not None


def resolve_payload(open_session: SessionFactory, address: str, data: str) -> str:
    """The payload behind callback data; an unknown token stays as it is (an expired button)."""
    if not data.startswith(TOKEN_PREFIX):
        return data
    with open_session() as session:
        identity = _identity(session, address)
        state = session.get(ConversationState, identity.id) if identity else None
        shown = list(state.buttons) if state else []
    return resolve_callback(data, shown) or data


async def store_photo(
    bot: ExtBot[Any],
    photo: PhotoSize,
    *,
    open_session: SessionFactory,
    media: MediaStore,
    address: str,
    now: datetime,
) -> str | None:
    """The media-store id of a photo, downloading it only if it is new; None if that failed."""
    with open_session() as session:
        known = media.by_telegram_file_id(session=session, file_id=photo.file_id)
        if known is not None:
            return known.id
    try:
        data = bytes(await (await bot.get_file(photo.file_id)).download_as_bytearray())
    except TelegramError as error:
        log.warning("telegram photo download failed: %r", error)
        return None
    try:
        content_type = await asyncio.to_thread(photo_type, data)  # decoding must not stall
    except NotAPhoto as error:
        log.warning("telegram photo not kept: %s", error)
        return None

    def keep() -> str:
        with transaction(open_session) as session:
            identity = _identity(session, address)
            member_id = identity.member_id if identity else None
            member = session.get(Member, member_id) if member_id else None
            row = media.save(
                session=session,
                data=data,
                content_type=content_type,  # JPEG: Telegram re-encodes every photo
                now=now,
                community_id=member.community_id if member else None,
                telegram_file_id=photo.file_id,
            )
            return row.id

    return await asyncio.to_thread(keep)  # writing megabytes must not stall the loop
