"""The WhatsApp channel (Twilio): signed webhooks in, REST API out.

`/whatsapp` checks the signature, writes the message to the inbox (with its dedupe
record) and only then answers empty TwiML; if that write fails it answers 500, so Twilio
retries. Photos are downloaded and the message routed later, by the inbox worker, in
order per sender; replies are outbox rows sent as soon as the message is handled.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import httpx
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator

from bot.app import Core
from bot.channels.twilio_media import MediaHosts, download_photo, media_client
from bot.channels.whatsapp_send import WhatsAppSender
from bot.channels.whatsapp_status import StatusBook
from bot.channels.whatsapp_webhook import (
    InboundFields,
    Rejected,
    media_kind,
    parse_inbound,
    read_signed_form,
)
from bot.inbox import Direct, Prepared
from bot.inbox_writer import Arrival
from handlers.i18n import DEFAULT_LANGUAGE, t
from handlers.messages import Channel, Incoming, MediaRef, Reply
from handlers.phones import mask_phone
from storage.communities import find_identity
from storage.db import transaction
from storage.models import InboxMessage, Member

__all__ = ["EMPTY_TWIML", "WhatsAppChannel"]

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STOP_TIMEOUT = 30.0


class WhatsAppChannel:
    """The ChannelAdapter for WhatsApp; registers its sender with the core."""

    name = "whatsapp"

    def __init__(self, core: Core) -> None:
        settings = core.settings
        self.core = core
        self.sender = WhatsAppSender(settings, core.clock)
        core.add_sender(self.sender)
        assert settings.twilio_auth_token is not None and settings.public_base_url
        self._credentials = (
            settings.twilio_account_sid or "",
            settings.twilio_auth_token.get_secret_value(),
        )
        self.validator = RequestValidator(self._credentials[1])
        self._media_hosts = MediaHosts.from_settings(settings)
        self.public_base_url = settings.public_base_url
        self.statuses = StatusBook(core.open_session, core.clock, self.sender.sent_recently)
        self._http: httpx.AsyncClient | None = None
        self._stopping = False

    def routes(self) -> list[BaseRoute]:
        """`POST /whatsapp` (incoming messages) and `POST /whatsapp/status` (delivery reports)."""
        return [
            Route("/whatsapp", self.inbound, methods=["POST"]),
            Route("/whatsapp/status", self.status, methods=["POST"]),
        ]

    def accept_webhooks(self) -> None:
        """`--role web`: answer webhooks (into the inbox); nothing to open for that."""
        self._stopping = False

    async def start(self, *, serve_inbox: bool = True, receive: bool = True) -> None:
        """Open the HTTP sessions inside the running loop, then work through the inbox
        (beginning with whatever a crash left in it). Twilio always POSTs: nothing to
        start for `receive`."""
        self._stopping = False
        await self.sender.open()
        self._media_http()
        if serve_inbox:
            self.core.inbox.serve(Channel.WHATSAPP, self._prepare)

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109
        """Refuse new webhooks, finish the messages in the inbox (up to `timeout`; the rest
        waits there for the next start), then close the HTTP sessions."""
        self._stopping = True
        await self.core.inbox.release(Channel.WHATSAPP, timeout)
        await self.sender.close()
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    async def idle(self) -> None:
        """Wait until every message accepted so far has been routed and answered."""
        await self.core.inbox.idle((Channel.WHATSAPP,))

    async def inbound(self, request: Request) -> Response:
        """A message from WhatsApp: validate, write it to the inbox, then answer empty TwiML."""
        if self._stopping:
            return Response(status_code=503)
        try:
            fields = parse_inbound(
                await read_signed_form(request, self.validator, self.public_base_url)
            )
        except Rejected as rejected:
            log.warning("whatsapp webhook refused (%s): %s", rejected.status, rejected)
            return Response(status_code=rejected.status)
        arrival = Arrival(
            channel=Channel.WHATSAPP,
            platform_id=fields.message_sid,
            sender=fields.address,
            payload={"fields": asdict(fields)},
            received_at=self.core.clock.now(),
        )
        try:
            await self.core.inbox_writer.write([arrival])
        except Exception:
            log.exception("whatsapp message not written to the inbox; Twilio will retry")
            return Response(status_code=500)
        self.core.inbox.kick()
        return Response(EMPTY_TWIML, media_type="text/xml")

    async def status(self, request: Request) -> Response:
        """A delivery report for something we sent; unknown messages are ignored."""
        try:
            form = await read_signed_form(request, self.validator, self.public_base_url)
        except Rejected as rejected:
            log.warning("whatsapp status callback refused (%s): %s", rejected.status, rejected)
            return Response(status_code=rejected.status)
        try:
            if self.core.parent_link is not None:  # the main process sent it: it knows the SID
                pairs = [[key, str(value)] for key, value in form.multi_items()]
                await self.core.parent_link.call("whatsapp-status", pairs)
            else:
                self.statuses.record(form)
        except Exception:
            log.exception("whatsapp status callback could not be recorded")
        return Response(status_code=200)

    def parent_calls(self) -> dict[str, Callable[[Any], Awaitable[Any]]]:
        """What a web process asks of the main process for this channel (bot/web_processes.py)."""

        async def record_status(pairs: list[list[str]]) -> None:
            async with self.core.router.turn:  # no transaction of ours is open meanwhile
                self.statuses.record(FormData([(key, value) for key, value in pairs]))

        return {"whatsapp-status": record_status}

    async def _prepare(self, row: InboxMessage) -> Prepared:
        """The Incoming of an inbox row, with its photos fetched into the media store."""
        stored = dict(row.payload["fields"])
        fields = InboundFields(**{**stored, "media": tuple(tuple(m) for m in stored["media"])})
        media: list[MediaRef] = []
        keep_photos = bool(fields.media) and self._is_member(fields.address)
        failed = False
        for url, content_type in fields.media:
            kind = media_kind(content_type)
            if kind != "photo":
                media.append(MediaRef(kind, url, content_type))
                continue
            if not keep_photos:  # nothing about a person is stored before they consent
                media.append(MediaRef("photo", "", content_type))
                continue
            photo = await self._store_photo(fields.address, url, content_type)
            if photo is None:
                failed = True
                break
            media.append(photo)
        if fields.location:
            media.append(MediaRef("location", fields.location))
        message = Incoming(
            channel=Channel.WHATSAPP,
            message_id=fields.message_sid,
            address=fields.address,
            display_name=fields.display_name,
            received_at=row.received_at,
            text=fields.body,
            media=tuple(media),
            payload=fields.payload,
        )
        if failed:
            sorry = Reply(text=t(self._language(fields.address), "whatsapp.photo_failed"))
            return Direct(message, [sorry])
        return message

    def _media_http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = media_client()
        return self._http

    async def _store_photo(self, address: str, url: str, content_type: str) -> MediaRef | None:
        try:
            photo = await download_photo(
                self._media_http(), url, hosts=self._media_hosts, credentials=self._credentials
            )
        except (httpx.HTTPError, ValueError) as error:  # the error names no URL or token
            log.warning(
                "whatsapp photo from %s not fetched: %s", mask_phone(address), _reason(error)
            )
            return None

        def keep() -> MediaRef:
            with transaction(self.core.open_session) as session:
                member = _member(session, address)
                row = self.core.media.save(
                    session=session,
                    data=photo.data,
                    content_type=photo.content_type,
                    now=self.core.clock.now(),
                    community_id=member.community_id if member else None,
                )
                return MediaRef("photo", row.id, photo.content_type)

        return await asyncio.to_thread(keep)  # writing megabytes must not stall the loop

    def _is_member(self, address: str) -> bool:
        with self.core.open_session() as session:
            return _member(session, address) is not None

    def _language(self, address: str) -> str:
        with self.core.open_session() as session:
            member = _member(session, address)
            if member is not None:
                return member.language
            identity = find_identity(session=session, channel=Channel.WHATSAPP, address=address)
            return (identity.language if identity else None) or DEFAULT_LANGUAGE


def _reason(error: Exception) -> str:
    """Why a download failed, without the URL (it carries the Account SID)."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.HTTPError):
        return type(error).__name__
    return str(error)


def _member(session: Session, address: str) -> Member | None:
    identity = find_identity(session=session, channel=Channel.WHATSAPP, address=address)
    if identity is None or identity.member_id is None:
        return None
    return session.get(Member, identity.member_id)
