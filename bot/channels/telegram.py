"""The Telegram channel: python-telegram-bot 22 receiving into the router, replying in kind.

Long polling by default. With TELEGRAM_WEBHOOK_URL set, Telegram POSTs updates to the shared
web app instead (PTB's custom-webhook pattern: no Updater, updates go onto the
application's queue); every POST must carry TELEGRAM_WEBHOOK_SECRET in
`X-Telegram-Bot-Api-Secret-Token`, and is answered before it is handled.
"""

import asyncio
import hmac
import json
import logging
import os
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import CallbackQuery, Chat, ChatMemberUpdated, Message, PhotoSize, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.app import Core
from bot.channels.base import CannotStart
from bot.channels.telegram_commands import publish_commands
from bot.channels.telegram_inbound import (
    addressed_elsewhere,
    incoming,
    is_group,
    is_member,
    named_media,
    resolve_payload,
    store_photo,
)
from bot.channels.telegram_limits import ChatRateLimiter, PerChatUpdateProcessor
from bot.channels.telegram_send import TelegramSender
from handlers.i18n import DEFAULT_LANGUAGE, normalize_language, t
from handlers.messages import Incoming, MediaRef, Reply
from storage.media import MediaStore

__all__ = ["SECRET_HEADER", "TelegramChannel"]

# PTB reads this whenever it builds a RetryAfter: timedelta periods, no deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
START_DELAYS = (1, 2, 4, 8, 16, 32, 60)  # seconds between start-up attempts: ~2 minutes
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kB; a megabyte is not from Telegram

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class TelegramChannel:
    """The Telegram adapter: `start()` begins receiving, `sender` serves the outbox."""

    name = "telegram"

    def __init__(
        self,
        core: Core,
        *,
        poll_timeout: timedelta = timedelta(seconds=10),
        rate_limiter: ChatRateLimiter | None = None,
    ) -> None:
        settings = core.settings
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.core = core
        self.poll_timeout = poll_timeout
        self.webhook_url = settings.telegram_webhook_url
        self.secret = _webhook_secret(core) if self.webhook_url else None
        # httpx logs every request URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        builder = (
            Application.builder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(settings.telegram_api_base_url)
            .base_file_url(settings.telegram_api_file_url)
            .rate_limiter(rate_limiter or ChatRateLimiter(clock=core.clock))
            .concurrent_updates(PerChatUpdateProcessor())
        )
        if self.webhook_url:
            builder = builder.updater(None)
        self.application: TelegramApp = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.media = MediaStore(core.options.media_dir)
        self.sender = TelegramSender(
            self.application.bot, open_session=core.open_session, media=self.media, clock=core.clock
        )
        self._routing = asyncio.Lock()  # one router transaction at a time on this loop
        self._accepting = False

    @property
    def webhook_path(self) -> str:
        """The path Telegram POSTs to: the one in TELEGRAM_WEBHOOK_URL."""
        return urlsplit(self.webhook_url or "").path or "/telegram"

    def routes(self) -> list[BaseRoute]:
        """The webhook route in webhook mode; nothing when polling."""
        if not self.webhook_url:
            return []
        return [Route(self.webhook_path, self._webhook, methods=["POST"])]

    async def start(self) -> None:
        """Meet the bot (getMe), publish the menu, then poll or register the webhook."""
        bot = self.application.bot
        try:
            await _with_retries(self.application.initialize, self.core)
        except CannotStart:
            await bot.shutdown()  # the HTTP connections initialize opened
            raise
        options = replace(self.core.options, telegram_bot_username=bot.username)
        self.core.options = self.core.router.options = options
        self.sender.ready = True
        await publish_commands(bot, self.core.open_session)
        await self.application.start()
        self._accepting = True
        if self.webhook_url:
            assert self.secret is not None
            url, secret = self.webhook_url, self.secret
            await _with_retries(
                lambda: bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES),
                self.core,
            )
            log.info("telegram: webhook mode on %s", self.webhook_path)
        else:
            assert self.application.updater is not None
            await self.application.updater.start_polling(
                poll_interval=0, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
            log.info("telegram: polling as @%s", bot.username)

    async def stop(self) -> None:
        """Take no more updates, finish the ones in hand, then close the bot.

        The webhook stays registered: Telegram keeps updates while we are away.
        """
        self._accepting = False
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()  # waits for updates being handled
        self.sender.ready = False
        await self.application.shutdown()

    async def _webhook(self, request: Request) -> Response:
        """Check the secret, queue the update, answer at once; handling happens after."""
        given = request.headers.get(SECRET_HEADER, "")
        if self.secret is None or not hmac.compare_digest(given.encode(), self.secret.encode()):
            return Response(status_code=403)
        if not self._accepting:
            return Response(status_code=503)  # Telegram retries later
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_UPDATE_BYTES:
                return Response(status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.application.bot)
        except Exception:  # malformed JSON or not an Update at all
            return Response(status_code=400)
        if not self._accepting:  # stop() began while the body arrived: queued now, it is lost
            return Response(status_code=503)
        self.application.update_queue.put_nowait(update)  # no await between check and put
        return Response(status_code=200)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Messages and button presses reach the router; edits and channel posts do not."""
        if update.callback_query is not None:
            await self._on_callback(update.update_id, update.callback_query)
        elif update.message is not None:
            await self._on_message(update.update_id, update.message)
        elif update.my_chat_member is not None:
            self._on_membership(update.my_chat_member)

    async def _on_message(self, update_id: int, message: Message) -> None:
        user, chat = message.from_user, message.chat
        if user is None or user.is_bot or chat.type == ChatType.CHANNEL:
            return  # anonymous admins, other bots, channel posts: nobody to answer
        text = message.text or message.caption or ""
        if is_group(chat) and (
            not text.startswith("/") or addressed_elsewhere(text, self.application.bot.username)
        ):
            return  # in groups only our commands are answered
        media = named_media(message)
        if message.photo:
            photo = await self._keep_photo(message.photo[-1], user, chat)
            if photo is None:
                return
            media = (photo,)
        now = self.core.clock.now()
        msg = incoming(update_id=update_id, user=user, chat=chat, now=now, text=text, media=media)
        await self._answer(chat, msg)

    async def _keep_photo(self, photo: PhotoSize, user: User, chat: Chat) -> MediaRef | None:
        """The photo in the media store; None (after saying sorry) if it could not be fetched.

        Only members' photos are kept: nothing about a person is stored before they consent.
        """
        address = str(user.id)
        if not is_member(self.core.open_session, address):
            return MediaRef("photo", "", "image/jpeg")  # seen, not kept
        media_id = await store_photo(
            self.application.bot,
            photo,
            open_session=self.core.open_session,
            media=self.media,
            address=address,
            now=self.core.clock.now(),
        )
        if media_id is None:
            lang = normalize_language(user.language_code) or DEFAULT_LANGUAGE
            failed = Reply(text=t(lang, "telegram.photo_failed"))
            await self.sender.reply(chat.id, [failed], private=not is_group(chat))
            return None
        return MediaRef("photo", media_id, "image/jpeg")

    async def _on_callback(self, update_id: int, query: CallbackQuery) -> None:
        try:
            await query.answer()  # stops the spinner on the button at once
        except TelegramError as error:  # too old to answer, or a hiccup: the press still counts
            log.info("telegram answerCallbackQuery: %s", error.message)
        if query.data is None:
            return
        user = query.from_user
        chat = query.message.chat if query.message else Chat(user.id, ChatType.PRIVATE)
        payload = resolve_payload(self.core.open_session, str(user.id), query.data)
        now = self.core.clock.now()
        await self._answer(
            chat, incoming(update_id=update_id, user=user, chat=chat, now=now, payload=payload)
        )

    def _on_membership(self, change: ChatMemberUpdated) -> None:
        """Someone blocked the bot in their private chat: stop writing to them."""
        if change.chat.type == ChatType.PRIVATE and (
            change.new_chat_member.status == ChatMemberStatus.BANNED
        ):
            self.sender.mark_unreachable(str(change.chat.id), "blocked the bot")

    async def _answer(self, chat: Chat, msg: Incoming) -> None:
        async with self._routing:
            replies = await self.core.router.handle(msg)
        if replies:
            await self.sender.reply(chat.id, replies, private=not msg.is_group)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)


def _webhook_secret(core: Core) -> str:
    """The secret Telegram must echo; webhook mode refuses to run without a valid one."""
    secret = core.settings.telegram_webhook_secret
    value = secret.get_secret_value() if secret else ""
    if not SECRET_FORMAT.fullmatch(value):
        raise ValueError(
            "TELEGRAM_WEBHOOK_SECRET must be set in webhook mode: 1-256 characters of "
            "A-Z, a-z, 0-9, _ and -"
        )
    return value


async def _with_retries(call: Any, core: Core) -> Any:
    """Start-up calls survive a flaky network for about two minutes, one log line a retry
    (waiting on the core's clock); then, or at once for a refused token, `CannotStart`."""
    where = urlsplit(core.settings.telegram_api_base_url).netloc
    for attempt, delay in enumerate((*START_DELAYS, None), start=1):
        try:
            return await call()
        except BadRequest:
            raise
        except InvalidToken:  # its message holds the token: not repeated
            raise CannotStart(
                "Telegram refused TELEGRAM_BOT_TOKEN; copy it again from @BotFather"
            ) from None
        except NetworkError as error:
            if delay is None:
                raise CannotStart(
                    f"cannot reach Telegram at {where} after {attempt} attempts ({error}); "
                    "check the network or TELEGRAM_API_BASE_URL"
                ) from None
            log.warning(
                "telegram: cannot reach %s (%s); attempt %d of %d, retrying in %d s",
                where,
                error,
                attempt,
                len(START_DELAYS) + 1,
                delay,
            )
            await core.clock.sleep(delay)
