"""The WhatsApp channel (Twilio): signed webhooks in, REST API out, the slow part after answering.

Twilio waits at most 15 s for a webhook, so `/whatsapp` checks the signature, answers
empty TwiML at once and routes the message in a background task the adapter tracks;
replies go out through the REST API, in order, one sender's messages after another.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence

import httpx
from sqlmodel import Session, select
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
from handlers.i18n import DEFAULT_LANGUAGE, t
from handlers.messages import Channel, Incoming, MediaRef, Reply
from handlers.phones import mask_phone
from jobs.sending import PermanentFailure, RetryLater
from storage.db import transaction
from storage.models import ChannelIdentity, Member, ProcessedInbound

__all__ = ["EMPTY_TWIML", "WhatsAppChannel"]

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
REPLY_RETRY_DELAYS = (1.0, 4.0, 15.0)
STOP_TIMEOUT = 30.0


class WhatsAppChannel:
    """The ChannelAdapter for WhatsApp; registers its sender with the core."""

    name = "whatsapp"

    def __init__(self, core: Core, *, reply_retry_delays: Sequence[float] = REPLY_RETRY_DELAYS):
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
        self.reply_retry_delays = tuple(reply_retry_delays)
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()  # MessageSids being handled right now
        self._locks: dict[str, asyncio.Lock] = {}  # one sender's messages, one at a time
        self._waiting: Counter[str] = Counter()
        self._http: httpx.AsyncClient | None = None
        self._stopping = False

    def routes(self) -> list[BaseRoute]:
        """`POST /whatsapp` (incoming messages) and `POST /whatsapp/status` (delivery reports)."""
        return [
            Route("/whatsapp", self.inbound, methods=["POST"]),
            Route("/whatsapp/status", self.status, methods=["POST"]),
        ]

    async def start(self) -> None:
        """Open the HTTP sessions inside the running loop."""
        self._stopping = False
        await self.sender.open()
        self._media_http()

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109
        """Refuse new webhooks, finish the ones in hand, then close the HTTP sessions."""
        self._stopping = True
        try:
            async with asyncio.timeout(timeout):
                await self.idle()
        except TimeoutError:
            log.warning("whatsapp: %d messages still in hand at shutdown", len(self._tasks))
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.sender.close()
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    async def idle(self) -> None:
        """Wait until every message handed to us has been routed and answered."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def inbound(self, request: Request) -> Response:
        """A message from WhatsApp: validate, answer empty TwiML, handle it afterwards."""
        if self._stopping:
            return Response(status_code=503)
        try:
            fields = parse_inbound(
                await read_signed_form(request, self.validator, self.public_base_url)
            )
        except Rejected as rejected:
            log.warning("whatsapp webhook refused (%s): %s", rejected.status, rejected)
            return Response(status_code=rejected.status)
        if fields.message_sid not in self._in_flight:  # a retry while we still work on it
            self._in_flight.add(fields.message_sid)
            self._waiting[fields.address] += 1
            task = asyncio.create_task(self._handle(fields))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return Response(EMPTY_TWIML, media_type="text/xml")

    async def status(self, request: Request) -> Response:
        """A delivery report for something we sent; unknown messages are ignored."""
        try:
            form = await read_signed_form(request, self.validator, self.public_base_url)
        except Rejected as rejected:
            log.warning("whatsapp status callback refused (%s): %s", rejected.status, rejected)
            return Response(status_code=rejected.status)
        try:
            self.statuses.record(form)
        except Exception:
            log.exception("whatsapp status callback could not be recorded")
        return Response(status_code=200)

    async def _handle(self, fields: InboundFields) -> None:
        lock = self._locks.setdefault(fields.address, asyncio.Lock())
        try:
            async with lock:
                replies = await self._route(fields)
                await self._answer(fields.address, replies)
        except Exception:
            log.exception(
                "whatsapp message %s from %s failed", fields.message_sid, mask_phone(fields.address)
            )
        finally:
            self._in_flight.discard(fields.message_sid)
            self._waiting[fields.address] -= 1
            if self._waiting[fields.address] <= 0:
                del self._waiting[fields.address]
                self._locks.pop(fields.address, None)

    async def _route(self, fields: InboundFields) -> list[Reply]:
        if self._already_handled(fields.message_sid):
            return []  # a late retry: spare the photo download, the router would drop it
        media: list[MediaRef] = []
        keep_photos = bool(fields.media) and self._is_member(fields.address)
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
                return [Reply(text=t(self._language(fields.address), "whatsapp.photo_failed"))]
            media.append(photo)
        if fields.location:
            media.append(MediaRef("location", fields.location))
        message = Incoming(
            channel=Channel.WHATSAPP,
            message_id=fields.message_sid,
            address=fields.address,
            display_name=fields.display_name,
            received_at=self.core.clock.now(),
            text=fields.body,
            media=tuple(media),
            payload=fields.payload,
        )
        return await self.core.router.handle(message)

    async def _answer(self, address: str, replies: Sequence[Reply]) -> None:
        """Send the replies in order, numbering buttons across the batch as the router does."""
        number = 1
        for reply in replies:
            try:
                await self.sender.send_reply(address, reply, number, self.reply_retry_delays)
            except (RetryLater, PermanentFailure) as error:
                log.warning("whatsapp reply to %s not sent: %s", mask_phone(address), error)
                return
            number += len(reply.buttons)

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

    def _already_handled(self, message_sid: str) -> bool:
        with self.core.open_session() as session:
            return (
                session.exec(
                    select(ProcessedInbound.id).where(
                        ProcessedInbound.channel == Channel.WHATSAPP,
                        ProcessedInbound.message_id == message_sid,
                    )
                ).first()
                is not None
            )

    def _is_member(self, address: str) -> bool:
        with self.core.open_session() as session:
            return _member(session, address) is not None

    def _language(self, address: str) -> str:
        with self.core.open_session() as session:
            member = _member(session, address)
            if member is not None:
                return member.language
            identity = _identity(session, address)
            return (identity.language if identity else None) or DEFAULT_LANGUAGE


def _reason(error: Exception) -> str:
    """Why a download failed, without the URL (it carries the Account SID)."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.HTTPError):
        return type(error).__name__
    return str(error)


def _identity(session: Session, address: str) -> ChannelIdentity | None:
    return session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == Channel.WHATSAPP, ChannelIdentity.address == address
        )
    ).first()


def _member(session: Session, address: str) -> Member | None:
    identity = _identity(session, address)
    if identity is None or identity.member_id is None:
        return None
    return session.get(Member, identity.member_id)
