"""The logs of a full `guyub run` name no phone number, token or media URL (issue 9, finding 8).

Real Twilio media URLs carry the Account SID, Bot API URLs the bot token; httpx logs every
URL it requests at INFO. Run the bot as `guyub run` does (WhatsApp alone, and with
Telegram), post a photo on each channel, and read everything that was logged.
"""

import asyncio
import base64
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from pydantic import SecretStr

from bot.channels.whatsapp import WhatsAppChannel
from bot.cli import main
from bot.runner import run_bot
from bot.settings import Settings
from handlers.clock import ManualClock
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    make_callback_update,
    make_photo_update,
    make_text_update,
)
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.images import image_bytes
from tests.telegram.chats import JPEG, sent_to
from tests.test_run_live import button, free_port
from tests.whatsapp.conftest import ACCOUNT_SID, BOT_NUMBER, TOKEN, Phone

TELEGRAM_TOKEN = "123456:GUYUB-LOG-SCAN-TOKEN"
SARI = "+6281234567890"
HTTP_LOGGERS = ("httpx", "httpcore")


@pytest.fixture
def http_loggers_as_at_start() -> Iterator[None]:
    """httpx/httpcore as a fresh process has them: an earlier test's channel may have set them."""
    saved = {name: logging.getLogger(name).level for name in HTTP_LOGGERS}
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
async def fakes(clock: ManualClock) -> AsyncIterator[tuple[FakeTelegramAPI, FakeTwilioAPI]]:
    async with FakeTelegramAPI() as api, FakeTwilioAPI(ACCOUNT_SID, TOKEN, clock=clock.now) as tw:
        yield api, tw


class ChannelsStarted(logging.Handler):
    """Set once `guyub run` has logged every channel as started: the web port is bound
    before any channel starts, so from then on it takes requests. (WhatsApp alone has no
    getUpdates to wait for, as tests/test_run_live.py does.)"""

    def __init__(self, names: set[str]) -> None:
        super().__init__(logging.INFO)
        self.waiting, self.event = set(names), asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        words = record.getMessage().split()
        if len(words) == 3 and words[0] == "channel" and words[2] == "started":
            self.waiting.discard(words[1])
            if not self.waiting:
                self.event.set()

    async def wait(self, http: httpx.AsyncClient, task: asyncio.Task[None]) -> None:
        """Wait for the channels (or the run failing), then check the web app answers."""
        started = asyncio.ensure_future(self.event.wait())
        async with asyncio.timeout(10):
            done, _ = await asyncio.wait({started, task}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            started.cancel()
            task.result()  # start-up failed: show why
            raise AssertionError("run_bot returned before serving")
        assert (await http.get("/healthz")).json() == {"status": "ok"}


def secrets_in(text: str) -> list[str]:
    """Every forbidden thing found in `text`."""
    forbidden = {
        "phone number": SARI.removeprefix("+62"),  # in +62…, 62… and 0… spellings alike
        "Twilio auth token": TOKEN,
        "Account SID": ACCOUNT_SID,
        "Basic credentials": base64.b64encode(f"{ACCOUNT_SID}:{TOKEN}".encode()).decode()[:20],
        "bot token": TELEGRAM_TOKEN.split(":")[1],
        "Twilio media path": "/Media/ME",
        "media CDN path": "/_cdn/",
        "Telegram file path": "photos/",
    }
    return [what for what, secret in forbidden.items() if secret in text]


@pytest.mark.parametrize("with_telegram", [False, True], ids=["whatsapp-only", "both"])
async def test_a_full_run_logs_no_numbers_tokens_or_media_urls(
    tmp_path: Path,
    clock: ManualClock,
    fakes: tuple[FakeTelegramAPI, FakeTwilioAPI],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    http_loggers_as_at_start: None,
    with_telegram: bool,
) -> None:
    api, twilio = fakes
    db = tmp_path / "g.db"
    assert main(["community", "create", "KBA 13 Ulu", "--invite", "KBA13", "--db", str(db)]) == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=f"sqlite:///{db}",
        media_dir=tmp_path / "media",
        host="127.0.0.1",
        port=port,
        telegram_bot_token=SecretStr(TELEGRAM_TOKEN) if with_telegram else None,
        telegram_api_base_url=api.base_url,
        telegram_api_file_url=api.base_file_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_whatsapp_from=BOT_NUMBER,
        twilio_api_base_url=twilio.base_url,
        public_base_url=base,
        log_level="INFO",
        _env_file=None,  # type: ignore[call-arg]
    )
    caplog.set_level(logging.INFO)  # what `guyub run` logs with LOG_LEVEL=INFO
    channels = ChannelsStarted({"whatsapp", "telegram"} if with_telegram else {"whatsapp"})
    logging.getLogger().addHandler(channels)
    stop = asyncio.Event()
    running = asyncio.create_task(run_bot(settings, stop=stop, clock=clock))
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            await channels.wait(http, running)
            sari = Phone(http, twilio, cast(WhatsAppChannel, None), SARI, public=base)
            for count, text in enumerate(("GABUNG KBA13", "1"), start=1):
                assert (await sari.post(sari.params(text))).status_code == 200
                await twilio.wait_for_messages(count)
            photo = twilio.add_media("keripik", image_bytes("keripik"), redirect=True)
            params = sari.params("JUAL Keripik 15rb", media=[(photo, "image/jpeg")])
            assert (await sari.post(params)).status_code == 200
            await twilio.wait_for_messages(3)
            assert twilio.cdn_requests  # the photo really was fetched, redirect and all

            if with_telegram:
                # run_bot owns its channel, so no transcript line can hook into it: Siti's
                # updates go straight onto the fake, and her replies are awaited there.
                ids = itertools.count(100)
                api.push_update(make_text_update(next(ids), 42, "/start KBA13"))
                (consent,) = await sent_to(api, 42)
                message_id = consent.result["message_id"]
                api.push_update(
                    make_callback_update(
                        next(ids), 42, button(consent, "Setuju"), message_id=message_id
                    )
                )
                await sent_to(api, 42, 2)
                api.add_file("photo-l", JPEG)
                api.push_update(
                    make_photo_update(next(ids), 42, caption="JUAL Keripik singkong 12rb")
                )
                await sent_to(api, 42, 3, ("sendMessage", "sendPhoto"))
                assert api.calls_to("getFile")
        stop.set()
        async with asyncio.timeout(10):
            await running
    finally:
        logging.getLogger().removeHandler(channels)
        if not running.done():
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    logged = caplog.text + "".join(capfd.readouterr())
    assert "channel whatsapp started" in logged  # the scan reads the run's real logs
    assert secrets_in(logged) == []
