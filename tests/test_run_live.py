"""`guyub run` end to end: Telegram (polling) and WhatsApp (signed webhooks over real HTTP)
served by ONE `run_bot`, against the fake Bot API and the fake Twilio REST API on 127.0.0.1,
on one SQLite file; then a clean stop on SIGTERM."""

import asyncio
import itertools
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import Session, select

from bot.channels.whatsapp import WhatsAppChannel
from bot.cli import main
from bot.runner import run_bot
from bot.settings import Settings
from handlers.clock import ManualClock
from storage.db import check_schema, make_engine
from storage.models import ChannelIdentity, Member, Product, ProductStatus
from tests.fakes.telegram_api import (
    Call,
    FakeTelegramAPI,
    make_callback_update,
    make_text_update,
)
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.telegram.chats import sent_to
from tests.whatsapp.conftest import ACCOUNT_SID, BOT_NUMBER, TOKEN, Phone, form_post, sign

TELEGRAM_TOKEN = "123456:GUYUB-LIVE-TOKEN"
SARI = "+6281234567890"
STRANGER = "+6289999999999"


def free_port() -> int:
    """A port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def button(call: Call, label: str) -> str:
    """The callback data of the inline button whose label contains `label`."""
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    for row in rows:
        for key in row:
            if label.casefold() in key["text"].casefold():
                return str(key["callback_data"])
    raise AssertionError(f"no button {label!r} in {rows}")


async def wait_until_serving(
    http: httpx.AsyncClient, api: FakeTelegramAPI, task: asyncio.Task[None]
) -> None:
    """Wait for Telegram's first getUpdates: by then the web server listens (it binds before
    any channel starts) and polling runs. No polling with sleeps: the fake wakes us."""
    polling = asyncio.ensure_future(api.wait_for("getUpdates"))
    done, _ = await asyncio.wait({polling, task}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        polling.cancel()
        task.result()  # start-up failed: show why
        raise AssertionError("run_bot returned before serving")
    await polling
    assert (await http.get("/healthz")).json() == {"status": "ok"}


async def hear_on_whatsapp(twilio: FakeTwilioAPI, phone: Phone, count: int) -> list[str]:
    """Every body sent to `phone`, once the fake Twilio has accepted `count` messages in all."""
    return phone.bodies(await twilio.wait_for_messages(count))


def assert_database_intact(db: Path) -> None:
    """After the stop: closed cleanly, schema current, file sound, the market's rows there."""
    assert not Path(f"{db}-wal").exists()  # every connection closed: SQLite checkpointed
    engine = make_engine(f"sqlite:///{db}")
    try:
        check_schema(engine)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        with Session(engine) as session:
            (product,) = session.exec(select(Product)).all()
            assert (product.title, product.price) == ("Keripik pisang", 15000)
            assert product.status == ProductStatus.ACTIVE
            members = session.exec(select(Member)).all()
            assert sorted(m.display_name for m in members) == ["Bu Sari", "Siti"]
            addresses = set(session.exec(select(ChannelIdentity.address)).all())
            assert addresses == {"42", SARI}  # not the forger's number
    finally:
        engine.dispose()


@pytest.fixture
async def fakes(clock: ManualClock) -> AsyncIterator[tuple[FakeTelegramAPI, FakeTwilioAPI]]:
    """The internet, as far as Guyub is concerned."""
    async with FakeTelegramAPI() as api, FakeTwilioAPI(ACCOUNT_SID, TOKEN, clock=clock.now) as tw:
        yield api, tw


async def test_guyub_run_serves_telegram_and_whatsapp_in_one_process(
    tmp_path: Path, clock: ManualClock, fakes: tuple[FakeTelegramAPI, FakeTwilioAPI]
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
        telegram_bot_token=SecretStr(TELEGRAM_TOKEN),
        telegram_api_base_url=api.base_url,
        telegram_api_file_url=api.base_file_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_whatsapp_from=BOT_NUMBER,
        twilio_api_base_url=twilio.base_url,
        public_base_url=base,
        _env_file=None,  # type: ignore[call-arg]
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_bot(settings, stop=stop, clock=clock), name="guyub-run")
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            await wait_until_serving(http, api, running)

            # Telegram, long polling: Siti joins by deep link and posts a product.
            # The process owns its channel, so no transcript line can hook into it: Siti's
            # updates go straight onto the fake, and her replies are awaited there.
            ids = itertools.count(100)
            api.push_update(
                make_text_update(next(ids), 42, "/start KBA13", first_name="Siti", username="siti")
            )
            (consent,) = await sent_to(api, 42, 1)
            assert "KBA 13 Ulu" in consent.params["text"]
            pressed = button(consent, "Setuju")
            message_id = consent.result["message_id"]
            api.push_update(
                make_callback_update(next(ids), 42, pressed, message_id=message_id, username="siti")
            )
            welcome = (await sent_to(api, 42, 2))[1]
            assert "Terima kasih, Siti!" in welcome.params["text"]

            api.push_update(
                make_text_update(
                    next(ids), 42, "JUAL Keripik pisang 15rb", first_name="Siti", username="siti"
                )
            )
            card = (await sent_to(api, 42, 3))[2]
            assert "Keripik pisang" in card.params["text"] and "Rp15.000" in card.params["text"]
            pressed, message_id = button(card, "Pasang"), card.result["message_id"]
            api.push_update(
                make_callback_update(next(ids), 42, pressed, message_id=message_id, username="siti")
            )
            published = (await sent_to(api, 42, 4))[3]
            assert "#1 Keripik pisang sudah tayang" in published.params["text"]
            # Her "you are a seller now" note waits out Telegram's 1 message/s per chat;
            # nothing here waits for it: the stop below must deliver it.

            # WhatsApp, webhooks signed for the public URL: Bu Sari joins and searches.
            # The running channel is out of reach, so replies are awaited at the fake Twilio.
            sari = Phone(http, twilio, cast(WhatsAppChannel, None), SARI, public=base)
            assert (await sari.post(sari.params("GABUNG KBA13"))).status_code == 200
            (ask,) = await hear_on_whatsapp(twilio, sari, 1)
            assert "KBA 13 Ulu" in ask
            assert (await sari.post(sari.params("1"))).status_code == 200
            joined = await hear_on_whatsapp(twilio, sari, 2)
            assert "anggota KBA 13 Ulu" in joined[-1]

            # A webhook not signed with our auth token is refused and changes nothing.
            forged = Phone(http, twilio, cast(WhatsAppChannel, None), STRANGER, public=base)
            params = forged.params("GABUNG KBA13")
            request = form_post("/whatsapp", params)
            request["headers"]["X-Twilio-Signature"] = sign(f"{base}/whatsapp", params, "nope")
            assert (await http.post(**request)).status_code == 403

            # Twilio got its 200 at once; the search is handled after answering, so it is
            # still in hand when the process is told to stop, and must be finished first.
            assert (await sari.post(sari.params("CARI keripik"))).status_code == 200
            # SIGTERM, as a service manager sends it (only once Guyub handles it: else
            # the signal would end the test run itself).
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            signal.raise_signal(signal.SIGTERM)
            async with asyncio.timeout(5):
                await running
    finally:
        if not running.done():
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    heading, found = sari.bodies(twilio.messages)[2:]
    assert '"keripik"' in heading
    assert "#1 Keripik pisang" in found and "Harga: Rp15.000" in found
    assert "Penjual: Siti" in found and "https://t.me/siti" in found  # the Telegram seller
    assert len(twilio.messages) == 4  # the forged webhook got no answer
    assert "tercatat sebagai penjual" in api.sent_texts(42)[-1]
    assert len(api.sent_texts(42)) == 5
    assert api.pending_updates == []  # every update confirmed: a restart gets none twice
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C as usual

    with pytest.raises(OSError):  # uvicorn let go of the port
        await asyncio.open_connection("127.0.0.1", port)

    assert_database_intact(db)
