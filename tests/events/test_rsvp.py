"""Answering events: Hadir / Tidak / Mungkin on every channel (a Telegram button through the
real adapter, a WhatsApp number through signed webhooks), capacity and the waiting list,
/peserta, and the notices when a date moves or is cancelled.

The clock starts on Monday 7 December 2026, 09:00 WIB.
"""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.app import build_core
from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.settings import Settings
from bot.web import build_web_app
from handlers.clock import ManualClock
from handlers.messages import Channel
from storage.models import RsvpAnswer
from tests.events.town import answers, coordinator, create
from tests.factories import Transcript, make_community
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.telegram.line import TelegramLine
from tests.whatsapp.line import WhatsAppLine
from tests.whatsapp.webhooks import ACCOUNT_SID, BOT_NUMBER, INTERNAL, PUBLIC, TOKEN, Phone

TELEGRAM_TOKEN = "123456:GUYUB-TEST-TOKEN"
POSYANDU = "Posyandu Melati | Kamis 10 Des 08.00 | Balai RW 05"


async def test_answering_twice_changes_the_answer_and_never_counts_twice(
    town: Transcript,
) -> None:
    await coordinator(town)
    await town.join("Siti")
    await create(town, POSYANDU)
    await town.say("Siti", "/acara 1")
    saved = await town.texts("Siti", press="Hadir")
    assert "tercatat Hadir di #1 Posyandu Melati, Kamis, 10 Desember 2026 pukul 08.00" in saved[0]
    assert "memang sudah Hadir" in (await town.texts("Siti", "HADIR 1"))[0]
    assert "✅ Hadir 1 · ❔ Mungkin 0 · ❌ Tidak 0" in await town.text("Siti", "/acara 1")
    assert "Mungkin hadir" in (await town.texts("Siti", "mungkin #1"))[0]
    assert "Tidak hadir" in (await town.texts("Siti", "/tidak 1"))[0]
    card = await town.text("Siti", "/acara 1")
    assert "✅ Hadir 0 · ❔ Mungkin 0 · ❌ Tidak 1" in card and "Jawaban Anda: Tidak" in card
    (rsvp,) = answers(town)
    assert rsvp.answer == RsvpAnswer.TIDAK


async def test_bad_rsvp_input_gets_a_friendly_answer(town: Transcript) -> None:
    await coordinator(town)
    await town.join("Siti")
    await create(town, POSYANDU)
    assert "Tulis nomor acaranya" in (await town.texts("Siti", "/hadir"))[0]
    assert "Tulis nomor acaranya" in (await town.texts("Siti", "/mungkin posyandu"))[0]
    assert "tidak ditemukan" in (await town.texts("Siti", "/hadir 99"))[0]
    assert (
        "tidak punya jadwal pada waktu itu"
        in (await town.texts("Siti", "/hadir 1 202612110100"))[0]
    )
    assert "tidak punya jadwal yang akan datang" in (await town.texts("Siti", "/hadir 1 ke-2"))[0]
    assert answers(town) == []


async def test_capacity_waiting_list_moves_up_and_tells_in_their_language(
    town: Transcript,
) -> None:
    await coordinator(town)
    for name in ("Siti", "Budi", "Dewi", "Eko"):
        await town.join(name)
    await town.say("Eko", "BAHASA en")
    await create(town, f"{POSYANDU} | kuota 2")
    await town.say("Siti", "/hadir 1")
    await town.say("Budi", "/hadir 1")
    waiting = await town.texts("Dewi", "/hadir 1")
    assert "sudah penuh" in waiting[0] and "daftar tunggu nomor 1" in waiting[0]
    english = await town.texts("Eko", "/going 1")
    assert "You are number 2 on the waiting list" in english[0]
    assert "daftar tunggu nomor 1" in (await town.texts("Dewi", "/hadir 1"))[0]  # again: same
    card = await town.text("Dewi", "/acara 1")
    assert "✅ Hadir 2" in card and "Daftar tunggu: 2 orang" in card
    assert "(di daftar tunggu)" in card

    listing = await town.text("Bu RT", "/peserta 1")
    assert "✅ Hadir (2): Siti, Budi" in listing
    assert "⏳ Daftar tunggu (2): Dewi, Eko" in listing
    assert "❔ Mungkin (0): -" in listing and "Kuota 2 orang" in listing

    await town.say("Budi", "/tidak 1")  # a place frees up: Dewi moves up
    assert any("Ada tempat untuk Anda di #1 Posyandu Melati" in t for t in town.delivered("Dewi"))
    assert "You are number 1 on the waiting list" in (await town.texts("Eko", "/going 1"))[0]
    await town.say("Siti", "/mungkin 1")  # and again: Eko, in English
    (moved,) = [t for t in town.delivered("Eko") if "freed up" in t]
    assert "Thursday, 10 December 2026 at 08:00 WIB" in moved
    listing = await town.text("Bu RT", "/peserta 1")
    assert "✅ Hadir (2): Dewi, Eko" in listing
    assert "Daftar tunggu" not in listing
    assert "❔ Mungkin (1): Siti" in listing and "❌ Tidak (1): Budi" in listing
    confirmed = [r for r in answers(town) if r.answer == "hadir" and not r.waitlisted]
    assert len(confirmed) == 2


async def test_reschedule_and_cancel_notices_reach_hadir_and_mungkin_only(
    town: Transcript,
) -> None:
    await coordinator(town)
    for name in ("Siti", "Budi", "Dewi", "Eko"):
        await town.join(name)
    await town.say("Eko", "LANGUAGE en")
    await create(town, POSYANDU)
    await town.say("Siti", "/hadir 1")
    await town.say("Budi", "/mungkin 1")
    await town.say("Dewi", "/tidak 1")
    await town.say("Eko", "/going 1")

    await town.say("Bu RT", "/ubahacara 1 12-12-2026 09:00")
    assert "3 orang diberi tahu" in (await town.texts("Bu RT", "ya"))[0]
    notice = (
        "📅 Jadwal berubah: #1 Posyandu Melati yang semula Kamis, 10 Desember 2026 pukul"
        " 08.00 WIB dipindah ke Sabtu, 12 Desember 2026 pukul 09.00 WIB. Tempat: Balai RW 05."
    )
    for name in ("Siti", "Budi"):
        assert any(notice in t for t in town.delivered(name)), name
    assert town.delivered("Dewi") == []
    (english,) = town.delivered("Eko")
    assert "moved to Saturday, 12 December 2026 at 09:00 WIB" in english
    assert "Sabtu, 12 Desember 2026" in await town.text("Siti", "/acara 1")

    await town.say("Bu RT", "/batalacara 1")
    assert "3 orang diberi tahu" in (await town.texts("Bu RT", press="Ya, batalkan"))[0]
    cancelled = "❌ #1 Posyandu Melati pada Sabtu, 12 Desember 2026 pukul 09.00 WIB dibatalkan."
    assert any(cancelled in t for t in town.delivered("Siti"))
    assert town.delivered("Dewi") == []
    assert "is cancelled" in town.delivered("Eko")[-1]
    assert "dibatalkan" in (await town.texts("Siti", "/hadir 1 202612100100"))[0]
    assert "tidak punya jadwal yang akan datang" in (await town.texts("Siti", "/acara 1"))[0]


async def test_an_answer_closes_when_the_event_starts(town: Transcript, clock: ManualClock) -> None:
    await coordinator(town)
    await town.join("Siti")
    await create(town, POSYANDU)
    await town.say("Siti", "/acara 1")
    clock.advance(timedelta(days=3))  # Thursday 09:00: it started an hour ago
    late = await town.texts("Siti", press="Hadir")
    assert "sudah dimulai" in late[0]
    assert answers(town) == []


# --- the real channels -------------------------------------------------------------------


@pytest.fixture
async def telegram_town(
    tmp_path: Path, database_url: str, clock: ManualClock
) -> AsyncIterator[Transcript]:
    """The core with a real Telegram adapter against the fake Bot API; local by default."""
    async with FakeTelegramAPI() as api:
        settings = Settings(
            database_url=database_url,
            media_dir=tmp_path / "media",
            telegram_bot_token=SecretStr(TELEGRAM_TOKEN),
            telegram_api_base_url=api.base_url,
            telegram_api_file_url=api.base_file_url,
            _env_file=None,  # type: ignore[call-arg]
        )
        core = build_core(settings, clock)
        community = make_community(core)
        channel = TelegramChannel(core, poll_timeout=timedelta(seconds=1))
        await channel.start()
        chat = Transcript(core, community)
        chat.use(TelegramLine(core, api, channel))
        try:
            yield chat
        finally:
            await channel.stop()
            core.close()


async def test_a_telegram_button_answers_through_the_real_adapter(
    telegram_town: Transcript,
) -> None:
    chat = telegram_town
    await coordinator(chat)
    await create(chat, POSYANDU)
    chat.switch("Siti", Channel.TELEGRAM)
    await chat.join("Siti")
    card = await chat.say("Siti", "/acara 1")
    assert "Kamis, 10 Desember 2026 pukul 08.00 WIB" in card[0].text
    hadir = chat.button("Siti", "Hadir")
    assert hadir.payload == "/hadir 1 202612100100"
    assert len(hadir.payload.encode()) <= 64
    saved = await chat.texts("Siti", press="Hadir")
    assert "tercatat Hadir" in saved[0]
    (rsvp,) = answers(chat)
    assert rsvp.answer == RsvpAnswer.HADIR
    assert "Hadir (1): Siti" in await chat.text("Bu RT", "/peserta 1")


@pytest.fixture
async def whatsapp_town(
    tmp_path: Path, database_url: str, clock: ManualClock
) -> AsyncIterator[Transcript]:
    """The core with a real WhatsApp adapter (signed webhooks, fake Twilio); local by default."""
    async with FakeTwilioAPI(ACCOUNT_SID, TOKEN, clock=clock.now) as api:
        settings = Settings(
            database_url=database_url,
            media_dir=tmp_path / "media",
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=SecretStr(TOKEN),
            twilio_whatsapp_from=BOT_NUMBER,
            twilio_api_base_url=api.base_url,
            public_base_url=PUBLIC,
            _env_file=None,  # type: ignore[call-arg]
        )
        core = build_core(settings, clock)
        community = make_community(core)
        channel = WhatsAppChannel(core)
        await channel.start()
        web = build_web_app(
            open_session=core.open_session, media=core.media, routes=channel.routes()
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url=INTERNAL
        ) as http:
            phone = Phone(http, api, channel, "+6281100000000")
            chat = Transcript(core, community)
            chat.use(WhatsAppLine(core, phone, api, channel.sender.media_base))
            try:
                yield chat
            finally:
                await channel.stop()
                core.close()


async def test_whatsapp_answers_by_number_through_signed_webhooks(
    whatsapp_town: Transcript,
) -> None:
    chat = whatsapp_town
    await coordinator(chat)
    await create(chat, f"{POSYANDU} | kuota 1")
    for name in ("Sari", "Rina"):
        chat.switch(name, Channel.WHATSAPP)
        await chat.join(name)
    listing = await chat.text("Sari", "ACARA")
    assert "#1 Posyandu Melati — Kam 10 Des 08.00 — Balai RW 05" in listing
    assert "1. #1 Posyandu Melati" in listing
    card = await chat.text("Sari", "1")
    assert "1. ✅ Hadir" in card and "2. ❔ Mungkin" in card and "3. ❌ Tidak" in card
    assert "tercatat Hadir" in (await chat.texts("Sari", "1"))[0]
    await chat.say("Rina", "ACARA 1")
    waiting = await chat.texts("Rina", press="Hadir")
    assert "daftar tunggu nomor 1" in waiting[0]
    assert "Mungkin hadir" in (await chat.texts("Sari", "MUNGKIN 1"))[0]
    rina = chat.member("Rina")
    assert rina is not None
    (notice,) = [row for row in chat.outbox() if row.member_id == rina.id]
    assert "Ada tempat untuk Anda di #1 Posyandu Melati" in notice.payload["text"]
    assert (notice.channel, notice.status) == ("whatsapp", "sent")  # through fake Twilio
    by_answer = {r.member_id: (r.answer, r.waitlisted) for r in answers(chat)}
    assert sorted(by_answer.values()) == [("hadir", False), ("mungkin", False)]
