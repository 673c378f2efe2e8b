"""Twilio's webhook requests: read, check the signature, and make sense of the fields."""

import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from handlers.phones import to_e164

__all__ = [
    "MAX_BODY",
    "InboundFields",
    "Rejected",
    "media_kind",
    "parse_inbound",
    "read_signed_form",
]

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # Twilio's forms are a few kB; anything bigger is not from Twilio
SIGNATURE = "X-Twilio-Signature"
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


class Rejected(Exception):
    """A request answered with an error status and no side effect."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class InboundFields:
    """What Guyub needs from an inbound-message webhook."""

    message_sid: str
    address: str  # E.164
    display_name: str
    body: str
    payload: str | None
    media: tuple[tuple[str, str], ...]  # (url, content type)
    location: str | None  # "lat,lon"


def public_url(base: str, request: Request) -> str:
    """The URL Twilio called, as the world sees it (behind a proxy the app sees another)."""
    url = base.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            raise Rejected(413, "body too large")
    return bytes(body)


def parse_form(body: bytes) -> FormData:
    """An urlencoded body as a multi-value form (what RequestValidator expects)."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as error:
        raise Rejected(400, "malformed form body") from error
    fields: list[tuple[str, str | UploadFile]] = list(pairs)
    return FormData(fields)


async def read_signed_form(
    request: Request, validator: RequestValidator, public_base_url: str
) -> FormData:
    """The form of a request Twilio signed; raises Rejected (403, 400, 413) otherwise."""
    signature = request.headers.get(SIGNATURE)
    if not signature:
        raise Rejected(403, "no signature")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Rejected(400, "not a form")
    form = parse_form(await _read_body(request))
    if not validator.validate(public_url(public_base_url, request), form, signature):
        raise Rejected(403, "bad signature")
    return form


def media_kind(content_type: str) -> str:
    """Guyub's media kind for a MIME type (stickers arrive as image/webp: photos too).

    Only plain raster images count as photos: they are kept and served from our own
    origin at /media, where an SVG (it can carry script) has no business.
    """
    major = content_type.split("/")[0].lower()
    if major == "image":
        return "photo" if content_type.split(";")[0].strip().lower() in PHOTO_TYPES else "other"
    if major in {"audio", "video"}:
        return major
    if major in {"application", "text"} and "vcard" not in content_type.lower():
        return "document"
    return "other"


def parse_inbound(form: FormData) -> InboundFields:
    """The fields of an inbound message; Rejected(400) if it is not one."""
    sid = str(form.get("MessageSid") or form.get("SmsMessageSid") or "")
    address = to_e164(str(form.get("From") or ""))
    if not sid or address is None:
        raise Rejected(400, "no MessageSid or From")
    try:
        count = min(int(str(form.get("NumMedia") or "0")), 10)
    except ValueError as error:
        raise Rejected(400, "bad NumMedia") from error
    media = []
    for index in range(count):
        url = str(form.get(f"MediaUrl{index}") or "")
        if url:
            kind = str(form.get(f"MediaContentType{index}") or "application/octet-stream")
            media.append((url, kind))
    latitude, longitude = form.get("Latitude"), form.get("Longitude")
    return InboundFields(
        message_sid=sid,
        address=address,
        display_name=str(form.get("ProfileName") or ""),
        body=str(form.get("Body") or ""),
        payload=str(form.get("ButtonPayload") or "") or None,
        media=tuple(media),
        location=f"{latitude},{longitude}" if latitude and longitude else None,
    )
