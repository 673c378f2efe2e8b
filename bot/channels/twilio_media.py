"""Downloading a photo someone sent on WhatsApp, without handing our credentials to anyone.

A `MediaUrl` points at the Twilio API (`/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME…`),
which needs the account's credentials and answers with a redirect to its media CDN. So:
credentials go only with the first request, and only to our account's media on the API
itself; every hop (the first one too) must be on an allowed host (`TWILIO_MEDIA_HOSTS`);
redirects are followed by hand, without credentials, a few at most; the body is capped;
and the bytes must decode as a photo before anyone stores them.
"""

import asyncio
from dataclasses import dataclass

import httpx

from bot.channels.images import photo_type
from bot.settings import Settings

__all__ = [
    "DEFAULT_API",
    "MAX_MEDIA",
    "MAX_REDIRECTS",
    "MediaHosts",
    "MediaRefused",
    "Photo",
    "download_photo",
    "media_client",
]

DEFAULT_API = "https://api.twilio.com"
MAX_MEDIA = 5 * 1024 * 1024  # WhatsApp's own limit for a photo
MAX_REDIRECTS = 3
TIMEOUT = 20.0


class MediaRefused(ValueError):
    """The URL, a redirect or the size is not one we fetch."""


@dataclass(frozen=True)
class Photo:
    """A downloaded photo and the type its bytes really have."""

    data: bytes
    content_type: str


@dataclass(frozen=True)
class MediaHosts:
    """Where media may come from, and the one place our credentials may go."""

    apis: tuple[httpx.URL, ...]  # api.twilio.com and TWILIO_API_BASE_URL, if set
    account_sid: str
    patterns: tuple[str, ...]  # "api.twilio.com", "*.twiliocdn.com"

    @classmethod
    def from_settings(cls, settings: Settings) -> "MediaHosts":
        """The policy for this deployment's settings."""
        patterns = (p.strip().lower().rstrip(".") for p in settings.twilio_media_hosts.split(","))
        apis = [httpx.URL(DEFAULT_API)]
        if settings.twilio_api_base_url:
            apis.append(httpx.URL(settings.twilio_api_base_url))
        return cls(
            apis=tuple(apis),
            account_sid=settings.twilio_account_sid or "",
            patterns=tuple(p for p in patterns if p),
        )

    def _api_of(self, url: httpx.URL) -> httpx.URL | None:
        if url.userinfo:
            return None
        for api in self.apis:
            if (url.scheme, url.host, url.port) == (api.scheme, api.host, api.port):
                return api
        return None

    def on_api(self, url: httpx.URL) -> bool:
        """Whether `url` is on a Twilio API's own scheme, host and port."""
        return self._api_of(url) is not None

    def takes_credentials(self, url: httpx.URL) -> bool:
        """Only our own account's media on the API itself gets the Auth Token."""
        api = self._api_of(url)
        if api is None or not self.account_sid:
            return False
        prefix = f"{api.path.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages/"
        return url.path.startswith(prefix) and "/Media/" in url.path and ".." not in url.path

    def allows(self, url: httpx.URL) -> bool:
        """Whether anything at all may be fetched from `url`."""
        if self.on_api(url):
            return True
        if url.scheme != "https" or url.userinfo or url.port is not None:
            return False
        host = url.host.lower().rstrip(".")
        return any(
            host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.patterns
        )


def media_client() -> httpx.AsyncClient:
    """The HTTP session for media: no default credentials, no automatic redirects."""
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False)


async def download_photo(
    http: httpx.AsyncClient,
    url: str,
    *,
    hosts: MediaHosts,
    credentials: tuple[str, str],
    limit: int = MAX_MEDIA,
) -> Photo:
    """Fetch one photo from Twilio; raises MediaRefused, NotAPhoto or httpx.HTTPError."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise MediaRefused("not a URL") from error
    auth: tuple[str, str] | None = credentials if hosts.takes_credentials(target) else None
    if auth is None and hosts.on_api(target):
        raise MediaRefused("not this account's media")  # nothing else on the API is a photo
    for _ in range(MAX_REDIRECTS + 1):
        if not hosts.allows(target):
            raise MediaRefused(f"media host {target.host!r} is not allowed")
        async with http.stream("GET", target, auth=auth, follow_redirects=False) as response:
            if response.is_redirect:
                target = target.join(response.headers.get("location", ""))
                auth = None  # a CDN gets no credentials, even on the API's own host
                continue
            response.raise_for_status()
            data = await _read(response, limit)
        content_type = await asyncio.to_thread(photo_type, data)  # decoding must not stall
        return Photo(data, content_type)
    raise MediaRefused(f"more than {MAX_REDIRECTS} redirects")


async def _read(response: httpx.Response, limit: int) -> bytes:
    """The body, stopped as soon as it passes `limit` (a Content-Length may lie or be absent)."""
    declared = response.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise MediaRefused(f"larger than {limit} bytes")
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data.extend(chunk)
        if len(data) > limit:
            raise MediaRefused(f"larger than {limit} bytes")
    return bytes(data)
