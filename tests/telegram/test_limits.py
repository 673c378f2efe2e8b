"""The rate limiter on its own: a 429 holds back only its chat; the outbox gets it back."""

import asyncio
from datetime import timedelta

import pytest
from telegram.error import NetworkError, RetryAfter

from bot.channels.telegram_limits import ChatRateLimiter

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
