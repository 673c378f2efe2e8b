"""The rate limiter on its own: a 429 holds back only its chat; the outbox gets it back."""

import asyncio
from datetime import timedelta

import pytest
from telegram import Update
from telegram.error import NetworkError, RetryAfter

from bot.channels.telegram_limits import ChatRateLimiter, PerChatUpdateProcessor
from tests.fakes.telegram_api import make_text_update

SEND = "sendMessage"


class Telegram:
    """Answers calls like the Bot API would, failing each chat's first call if told to."""

    def __init__(self, *failing: str, error: Exception | None = None) -> None:
        self.failing = set(failing)
        self.error = error or RetryAfter(timedelta(seconds=0.05))
        self.delivered: list[str] = []

    async def call(self, chat: str) -> bool:
        if chat in self.failing:
            self.failing.discard(chat)
            raise self.error
        self.delivered.append(chat)
        return True


async def send(limiter: ChatRateLimiter, api: Telegram, chat: str, attempts: int | None) -> object:
    return await limiter.process_request(api.call, (chat,), {}, SEND, {"chat_id": chat}, attempts)


async def test_a_429_holds_back_only_its_own_chat() -> None:
    limiter, api = ChatRateLimiter(), Telegram("1")
    await asyncio.gather(send(limiter, api, "1", None), send(limiter, api, "2", None))
    assert api.delivered == ["2", "1"]  # chat 2 went first; chat 1 was retried after its wait


async def test_a_single_attempt_gives_the_429_back() -> None:
    limiter, api = ChatRateLimiter(), Telegram("1")
    with pytest.raises(RetryAfter):
        await send(limiter, api, "1", 1)
    assert api.delivered == []


async def test_network_errors_are_retried_with_backoff() -> None:
    limiter = ChatRateLimiter(network_backoff=0.01)
    api = Telegram("-100", error=NetworkError("Bad Gateway"))
    assert await send(limiter, api, "-100", None) is True
    assert api.delivered == ["-100"]


async def test_calls_without_a_chat_are_not_limited() -> None:
    limiter, api = ChatRateLimiter(overall_per_second=1), Telegram()
    results = await asyncio.gather(
        *(limiter.process_request(api.call, ("x",), {}, "getFile", {}, None) for _ in range(5))
    )
    assert results == [True] * 5


async def test_a_flooding_chat_cannot_take_every_slot() -> None:
    """Chat 1's queued updates wait for their turn without holding a slot chat 2 needs."""
    processor, release, done = PerChatUpdateProcessor(2), asyncio.Event(), asyncio.Event()
    handled: list[int] = []

    async def handle(update_id: int, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        handled.append(update_id)
        if update_id == 9:
            done.set()

    def update(update_id: int, user_id: int) -> Update:
        return Update.de_json(make_text_update(update_id, user_id, "halo"), None)

    flood = [
        asyncio.create_task(processor.process_update(update(n, 1), handle(n, release)))
        for n in range(1, 5)
    ]
    other = asyncio.create_task(processor.process_update(update(9, 2), handle(9)))
    async with asyncio.timeout(1):
        await done.wait()  # chat 2 is answered while chat 1 is still stuck
    assert handled == [9]
    release.set()
    await asyncio.gather(*flood, other)
    assert handled == [9, 1, 2, 3, 4]  # chat 1 in order


def test_the_limits_are_telegrams() -> None:
    limiter = ChatRateLimiter()
    assert (limiter.overall.max_rate, limiter.overall.time_period) == (30, 1)
    private, group = limiter._limiter("42"), limiter._limiter("-1001234")
    assert private.max_rate / private.time_period == 1  # 1 message/s (bursts of 3)
    assert (group.max_rate, group.time_period) == (20, 60)  # 20 messages/min
