"""The same chat, word for word, on the router, on real Telegram and on real WhatsApp: one
transcript helper drives all three (tests/transcript.py and its lines)."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.settings import Settings
from bot.web import build_web_app
from handlers.clock import ManualClock
from handlers.messages import Channel
from storage.models import Community, Role
from tests.factories import Transcript
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.telegram.line import TelegramLine
from tests.whatsapp.line import WhatsAppLine
from tests.whatsapp.webhooks import ACCOUNT_SID, BOT_NUMBER, INTERNAL, PUBLIC, TOKEN, Phone

TELEGRAM_TOKEN = "123456:GUYUB-TEST-TOKEN"


@pytest.fixture
async def fakes(clock: ManualClock) -> AsyncIterator[tuple[FakeTelegramAPI, FakeTwilioAPI]]:
    """Telegram's and Twilio's APIs, faked on 127.0.0.1."""
    async with (
        FakeTelegramAPI() as telegram,
        FakeTwilioAPI(ACCOUNT_SID, TOKEN, clock=clock.now) as twilio,
    ):
        yield telegram, twilio


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, fakes: tuple[FakeTelegramAPI, FakeTwilioAPI]
) -> Settings:
    """Both channels configured, against the fakes."""
    telegram, twilio = fakes
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        telegram_bot_token=SecretStr(TELEGRAM_TOKEN),
        telegram_api_base_url=telegram.base_url,
        telegram_api_file_url=telegram.base_file_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_whatsapp_from=BOT_NUMBER,
        twilio_api_base_url=twilio.base_url,
        public_base_url=PUBLIC,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(params=[Channel.LOCAL, Channel.TELEGRAM, Channel.WHATSAPP])
async def chat(
    request: pytest.FixtureRequest,
    core: Core,
    community: Community,
    fakes: tuple[FakeTelegramAPI, FakeTwilioAPI],
) -> AsyncIterator[Transcript]:
    """The transcript helper with everyone on one channel, the real one where there is one."""
    transcript = Transcript(core, community)
    telegram_api, twilio_api = fakes
    if request.param == Channel.TELEGRAM:
        telegram = TelegramChannel(core, poll_timeout=timedelta(seconds=1))
        await telegram.start()
        transcript.use(TelegramLine(core, telegram_api, telegram), default=True)
        yield transcript
        await telegram.stop()
    elif request.param == Channel.WHATSAPP:
        whatsapp = WhatsAppChannel(core)
        await whatsapp.start()
        web = build_web_app(
            open_session=core.open_session, media=core.media, routes=whatsapp.routes()
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url=INTERNAL
        ) as http:
            phone = Phone(http, twilio_api, whatsapp, "+6281100000000")
            line = WhatsAppLine(core, phone, twilio_api, whatsapp.sender.media_base)
            transcript.use(line, default=True)
            yield transcript
        await whatsapp.stop()
    else:
        yield transcript


async def test_join_post_find_and_promote_read_the_same_everywhere(chat: Transcript) -> None:
    await chat.join("Siti")
    await chat.join("Budi")

    card = await chat.texts("Siti", "JUAL Keripik pisang coklat 15rb")
    assert "Pratinjau" in card[0] and "Harga: Rp15.000" in card[0]
    assert "Pasang" in chat.buttons("Siti")[0]
    done = await chat.press("Siti", "Pasang")
    assert "#1 Keripik pisang coklat sudah tayang" in done[0].text

    found = await chat.texts("Budi", "CARI keripik")
    assert "Keripik pisang coklat" in found[1] and "Harga: Rp15.000" in found[1]

    chat.coordinator("Siti")
    menu = await chat.text("Siti", "MENU")
    assert "angkat" in menu.casefold()  # ANGKAT on WhatsApp, /angkat on Telegram
    budi = chat.member("Budi")
    assert budi is not None and budi.role == Role.MEMBER
