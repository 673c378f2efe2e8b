"""The same channel behind a real uvicorn on 127.0.0.1: real HTTP both ways, Twilio's
status callback posted by the fake's own aiohttp client."""

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.app import Core, build_core
from bot.channels.whatsapp import WhatsAppChannel
from bot.settings import Settings
from bot.web import build_web_app
from handlers.clock import ManualClock
from handlers.messages import Reply
from tests.factories import Transcript, make_community
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import ACCOUNT_SID, BOT_NUMBER, TOKEN, Phone, queue, row
from tests.whatsapp.line import WhatsAppLine


@pytest.fixture
async def live(
    tmp_path: Path, database_url: str, clock: ManualClock, api: FakeTwilioAPI
) -> AsyncIterator[tuple[Core, WhatsAppChannel, str]]:
    """Core + channel served by uvicorn; yields the public base URL (the server itself)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=TOKEN,  # type: ignore[arg-type]
        twilio_whatsapp_from=BOT_NUMBER,
        twilio_api_base_url=api.base_url,
        public_base_url=base,
        _env_file=None,  # type: ignore[call-arg]
    )
    core = build_core(settings, clock)
    make_community(core)
    channel = WhatsAppChannel(core)
    app = build_web_app(open_session=core.open_session, media=core.media, routes=channel.routes())
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    await channel.start()
    await server.startup(sockets=[sock])  # listening when this returns: no polling
    try:
        yield core, channel, base
    finally:
        await server.shutdown(sockets=[sock])
        await channel.stop()
        core.close()
        sock.close()


async def test_join_notice_and_delivery_report_over_real_http(
    live: tuple[Core, WhatsAppChannel, str], api: FakeTwilioAPI
) -> None:
    core, channel, base = live
    async with httpx.AsyncClient(base_url=base) as http:
        sari = Phone(http, api, channel, "+6281234567890", public=base)
        line = WhatsAppLine(core, sari, api, channel.sender.media_base)
        line.person("Sari", sari.number, "Bu Sari")
        chat = Transcript(core)
        chat.use(line, default=True)
        await chat.say("Sari", "GABUNG KBA13")
        [welcome] = await chat.bodies("Sari", "1")
        assert "anggota KBA 13 Ulu" in welcome
        member = sari.member(core)
        assert member is not None

        key = queue(core, member, Reply("Bazar UMKM hari Minggu!"))
        await core.drain()
        notice = api.messages[-1]
        assert notice.status_callback == f"{base}/whatsapp/status"
        assert await api.send_status_callback(notice, "delivered") == 200
        assert row(core, key).status == "delivered"
