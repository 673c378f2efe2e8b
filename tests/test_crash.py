"""Crash test (issue 9): nothing acknowledged is ever lost.

`guyub run` runs as a real process on a SQLite file, against the fake Twilio API and the
fake Bot API on 127.0.0.1. Members join, then send a few hundred signed webhooks
(`cari zq<N>`: the "no products match" reply echoes the marker). When half of them are
acknowledged the process is killed with SIGKILL; it is started again on the same database
and must then answer every acknowledged message exactly once. A reply may come twice only
if its first copy reached the platform in the last moments before the kill (sent, but not
yet recorded as sent); messages never acknowledged may be answered at most once. On
Telegram the un-acknowledged updates are posted again after the restart, as Telegram
itself does; WhatsApp (Twilio) does not retry.

Run just these with `pytest tests/test_crash.py` (`-s` prints what each run saw).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from bot.cli import main
from tests.fakes.telegram_api import FakeTelegramAPI, make_callback_update, make_text_update
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.processes import (
    PUBLIC_BASE_URL,
    GuyubProcess,
    free_port,
    post_telegram_update,
    post_whatsapp,
    whatsapp_form,
)

MEMBERS = {"whatsapp": 8, "telegram": 20}  # Telegram paces replies at 1/s per chat
MESSAGES = {"whatsapp": 300, "telegram": 200}  # and 30/s in all
CONCURRENCY = 64
KILL_AT = 0.5
"""The process is killed once this share of the messages has been acknowledged."""
IN_FLIGHT_WINDOW = 1.0
"""Seconds before the kill in which a reply's first copy counts as in flight at the kill."""
DRAIN_TIMEOUT = 20.0
"""How long the restarted process gets to answer everything acknowledged."""
MARKER = re.compile(r"\bzq(\d+)\b", re.IGNORECASE)

ACCOUNT_SID = "AC" + "c" * 32
AUTH_TOKEN = "crash-test-auth-token"
BOT_NUMBER = "whatsapp:+14155238886"
TELEGRAM_TOKEN = "123456:CRASH-TEST-TOKEN"
TELEGRAM_SECRET = "crash-test-secret"


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
        self._changed = asyncio.Event()

    def sync(self) -> None:
        """Stamp what arrived since the last look."""
        current = self.fetch()
        if len(current) > len(self.seen):
            now = time.time()
            self.seen += [Seen(now, to, text) for to, text in current[len(self.seen) :]]
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


class Platform(Protocol):
    """One channel as the outside world sees it: settings, people, and their messages."""

    name: str
    members: list[str]  # addresses replies go to

    def settings(self) -> dict[str, str]: ...
    def watch(self) -> ReplyWatch: ...
    async def ready(self, starts: int) -> None: ...
    async def join(self, http: httpx.AsyncClient, member: str, watch: ReplyWatch) -> None: ...
    async def send(self, http: httpx.AsyncClient, member: str, marker: int) -> int: ...
    def retries_unacknowledged(self) -> bool: ...


class WhatsApp:
    """Twilio: signed form webhooks to /whatsapp; replies land at the fake's Messages.json."""

    name = "whatsapp"

    def __init__(self, twilio: FakeTwilioAPI) -> None:
        self.twilio = twilio
        self.members = [f"+628120000{n:04d}" for n in range(1, MEMBERS[self.name] + 1)]
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

    def retries_unacknowledged(self) -> bool:
        return False  # Twilio does not post an inbound message again


class Telegram:
    """Telegram in webhook mode: JSON updates with the secret header; sendMessage at the fake."""

    name = "telegram"

    def __init__(self, api: FakeTelegramAPI) -> None:
        self.api = api
        self.members = [str(7000 + n) for n in range(1, MEMBERS[self.name] + 1)]
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
        await self.api.wait_for("setWebhook", starts, timeout=DRAIN_TIMEOUT)

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
        update = self.updates.setdefault(
            marker, make_text_update(100_000 + marker, int(member), f"cari zq{marker}")
        )
        return await self._post(http, update)

    def retries_unacknowledged(self) -> bool:
        return True  # Telegram keeps an update until a webhook call for it succeeds


@dataclass
class Run:
    """What the platform side saw of one crash run."""

    sender: dict[int, str]  # marker -> member address
    outcome: dict[int, list[str]] = field(default_factory=dict)  # marker -> statuses
    killed_at: float = 0.0
    backlog_at_kill: int = 0  # acknowledged, not yet answered, when the process was killed
    restarted_at: float = 0.0

    def acknowledged(self, marker: int) -> bool:
        return any(s.startswith("2") for s in self.outcome.get(marker, []))


async def stream(
    http: httpx.AsyncClient,
    platform: Platform,
    run: Run,
    markers: list[int],
    kill: Callable[[], None],
    watch: ReplyWatch,
) -> None:
    """Send `markers` at a fixed concurrency; kill the process once KILL_AT are acknowledged."""
    kill_when = int(len(markers) * KILL_AT)
    pending = iter(markers)
    acked = 0

    async def sender() -> None:
        nonlocal acked
        for marker in pending:  # one iterator shared by every sender
            if run.killed_at:
                return  # the stream stops with the process; the rest is never sent
            try:
                status = str(await platform.send(http, run.sender[marker], marker))
            except httpx.TransportError as error:
                status = type(error).__name__
            run.outcome.setdefault(marker, []).append(status)
            acked += status.startswith("2")
            if acked >= kill_when and not run.killed_at:
                run.killed_at = time.time()
                kill()
                watch.sync()
                answered = {int(f.group(1)) for s in watch.seen for f in MARKER.finditer(s.text)}
                run.backlog_at_kill = sum(
                    1 for m, st in run.outcome.items() if run.acknowledged(m) and m not in answered
                )

    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))


@dataclass
class Verdict:
    """Acknowledged messages lost or answered twice, and what may excuse a duplicate."""

    acknowledged: int
    unacknowledged: int
    lost: list[int]
    in_flight_duplicates: list[int]
    bad_duplicates: list[int]
    answered_unacknowledged: int
    misdirected: list[Seen]
    sends_in_window: int

    def summary(self, name: str) -> str:
        return (
            f"{name}: {self.acknowledged} acknowledged, {self.unacknowledged} not; "
            f"lost {len(self.lost)}, duplicated {len(self.in_flight_duplicates)} in flight "
            f"(of {self.sends_in_window} replies sent in the last {IN_FLIGHT_WINDOW} s before "
            f"the kill) + {len(self.bad_duplicates)} not; "
            f"{self.answered_unacknowledged} un-acknowledged answered; "
            f"{len(self.misdirected)} to the wrong person"
        )


def judge(run: Run, seen: list[Seen]) -> Verdict:
    """Count each marker's replies to the person who sent it, and judge the duplicates."""
    copies: dict[int, list[Seen]] = {}
    misdirected = []
    for reply in seen:
        for found in MARKER.finditer(reply.text):
            marker = int(found.group(1))
            if run.sender.get(marker) == reply.to and marker in run.outcome:
                copies.setdefault(marker, []).append(reply)
            else:
                misdirected.append(reply)  # someone else's marker, or one never sent
    window = (run.killed_at - IN_FLIGHT_WINDOW, run.restarted_at)
    in_flight, bad = [], []
    for marker, replies in copies.items():
        if len(replies) == 1:
            continue
        if len(replies) == 2 and window[0] <= replies[0].at < window[1]:
            in_flight.append(marker)
        else:
            bad.append(marker)
    acked = [m for m in run.outcome if run.acknowledged(m)]
    unacked = [m for m in run.outcome if not run.acknowledged(m)]
    return Verdict(
        acknowledged=len(acked),
        unacknowledged=len(unacked),
        lost=sorted(m for m in acked if m not in copies),
        in_flight_duplicates=sorted(in_flight),
        bad_duplicates=sorted(bad),
        answered_unacknowledged=sum(1 for m in unacked if m in copies),
        misdirected=misdirected,
        sends_in_window=sum(1 for s in seen if window[0] <= s.at < window[1]),
    )


@pytest.fixture
async def platform(request: pytest.FixtureRequest) -> AsyncIterator[Platform]:
    """The fake platform the test's channel talks to, served on 127.0.0.1."""
    if request.param == "whatsapp":
        async with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio:
            yield WhatsApp(twilio)
    else:
        async with FakeTelegramAPI() as api:
            yield Telegram(api)


@pytest.fixture
def processes() -> Iterator[list[GuyubProcess]]:
    """Every process the test starts; whatever happens, none outlives it."""
    started: list[GuyubProcess] = []
    yield started
    for process in started:
        if process.process is not None and process.process.returncode is None:
            process.process.kill()


@pytest.mark.parametrize("platform", ["whatsapp", "telegram"], indirect=True)
async def test_crash_loses_no_acknowledged_message(
    platform: Platform, processes: list[GuyubProcess], tmp_path: Path
) -> None:
    db = tmp_path / "guyub.db"
    assert main(["community", "create", "KBA 13 Ulu", "--invite", "KBA13", "--db", str(db)]) == 0
    settings = {
        "DATABASE_URL": f"sqlite:///{db}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "HOST": "127.0.0.1",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOG_LEVEL": "INFO",
        **platform.settings(),
    }

    def guyub(attempt: str) -> GuyubProcess:
        process = GuyubProcess(settings | {"PORT": str(free_port())}, tmp_path / f"{attempt}.log")
        processes.append(process)
        return process

    count = MESSAGES[platform.name]
    markers = list(range(1, count + 1))
    run = Run(sender={m: platform.members[m % len(platform.members)] for m in markers})
    watch = platform.watch()
    watching = asyncio.create_task(watch.run())
    try:
        first = guyub("first")
        await first.start()
        await platform.ready(1)
        async with httpx.AsyncClient(base_url=first.base_url, timeout=10) as http:
            await asyncio.gather(*(platform.join(http, m, watch) for m in platform.members))
            welcomed = await watch.until(
                lambda seen: (
                    {s.to for s in seen if "sekarang anggota" in s.text} >= set(platform.members)
                ),
                DRAIN_TIMEOUT,
            )
            assert welcomed, f"members did not all join:\n{first.tail()}"
            await stream(http, platform, run, markers, first.kill, watch)
        await first.wait()

        run.restarted_at = time.time()
        second = guyub("second")
        await second.start()
        await platform.ready(2)
        if platform.retries_unacknowledged():
            async with httpx.AsyncClient(base_url=second.base_url, timeout=10) as http:
                for marker, statuses in run.outcome.items():
                    if not run.acknowledged(marker):
                        statuses.append(str(await platform.send(http, run.sender[marker], marker)))

        acked = {m for m in run.outcome if run.acknowledged(m)}

        def all_answered(seen: list[Seen]) -> bool:
            answered = {int(f.group(1)) for s in seen for f in MARKER.finditer(s.text)}
            return acked <= answered

        await watch.until(all_answered, DRAIN_TIMEOUT)
        await second.stop()  # SIGTERM: whatever it still had in hand goes out first
        watch.sync()
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)

    verdict = judge(run, watch.seen)
    print(verdict.summary(platform.name), f"; backlog at the kill {run.backlog_at_kill}")
    assert verdict.acknowledged >= count * KILL_AT, verdict.summary(platform.name)
    assert not verdict.misdirected, verdict.misdirected[:5]
    assert not verdict.lost, f"{verdict.summary(platform.name)}; lost: {verdict.lost[:20]}"
    assert not verdict.bad_duplicates, (
        f"{verdict.summary(platform.name)}; answered more than once, not in flight at the kill: "
        f"{verdict.bad_duplicates[:20]}"
    )
