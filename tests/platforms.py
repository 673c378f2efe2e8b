"""The platforms around `guyub run`, as the outside world sees them: people who join and
write on WhatsApp (Twilio webhooks) or Telegram (webhook updates), and the replies that
reach the fake platform servers, stamped as they arrive.

Shared by the crash test and the inbound bench; both see Guyub only from outside.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from tests.fakes.telegram_api import FakeTelegramAPI, make_callback_update, make_text_update
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.processes import (
    PUBLIC_BASE_URL,
    TELEGRAM_SECRET_HEADER,
    post_telegram_update,
    post_whatsapp,
    whatsapp_form,
)

__all__ = [
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "MARKER",
    "Platform",
    "ReplyWatch",
    "Request",
    "Seen",
    "Telegram",
    "WhatsApp",
    "join_all",
    "markers_in",
    "welcomed",
]

MARKER = re.compile(r"\bzq(\d+)\b", re.IGNORECASE)
"""`cari zq<N>` is answered "no products match "zq<N>"": the reply names its message."""
READY_TIMEOUT = 20.0

ACCOUNT_SID = "AC" + "c" * 32
AUTH_TOKEN = "blackbox-auth-token"
BOT_NUMBER = "whatsapp:+14155238886"
TELEGRAM_TOKEN = "123456:BLACKBOX-TOKEN"
TELEGRAM_SECRET = "blackbox-secret"


def markers_in(seen: list[Seen]) -> set[int]:
    """The markers answered so far."""
    return {int(found.group(1)) for s in seen for found in MARKER.finditer(s.text)}


@dataclass(frozen=True)
class Seen:
    """One message the fake platform accepted from Guyub, stamped when it was noticed."""

    at: float  # time.time()
    to: str
    text: str


class ReplyWatch:
    """Every message a fake platform accepted, in order, stamped as it arrives.

    It wakes on the fake's own "new message" event: no sleeping, and waits are bounded.
    """

    def __init__(
        self,
        fetch: Callable[[], list[tuple[str, str]]],
        wait_for_count: Callable[[int], Awaitable[object]],
    ) -> None:
        self.fetch, self.wait_for_count = fetch, wait_for_count
        self.seen: list[Seen] = []
        self.markers: set[int] = set()
        """Every marker answered so far (kept up to date: cheap to ask on every wake)."""
        self._changed = asyncio.Event()

    def sync(self) -> None:
        """Stamp what arrived since the last look."""
        current = self.fetch()
        if len(current) > len(self.seen):
            now = time.time()
            new = [Seen(now, to, text) for to, text in current[len(self.seen) :]]
            self.seen += new
            self.markers |= markers_in(new)
            self._changed.set()
            self._changed = asyncio.Event()

    async def run(self) -> None:
        """Follow the fake until cancelled."""
        while True:
            self.sync()
            await self.wait_for_count(len(self.seen) + 1)

    async def until(self, done: Callable[[list[Seen]], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Whether `done(seen)` came true within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.sync()
                    if done(self.seen):
                        return True
                    await self._changed.wait()
        except TimeoutError:
            return False


@dataclass(frozen=True)
class Request:
    """One webhook request, made (and signed) ahead of time: a load generator sends these
    bytes as they are, so building and signing them is not what it measures."""

    path: str
    headers: dict[str, str]
    body: bytes


def welcomed(seen: list[Seen]) -> set[str]:
    """Who has been told they are a member now."""
    return {s.to for s in seen if "sekarang anggota" in s.text}


class Platform(Protocol):
    """One channel as the outside world sees it: settings, people, and their messages."""

    name: str
    members: list[str]  # addresses replies go to

    def settings(self) -> dict[str, str]: ...
    def watch(self) -> ReplyWatch: ...
    async def ready(self, starts: int) -> None: ...
    async def join(self, http: httpx.AsyncClient, member: str, watch: ReplyWatch) -> None: ...
    async def send(self, http: httpx.AsyncClient, member: str, marker: int) -> int: ...
    def request(self, member: str, marker: int) -> Request: ...
    def retries_unacknowledged(self) -> bool: ...


class WhatsApp:
    """Twilio: signed form webhooks to /whatsapp; replies land at the fake's Messages.json."""

    name = "whatsapp"

    def __init__(self, twilio: FakeTwilioAPI, members: int) -> None:
        self.twilio = twilio
        self.members = [f"+62812{n:07d}" for n in range(1, members + 1)]
        self._sids = itertools.count(1)

    def settings(self) -> dict[str, str]:
        return {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": BOT_NUMBER,
            "TWILIO_API_BASE_URL": self.twilio.base_url,
            "WHATSAPP_RATE_PER_SECOND": "1000",
        }

    def watch(self) -> ReplyWatch:
        def fetch() -> list[tuple[str, str]]:
            return [
                ((m.to or "").removeprefix("whatsapp:"), m.body or "") for m in self.twilio.messages
            ]

        return ReplyWatch(fetch, lambda n: self.twilio.wait_for_messages(n, timeout=3600))

    async def _post(self, http: httpx.AsyncClient, member: str, text: str) -> int:
        form = whatsapp_form(
            sid=f"SM{next(self._sids):032x}",
            number=member,
            text=text,
            account_sid=ACCOUNT_SID,
            bot_number=BOT_NUMBER,
        )
        return (await post_whatsapp(http, form, AUTH_TOKEN)).status_code

    async def ready(self, starts: int) -> None:
        """Webhooks are taken as soon as the web server answers."""

    async def join(self, http: httpx.AsyncClient, member: str, watch: ReplyWatch) -> None:
        assert await self._post(http, member, "GABUNG KBA13") == 200
        assert await self._post(http, member, "1") == 200  # "Setuju"

    async def send(self, http: httpx.AsyncClient, member: str, marker: int) -> int:
        return await self._post(http, member, f"cari zq{marker}")

    def request(self, member: str, marker: int) -> Request:
        """`send`'s webhook as a signed request."""
        form = whatsapp_form(
            sid=f"SM{next(self._sids):032x}",
            number=member,
            text=f"cari zq{marker}",
            account_sid=ACCOUNT_SID,
            bot_number=BOT_NUMBER,
        )
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            f"{PUBLIC_BASE_URL}/whatsapp", form
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        return Request("/whatsapp", headers, urlencode(form).encode())

    def retries_unacknowledged(self) -> bool:
        return False  # Twilio does not post an inbound message again


class Telegram:
    """Telegram in webhook mode: JSON updates with the secret header; sendMessage at the fake."""

    name = "telegram"

    def __init__(self, api: FakeTelegramAPI, members: int) -> None:
        self.api = api
        self.members = [str(7000 + n) for n in range(1, members + 1)]
        self._update_ids = itertools.count(1)
        self.updates: dict[int, dict[str, Any]] = {}  # by marker, to post again

    def settings(self) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "TELEGRAM_API_FILE_URL": self.api.base_file_url,
            "TELEGRAM_WEBHOOK_URL": f"{PUBLIC_BASE_URL}/telegram",
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        }

    def watch(self) -> ReplyWatch:
        def fetch() -> list[tuple[str, str]]:
            calls = self.api.calls_to("sendMessage")
            return [(str(c.chat_id), str(c.params.get("text", ""))) for c in calls]

        return ReplyWatch(fetch, lambda n: self.api.wait_for("sendMessage", n, timeout=3600))

    async def _post(self, http: httpx.AsyncClient, update: dict[str, Any]) -> int:
        return (await post_telegram_update(http, update, TELEGRAM_SECRET)).status_code

    async def ready(self, starts: int) -> None:
        """Telegram delivers once the webhook is (re)registered; before, Guyub answers 503."""
        await self.api.wait_for("setWebhook", starts, timeout=READY_TIMEOUT)

    async def join(self, http: httpx.AsyncClient, member: str, watch: ReplyWatch) -> None:
        user = int(member)
        start = make_text_update(next(self._update_ids), user, "/start KBA13", first_name="Ani")
        assert await self._post(http, start) == 200
        assert await watch.until(lambda seen: any(s.to == member for s in seen), 10)
        consent = next(c for c in self.api.calls_to("sendMessage") if str(c.chat_id) == member)
        rows = consent.params["reply_markup"]["inline_keyboard"]
        agree = next(b["callback_data"] for row in rows for b in row if b["text"] == "Setuju")
        press = make_callback_update(
            next(self._update_ids), user, agree, message_id=consent.result["message_id"]
        )
        assert await self._post(http, press) == 200

    async def send(self, http: httpx.AsyncClient, member: str, marker: int) -> int:
        text = f"cari zq{marker}"
        update = self.updates.setdefault(
            marker, make_text_update(100_000 + marker, int(member), text, first_name="Ani")
        )
        return await self._post(http, update)

    def request(self, member: str, marker: int) -> Request:
        """`send`'s update as a request with the webhook secret."""
        update = self.updates.setdefault(
            marker,
            make_text_update(100_000 + marker, int(member), f"cari zq{marker}", first_name="Ani"),
        )
        headers = {"Content-Type": "application/json", TELEGRAM_SECRET_HEADER: TELEGRAM_SECRET}
        return Request("/telegram", headers, json.dumps(update).encode())

    def retries_unacknowledged(self) -> bool:
        return True  # Telegram keeps an update until a webhook call for it succeeds


async def join_all(http: httpx.AsyncClient, platform: Platform, watch: ReplyWatch) -> bool:
    """Every member joins the community KBA13; whether all were welcomed in time."""
    await asyncio.gather(*(platform.join(http, m, watch) for m in platform.members))
    members = set(platform.members)
    return await watch.until(lambda seen: welcomed(seen) >= members, READY_TIMEOUT)
