"""A twilio REST client on aiohttp that never blocks the loop, warns, or hangs forever."""

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from jobs.pacing import sending_now

__all__ = ["RETRY_AFTER", "HeaderAuthHttpClient", "TwilioConnection", "connect_twilio"]

RETRY_AFTER: ContextVar[float | None] = ContextVar("twilio_retry_after", default=None)
"""The Retry-After (seconds) of the last 429 this task got: TwilioRestException drops it."""

DEFAULT_TIMEOUT = 15.0

# twilio logs every request's URL and headers at INFO; our own log says what matters.
_wire_log = logging.getLogger("bot.channels.twilio_http.wire")
_wire_log.setLevel(logging.WARNING)


class HeaderAuthHttpClient(AsyncTwilioHttpClient):
    """AsyncTwilioHttpClient minus two aiohttp-3.14 problems.

    * twilio 9.13 builds ``aiohttp.BasicAuth`` per request, which aiohttp 3.14 deprecates
      (DeprecationWarning, twilio-python#931): we send the Authorization header ourselves.
    * the constructor's ``timeout`` is ignored by ``request()`` (aiohttp then waits
      forever): we apply it whenever the caller passes none.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(timeout=timeout, logger=_wire_log)

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio's signature)
        allow_redirects: bool = False,
    ) -> Response:
        """Twilio's request, with the credentials as a header and a timeout that holds."""
        headers = dict(headers or {})
        sending_now()  # the rate limiter's slot counts from the write
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        response = await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=self.timeout if timeout is None else timeout,
            allow_redirects=allow_redirects,
        )
        RETRY_AFTER.set(_retry_after(response) if response.status_code == 429 else None)
        return response


def _retry_after(response: Response) -> float | None:
    """Retry-After in seconds, if the answer has one (Twilio sends whole seconds)."""
    return _seconds((response.headers or {}).get("Retry-After"))


def _seconds(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


FORM = "application/x-www-form-urlencoded"


@dataclass
class TwilioConnection:
    """The REST client and the HTTP session under it, closed together.

    `create_message` is the hot path of a broadcast: one POST with the form encoded once,
    straight on the session. Through `client.messages.create_async` each message cost
    about 0.6 ms of CPU in twilio's layers (argument mapping, request logging, aiohttp's
    FormData with a multipart writer and a uuid4 per request, MessageInstance) for a form
    of four fields and one `sid` read back.
    """

    client: Client
    http: HeaderAuthHttpClient
    account_sid: str = ""
    _headers: dict[str, str] = field(default_factory=dict)
    _url: str = ""
    _timeout: aiohttp.ClientTimeout | None = None

    def __post_init__(self) -> None:
        username, password = self.client.auth
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {token}", "Content-Type": FORM}
        self._headers["Accept"] = "application/json"
        sid = self.account_sid or self.client.account_sid
        uri = f"{self.client.api.base_url}/2010-04-01/Accounts/{sid}/Messages.json"
        self._url = self.client.get_hostname(uri)  # TWILIO_EDGE / TWILIO_REGION, as twilio
        self._timeout = aiohttp.ClientTimeout(total=self.http.timeout)

    async def create_message(self, params: Mapping[str, str | Sequence[str]]) -> str:
        """POST Messages.json (To, From, Body, MediaUrl..., as Twilio names them) and return
        the new message's SID; an error answer raises TwilioRestException as twilio would,
        and a 429's Retry-After is left in RETRY_AFTER."""
        session = self.http.session
        assert session is not None, "connect_twilio makes a pooled session"
        body = urlencode(params, doseq=True).encode()
        sending_now()  # the rate limiter's slot counts from the write
        async with session.post(
            self._url, data=body, headers=self._headers, timeout=self._timeout
        ) as answer:
            text = await answer.text()
            status = answer.status
            retry_after = answer.headers.get("Retry-After") if status == 429 else None
        RETRY_AFTER.set(_seconds(retry_after))
        try:
            payload = json.loads(text) if text else {}
        except ValueError:
            payload = {}
        if status >= 400 or not isinstance(payload, dict) or "sid" not in payload:
            info = payload if isinstance(payload, dict) else {}
            code = info.get("code")
            raise TwilioRestException(
                status if status >= 400 else 502,
                self._url,
                str(info.get("message") or f"Unable to create record: {status}"),
                code if isinstance(code, int) else None,
                "POST",
                info.get("more_info"),
            )
        return str(payload["sid"])

    async def close(self) -> None:
        """Close the aiohttp session (no "Unclosed client session" at exit)."""
        await self.http.close()


def connect_twilio(
    account_sid: str, auth_token: str, base_url: str | None, timeout: float = DEFAULT_TIMEOUT
) -> TwilioConnection:
    """A client for the account; call inside a running loop (aiohttp needs one).

    `base_url` replaces https://api.twilio.com (a fake in tests, a proxy if needed);
    TWILIO_EDGE/TWILIO_REGION from the environment would otherwise rewrite the host.
    """
    http = HeaderAuthHttpClient(timeout=timeout)
    client = Client(account_sid, auth_token, http_client=http)
    if base_url:
        client.edge = client.region = None
        client.api.base_url = base_url.rstrip("/")
    return TwilioConnection(client, http, account_sid)
