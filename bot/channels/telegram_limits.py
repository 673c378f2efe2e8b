"""Telegram's flood limits, and the order in which one chat's updates are handled.

PTB's AIORateLimiter has no per-private-chat limit and halts *every* request after one 429,
so Guyub uses its own small limiter, exact in every sliding window: 30 messages/s for the
bot (1,000/s in paid broadcast mode), 1/s per private chat, 20/min per group. A 429 pauses
only the chat it came from; 429s from several chats at once mean the bot's overall budget
is spent, and pause that. It waits on the injected clock (asyncio for real, virtual time
in tests), never blocking the event loop.
"""

import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.channels.rate_limit import RateLimit
from bot.settings import Settings
from handlers.clock import Clock, SystemClock

__all__ = ["PAID_BROADCAST_RATE", "ChatRateLimiter", "retry_seconds", "telegram_rate"]

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
KEEP_LIMITERS = 1024  # forget idle chats' limiters beyond this many
GLOBAL_FLOOD_CHATS = 3  # 429s from this many chats within a second: the bot's own limit


PAID_BROADCAST_RATE = 1000.0  # Telegram's ceiling with allow_paid_broadcast (Stars per message)


def telegram_rate(settings: Settings) -> float:
    """The bot's overall messages per second: paid broadcast lifts it, never the per-chat."""
    if settings.telegram_paid_broadcast:
        return max(settings.telegram_rate_per_second, PAID_BROADCAST_RATE)
    return settings.telegram_rate_per_second


def retry_seconds(error: RetryAfter) -> float:
    """The wait a 429 asks for, in seconds (PTB gives a timedelta with PTB_TIMEDELTA=true)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _is_group(chat_id: object) -> bool:
    """Groups and channels have negative ids (or @names); people have positive ones."""
    try:
        return int(str(chat_id)) < 0
    except ValueError:
        return True


class ChatRateLimiter(BaseRateLimiter[int]):
    """Rate limits per bot, per chat and per group; retries 429s and network errors per chat.

    `rate_limit_args` is how many attempts one call may take (None: 1 + `max_retries`; PTB
    drops a 0, hence attempts rather than retries). The outbox passes 1, so a 429 comes back
    as RetryLater and the row is retried later instead of holding up the drain.
    """

    def __init__(
        self,
        *,
        overall_per_second: float = 30,
        private_per_second: float = 1,
        group_per_minute: float = 20,
        max_retries: int = 3,
        network_backoff: float = 0.5,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.overall = RateLimit(overall_per_second, 1, clock=self.clock, smooth=True)
        self.private_rate = (private_per_second, 1.0)
        self.group_rate = (group_per_minute, 60.0)
        self.max_retries = max_retries
        self.network_backoff = network_backoff
        self._chats: dict[str, RateLimit] = {}
        self._paused_until: dict[str, float] = {}  # clock timestamps
        self._floods: dict[str, float] = {}  # chat -> when its last 429 came
        self._prune_at = KEEP_LIMITERS

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _limiter(self, chat: str) -> RateLimit:
        if chat not in self._chats:
            if len(self._chats) >= self._prune_at:  # amortised: a broadcast meets 1,000s
                for key, idle in list(self._chats.items()):
                    if idle.has_capacity(idle.max_rate) and not idle.turn.locked():
                        del self._chats[key]
                self._prune_at = max(KEEP_LIMITERS, 2 * len(self._chats))
            rate, period = self.group_rate if _is_group(chat) else self.private_rate
            self._chats[chat] = RateLimit(rate, period, clock=self.clock)
        return self._chats[chat]

    def pause(self, chat: str, seconds: float) -> None:
        """Hold back this chat only, after Telegram asked it to wait."""
        now = self.clock.now().timestamp()
        self._paused_until[chat] = max(self._paused_until.get(chat, 0.0), now + seconds)
        self._floods = {c: t for c, t in self._floods.items() if now - t < 1.0}
        self._floods[chat] = now
        if len(self._floods) >= GLOBAL_FLOOD_CHATS:  # not this chat: the bot as a whole
            log.info("telegram: 429s from %d chats; all sends wait %ss", len(self._floods), seconds)
            self.overall.pause(seconds)

    async def _wait_if_paused(self, chat: str) -> None:
        until = self._paused_until.get(chat)
        if until is None:
            return
        delay = until - self.clock.now().timestamp()
        if delay > 0:
            await self.clock.sleep(delay)
        if self._paused_until.get(chat) == until:
            del self._paused_until[chat]

    async def _acquire(self, chat: str) -> None:
        """Take a slot in the chat's window and the bot's at the same moment, the moment of
        sending: taking one and then waiting for the other would let a burst through."""
        window = self._limiter(chat)
        async with window.turn:  # one chat's messages in order, one at a time here
            await self._wait_if_paused(chat)
            while (wait := window.wait_seconds()) > 0:
                await self.clock.sleep(wait)
            await self.overall.acquire()
            window.take()  # only the holder of `turn` takes from it: still room

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """Wait for the limits, make the call, and retry it as allowed."""
        if data.get("chat_id") is None:  # getFile, answerCallbackQuery, setMyCommands, ...
            return await callback(*args, **kwargs)
        chat = str(data["chat_id"])
        retries = self.max_retries if rate_limit_args is None else max(rate_limit_args - 1, 0)
        attempt = 0
        while True:
            try:
                await self._acquire(chat)
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.pause(chat, retry_seconds(error) + 0.1)
                if attempt >= retries:
                    raise
                log.info("telegram %s: 429, retrying after %ss", endpoint, retry_seconds(error))
            except BadRequest:
                raise
            except NetworkError:
                if attempt >= retries:
                    raise
                await self.clock.sleep(self.network_backoff * 2**attempt)
            attempt += 1
