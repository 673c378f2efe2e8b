"""The small parts of the WhatsApp channel: text shaping, error sorting, the rate limiter."""

import pytest
from twilio.base.exceptions import TwilioRestException

from bot.channels.retrying import retry_passing
from bot.channels.whatsapp_send import WhatsAppSender, classify
from bot.channels.whatsapp_text import flat_variable, split_text
from bot.channels.whatsapp_webhook import media_kind
from bot.settings import Settings
from handlers.clock import ManualClock
from jobs.sending import PermanentFailure, RetryLater


def test_short_text_is_one_body() -> None:
    assert split_text("  Halo Bu Sari  ") == ["Halo Bu Sari"]
    assert split_text("") == []


def test_split_prefers_line_breaks_then_spaces() -> None:
    text = "a" * 900 + "\n" + "b" * 900
    assert split_text(text) == ["a" * 900, "b" * 900]
    words = " ".join(["kata"] * 500)  # 2499 characters, no line breaks
    parts = split_text(words)
    assert [len(p) <= 1600 for p in parts] == [True, True]
    assert " ".join(parts) == words and all(not p.endswith(" ") for p in parts)


def test_split_counts_emoji_as_twilio_does_and_never_halves_them() -> None:
    text = "🎉" * 1000  # 2000 UTF-16 units
    parts = split_text(text)
    assert parts == ["🎉" * 800, "🎉" * 200]


def test_a_word_longer_than_a_body_is_cut() -> None:
    assert split_text("x" * 3300) == ["x" * 1600, "x" * 1600, "x" * 100]


def test_template_variables_are_flat() -> None:
    assert flat_variable("Halo\n\nBu  Sari,\tada   pesanan") == "Halo · Bu Sari, ada pesanan"
    long = flat_variable("kata " * 400)
    assert len(long) == 1024 and long.endswith("…")


def _error(status: int, code: int | None) -> TwilioRestException:
    return TwilioRestException(status, "https://api.twilio.com/x", "The 'To' number +62811", code)


@pytest.mark.parametrize(
    ("status", "code"), [(429, 20429), (503, 20503), (401, 20003), (400, 63018), (500, None)]
)
def test_passing_problems_are_retried(status: int, code: int | None) -> None:
    assert isinstance(classify(_error(status, code)), RetryLater)


@pytest.mark.parametrize("code", [21211, 21610, 21614, 63003, 63024])
def test_bad_numbers_are_permanent_and_unreachable(code: int) -> None:
    outcome = classify(_error(400, code))
    assert isinstance(outcome, PermanentFailure) and outcome.unreachable
    assert outcome.code == str(code) and "+62811" not in str(outcome)


@pytest.mark.parametrize("code", [63016, 21408, 21656])
def test_other_refusals_are_permanent_for_the_message_only(code: int) -> None:
    outcome = classify(_error(400, code))
    assert isinstance(outcome, PermanentFailure) and not outcome.unreachable
    assert outcome.code == str(code)


def test_media_kinds() -> None:
    assert [media_kind(t) for t in ("image/jpeg", "image/webp", "audio/ogg", "video/mp4")] == [
        "photo",
        "photo",
        "audio",
        "video",
    ]
    assert media_kind("application/pdf") == "document"
    assert media_kind("image/svg+xml") == "other"  # never kept nor served from /media
    assert media_kind("text/vcard") == "other"


async def test_a_passing_failure_is_retried_after_the_wait_asked_for() -> None:
    waits: list[float] = []
    answers: list[Exception | str] = [RetryLater("429", retry_after=7), RetryLater("5xx"), "ok"]

    async def sleep(seconds: float) -> None:  # time passes without waiting for it
        waits.append(seconds)

    async def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await retry_passing(call, (1, 4, 15), sleep) == "ok"
    assert waits == [7, 4]  # Twilio's / Telegram's own wait first, else the next delay
    answers[:] = [RetryLater("a"), RetryLater("b")]
    with pytest.raises(RetryLater, match="b"):
        await retry_passing(call, (0,), sleep)


async def test_the_sender_is_paced_at_the_configured_rate(
    settings: Settings, clock: ManualClock
) -> None:
    sender = WhatsAppSender(settings, clock)
    assert (sender.limiter.max_rate, sender.limiter.time_period) == (80, 1)
    start = clock.now()
    for _ in range(160):  # evenly paced at 80 a (3 % longer) second, 9 at first: virtual time
        await sender.limiter.acquire()
    assert abs((clock.now() - start).total_seconds() - 151 * 1.03 / 80) < 0.001


def test_a_hard_cut_keeps_flags_and_skin_tones_whole() -> None:
    flags = "🇮🇩" * 500  # 2000 UTF-16 units, no spaces
    parts = split_text(flags)
    assert parts == ["🇮🇩" * 400, "🇮🇩" * 100]
    thumbs = "a" + "👍🏽" * 500  # an odd start: a naive cut falls between 👍 and 🏽
    parts = split_text(thumbs)
    assert "".join(parts) == thumbs and parts[1].startswith("👍🏽")
    assert flat_variable("x" + "🇮🇩" * 600).endswith("🇮🇩…")
