"""A twilio REST client on aiohttp that never blocks the loop, warns, or hangs forever."""

import base64
import logging
from contextvars import ContextVar
from dataclasses import dataclass

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

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
    try:
        value = (response.headers or {}).get("Retry-After")
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


@dataclass
class TwilioConnection:
    """The REST client and the HTTP session under it, closed together."""

    client: Client
    http: HeaderAuthHttpClient

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
    return TwilioConnection(client, http)
