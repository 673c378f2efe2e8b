"""Broadcast benchmark (issue 13): one announcement to many members, through `guyub run`.

Run from the repository root:

    .venv/bin/python bench/broadcast.py                  # 10,000 members, three runs
    .venv/bin/python bench/broadcast.py --members 2000   # a quicker run

Loopback fakes of the Telegram Bot API and of Twilio's Messages endpoint (in a process of
their own, so neither the bench's bookkeeping nor Guyub shares their event loop) answer
each request after `--latency` seconds (100 ms) and enforce the platforms' limits
exactly, in sliding windows: Telegram 30 messages/s for the bot and 1/s per chat, Twilio
80/s per sender; a request over a limit gets 429 with retry_after (Telegram) or Retry-After
(Twilio, error 20429). Every `--blocked-every`-th member has blocked the bot (403) or has
an invalid number (21211), every `--opted-out-every`-th has opted out after the rows were
queued. The announcement is one outbox row per member, half on each channel, written to
the database before `guyub run` (a separate process, the real delivery path) starts.

Runs:
1. limits: Guyub against the limits, then the naive loop (one awaited send after another,
   sleeping on a 429) on `--naive` members per channel, for the speed-up;
2. lifted: no limits at the fakes, Guyub configured far above them: the engine's ceiling;
3. kill: as 1, but the process is killed with SIGKILL three times mid-send and restarted.

Per channel it prints messages delivered, seconds (first to last delivery), the rate as a
share of the limit, 429s, lost (due but never delivered), duplicated, and sent to members
who opted out; and the process's peak memory (VmHWM). The fakes count a request when it
arrives (their handler's first line, before the body is read), as a platform would.
`--profile DIR` records Guyub with py-spy (if installed) into DIR/<run>-<start>.txt
(collapsed stacks); `--fakes-nice -10` runs the fakes at a higher priority (root only).
CPU is counted from /healthz answering, so the start-up (imports) is reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from sqlmodel import Session, col, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.communities import create_community
from storage.db import make_engine, prepare
from storage.models import OutboxMessage, OutboxStatus
from tests.delivery.audience import Audience, add_audience
from tests.processes import PUBLIC_BASE_URL, GuyubProcess, free_port

TOKEN = "123456:BENCH-TOKEN"
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-auth-token"
FROM = "+6281100000000"
LIMITS = {"telegram": 30, "whatsapp": 80}


class Window:
    """Accepted requests in the last second: the platform's own sliding-window count."""

    def __init__(self, limit: float | None, seconds: float = 1.0) -> None:
        self.limit, self.seconds = limit, seconds
        self.times: deque[float] = deque()

    def admit(self, now: float) -> float | None:
        """None if accepted (and counted), else the seconds to wait."""
        if self.limit is None:
            return None
        while self.times and now - self.times[0] >= self.seconds:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return self.times[0] + self.seconds - now
        self.times.append(now)
        return None


@dataclass
class Platform:
    """What one fake saw."""

    name: str
    limit: float | None
    latency: float
    received: Counter[str] = field(default_factory=Counter)
    accepted_at: list[float] = field(default_factory=list)
    too_many: int = 0
    in_progress: int = 0
    window: Window = field(init=False)
    chats: dict[str, Window] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.window = Window(self.limit)

    def in_flight(self, recently: float = 0.1) -> int:
        """Requests not answered yet, and those answered in the last `recently` seconds
        (their answer may not have reached Guyub's database yet)."""
        now = time.monotonic()
        answered = sum(1 for t in self.accepted_at[-500:] if now - t < recently + self.latency)
        return self.in_progress + answered

    def stats(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "limit": self.limit,
            "received": dict(self.received),
            "accepted_at": self.accepted_at,
            "too_many": self.too_many,
        }

    def reset(self) -> None:
        self.received.clear()
        self.accepted_at.clear()
        self.too_many = 0
        self.window = Window(self.limit)
        self.chats.clear()


class Fakes:
    """The two platforms on 127.0.0.1, each adding `latency` to every answer."""

    def __init__(self, latency: float, limits: bool, refused: set[str], port: int = 0) -> None:
        self.telegram = Platform("telegram", LIMITS["telegram"] if limits else None, latency)
        self.whatsapp = Platform("whatsapp", LIMITS["whatsapp"] if limits else None, latency)
        self.refused = refused  # blocked Telegram chats and invalid WhatsApp numbers
        self.limits = limits
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._telegram)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        app.router.add_get("/_bench/delivered", self._delivered)
        app.router.add_get("/_bench/in_flight", self._in_flight)
        app.router.add_get("/_bench/stats", self._stats)
        app.router.add_post("/_bench/reset", self._reset)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = self.port or free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=2048).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def platforms(self) -> tuple[Platform, Platform]:
        return self.telegram, self.whatsapp

    async def _delivered(self, _request: web.Request) -> web.Response:
        return web.json_response(sum(len(p.received) for p in self.platforms))

    async def _in_flight(self, _request: web.Request) -> web.Response:
        return web.json_response(sum(p.in_flight() for p in self.platforms))

    async def _stats(self, _request: web.Request) -> web.Response:
        return web.json_response([p.stats() for p in self.platforms])

    async def _reset(self, _request: web.Request) -> web.Response:
        for platform in self.platforms:
            platform.reset()
        return web.json_response(True)

    async def _telegram(self, request: web.Request) -> web.Response:
        now = time.monotonic()  # its arrival: the moment a platform counts it
        method = request.match_info["method"].lower()
        if method == "getme":
            user = {"id": 123456, "is_bot": True, "first_name": "Guyub", "username": "guyub_bot"}
            return web.json_response({"ok": True, "result": user})
        if method == "getupdates":
            await asyncio.sleep(2)
            return web.json_response({"ok": True, "result": []})
        if method != "sendmessage":
            return web.json_response({"ok": True, "result": True})
        data: dict[str, Any] = dict(await request.post()) if request.can_read_body else {}
        if request.content_type == "application/json":
            data = await request.json()
        chat, text = str(data.get("chat_id")), str(data.get("text", ""))
        platform = self.telegram
        platform.in_progress += 1
        try:
            if chat in self.refused:
                await asyncio.sleep(platform.latency)
                body = {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
                return web.json_response(body, status=403)
            wait = platform.chats.setdefault(chat, Window(1 if self.limits else None)).admit(now)
            if wait is None:
                wait = platform.window.admit(now)
                if wait is not None:  # the chat's slot was not used after all
                    platform.chats[chat].times.pop()
            await asyncio.sleep(platform.latency)
            if wait is not None:
                platform.too_many += 1
                retry = max(1, round(wait + 0.5))
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                }
                return web.json_response(body, status=429)
            platform.received[chat] += 1
            platform.accepted_at.append(now)
            message = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(chat), "type": "private", "first_name": "Warga"},
                "text": text,
            }
            return web.json_response({"ok": True, "result": message})
        finally:
            platform.in_progress -= 1

    async def _twilio(self, request: web.Request) -> web.Response:
        now = time.monotonic()  # its arrival: the moment a platform counts it
        form = await request.post()
        to = str(form.get("To", "")).removeprefix("whatsapp:")
        platform = self.whatsapp
        platform.in_progress += 1
        try:
            refused = to in self.refused
            wait = None if refused else platform.window.admit(now)
            await asyncio.sleep(platform.latency)
            if refused:
                error = {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}
                return web.json_response(error, status=400)
            if wait is not None:
                platform.too_many += 1
                error = {"code": 20429, "message": "Too Many Requests", "status": 429}
                retry = str(max(1, round(wait + 0.5)))
                return web.json_response(error, status=429, headers={"Retry-After": retry})
            platform.received[to] += 1
            platform.accepted_at.append(now)
            sid = f"SM{next(self._ids):032x}"
            body = {
                "sid": sid,
                "status": "queued",
                "to": f"whatsapp:{to}",
                "body": form.get("Body"),
            }
            return web.json_response(body, status=201)
        finally:
            platform.in_progress -= 1


@dataclass
class Seen:
    """What one fake saw, as the bench process reads it back."""

    name: str
    limit: float | None
    received: Counter[str]
    accepted_at: list[float]
    too_many: int


class FakesProcess:
    """The fakes in a child process (`--serve-fakes`), read through their /_bench routes."""

    def __init__(
        self, latency: float, limits: bool, refused: set[str], folder: Path, nice: int = 0
    ) -> None:
        self.latency, self.limits, self.refused, self.folder = latency, limits, refused, folder
        self.nice = nice
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.http: httpx.AsyncClient | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        refused = self.folder / "refused.txt"
        refused.write_text("\n".join(sorted(self.refused)))
        command = [sys.executable, __file__, "--serve-fakes", str(self.port)]
        command += ["--latency", str(self.latency), "--refused", str(refused)]
        command += [] if self.limits else ["--no-limits"]
        command += ["--fakes-nice", str(self.nice)]
        self.process = await asyncio.create_subprocess_exec(*command)
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=10)
        for _ in range(200):
            try:
                await self.http.get("/_bench/delivered")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)  # another process starting: nothing to await
        raise RuntimeError("the fakes did not start")

    async def get(self, what: str) -> Any:
        assert self.http is not None
        return (await self.http.get(f"/_bench/{what}")).json()

    async def delivered(self) -> int:
        return int(await self.get("delivered"))

    async def in_flight(self) -> int:
        return int(await self.get("in_flight"))

    async def seen(self) -> list[Seen]:
        return [
            Seen(p["name"], p["limit"], Counter(p["received"]), p["accepted_at"], p["too_many"])
            for p in await self.get("stats")
        ]

    async def reset(self) -> None:
        assert self.http is not None
        await self.http.post("/_bench/reset")

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.aclose()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def serve_fakes(args: argparse.Namespace, refused: set[str]) -> None:
    """The child process: the fakes until terminated."""
    if args.fakes_nice:
        try:  # a platform stamps a request at its own edge, not when our machine lets it
            os.nice(args.fakes_nice)
        except OSError as error:
            print(f"  (fakes at normal priority: {error})")
    fakes = Fakes(args.latency, limits=not args.no_limits, refused=refused, port=args.serve_fakes)
    await fakes.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await fakes.stop()


@dataclass
class Population:
    audience: Audience
    refused: set[str]
    expected: dict[str, set[str]]  # channel -> addresses that must get it once


def populate(url: str, members: int, blocked_every: int, opted_out_every: int) -> Population:
    engine = make_engine(url)
    prepare(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        community = create_community(
            session=session,
            name="KBA 13 Ulu",
            invite_code="KBA13",
            timezone="Asia/Jakarta",
            language="id",
            now=now,
        )
        half = members // 2
        audience = add_audience(
            session,
            community_id=community.id or 0,
            channels={"telegram": half, "whatsapp": members - half},
            now=now,
            opted_out_every=opted_out_every,
        )
        session.commit()
    engine.dispose()
    refused: set[str] = set()
    expected: dict[str, set[str]] = {}
    for channel, addresses in audience.addresses.items():
        for index, address in enumerate(addresses, start=1):
            if blocked_every and index % blocked_every == 3:
                refused.add(address)
        expected[channel] = set(addresses) - refused - audience.opted_out
    return Population(audience, refused, expected)


def settings(url: str, fakes: FakesProcess, folder: Path, lifted: bool) -> dict[str, str]:
    rate = {"TELEGRAM_RATE_PER_SECOND": "100000", "WHATSAPP_RATE_PER_SECOND": "100000"}
    return {
        "DATABASE_URL": url,
        "MEDIA_DIR": str(folder / "media"),
        "LOG_LEVEL": "WARNING",
        "PORT": str(free_port()),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{fakes.base_url}/bot",
        "TELEGRAM_API_FILE_URL": f"{fakes.base_url}/file/bot",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": FROM,
        "TWILIO_API_BASE_URL": fakes.base_url,
        "DELIVERY_WORKER_NAME": "bench",
        **(rate if lifted else {}),
    }


def unfinished(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            busy = (OutboxStatus.PENDING, OutboxStatus.SENDING)
            query = select(func.count()).where(col(OutboxMessage.status).in_(busy))
            return int(session.exec(query).one())
    finally:
        engine.dispose()


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100
    except (OSError, IndexError, ValueError):
        return 0.0


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def profile(pid: int, path: Path) -> None:
    """py-spy samples the process (collapsed stacks, for flamegraph.pl or speedscope) until
    it ends; its own CPU is not Guyub's."""
    spy = shutil.which("py-spy")
    if spy is None:
        print("  (py-spy is not installed: no profile)")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--format", "raw", "--rate", "200", "--pid", str(pid)]
    subprocess.Popen(
        [*command, "--output", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@dataclass
class Outcome:
    name: str
    seconds: float = 0.0
    peak_mb: float = 0.0
    cpu: float = 0.0  # CPU seconds of the Guyub processes once started (not their start-up)
    startup_cpu: float = 0.0  # CPU seconds of the (last) start-up, up to /healthz answering
    startup_mb: float = 0.0  # peak RSS once started, before sending
    in_flight_at_kills: list[int] = field(default_factory=list)


async def run_guyub(
    name: str,
    folder: Path,
    population: Population,
    fakes: FakesProcess,
    args: argparse.Namespace,
) -> Outcome:
    url = f"sqlite:///{folder / 'guyub.db'}"
    outcome = Outcome(name)
    kills = [0.2, 0.45, 0.7] if name == "kill" else []
    total = sum(len(v) for v in population.expected.values())
    started = time.monotonic()
    attempt = 0
    process: GuyubProcess | None = None
    try:
        while True:
            attempt += 1
            env = settings(url, fakes, folder, lifted=name == "lifted")
            process = GuyubProcess(env, folder / f"{name}-{attempt}.log")
            await process.start(timeout=60)
            outcome.startup_cpu = started_cpu = cpu_seconds(process.pid)
            outcome.startup_mb = peak_rss_mb(process.pid)
            spent_before = outcome.cpu
            if args.profile:
                profile(process.pid, Path(args.profile) / f"{name}-{attempt}.txt")
            while True:
                await asyncio.sleep(0.02)
                outcome.peak_mb = max(outcome.peak_mb, peak_rss_mb(process.pid))
                outcome.cpu = spent_before + cpu_seconds(process.pid) - started_cpu
                delivered = await fakes.delivered()
                if kills and delivered >= kills[0] * total:
                    kills.pop(0)
                    process.kill()
                    in_flight = await fakes.in_flight()
                    await process.wait()
                    outcome.in_flight_at_kills.append(in_flight)
                    break
                if delivered >= total and unfinished(url) == 0:
                    outcome.seconds = time.monotonic() - started
                    await process.stop()
                    return outcome
                if time.monotonic() - started > args.timeout:
                    print(f"  {name}: timed out; log tail:\n{process.tail()}")
                    await process.stop()
                    outcome.seconds = time.monotonic() - started
                    return outcome
    finally:
        if process is not None:
            process.kill()


async def naive_loop(fakes: FakesProcess, population: Population, count: int) -> dict[str, float]:
    """One awaited send after another, as most bots do: messages per second per channel."""
    rates: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=fakes.base_url, timeout=30) as http:

        async def telegram(chat: str) -> None:
            for _ in range(5):
                answer = await http.post(
                    f"/bot{TOKEN}/sendMessage", json={"chat_id": chat, "text": "Pengumuman"}
                )
                if answer.status_code != 429:
                    return
                await asyncio.sleep(answer.json()["parameters"]["retry_after"])

        async def whatsapp(number: str) -> None:
            for _ in range(5):
                answer = await http.post(
                    f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
                    data={
                        "To": f"whatsapp:{number}",
                        "From": f"whatsapp:{FROM}",
                        "Body": "Pengumuman",
                    },
                )
                if answer.status_code != 429:
                    return
                await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))

        async def loop(channel: str) -> None:
            send = telegram if channel == "telegram" else whatsapp
            targets = sorted(population.expected[channel])[:count]
            start = time.monotonic()
            for target in targets:
                await send(target)
            rates[channel] = len(targets) / (time.monotonic() - start)

        await asyncio.gather(loop("telegram"), loop("whatsapp"))
    return rates


def report(
    outcome: Outcome, seen: list[Seen], population: Population, naive: dict[str, float]
) -> dict[str, float]:
    rates: dict[str, float] = {}
    handled = sum(sum(p.received.values()) + p.too_many for p in seen)
    per = 1000 * outcome.cpu / handled if handled else 0.0
    print(
        f"\n== {outcome.name}: {outcome.seconds:.1f} s in all; Guyub used {outcome.cpu:.1f} s of "
        f"CPU after start-up ({per:.2f} ms per message, so {1000 / per if per else 0:.0f} msg/s "
        f"on one core; start-up {outcome.startup_cpu:.1f} s), peak RSS {outcome.peak_mb:.0f} MB "
        f"({outcome.startup_mb:.0f} MB once started)"
    )
    if outcome.in_flight_at_kills:
        print(
            f"   killed 3 times; in flight at the kills (unanswered, or answered < 100 ms "
            f"before): {outcome.in_flight_at_kills} = {sum(outcome.in_flight_at_kills)}"
        )
    columns = ("messages", "seconds", "msg/s", "% limit", "429s", "lost", "dup", "opted-out")
    header = f"   {'channel':9} " + " ".join(f"{c:>8}" for c in columns)
    print(header)
    for platform in seen:
        expected = population.expected[platform.name]
        got = platform.received
        times = platform.accepted_at
        seconds = (max(times) - min(times)) if len(times) > 1 else 0.0
        rate = (len(times) - 1) / seconds if seconds else 0.0
        rates[platform.name] = rate
        share = f"{100 * rate / platform.limit:.1f}" if platform.limit else "-"
        lost = len(expected - set(got))
        duplicated = sum(n - 1 for n in got.values() if n > 1)
        opted = sum(1 for a in got if a in population.audience.opted_out)
        print(
            f"   {platform.name:9} {sum(got.values()):>8} {seconds:>8.1f} {rate:>8.1f} {share:>8} "
            f"{platform.too_many:>8} {lost:>8} {duplicated:>8} {opted:>8}"
        )
        if platform.name in naive:
            speed = rate / naive[platform.name] if naive[platform.name] else 0
            eta = len(expected) / naive[platform.name]
            print(
                f"   {'':9} naive loop: {naive[platform.name]:.1f} msg/s "
                f"({eta:.0f} s for {len(expected)}); Guyub is {speed:.1f}x faster"
            )
    return rates


async def one_run(name: str, args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"guyub-broadcast-{name}-"))
    try:
        url = f"sqlite:///{folder / 'guyub.db'}"
        built = time.monotonic()
        population = populate(url, args.members, args.blocked_every, args.opted_out_every)
        print(
            f"\n[{name}] {args.members} members, {len(population.refused)} blocked/invalid, "
            f"{len(population.audience.opted_out)} opted out; rows written in "
            f"{time.monotonic() - built:.1f} s"
        )
        fakes = FakesProcess(
            args.latency,
            limits=name != "lifted",
            refused=population.refused,
            folder=folder,
            nice=args.fakes_nice,
        )
        await fakes.start()
        try:
            outcome = await run_guyub(name, folder, population, fakes, args)
            seen = await fakes.seen()
            naive: dict[str, float] = {}
            if name == "limits" and args.naive:
                await fakes.reset()
                naive = await naive_loop(fakes, population, args.naive)
            report(outcome, seen, population, naive)
        finally:
            await fakes.stop()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--blocked-every", type=int, default=50)
    parser.add_argument("--opted-out-every", type=int, default=50)
    parser.add_argument("--naive", type=int, default=200, help="members per channel")
    parser.add_argument("--runs", default="limits,lifted,kill")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument("--profile", help="a folder for py-spy recordings of Guyub")
    parser.add_argument(
        "--fakes-nice",
        type=int,
        default=0,
        help="niceness of the fakes' process (-10: their arrival stamps are not delayed by "
        "other load on the machine; needs root)",
    )
    parser.add_argument("--serve-fakes", type=int, help=argparse.SUPPRESS)  # the child
    parser.add_argument("--refused", help=argparse.SUPPRESS)
    parser.add_argument("--no-limits", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fakes:
        asyncio.run(serve_fakes(args, set(Path(args.refused).read_text().split())))
        return
    for name in args.runs.split(","):
        asyncio.run(one_run(name, args))


if __name__ == "__main__":
    main()
