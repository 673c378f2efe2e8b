"""The limiters hold the limit in every sliding window, not only on average."""

import asyncio
import random

from bot.channels.telegram_limits import ChatRateLimiter
from handlers.clock import ManualClock
from jobs.pacing import SEND_PRIORITY, SlidingWindow, in_flight_for
from tests.delivery.channel import most_in_any_window


async def acquire_at(window: SlidingWindow, clock: ManualClock, delay: float) -> float:
    await clock.sleep(delay)
    return await window.acquire()


async def test_random_arrivals_never_exceed_the_limit_in_any_window(clock: ManualClock) -> None:
    rng = random.Random(7)
    window = SlidingWindow(30, 1.0, clock=clock)
    delays = [rng.uniform(0, 20) for _ in range(1500)] + [5.0] * 200  # and a burst
    times = await asyncio.gather(*(acquire_at(window, clock, d) for d in delays))
    assert most_in_any_window(times) == 30
    # and it does not hold back more than needed: 1,700 at 30/s take about 57 s
    assert max(times) - min(times) < 1700 / 30 + 1


async def test_a_leaky_bucket_would_have_let_twice_the_limit_through(clock: ManualClock) -> None:
    """The known flaw of the old RateLimit: a full bucket at t=0.99 and again at t=1.01."""
    window = SlidingWindow(30, 1.0, clock=clock)
    first = await asyncio.gather(*(acquire_at(window, clock, 0.99) for _ in range(30)))
    second = await asyncio.gather(*(acquire_at(window, clock, 0.02) for _ in range(30)))
    assert most_in_any_window(first + second) == 30
    assert min(second) - min(first) >= 1.0


async def test_a_reply_waiting_goes_before_bulk_waiting(clock: ManualClock) -> None:
    window = SlidingWindow(1, 1.0, clock=clock)
    await window.acquire()
    order: list[str] = []

    async def wait(name: str, lane: int) -> None:
        SEND_PRIORITY.set(lane)
        await window.acquire()
        order.append(name)

    bulk = [asyncio.create_task(wait(f"bulk{i}", 2)) for i in range(3)]
    await asyncio.sleep(0)
    reply = asyncio.create_task(wait("reply", 0))
    await asyncio.gather(*bulk, reply)
    assert order == ["reply", "bulk0", "bulk1", "bulk2"]


async def test_a_pause_holds_everything_until_it_ends(clock: ManualClock) -> None:
    window = SlidingWindow(80, 1.0, clock=clock)
    start = clock.now().timestamp()
    window.pause(2.5)
    await window.acquire()
    assert clock.now().timestamp() - start == 2.5


async def send(limiter: ChatRateLimiter, clock: ManualClock, chat: str, delay: float) -> float:
    async def call() -> bool:
        return True

    await clock.sleep(delay)
    await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": chat}, 1)
    return clock.now().timestamp()


async def test_telegram_limits_hold_in_every_window(clock: ManualClock) -> None:
    """30/s for the bot, 1/s per person, 20/min per group, with all three mixed."""
    rng = random.Random(3)
    limiter = ChatRateLimiter(clock=clock)
    chats = [str(n) for n in range(1, 40)] + ["-100", "-200"]
    sends = [(rng.choice(chats), rng.uniform(0, 30)) for _ in range(1200)]
    times = await asyncio.gather(*(send(limiter, clock, c, d) for c, d in sends))
    by_chat: dict[str, list[float]] = {}
    for (chat, _), at in zip(sends, times, strict=True):
        by_chat.setdefault(chat, []).append(at)
    assert most_in_any_window(times) <= 30
    for chat, sent in by_chat.items():
        if chat.startswith("-"):
            assert most_in_any_window(sent, 60.0) <= 20
        else:
            assert most_in_any_window(sent) == 1


async def test_paid_broadcast_lifts_the_bot_limit_not_the_chat_limit(clock: ManualClock) -> None:
    limiter = ChatRateLimiter(overall_per_second=1000, clock=clock)
    times = await asyncio.gather(*(send(limiter, clock, str(n), 0) for n in range(1, 2001)))
    assert most_in_any_window(times) == 1000
    again = await asyncio.gather(*(send(limiter, clock, "7", 0) for _ in range(3)))
    assert most_in_any_window(again) == 1


async def test_429s_from_several_chats_pause_the_whole_bot(clock: ManualClock) -> None:
    limiter = ChatRateLimiter(clock=clock)
    for chat in ("1", "2", "3"):
        limiter.pause(chat, 5)
    start = clock.now().timestamp()
    assert await send(limiter, clock, "4", 0) - start >= 5  # another chat waits too


def test_the_pool_hides_a_round_trip() -> None:
    assert in_flight_for(30, 0.1) >= 30 * 0.1
    assert in_flight_for(200, 0.1) >= 20 and in_flight_for(10**6) == 64
    assert in_flight_for(0.5) == 4
