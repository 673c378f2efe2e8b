"""A small fake of the Twilio REST API (2010-04-01 Messages + Media) for tests.

It is a real aiohttp server on 127.0.0.1, so the real ``twilio.rest.Client`` with
``AsyncTwilioHttpClient`` can talk to it. Point the client at it with::

    http_client = AsyncTwilioHttpClient()
    client = Client(api.account_sid, api.auth_token, http_client=http_client)
    client.api.base_url = api.base_url  # replaces "https://api.twilio.com"
    ...
    await http_client.close()

Response and error bodies follow the reference OpenAPI spec
(``api.v2010.account.message``) and Twilio's legacy error format
(``code``/``message``/``more_info``/``status``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import BasicAuth, ClientSession, web
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
MESSAGES_ROUTE = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json"

MSG_RATE_LIMIT = "Too Many Requests"
MSG_OUTSIDE_WINDOW = (
    "Failed to send freeform message because you are outside the allowed window. "
    "If you want to send messages outside this window, please use a Message Template."
)

WindowMode = Literal["reject", "callback"]


def error_body(status: int, code: int, message: str, **extra: Any) -> dict[str, Any]:
    """Twilio's (legacy) REST error JSON."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
        **extra,
    }


def _sid(prefix: str, seed: str) -> str:
    """Deterministic Twilio-looking SID: prefix + 32 lowercase hex digits."""
    return prefix + hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()


def _same_address(rule: str, to: str) -> bool:
    """``+62…`` matches both ``+62…`` and ``whatsapp:+62…``; a prefixed rule matches exactly."""
    if rule == to:
        return True
    return ":" not in rule and to.split(":", 1)[-1] == rule


@dataclass
class SentMessage:
    """One POST to Messages.json, as decoded by the fake."""

    to: str | None
    from_: str | None
    body: str | None
    content_sid: str | None
    content_variables: dict[str, Any] | None
    status_callback: str | None
    media_url: list[str]
    messaging_service_sid: str | None
    form: dict[str, list[str]]
    http_status: int = 201
    error_code: int | None = None
    sid: str | None = None
    date_created: datetime | None = None
    response: dict[str, Any] = field(default_factory=dict)
    window_error: int | None = None
    """Error the fake will report via status callback (``outside_window(mode="callback")``)."""

    @property
    def is_whatsapp(self) -> bool:
        """True if the recipient is a ``whatsapp:`` address."""
        return (self.to or "").startswith("whatsapp:")


@dataclass
class StatusCallback:
    """A signed status-callback request the fake would send to ``StatusCallback``."""

    url: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class _FailRule:
    status: int
    code: int
    message: str
    times: int | None  # None = permanent
    to: str | None

    def matches(self, to: str | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return self.to is None or (to is not None and _same_address(self.to, to))


@dataclass
class _Media:
    path: str
    data: bytes
    content_type: str
    redirect: bool | str


class FakeTwilioAPI:
    """Fake ``https://api.twilio.com`` serving Messages.json and media, with scripted failures."""

    def __init__(
        self,
        account_sid: str = "AC" + "0" * 32,
        auth_token: str = "testtoken",
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[SentMessage] = []
        """Accepted (201) sends, in order."""
        self.attempts: list[SentMessage] = []
        """Every POST to Messages.json that passed auth, including rejected ones."""
        self.media_requests: list[str] = []
        """Paths of media GETs that passed auth."""
        self.cdn_requests: list[tuple[str, str | None]] = []
        """(path, Authorization header or None) of every GET on the fake CDN."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self._rules: list[_FailRule] = []
        self._outside_window: dict[str, WindowMode] = {}
        self._media: dict[str, _Media] = {}
        self._media_names: dict[str, str] = {}
        self._waiters: list[tuple[int, asyncio.Event]] = []
        self._counter = itertools.count(1)
        self._stalls = 0
        self._release = asyncio.Event()
        self.stalled = 0
        """Number of requests currently/previously held by :meth:`stall_next`."""
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # -- lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        """Start listening on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_post(MESSAGES_ROUTE, self._create_message)
        app.router.add_get("/_cdn/{token}", self._cdn)
        app.router.add_route("*", "/{tail:.*}", self._fallback)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._base_url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        """Stop the server (releasing stalled requests first)."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash); use instead of https://api.twilio.com."""
        if self._base_url is None:
            raise RuntimeError("FakeTwilioAPI is not started")
        return self._base_url

    # -- scripting -----------------------------------------------------------------
    def fail_next(
        self,
        status: int = 429,
        code: int = 20429,
        message: str = MSG_RATE_LIMIT,
        times: int = 1,
        to: str | None = None,
    ) -> None:
        """Reject the next ``times`` sends (optionally only those to ``to``)."""
        self._rules.append(_FailRule(status, code, message, times, to))

    def clear_failures(self) -> None:
        """Forget every scripted failure: the API is back."""
        self._rules.clear()

    def stall_next(self, times: int = 1) -> None:
        """Hold the next ``times`` sends without answering, to test client timeouts.

        They stay open until :meth:`release_stalled` or :meth:`close`, then get 503.
        """
        self._stalls += times

    def release_stalled(self) -> None:
        """Let stalled requests finish (with 503/20503)."""
        self._release.set()

    def fail_to(
        self, number: str, status: int = 400, code: int = 21211, message: str | None = None
    ) -> None:
        """Permanently reject every send to ``number`` (default: 21211 invalid 'To')."""
        if message is None:
            message = f"The 'To' number {number} is not a valid phone number."
        self._rules.append(_FailRule(status, code, message, None, number))

    def outside_window(self, number: str, mode: WindowMode = "reject") -> None:
        """Mark ``number`` outside the WhatsApp 24h window: freeform sends fail with 63016.

        Sends with ``ContentSid`` (templates) still succeed. ``mode="reject"`` answers the
        POST with 400/63016; ``mode="callback"`` accepts it (201 queued) like real Twilio
        usually does and sets ``SentMessage.window_error`` so a test can deliver the
        failure with :meth:`status_callback` (``MessageStatus=failed, ErrorCode=63016``).
        """
        self._outside_window[number] = mode

    def inside_window(self, number: str) -> None:
        """Undo :meth:`outside_window` (the user wrote to us again)."""
        self._outside_window.pop(number, None)

    def clear(self) -> None:
        """Forget recorded messages and scripted failures (media stays)."""
        self.messages.clear()
        self.attempts.clear()
        self.media_requests.clear()
        self.cdn_requests.clear()
        self._rules.clear()
        self._outside_window.clear()

    # -- media ---------------------------------------------------------------------
    def add_media(
        self,
        path: str,
        data: bytes,
        content_type: str = "image/jpeg",
        *,
        redirect: bool | str = False,
    ) -> str:
        """Serve ``data`` at ``GET {base_url}{path}`` behind Basic auth; returns the full URL.

        ``path`` may be a full path (``/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME…``)
        or a short name (``"photo"``), which gets a realistic path for this account.
        ``redirect=True`` mimics real Twilio: an authenticated GET answers 307 to an
        unauthenticated CDN URL, so the downloader must follow redirects. A string
        redirects there instead (a host that is not Twilio's).
        """
        name = path
        if not path.startswith("/"):
            path = (
                f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{_sid('MM', name)}"
                f"/Media/{_sid('ME', name)}"
            )
        self._media[path] = _Media(path, data, content_type, redirect)
        self._media_names[name] = path
        return self.base_url + path

    def media_url(self, name: str) -> str:
        """Full URL of media registered with :meth:`add_media` (by name or path)."""
        return self.base_url + self._media_names[name]

    # -- waiting -------------------------------------------------------------------
    async def wait_for_messages(
        self,
        count: int,
        timeout: float = 5,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted; returns them all."""
        if len(self.messages) < count:
            event = asyncio.Event()
            waiter = (count, event)
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(timeout):
                    await event.wait()
            except TimeoutError:
                got = [(m.to, m.body, m.content_sid) for m in self.messages]
                raise TimeoutError(
                    f"expected {count} Twilio messages within {timeout}s, got {len(got)}: {got}"
                ) from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return list(self.messages)

    def _notify(self) -> None:
        for count, event in self._waiters:
            if len(self.messages) >= count:
                event.set()

    # -- status callbacks ----------------------------------------------------------
    def status_callback(
        self,
        message: SentMessage,
        status: str | None = None,
        error_code: int | None = None,
    ) -> StatusCallback:
        """Build the signed status-callback POST Twilio would send for ``message``.

        Defaults to ``failed`` + the pending window error if there is one, else ``delivered``.
        """
        if message.status_callback is None or message.sid is None:
            raise ValueError("message has no StatusCallback URL or was not accepted")
        if error_code is None and status is None:
            error_code = message.window_error
        if status is None:
            status = "failed" if error_code else "delivered"
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or "",
            "To": message.to or "",
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if message.is_whatsapp:
            params["ChannelPrefix"] = "whatsapp"
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = RequestValidator(self.auth_token).compute_signature(
            message.status_callback, params
        )
        headers = {
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return StatusCallback(message.status_callback, params, headers)

    async def send_status_callback(
        self,
        message: SentMessage,
        status: str | None = None,
        error_code: int | None = None,
    ) -> int:
        """POST :meth:`status_callback` to its URL (must be a real listening server)."""
        cb = self.status_callback(message, status, error_code)
        async with (
            ClientSession() as session,
            session.post(cb.url, data=cb.params, headers=cb.headers) as resp,
        ):
            await resp.read()
            return resp.status

    # -- handlers ------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            return False
        return hmac.compare_digest(auth.login, self.account_sid) and hmac.compare_digest(
            auth.password, self.auth_token
        )

    @staticmethod
    def _unauthorized() -> web.Response:
        body = error_body(
            401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect."
        )
        return web.json_response(
            body, status=401, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'}
        )

    @staticmethod
    def _not_found(path: str) -> web.Response:
        msg = f"The requested resource {path} was not found"
        return web.json_response(error_body(404, 20404, msg), status=404)

    def _reject(self, sent: SentMessage, status: int, code: int, message: str) -> web.Response:
        sent.http_status, sent.error_code = status, code
        return web.json_response(error_body(status, code, message), status=status)

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        if request.match_info["account_sid"] != self.account_sid:
            return self._not_found(request.path)
        if self._stalls > 0:
            self._stalls -= 1
            self.stalled += 1
            await self._release.wait()
            return web.json_response(error_body(503, 20503, "Service Unavailable"), status=503)
        post = await request.post()
        form: dict[str, list[str]] = {k: [str(v) for v in post.getall(k)] for k in post}

        def one(key: str) -> str | None:
            return form[key][0] if key in form else None

        raw_vars = one("ContentVariables")
        variables: dict[str, Any] | None = None
        vars_ok = True
        if raw_vars is not None:
            try:
                decoded = json.loads(raw_vars)
                vars_ok = isinstance(decoded, dict)
                variables = decoded if vars_ok else None
            except ValueError:
                vars_ok = False
        sent = SentMessage(
            to=one("To"),
            from_=one("From"),
            body=one("Body"),
            content_sid=one("ContentSid"),
            content_variables=variables,
            status_callback=one("StatusCallback"),
            media_url=form.get("MediaUrl", []),
            messaging_service_sid=one("MessagingServiceSid"),
            form=form,
        )
        self.attempts.append(sent)

        for rule in self._rules:
            if rule.matches(sent.to):
                if rule.times is not None:
                    rule.times -= 1
                return self._reject(sent, rule.status, rule.code, rule.message)

        if not sent.to:
            return self._reject(sent, 400, 21604, "A 'To' phone number is required.")
        if not sent.from_ and not sent.messaging_service_sid:
            return self._reject(sent, 400, 21603, "A 'From' phone number is required.")
        if not (sent.body or sent.media_url or sent.content_sid):
            return self._reject(sent, 400, 21602, "Message body is required.")
        if not vars_ok:
            return self._reject(sent, 400, 21656, "The ContentVariables Parameter is invalid.")

        mode = next(
            (m for number, m in self._outside_window.items() if _same_address(number, sent.to)),
            None,
        )
        if mode is not None and sent.content_sid is None:
            if mode == "reject":
                return self._reject(sent, 400, 63016, MSG_OUTSIDE_WINDOW)
            sent.window_error = 63016

        n = next(self._counter)
        sent.sid = _sid("SM", f"{self.account_sid}/{n}")
        sent.date_created = self._clock()
        sent.response = self._message_json(sent)
        self.messages.append(sent)
        self._notify()
        return web.json_response(sent.response, status=201)

    def _message_json(self, sent: SentMessage) -> dict[str, Any]:
        assert sent.sid is not None and sent.date_created is not None
        date = format_datetime(sent.date_created.astimezone(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sent.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": sent.body or "",
            "date_created": date,
            "date_sent": None,
            "date_updated": date,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sent.from_,
            "messaging_service_sid": sent.messaging_service_sid,
            "num_media": str(len(sent.media_url)),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sent.sid,
            "status": "queued" if sent.from_ else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": sent.to,
            "uri": f"{uri}.json",
        }

    async def _fallback(self, request: web.Request) -> web.StreamResponse:
        media = self._media.get(request.path)
        if media is None or request.method not in ("GET", "HEAD"):
            return self._not_found(request.path)
        if not self._authorized(request):
            return self._unauthorized()
        self.media_requests.append(request.path)
        if isinstance(media.redirect, str):
            raise web.HTTPTemporaryRedirect(media.redirect)
        if media.redirect:
            token = hashlib.sha1(media.path.encode(), usedforsecurity=False).hexdigest()
            raise web.HTTPTemporaryRedirect(f"{self.base_url}/_cdn/{token}")
        return web.Response(body=media.data, headers={"Content-Type": media.content_type})

    async def _cdn(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        self.cdn_requests.append((request.path, request.headers.get("Authorization")))
        for media in self._media.values():
            if hashlib.sha1(media.path.encode(), usedforsecurity=False).hexdigest() == token:
                return web.Response(body=media.data, headers={"Content-Type": media.content_type})
        return self._not_found(request.path)
