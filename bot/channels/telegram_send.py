"""Sending to Telegram: direct replies and outbox messages, each Reply as few messages as fit.

A reply with a photo is one message (photo + caption + keyboard) unless its text is longer
than a caption may be; then the rest follows as text, with the keyboard on the last part.
Photos go by Telegram file_id when Telegram already has them, otherwise the bytes are
uploaded from the media store once and the returned file_id is kept for next time.
Documents (a data export) follow the text as files under their own names.
"""

import asyncio
import logging
from typing import Any

from sqlmodel import col, update
from telegram import InlineKeyboardMarkup, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.channels.telegram_limits import retry_seconds
from bot.channels.telegram_render import escape, keyboard, split_caption, split_text
from handlers.clock import Clock
from handlers.messages import Reply
from jobs.sending import Outbound, PermanentFailure, RetryLater, SendResult
from storage.communities import find_identity
from storage.db import SessionFactory, transaction
from storage.media import MediaStore
from storage.models import Community, Media

__all__ = ["TelegramSender", "is_unreachable"]

log = logging.getLogger(__name__)

ALBUM_LIMIT = 10
NOT_RUNNING_RETRY = 5.0  # seconds: the channel is starting or stopping, not failing
EMPTY_TEXT = "⬇️"  # a keyboard needs a message to hang on
# in a Reply's extra: edit that (earlier) message instead of sending a new one
EDIT_KEY = "edit_message_id"
GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


def is_unreachable(error: TelegramError) -> bool:
    """403 (blocked, kicked, deactivated) or a chat Telegram does not know: stop writing."""
    if isinstance(error, Forbidden):
        return True
    return isinstance(error, BadRequest) and any(g in error.message.lower() for g in GONE)


class TelegramSender:
    """The Telegram side of the delivery worker, and of the adapter's direct replies."""

    channel = "telegram"

    def __init__(
        self,
        bot: ExtBot[Any],
        *,
        open_session: SessionFactory,
        media: MediaStore,
        clock: Clock,
        paid_broadcast: bool = False,
        rate_per_second: float = 30.0,
    ) -> None:
        self.bot = bot
        self.paid_broadcast = paid_broadcast
        self.rate_per_second = rate_per_second  # the delivery worker sizes its pool by it
        self.open_session = open_session
        self.media = media
        self.clock = clock
        self.ready = False  # set by the channel once the bot is initialised

    async def send(self, outbound: Outbound) -> SendResult:
        """Send one outbox message; Telegram's answers become RetryLater/PermanentFailure."""
        if not self.ready:
            raise RetryLater("telegram channel is not running", retry_after=NOT_RUNNING_RETRY)
        # A reply's 429 is waited out for that chat by the rate limiter (someone is
        # waiting; other chats go on); anything else comes back as RetryLater at once.
        attempts = None if outbound.kind == "reply" else 1
        edit = outbound.reply.extra.get(EDIT_KEY)
        try:
            if edit:
                return await self.edit(outbound.address, int(edit), outbound.reply.text, attempts)
            message = await self.deliver(
                outbound.address,
                outbound.reply,
                first_attempts=attempts,
                paid=self.paid_broadcast and outbound.kind != "reply",
            )
        except RetryAfter as error:
            raise RetryLater(error.message, retry_after=retry_seconds(error)) from error
        except (Forbidden, BadRequest) as error:
            code = "403" if isinstance(error, Forbidden) else "400"
            unreachable = is_unreachable(error)
            raise PermanentFailure(error.message, code, unreachable=unreachable) from error
        except TelegramError as error:  # network trouble, timeouts, 5xx: try again later
            raise RetryLater(f"telegram: {error.message}") from error
        return SendResult(provider_id=str(message.message_id) if message else None)

    async def edit(
        self, chat_id: int | str, message_id: int, text: str, attempts: int | None
    ) -> SendResult:
        """Change the text of a message sent before (an announcement's progress, in place)."""
        try:
            await self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=message_id,
                text=escape(text),
                parse_mode=ParseMode.HTML,
                rate_limit_args=attempts,
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                raise
        return SendResult(provider_id=str(message_id), buttons_shown=False)

    async def deliver(
        self, chat_id: int | str, reply: Reply, *, first_attempts: int | None, paid: bool = False
    ) -> Message | None:
        """Send a reply; returns the last message. A group that became a supergroup is followed.

        `paid`: as a paid broadcast (allow_paid_broadcast), which lifts the bot's 30/s.
        """
        try:
            return await self._deliver(chat_id, reply, first_attempts, paid)
        except ChatMigrated as moved:
            self._follow_migration(str(chat_id), str(moved.new_chat_id))
            return await self._deliver(moved.new_chat_id, reply, first_attempts, paid)

    async def _deliver(
        self, chat_id: int | str, reply: Reply, attempts: int | None, paid: bool = False
    ) -> Message | None:
        extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
        markup = keyboard(reply.buttons)
        media = [row for row in (self._media_row(m) for m in reply.media) if row is not None]
        texts = split_text(reply.text)
        last: Message | None = None
        if len(media) == 1:
            caption, texts = split_caption(reply.text)
            last = await self._send_photo(
                chat_id, media[0], caption, markup, texts, attempts, extra
            )
            attempts = None  # the first part is out: later parts retry here, not via the outbox
        elif media:
            for start in range(0, len(media), ALBUM_LIMIT):
                await self._send_album(chat_id, media[start : start + ALBUM_LIMIT], attempts, extra)
                attempts = None
        if not texts and markup is not None and last is None:
            texts = [EMPTY_TEXT]
        for index, text in enumerate(texts):
            last = await self.bot.send_message(
                chat_id=chat_id,
                text=escape(text),
                parse_mode=ParseMode.HTML,
                reply_markup=markup if index == len(texts) - 1 else None,
                rate_limit_args=attempts,
                **extra,
            )
            attempts = None
        for row in (self._media_row(d) for d in reply.documents):
            if row is not None:
                last = await self._send_document(chat_id, row, attempts, extra)
                attempts = None
        return last

    async def _send_document(
        self, chat_id: int | str, row: Media, attempts: int | None, extra: dict[str, Any]
    ) -> Message:
        """A file under its stored name; uploaded each time (documents are personal, one-off)."""
        return await self.bot.send_document(
            chat_id=chat_id,
            document=await asyncio.to_thread(self.media.read, row),
            filename=self.media.file_name(row),
            rate_limit_args=attempts,
            **extra,
        )

    async def _send_photo(
        self,
        chat_id: int | str,
        row: Media,
        caption: str,
        markup: InlineKeyboardMarkup | None,
        texts_after: list[str],
        attempts: int | None,
        extra: dict[str, Any],
    ) -> Message:
        """One photo with its caption; the keyboard goes on it unless more text follows."""

        async def send(photo: str | bytes) -> Message:
            return await self.bot.send_photo(
                chat_id=chat_id,
                photo=photo,
                caption=escape(caption) or None,
                parse_mode=ParseMode.HTML,
                reply_markup=None if texts_after else markup,
                rate_limit_args=attempts,
                **extra,
            )

        if row.telegram_file_id:
            try:
                return await send(row.telegram_file_id)
            except BadRequest as error:
                if is_unreachable(error):
                    raise
                log.info("telegram forgot file of media %s; uploading it again", row.id)
        message = await send(await asyncio.to_thread(self.media.read, row))
        self._remember_file_id(row.id, message)
        return message

    async def _send_album(
        self, chat_id: int | str, rows: list[Media], attempts: int | None, extra: dict[str, Any]
    ) -> None:
        """Several photos as one album, by file_id where known (all uploaded if one is stale)."""

        async def send(use_ids: bool) -> None:
            photos = [
                row.telegram_file_id
                if use_ids and row.telegram_file_id
                else await asyncio.to_thread(self.media.read, row)
                for row in rows
            ]
            messages = await self.bot.send_media_group(
                chat_id=chat_id,
                media=[InputMediaPhoto(photo) for photo in photos],
                rate_limit_args=attempts if use_ids else None,
                **extra,
            )
            for row, photo, message in zip(rows, photos, messages, strict=False):
                if isinstance(photo, bytes):
                    self._remember_file_id(row.id, message)

        try:
            await send(use_ids=True)
        except BadRequest as error:
            if is_unreachable(error) or not any(row.telegram_file_id for row in rows):
                raise
            await send(use_ids=False)

    def _media_row(self, media_id: str) -> Media | None:
        with self.open_session() as session:
            row = self.media.get(session=session, media_id=media_id)
        if row is None:
            log.warning("reply refers to missing media %s; sending the text only", media_id)
        return row

    def _remember_file_id(self, media_id: str, message: Message) -> None:
        """Keep the file_id of an upload (new, or replacing one Telegram no longer knows)."""
        if not message.photo:
            return
        with transaction(self.open_session) as session:
            row = session.get(Media, media_id)
            if row is not None and row.telegram_file_id != message.photo[-1].file_id:
                row.telegram_file_id = message.photo[-1].file_id
                session.add(row)

    def mark_unreachable(self, address: str, reason: str) -> None:
        """Note that this person cannot be written to (blocked the bot, account gone)."""
        with transaction(self.open_session) as session:
            identity = find_identity(session=session, channel=self.channel, address=address)
            if identity is not None:
                identity.unreachable_at = self.clock.now()
                identity.unreachable_reason = reason[:200]
                session.add(identity)

    def _follow_migration(self, old: str, new: str) -> None:
        log.info("telegram group %s became supergroup %s", old, new)
        with transaction(self.open_session) as session:
            session.exec(
                update(Community)
                .where(col(Community.telegram_group_chat_id) == old)
                .values(telegram_group_chat_id=new)
            )
