"""WhatsApp over Twilio, end to end in one process: signed webhooks into the real Starlette
app (httpx ASGITransport), the real twilio client against FakeTwilioAPI on 127.0.0.1,
a real SQLite file, and a ManualClock."""

import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlmodel import select
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bot.app import Core
from bot.channels.whatsapp import WhatsAppChannel
from bot.settings import Settings
from bot.web import build_web_app
from handlers.clock import ManualClock
from handlers.messages import Reply, reply_to_payload
from storage.db import transaction
from storage.models import ChannelIdentity, Community, Member, OutboxMessage
from storage.outbox import enqueue
from tests.fakes.twilio_api import FakeTwilioAPI, SentMessage

ACCOUNT_SID = "AC" + "1" * 32
TOKEN = "wa-test-token"
PUBLIC = "https://guyub.example"
INTERNAL = "http://internal:8080"  # what the app sees behind the proxy / tunnel
BOT_NUMBER = "whatsapp:+14155238886"
SARI = "+6281234567890"
TEMPLATE_NOTICE = "HX" + "a" * 32
NOTICE = "Ada yang tertarik dengan Keripik Tempe Anda!\nHubungi Pak Budi."

_sids = itertools.count(1)


def sign(url: str, params: Sequence[tuple[str, str]], token: str = TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it, with twilio's own validator."""
    return RequestValidator(token).compute_signature(url, FormData(list(params)))


def form_post(
    path: str, params: Sequence[tuple[str, str]], *, signed_for: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for httpx `post`: the urlencoded body and Twilio's headers."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signed_for is not None:
        headers["X-Twilio-Signature"] = sign(signed_for, params)
    return {"url": path, "content": urlencode(list(params)), "headers": headers}


class Phone:
    """Someone on WhatsApp writing to Guyub: what Twilio would POST to /whatsapp."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api: FakeTwilioAPI,
        channel: WhatsAppChannel,
        number: str,
        public: str = PUBLIC,
    ) -> None:
        self.http, self.api, self.channel, self.number = http, api, channel, number
        self.public = public
        self.name = "Bu Sari"

    def params(
        self,
        text: str = "",
        *,
        sid: str | None = None,
        media: Sequence[tuple[str, str]] = (),
        payload: str | None = None,
    ) -> list[tuple[str, str]]:
        """The form of an inbound WhatsApp message, as Twilio sends it."""
        sid = sid or f"SM{next(_sids):032x}"
        params = [
            ("SmsMessageSid", sid),
            ("NumMedia", str(len(media))),
            ("ProfileName", self.name),
            ("MessageType", "image" if media else "text"),
            ("SmsSid", sid),
            ("WaId", self.number.lstrip("+")),
            ("SmsStatus", "received"),
            ("Body", text),
            ("To", BOT_NUMBER),
            ("NumSegments", "1"),
            ("MessageSid", sid),
            ("AccountSid", ACCOUNT_SID),
            ("From", f"whatsapp:{self.number}"),
            ("ApiVersion", "2010-04-01"),
        ]
        for index, (url, content_type) in enumerate(media):
            params += [(f"MediaUrl{index}", url), (f"MediaContentType{index}", content_type)]
        if payload is not None:
            params += [("ButtonPayload", payload), ("ButtonText", text)]
        return params

    async def post(self, params: Sequence[tuple[str, str]]) -> httpx.Response:
        """POST a correctly signed webhook (signed for the public URL)."""
        return await self.http.post(
            **form_post("/whatsapp", params, signed_for=f"{self.public}/whatsapp")
        )

    async def say(self, text: str = "", **kwargs: Any) -> list[str]:
        """Send a message; the bodies Guyub sent back once it is done."""
        before = len(self.api.messages)
        response = await self.post(self.params(text, **kwargs))
        assert response.status_code == 200, response.text
        await self.channel.idle()
        return self.bodies(self.api.messages[before:])

    def bodies(self, messages: Sequence[SentMessage]) -> list[str]:
        return [m.body or "" for m in messages if m.to == f"whatsapp:{self.number}"]

    def member(self, core: Core) -> Member | None:
        identity = self.identity(core)
        if identity is None or identity.member_id is None:
            return None
        with core.open_session() as session:
            return session.get(Member, identity.member_id)

    def identity(self, core: Core) -> ChannelIdentity | None:
        with core.open_session() as session:
            return session.exec(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == "whatsapp", ChannelIdentity.address == self.number
                )
            ).first()


@pytest.fixture
async def api(clock: ManualClock) -> AsyncIterator[FakeTwilioAPI]:
    async with FakeTwilioAPI(ACCOUNT_SID, TOKEN, clock=clock.now) as fake:
        yield fake


@pytest.fixture
def template_notice() -> str | None:
    """The Content SID for notices; override with None to test the missing-template path."""
    return TEMPLATE_NOTICE


@pytest.fixture
def settings(tmp_path: Path, api: FakeTwilioAPI, template_notice: str | None) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'guyub.db'}",
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
async def member(sari: Phone, core: Core, community: Community, api: FakeTwilioAPI) -> Member:
    """Bu Sari joined over WhatsApp (then the fake forgets the join chatter)."""
    await sari.say("GABUNG KBA13")
    await sari.say("1")
    api.clear()
    joined = sari.member(core)
    assert joined is not None
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
