"""The Telegram channel: python-telegram-bot 22's Bot, updates through the inbox.

Long polling by default: Guyub calls getUpdates itself and asks for the next offset (which
tells Telegram the earlier updates arrived) only once they are written to the inbox. With
TELEGRAM_WEBHOOK_URL set, Telegram POSTs updates to the shared web app instead; every POST
must carry TELEGRAM_WEBHOOK_SECRET in `X-Telegram-Bot-Api-Secret-Token`, and is answered
200 only once the update is in the inbox (500 otherwise, so Telegram sends it again).
The inbox worker fetches photos and routes the updates, in order per person.
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
from telegram.ext import Application

from bot.app import Core
from bot.channels.base import CannotStart
from bot.channels.telegram_commands import publish_commands
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_inbound import (
    addressed_elsewhere,
    incoming,
    is_group,
    is_member,
    named_media,
    resolve_payload,
    store_photo,
)
from bot.channels.telegram_limits import ChatRateLimiter, telegram_rate
from bot.channels.telegram_send import TelegramSender
from bot.inbox import Direct, Prepared
from bot.inbox_writer import Arrival
from handlers.i18n import DEFAULT_LANGUAGE, normalize_language, t
from handlers.messages import Channel, MediaRef, Reply
from storage.media import MediaStore
from storage.models import InboxMessage

__all__ = ["SECRET_HEADER", "TelegramChannel"]

# PTB reads this whenever it builds a RetryAfter: timedelta periods, no deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
START_DELAYS = (1, 2, 4, 8, 16, 32, 60)  # seconds between start-up attempts: ~2 minutes
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kB; a megabyte is not from Telegram
POLL_BACKOFF_MAX = 30.0

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
            .rate_limiter(
                rate_limiter
                or ChatRateLimiter(overall_per_second=telegram_rate(settings), clock=core.clock)
            )
            .request(AiohttpRequest())  # sends: httpx cost ~40x the CPU per call
            .updater(None)  # we poll ourselves: an update is confirmed once it is in the inbox
        )
        self.application: TelegramApp = builder.build()
        self.media = MediaStore(core.options.media_dir)
        self.sender = TelegramSender(
            self.application.bot,
            open_session=core.open_session,
            media=self.media,
            clock=core.clock,
            paid_broadcast=settings.telegram_paid_broadcast,
            rate_per_second=telegram_rate(settings),
        )
        core.add_sender(self.sender)
        self._accepting = False
        self._polling: asyncio.Task[None] | None = None

    @property
    def webhook_path(self) -> str:
        """The path Telegram POSTs to: the one in TELEGRAM_WEBHOOK_URL."""
        return urlsplit(self.webhook_url or "").path or "/telegram"

    def routes(self) -> list[BaseRoute]:
        """The webhook route in webhook mode; nothing when polling."""
        if not self.webhook_url:
            return []
        return [Route(self.webhook_path, self._webhook, methods=["POST"])]

    def accept_webhooks(self) -> None:
        """`--role web`: answer webhook POSTs (into the inbox) without meeting the bot."""
        self._accepting = True

    async def start(self, *, serve_inbox: bool = True, receive: bool = True) -> None:
        """Meet the bot (getMe), publish the menu, resume the inbox, then poll or register
        the webhook. A `worker` process only serves the inbox (`receive=False`); the leading
        `scheduler` only receives (`serve_inbox=False`): one poller among all processes."""
        bot = self.application.bot
        try:
            await _with_retries(self.application.initialize, self.core)
        except CannotStart:
            await bot.shutdown()  # the HTTP connections initialize opened
            raise
        options = replace(self.core.options, telegram_bot_username=bot.username)
        self.core.options = self.core.router.options = options
        self.sender.ready = True
        if receive:
            await publish_commands(bot, self.core.open_session)
        if serve_inbox:
            self.core.inbox.serve(Channel.TELEGRAM, self._prepare)
        self._accepting = True
        if not receive:
            return
        if self.webhook_url:
            assert self.secret is not None
            url, secret = self.webhook_url, self.secret
            await _with_retries(
                lambda: bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES),
                self.core,
            )
            log.info("telegram: webhook mode on %s", self.webhook_path)
        else:
            await _with_retries(bot.delete_webhook, self.core)
            self._polling = asyncio.create_task(self._poll(), name="telegram-polling")
            log.info("telegram: polling as @%s", bot.username)

    async def stop(self) -> None:
        """Take no more updates, finish the ones in the inbox, then close the bot.

        The webhook stays registered: Telegram keeps updates while we are away.
        """
        self._accepting = False
        if self._polling is not None:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
            self._polling = None
        await self.core.inbox.release(Channel.TELEGRAM)
        self.sender.ready = False
        await self.application.shutdown()

    async def _poll(self) -> None:
        """getUpdates in a loop; the next offset is asked for only once the updates are
        in the inbox, so a crash before that gets them again (and dedupe drops repeats)."""
        bot, offset, backoff = self.application.bot, None, 1.0
        while self._accepting:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                if updates:
                    await self._accept([(u.to_dict(), u) for u in updates])
                    offset = updates[-1].update_id + 1
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # network trouble, a full disk: wait, ask again
                log.warning("telegram polling failed (%r); retrying in %.0fs", error, backoff)
                await self.core.clock.sleep(backoff)
                backoff = min(backoff * 2, POLL_BACKOFF_MAX)

    async def _accept(self, updates: list[tuple[dict[str, Any], Update]]) -> None:
        """Write updates to the inbox in one transaction (a repeat is dropped there)."""
        now = self.core.clock.now()
        arrivals = [
            Arrival(
                channel=Channel.TELEGRAM,
                platform_id=f"u{update.update_id}",
                sender=_sender_key(update),
                payload={"update": data},
                received_at=now,
            )
            for data, update in updates
        ]
        await self.core.inbox_writer.write(arrivals)
        self.core.inbox.kick()

    async def _webhook(self, request: Request) -> Response:
        """Check the secret, write the update to the inbox, then answer 200."""
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
        if not self._accepting:  # stop() began while the body arrived
            return Response(status_code=503)
        try:
            await self._accept([(data, update)])
        except Exception:
            log.exception("telegram update not written to the inbox; Telegram will resend it")
            return Response(status_code=500)
        return Response(status_code=200)

    async def _prepare(self, row: InboxMessage) -> Prepared:
        """An inbox row as the router's Incoming: messages and button presses; edits,
        channel posts and other bots are nothing to route."""
        update = Update.de_json(row.payload["update"], self.application.bot)
        if update.callback_query is not None:
            return await self._from_callback(update.update_id, update.callback_query, row)
        if update.message is not None:
            return await self._from_message(update.update_id, update.message, row)
        if update.my_chat_member is not None:
            self._on_membership(update.my_chat_member)
        return None

    async def _from_message(self, update_id: int, message: Message, row: InboxMessage) -> Prepared:
        user, chat = message.from_user, message.chat
        if user is None or user.is_bot or chat.type == ChatType.CHANNEL:
            return None  # anonymous admins, other bots, channel posts: nobody to answer
        text = message.text or message.caption or ""
        if is_group(chat) and (
            not text.startswith("/") or addressed_elsewhere(text, self.application.bot.username)
        ):
            return None  # in groups only our commands are answered
        media = named_media(message)
        photo: MediaRef | None = None
        if message.photo:
            photo = await self._keep_photo(message.photo[-1], user)
            media = (photo,) if photo is not None else ()
        now = row.received_at
        msg = incoming(update_id=update_id, user=user, chat=chat, now=now, text=text, media=media)
        if message.photo and photo is None:
            lang = normalize_language(user.language_code) or DEFAULT_LANGUAGE
            return Direct(msg, [Reply(text=t(lang, "telegram.photo_failed"))])
        return msg

    async def _keep_photo(self, photo: PhotoSize, user: User) -> MediaRef | None:
        """The photo in the media store; None if it could not be fetched.

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
        return None if media_id is None else MediaRef("photo", media_id, "image/jpeg")

    async def _from_callback(
        self, update_id: int, query: CallbackQuery, row: InboxMessage
    ) -> Prepared:
        try:
            await query.answer()  # stops the spinner on the button at once
        except TelegramError as error:  # too old to answer, or a hiccup: the press still counts
            log.info("telegram answerCallbackQuery: %s", error.message)
        if query.data is None:
            return None
        user = query.from_user
        chat = query.message.chat if query.message else Chat(user.id, ChatType.PRIVATE)
        payload = resolve_payload(self.core.open_session, str(user.id), query.data)
        return incoming(
            update_id=update_id, user=user, chat=chat, now=row.received_at, payload=payload
        )

    def _on_membership(self, change: ChatMemberUpdated) -> None:
        """Someone blocked the bot in their private chat: stop writing to them."""
        if change.chat.type == ChatType.PRIVATE and (
            change.new_chat_member.status == ChatMemberStatus.BANNED
        ):
            self.sender.mark_unreachable(str(change.chat.id), "blocked the bot")


def _sender_key(update: Update) -> str:
    """Whose updates must stay in order: the person (or, without one, the chat)."""
    if update.effective_user is not None:
        return str(update.effective_user.id)
    if update.effective_chat is not None:
        return str(update.effective_chat.id)
    return ""


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
