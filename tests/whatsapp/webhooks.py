"""Inbound WhatsApp as Twilio sends it: form fields, signatures made with twilio's own
RequestValidator, and a person (`Phone`) whose messages are POSTed to /whatsapp."""

import itertools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlmodel import select
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bot.app import Core
from bot.channels.whatsapp import WhatsAppChannel
from handlers.messages import MediaRef
from storage.models import ChannelIdentity, Member
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


def twilio_media(url: str, content_type: str = "image/jpeg") -> MediaRef:
    """Media Twilio holds at `url`, as a transcript attaches it to a WhatsApp message."""
    kind = {"image": "photo", "audio": "audio", "video": "video"}.get(content_type.split("/")[0])
    return MediaRef(kind or "document", url, content_type)
