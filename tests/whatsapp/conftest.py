"""WhatsApp over Twilio, end to end in one process: signed webhooks into the real Starlette
app (httpx ASGITransport), the real twilio client against FakeTwilioAPI on 127.0.0.1,
a real SQLite file, and a ManualClock."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.app import Core
from bot.channels.whatsapp import WhatsAppChannel
from bot.settings import Settings
from bot.web import build_web_app
from handlers.clock import ManualClock
from handlers.messages import Reply, reply_to_payload
from storage.db import transaction
from storage.models import Community, Member, OutboxMessage
from storage.outbox import enqueue
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.line import WhatsAppLine
from tests.whatsapp.webhooks import (
    ACCOUNT_SID,
    BOT_NUMBER,
    INTERNAL,
    NOTICE,
    PUBLIC,
    SARI,
    TEMPLATE_NOTICE,
    TOKEN,
    Phone,
    form_post,
    sign,
)

__all__ = [
    "ACCOUNT_SID",
    "BOT_NUMBER",
    "NOTICE",
    "PUBLIC",
    "SARI",
    "TOKEN",
    "Phone",
    "form_post",
    "queue",
    "row",
    "sign",
]


@pytest.fixture
async def api(clock: ManualClock) -> AsyncIterator[FakeTwilioAPI]:
    async with FakeTwilioAPI(ACCOUNT_SID, TOKEN, clock=clock.now) as fake:
        yield fake


@pytest.fixture
def template_notice() -> str | None:
    """The Content SID for notices; override with None to test the missing-template path."""
    return TEMPLATE_NOTICE


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, api: FakeTwilioAPI, template_notice: str | None
) -> Settings:
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=TOKEN,  # type: ignore[arg-type]
        twilio_whatsapp_from=BOT_NUMBER,
        twilio_api_base_url=api.base_url,
        public_base_url=PUBLIC,
        whatsapp_template_notice=template_notice,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def channel(core: Core) -> AsyncIterator[WhatsAppChannel]:
    adapter = WhatsAppChannel(core)
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
async def http(core: Core, channel: WhatsAppChannel) -> AsyncIterator[httpx.AsyncClient]:
    app = build_web_app(open_session=core.open_session, media=core.media, routes=channel.routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=INTERNAL) as client:
        yield client


@pytest.fixture
def sari(http: httpx.AsyncClient, api: FakeTwilioAPI, channel: WhatsAppChannel) -> Phone:
    return Phone(http, api, channel, SARI)


@pytest.fixture
def line(core: Core, sari: Phone, api: FakeTwilioAPI, channel: WhatsAppChannel) -> WhatsAppLine:
    """WhatsApp for real, with Bu Sari (SARI) among its people."""
    whatsapp_line = WhatsAppLine(core, sari, api, channel.sender.media_base)
    whatsapp_line.person("Sari", SARI, "Bu Sari")
    return whatsapp_line


@pytest.fixture
def chat(core: Core, community: Community, line: WhatsAppLine) -> Transcript:
    """The transcript helper, everyone on WhatsApp (the real Twilio path) unless switched."""
    transcript = Transcript(core, community)
    transcript.use(line, default=True)
    return transcript


@pytest.fixture
async def member(chat: Transcript, api: FakeTwilioAPI) -> Member:
    """Bu Sari joined over WhatsApp (then the fake forgets the join chatter)."""
    joined = await chat.join("Sari")
    api.clear()
    return joined


def queue(core: Core, member: Member, reply: Reply, kind: str = "notice") -> str:
    """Put a message for `member` in the outbox, as a feature would; returns its key."""
    key = uuid.uuid4().hex
    with transaction(core.open_session) as session:
        assert enqueue(
            session=session,
            community_id=member.community_id,
            member_id=member.id,
            kind=kind,
            idempotency_key=key,
            payload=reply_to_payload(reply),
            now=core.clock.now(),
        )
    return key


def row(core: Core, key: str) -> OutboxMessage:
    """The outbox row behind a key, fresh from the database."""
    with core.open_session() as session:
        found = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        return found.one()
