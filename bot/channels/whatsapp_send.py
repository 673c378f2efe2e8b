"""Sending on WhatsApp through Twilio: rate limit, the 24-hour window, errors sorted out."""

import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta

import aiohttp
from twilio.base.exceptions import TwilioRestException

from bot.channels.rate_limit import RateLimit
from bot.channels.rendering import numbered_text
from bot.channels.retrying import retry_passing
from bot.channels.twilio_http import RETRY_AFTER, TwilioConnection, connect_twilio
from bot.channels.whatsapp_text import BODY_LIMIT, CAPTION_LIMIT, flat_variable, split_text
from bot.settings import Settings
from handlers.clock import Clock
from handlers.messages import Reply
from handlers.phones import mask_phone
from jobs.sending import Outbound, PermanentFailure, RetryLater, SendResult

__all__ = ["WhatsAppSender", "classify"]

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=5)  # we see the message a little after WhatsApp does
BUSINESS_KINDS = ("notice", "digest", "broadcast", "reminder")
OUTSIDE_WINDOW = 63016
RATE_CODES = {20429, 63018}  # the sender's rate: every send from it waits
RETRY_CODES = {*RATE_CODES, 20003}  # auth: an operator can fix it, so wait
NOT_RUNNING_RETRY = 5.0  # seconds: the channel is starting or stopping, not failing
DEFAULT_RETRY_AFTER = 1.0  # a 429 without Retry-After: wait a second
UNREACHABLE = {
    21211: "invalid number",
    21610: "unsubscribed",
    21614: "not a mobile number",
    63003: "not on WhatsApp",
    63024: "invalid recipient",
}

RECENT_MAX = 10_000
LATER_PART_DELAYS = (1.0, 4.0, 15.0)  # once a first part is out, the rest is retried here


def classify(
    error: TwilioRestException, retry_after: float | None = None
) -> RetryLater | PermanentFailure:
    """Twilio's answer as the delivery worker's vocabulary (never echoing its text: numbers)."""
    code = error.code
    reason = f"twilio {error.status}/{code or '-'}"
    if error.status == 429 or code in RATE_CODES:
        return RetryLater(reason, retry_after=retry_after)
    if error.status >= 500 or code in RETRY_CODES:
        return RetryLater(reason)
    if code in UNREACHABLE:
        return PermanentFailure(f"{reason}: {UNREACHABLE[code]}", str(code), unreachable=True)
    if code == OUTSIDE_WINDOW:
        return PermanentFailure(f"{reason}: outside the 24-hour window", str(code))
    return PermanentFailure(reason, str(code) if code else None)


class WhatsAppSender:
    """Starts and continues WhatsApp conversations for the delivery worker and the webhook."""

    channel = "whatsapp"

    def __init__(self, settings: Settings, clock: Clock) -> None:
        if not settings.has_whatsapp:
            raise ValueError(
                "WhatsApp needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM "
                "and PUBLIC_BASE_URL"
            )
        self.settings, self.clock = settings, clock
        base = (settings.public_base_url or "").rstrip("/")
        self.status_callback = f"{base}/whatsapp/status"
        self.media_base = f"{base}/media/"
        sender = settings.twilio_whatsapp_from or ""
        self.from_ = sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}"
        # at most this many in any sliding second
        self.rate_per_second = max(settings.whatsapp_rate_per_second, 0.001)
        self.limiter = RateLimit(self.rate_per_second, 1, clock=clock, smooth=True)
        self.later_part_delays: Sequence[float] = LATER_PART_DELAYS
        self._connection: TwilioConnection | None = None
        self._closed = False  # after close(): no new HTTP session until open()
        self._recent: OrderedDict[str, None] = OrderedDict()  # SIDs of outbox messages

    def _twilio(self) -> TwilioConnection:
        if self._closed:  # a send after the channel stopped would leak a new session
            raise RetryLater("whatsapp channel is not running", retry_after=NOT_RUNNING_RETRY)
        if self._connection is None:  # first use, necessarily inside the running loop
            token = self.settings.twilio_auth_token
            self._connection = connect_twilio(
                self.settings.twilio_account_sid or "",
                token.get_secret_value() if token else "",
                self.settings.twilio_api_base_url,
            )
        return self._connection

    async def open(self) -> None:
        """Create the HTTP session now rather than on the first send."""
        self._closed = False
        self._twilio()

    async def close(self) -> None:
        """Close the HTTP session; sends are refused (RetryLater) until `open()`."""
        self._closed = True
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()

    def in_window(self, last_inbound_at: datetime | None) -> bool:
        """Whether a free-form (session) message may still be sent."""
        if last_inbound_at is None:
            return False
        return self.clock.now() - last_inbound_at < WINDOW - WINDOW_MARGIN

    def template_for(self, kind: str) -> str | None:
        """The Content SID configured for a business-initiated kind, if any."""
        if kind not in BUSINESS_KINDS:
            return None
        sid = getattr(self.settings, f"whatsapp_template_{kind}", None)
        return sid or None

    async def send(self, outbound: Outbound) -> SendResult:
        """One outbox message: a session message in the window, else the kind's template."""
        reply, to = outbound.reply, outbound.address
        template = self.template_for(outbound.kind)
        if self.in_window(outbound.last_inbound_at):
            try:
                sid = await self.send_reply(to, reply, outbound.number_from)
            except PermanentFailure as failure:
                if failure.code != str(OUTSIDE_WINDOW):
                    raise
                log.info("whatsapp %s to %s: window closed early", outbound.kind, mask_phone(to))
            else:
                return self._sent(sid)
        if template is None:
            return SendResult(status="needs_template")
        variables = {k: flat_variable(v) for k, v in reply.extra.items()} or {
            "1": flat_variable(reply.text)
        }
        sid = await self.create(
            to, content_sid=template, content_variables=json.dumps(variables, ensure_ascii=False)
        )
        return self._sent(sid, buttons_shown=False)

    def _sent(self, sid: str | None, *, buttons_shown: bool = True) -> SendResult:
        if sid is not None:
            self._recent[sid] = None
            while len(self._recent) > RECENT_MAX:
                self._recent.popitem(last=False)
        return SendResult(provider_id=sid, buttons_shown=buttons_shown)

    def sent_recently(self, sid: str) -> bool:
        """Whether an outbox message got this SID lately (its delivery report may come early)."""
        return sid in self._recent

    async def send_reply(self, address: str, reply: Reply, number_from: int = 1) -> str | None:
        """A session message (split into bodies, photos as MediaUrl); the first part's SID.

        A failure of the first part is raised (the outbox row is retried later); later
        parts are retried here (`later_part_delays`), since retrying the whole message
        would send its first part twice.
        """
        text = numbered_text(reply, number_from)
        if reply.documents:  # Twilio sends no JSON files: a download link instead
            links = "\n".join(f"📎 {self.media_base}{d}" for d in reply.documents)
            text = f"{text}\n\n{links}" if text else links
        media = [f"{self.media_base}{media_id}" for media_id in reply.media]
        parts: list[tuple[str, list[str]]] = []
        if media:
            head = split_text(text, CAPTION_LIMIT)
            first = head[0] if head else ""
            parts.append((first, media[:1]))
            parts.extend(("", [url]) for url in media[1:])  # WhatsApp: one photo a message
            text = text.strip()[len(first) :]
        parts.extend((body, []) for body in split_text(text, BODY_LIMIT))
        sids: list[str] = []
        for body, urls in parts:

            async def create_part(body: str = body, urls: list[str] = urls) -> str:
                return await self.create(address, body=body, media_url=urls)

            sids.append(await retry_passing(create_part, self.later_part_delays if sids else ()))
        return sids[0] if sids else None

    async def create(
        self,
        address: str,
        *,
        body: str = "",
        media_url: Sequence[str] = (),
        content_sid: str | None = None,
        content_variables: str | None = None,
    ) -> str:
        """One Messages.json POST, rate-limited, with Twilio's errors sorted into ours."""
        form: dict[str, str | Sequence[str]] = {
            "To": f"whatsapp:{address}",
            "From": self.from_,
            "StatusCallback": self.status_callback,
        }
        if body:
            form["Body"] = body
        if media_url:
            form["MediaUrl"] = list(media_url)
        if content_sid:
            form["ContentSid"] = content_sid
            form["ContentVariables"] = content_variables or ""
        await self.limiter.acquire()  # waits on the core's clock, first come first served
        try:
            sid = await self._twilio().create_message(form)
        except TwilioRestException as error:
            rate_limited = error.status == 429 or error.code in RATE_CODES
            wait = (RETRY_AFTER.get() or DEFAULT_RETRY_AFTER) if rate_limited else None
            if wait is not None:  # the limit is the sender's: hold every send from it
                self.limiter.pause(wait)
            outcome = classify(error, wait)
            log.warning("whatsapp send to %s refused: %s", mask_phone(address), outcome)
            raise outcome from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("whatsapp send to %s: network: %r", mask_phone(address), error)
            raise RetryLater(f"network: {type(error).__name__}") from error
        return sid
