"""Slots count from the moment a request is written, not from when it was allowed through.

Between the grant and the write the task has to wake up and the client library builds the
request; when that delay varies, two sends granted a whole window apart can reach the
platform within one (the 429s of bench/broadcast.py on a loaded machine).
"""

import asyncio
import random

from bot.channels.telegram_limits import ChatRateLimiter
from handlers.clock import ManualClock
from jobs.pacing import SlidingWindow, sending_now
from tests.delivery.channel import most_in_any_window


async def send_late(
    window: SlidingWindow, clock: ManualClock, arrive: float, late: float, *, write: bool
) -> tuple[float, float]:
    """Acquire at `arrive`, write `late` seconds after the grant: (granted, written)."""
    await clock.sleep(arrive)
    granted = await window.acquire()
    await clock.sleep(late)
    if write:
        sending_now()
    return granted, clock.now().timestamp()


async def test_the_window_holds_for_the_writes_whatever_the_delay(clock: ManualClock) -> None:
    rng = random.Random(11)
    plan = [(rng.uniform(0, 10), rng.choice((0.0, 0.0, 0.002, 0.05))) for _ in range(600)]
    window = SlidingWindow(30, 1.0, clock=clock, smooth=True)
    sent = await asyncio.gather(*(send_late(window, clock, a, d, write=True) for a, d in plan))
    assert most_in_any_window([written for _, written in sent]) <= 30
    # and it costs little: 600 at 30/s take 20 s, plus about the longest delay per window
    assert max(w for _, w in sent) - min(w for _, w in sent) < 600 / 30 * 1.06


async def test_without_the_write_time_late_writes_break_the_window(clock: ManualClock) -> None:
    """The same sends counted at their grant: what the platform sees goes over."""
    rng = random.Random(11)
    plan = [(rng.uniform(0, 10), rng.choice((0.0, 0.0, 0.002, 0.05))) for _ in range(600)]
    window = SlidingWindow(30, 1.0, clock=clock, smooth=True)
    sent = await asyncio.gather(*(send_late(window, clock, a, d, write=False) for a, d in plan))
    assert most_in_any_window([granted for granted, _ in sent]) <= 30
    assert most_in_any_window([written for _, written in sent]) > 30


async def test_telegram_counts_chat_and_bot_slots_from_the_write(clock: ManualClock) -> None:
    rng = random.Random(5)
    limiter = ChatRateLimiter(clock=clock)
    written: dict[str, list[float]] = {}

    async def send(chat: str, arrive: float) -> None:
        async def call() -> bool:
            await clock.sleep(rng.choice((0.0, 0.04)))  # PTB and aiohttp building the request
            sending_now()
            written.setdefault(chat, []).append(clock.now().timestamp())
            return True

        await clock.sleep(arrive)
        await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": chat}, 1)

    chats = [str(n) for n in range(1, 60)]
    await asyncio.gather(*(send(rng.choice(chats), rng.uniform(0, 10)) for _ in range(500)))
    assert most_in_any_window([t for times in written.values() for t in times]) <= 30
    assert all(most_in_any_window(times) == 1 for times in written.values())


def test_a_restamp_moves_a_slot_later_and_keeps_the_order(clock: ManualClock) -> None:
    window = SlidingWindow(5, 1.0, clock=clock)
    window._times.extend([1.0, 2.0, 3.0])
    window.restamp(2.0, 3.5)
    assert list(window._times) == [1.0, 3.0, 3.5]
    window.restamp(3.0, 2.5)  # never earlier
    window.restamp(9.0, 10.0)  # not a slot of this window: nothing happens
    window.restamp(0.5, 4.0)  # already left the window: not brought back
    assert list(window._times) == [1.0, 3.0, 3.5]


async def test_writing_without_a_slot_changes_nothing(clock: ManualClock) -> None:
    window = SlidingWindow(2, 1.0, clock=clock)
    sending_now()  # a call no limiter let through (getMe, a long poll)
    first = await window.acquire()
    sending_now()
    sending_now()  # the slot was moved once, and forgotten
    await clock.sleep(0.5)
    sending_now()
    assert list(window._times) == [first]
