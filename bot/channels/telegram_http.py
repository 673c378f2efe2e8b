"""python-telegram-bot's HTTP on aiohttp instead of httpx.

With many sends in flight, httpx (httpcore's connection pool scans every connection for
every request) cost about 16 ms of CPU per Bot API call on the 2-core machine, against
0.4 ms for aiohttp (bench/broadcast.py, 64 in flight): with httpx, a broadcast could not
pass ~55 Telegram messages a second however the platform allowed. Long polling keeps PTB's
own httpx request (one call at a time).

A plain call's form is encoded here, once, as bytes: handing aiohttp a dict builds a
FormData, which makes a multipart writer (and a uuid4 boundary) for every request.
"""

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from jobs.pacing import sending_now

__all__ = ["AiohttpRequest"]

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session with up to `connections` connections."""

    def __init__(
        self,
        *,
        connections: int = 128,
        read_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        media_timeout: float = 20.0,
    ) -> None:
        self.connections = connections
        self._read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.media_timeout = media_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds it to long polls' own timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (inside the running loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call; aiohttp's failures as PTB's TimedOut / NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        if files:
            read = max(read or 0.0, self.media_timeout)
        connect = (
            self.connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        timeout = aiohttp.ClientTimeout(sock_read=read, sock_connect=connect, connect=None)
        body: Any = None
        headers = {"User-Agent": self.USER_AGENT}
        if request_data is not None:
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                body = form
            elif request_data.parameters:
                body = request_data.url_encoded_parameters().encode()
                headers.update(FORM_HEADERS)
        sending_now()  # the rate limiter's slots count from the write
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientConnectorError as error:  # one short line for the operator
            where = f"{error.host}:{error.port}"
            raise NetworkError(
                f"aiohttp.{type(error).__name__}: cannot connect to {where}"
            ) from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
