"""The rate limiter on its own: a 429 holds back only its chat; the outbox gets it back."""

import asyncio
from datetime import datetime, timedelta

import pytest
from telegram.error import NetworkError, RetryAfter

from bot.channels.telegram_limits import ChatRateLimiter
from handlers.clock import ManualClock

SEND = "sendMessage"


class Telegram:
    """Answers calls like the Bot API would, failing each chat's first call if told to."""

    def __init__(self, clock: ManualClock, *failing: str, error: Exception | None = None) -> None:
        self.clock, self.failing = clock, set(failing)
        self.error = error or RetryAfter(timedelta(seconds=0.05))
        self.delivered: list[str] = []
        self.times: list[datetime] = []

    async def call(self, chat: str) -> bool:
        if chat in self.failing:
            self.failing.discard(chat)
            raise self.error
        self.delivered.append(chat)
        self.times.append(self.clock.now())
        return True

    def seconds(self, since: datetime) -> list[float]:
        """When each delivery happened, in (virtual) seconds after `since`."""
        return [round((t - since).total_seconds(), 3) for t in self.times]


async def send(limiter: ChatRateLimiter, api: Telegram, chat: str, attempts: int | None) -> object:
    return await limiter.process_request(api.call, (chat,), {}, SEND, {"chat_id": chat}, attempts)


async def test_a_429_holds_back_only_its_own_chat(clock: ManualClock) -> None:
    limiter, api, start = ChatRateLimiter(clock=clock), Telegram(clock, "1"), clock.now()
    await asyncio.gather(send(limiter, api, "1", None), send(limiter, api, "2", None))
    assert api.delivered == ["2", "1"]  # chat 2 went first; chat 1 was retried after its wait
    # the refused call counts in chat 1's window (1/s, windows 3 % long), in virtual time
    assert api.seconds(start) == [0, 1.03]


async def test_a_private_chat_gets_one_a_second_in_every_window(clock: ManualClock) -> None:
    limiter, api, start = ChatRateLimiter(clock=clock), Telegram(clock), clock.now()
    await asyncio.gather(*(send(limiter, api, "42", None) for _ in range(4)))
    await send(limiter, api, "-100", None)  # a group has its own allowance
    assert api.seconds(start) == [0, 1.03, 2.06, 3.09, 3.09]


async def test_the_bot_sends_at_most_thirty_a_second(clock: ManualClock) -> None:
    limiter, api, start = ChatRateLimiter(clock=clock), Telegram(clock), clock.now()
    await asyncio.gather(*(send(limiter, api, str(chat), None) for chat in range(1, 33)))
    # evenly paced (bursts of 4), and the 31st only when the first is a whole (3 % longer)
    # second old: never 31 in any second
    assert api.seconds(start)[:5] == [0, 0, 0, 0, 0.034]
    assert api.seconds(start)[29:] == [0.893, 1.03, 1.03]


async def test_a_single_attempt_gives_the_429_back(clock: ManualClock) -> None:
    limiter, api = ChatRateLimiter(clock=clock), Telegram(clock, "1")
    with pytest.raises(RetryAfter):
        await send(limiter, api, "1", 1)
    assert api.delivered == []


async def test_network_errors_are_retried_with_backoff(clock: ManualClock) -> None:
    limiter, start = ChatRateLimiter(network_backoff=0.5, clock=clock), clock.now()
    api = Telegram(clock, "-100", error=NetworkError("Bad Gateway"))
    assert await send(limiter, api, "-100", None) is True
    assert api.delivered == ["-100"]
    assert api.seconds(start) == [0.5]


async def test_calls_without_a_chat_are_not_limited(clock: ManualClock) -> None:
    limiter, api = ChatRateLimiter(overall_per_second=1, clock=clock), Telegram(clock)
    results = await asyncio.gather(
        *(limiter.process_request(api.call, ("x",), {}, "getFile", {}, None) for _ in range(5))
    )
    assert results == [True] * 5


def test_the_limits_are_telegrams() -> None:
    limiter = ChatRateLimiter()
    assert (limiter.overall.max_rate, limiter.overall.time_period) == (30, 1)
    private, group = limiter._limiter("42"), limiter._limiter("-1001234")
    assert (private.max_rate, private.time_period) == (1, 1)  # 1 message/s, no bursts
    assert (group.max_rate, group.time_period) == (20, 60)  # 20 messages/min
