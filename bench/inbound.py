"""Inbound benchmark (issue 9): how fast `guyub run` acknowledges webhooks, and answers them.

Run from the repository root:

    .venv/bin/python bench/inbound.py                      # SQLite, in a temporary folder
    .venv/bin/python bench/inbound.py --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/inbound.py --profile /tmp/inbound.raw   # py-spy on the bot

It starts `guyub run` with both channels (WhatsApp: signed Twilio webhooks; Telegram: webhook
mode) against the fake Twilio and Bot API servers on 127.0.0.1, lets `--members` people join
on each channel, then per channel sends `--messages` messages (`cari zq<N>`, answered with
"no products match "zq<N>"") from those members, `--concurrency` requests at a time, and
reports:

- accepted/s: 2xx answers per second, from the first request to the last answer;
- ack p50/p99: milliseconds from sending a request to its HTTP answer;
- processed/s: messages whose reply reached the fake platform, per second, from the first
  request to the last of those replies (waiting at most `--timeout` seconds).

Everything stays on loopback, and the load generator shares the machine with the bot, as
the issue's targets assume. On PostgreSQL the run uses a fresh schema of the given
database, dropped afterwards. Telegram replies are paced by Guyub at Telegram's own limits
(30 messages/s per bot, 1/s per chat with a burst of 3), so Telegram's processed/s is
bounded by those, not by Guyub.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.db import make_engine
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.platforms import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    Platform,
    ReplyWatch,
    Request,
    Telegram,
    WhatsApp,
    join_all,
    markers_in,
)
from tests.processes import (
    PUBLIC_BASE_URL,
    GuyubProcess,
    children_of,
    clean_env,
    free_port,
    proc_stat,
)


@dataclass
class Result:
    """One channel's numbers."""

    channel: str
    sent: int
    accepted: int
    statuses: Counter[str]
    send_seconds: float
    latencies_ms: list[float]
    processed: int
    process_seconds: float
    complete: bool
    cpu_seconds: float | None  # the bot's CPU time over the run (Linux only)
    main_cpu_seconds: float | None  # of that, the main process's (the rest: web processes)
    generator_cpu_seconds: float  # this process's: the load generator and the fake platform
    reply_latencies_ms: list[float]  # from sending a message to its reply at the fake
    rate: float | None  # messages offered per second (None: as fast as answered)

    def lines(self) -> list[str]:
        p50, p99 = _p50_p99(self.latencies_ms)
        reply50, reply99 = _p50_p99(self.reply_latencies_ms)
        offered = f"offered {self.rate:.0f}/s, " if self.rate else ""
        others = {k: v for k, v in self.statuses.items() if not k.startswith("2")}
        done = "" if self.complete else " (timed out before every reply arrived)"
        return (
            [
                f"{self.channel}: {offered}sent {self.sent}, accepted {self.accepted}"
                + (f", refused/failed {dict(others)}" if others else ""),
                f"  accepted/s {self.accepted / self.send_seconds:7.1f}   "
                f"ack p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {max(self.latencies_ms):6.1f} ms",
                f"  processed/s {self.processed / self.process_seconds:6.1f}   "
                f"({self.processed} answered in {self.process_seconds:.1f} s){done}",
                f"  reply p50 {reply50:6.1f} ms   p99 {reply99:6.1f} ms   (message sent to reply "
                "received)",
            ]
            + (
                [
                    f"  bot CPU {1000 * self.cpu_seconds / max(self.sent, 1):.2f} ms per message"
                    f" (main process {1000 * self.main_cpu_seconds / max(self.sent, 1):.2f} ms)"
                ]
                if self.cpu_seconds is not None and self.main_cpu_seconds is not None
                else []
            )
            + [
                f"  load generator CPU "
                f"{1000 * self.generator_cpu_seconds / max(self.sent, 1):.2f} ms per message"
                " (sending, signing, the fake platform taking the replies)"
            ]
        )


def _p50_p99(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100) if len(values) > 1 else []
    return (cuts[49], cuts[98]) if cuts else (float("nan"), float("nan"))


def cpu_seconds(pid: int, *, children: bool = True) -> float | None:
    """User + system CPU time so far of a process and its children (its web processes);
    None where /proc is not there."""
    total = 0.0
    for each in [pid, *(children_of(pid) if children else [])]:
        fields = proc_stat(each)
        if fields is None:
            if each == pid:
                return None
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class KeepAlive:
    """One HTTP/1.1 keep-alive connection to the bot, sending requests made in advance.

    The load generator shares the 2 cores with the bot, so it must cost little: httpx
    spent about 4 ms of CPU per request here (its pool scans every connection on each
    request), more than the bot itself; these few lines of asyncio streams spend a tenth.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def encode(self, request: Request) -> bytes:
        """The request's bytes, as sent."""
        lines = [f"POST {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        lines += [f"Content-Length: {len(request.body)}", "", ""]
        return "\r\n".join(lines).encode() + request.body

    async def post(self, raw: bytes) -> int:
        """Send one encoded request; its HTTP status (raises OSError/IncompleteReadError)."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        try:
            writer.write(raw)
            status = int((await reader.readuntil(b"\r\n")).split()[1])
            length, close, chunked = 0, False, False
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    close = value == b"close"
                elif name == b"transfer-encoding":
                    chunked = value == b"chunked"
            if chunked:
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
            elif length:
                await reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def measure(
    base_url: str,
    platform: Platform,
    watch: ReplyWatch,
    pid: int,
    *,
    messages: int,
    concurrency: int,
    timeout: float,  # noqa: ASYNC109
    rate: float | None = None,
) -> Result:
    """Send `messages` at `concurrency` (for at most `timeout` s), then wait at most `timeout` s
    for the replies; time each acknowledgement and the replies.

    With `rate`, message i is due at i/rate seconds (an open load, as webhooks arrive),
    still at most `concurrency` at a time; its latencies count from when it was due, so a
    bot that falls behind shows it (no coordinated omission).
    """
    url = httpx.URL(base_url)
    host, port = url.host, url.port or 80
    members = platform.members
    encoder = KeepAlive(host, port)
    # made and signed before the clock starts: the bench measures the bot, not the signing
    requests = [
        (marker, encoder.encode(platform.request(members[marker % len(members)], marker)))
        for marker in range(1, messages + 1)
    ]
    queue = iter(requests)
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    accepted: set[int] = set()
    sent_at: dict[int, float] = {}  # wall clock, as the replies are stamped
    last_answer = 0.0

    async def sender() -> None:
        nonlocal last_answer
        connection = KeepAlive(host, port)
        try:
            for marker, raw in queue:  # one iterator shared by every sender
                began = time.perf_counter()
                if rate:
                    due = started + (marker - 1) / rate
                    if due > began:
                        await asyncio.sleep(due - began)
                    began = due
                if began > deadline:
                    return  # bounded in time as well as in count
                sent_at[marker] = started_wall + (began - started)
                try:
                    status = str(await connection.post(raw))
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    status = type(error).__name__
                last_answer = time.perf_counter()
                latencies.append((last_answer - began) * 1000)
                statuses[status] += 1
                if status.startswith("2"):
                    accepted.add(marker)
        finally:
            connection.close()

    main_before = cpu_seconds(pid, children=False)
    cpu_before, own_before = cpu_seconds(pid), time.process_time()
    started_wall, started = time.time(), time.perf_counter()
    deadline = started + timeout
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    complete = await watch.until(lambda seen: accepted <= watch.markers, timeout)
    main_after = cpu_seconds(pid, children=False)
    cpu_after, own_after = cpu_seconds(pid), time.process_time()
    answered = accepted & watch.markers
    last_reply = max(
        (s.at for s in watch.seen if markers_in([s]) & answered), default=started_wall + 1e-9
    )
    first_reply: dict[int, float] = {}
    for seen in watch.seen:
        for marker in markers_in([seen]) & answered:
            first_reply.setdefault(marker, seen.at)
    return Result(
        channel=platform.name,
        sent=len(latencies),
        accepted=len(accepted),
        statuses=statuses,
        send_seconds=last_answer - started,
        latencies_ms=latencies,
        processed=len(answered),
        process_seconds=last_reply - started_wall,
        complete=complete,
        cpu_seconds=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
        main_cpu_seconds=None
        if main_before is None or main_after is None
        else main_after - main_before,
        generator_cpu_seconds=own_after - own_before,
        reply_latencies_ms=[(at - sent_at[m]) * 1000 for m, at in first_reply.items()],
        rate=rate,
    )


@contextmanager
def database(url: str | None, folder: Path) -> Iterator[str]:
    """The DATABASE_URL to run on: a SQLite file, or a fresh PostgreSQL schema (then dropped)."""
    if url is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    schema = f"guyub_bench_{secrets.token_hex(4)}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def create_community(settings: dict[str, str], folder: Path) -> None:
    """`guyub community create`, as an operator would (this also creates the schema)."""
    command = ("community", "create", "Bench", "--invite", "KBA13")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *command, cwd=folder, env=clean_env(settings)
    )
    if await process.wait() != 0:
        raise SystemExit("guyub community create failed")


@contextmanager
def profiled(pid: int, path: Path | None) -> Iterator[list[tuple[str, Path]]]:
    """py-spy samples the bot's processes while the block runs, each into its own file of
    collapsed stacks: `path` for the main process, `path` + `.web<N>` for web processes.
    Yields (label, file) of each, written once the block ends."""
    if path is None:
        yield []
        return
    import subprocess

    targets = [("main", pid, path)] + [
        (f"web process {n}", child, path.with_suffix(f"{path.suffix}.web{n}"))
        for n, child in enumerate(children_of(pid), start=1)
    ]
    record = [_py_spy(), "record", "--format", "raw", "--rate", "200"]
    spies = [
        subprocess.Popen(
            [*record, "--pid", str(target), "-o", str(file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _, target, file in targets
    ]
    try:
        yield [(label, file) for label, _, file in targets]
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        for spy in spies:
            _, errors = spy.communicate(timeout=30)
            if spy.returncode not in (0, -signal.SIGINT):
                print(f"py-spy failed: {errors.decode(errors='replace')[-500:]}", file=sys.stderr)


def _py_spy() -> str:
    """py-spy next to this Python (a venv's bin), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else (shutil.which("py-spy") or "py-spy")


def summarise_profile(path: Path, top: int = 20) -> list[str]:
    """Where the bot's time went: own time by package, and the functions most often on the
    stack (frames on every stack, the event loop's own, are left out)."""
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")[1:]
        for frame in {_short(frame) for frame in frames}:
            inclusive[frame] += samples
        if frames:
            packages[_package(frames[-1])] += samples
    if not total:
        return ["(no samples)"]
    shown = [(f, n) for f, n in inclusive.most_common() if n < 0.99 * total][:top]
    out = [f"profile: {total} samples (py-spy, 200/s, while the bot ran Python code)"]
    out += ["  own time by package:"]
    out += [f"    {100 * n / total:5.1f}%  {name}" for name, n in packages.most_common(12)]
    out += ["  on the stack:"] + [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in shown]
    return out


def _short(frame: str) -> str:
    """`send (/x/bot/channels/y.py:12)` -> `send (channels/y.py)`: one entry per function."""
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({'/'.join(Path(file).parts[-2:])})"


STDLIB = {"asyncio", "urllib", "email", "json", "http", "logging", "concurrent", "collections"}


def _package(frame: str) -> str:
    """The library or layer of this repository a frame belongs to (py-spy names files
    relative to the import path: `sqlalchemy/orm/session.py`, `bot/router.py`)."""
    file = frame.partition(" (")[2].rstrip(")").rsplit(":", 1)[0]
    if file == "selectors.py":
        return "idle (waiting in epoll)"
    first = file.lstrip("<").split("/")[0].split(" ")[0]
    if first.endswith(".py") or first in STDLIB or first == "frozen":
        return "stdlib"
    return first


async def bench(args: argparse.Namespace, folder: Path, database_url: str) -> None:
    settings = {
        "DATABASE_URL": database_url,
        "MEDIA_DIR": str(folder / "media"),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOG_LEVEL": "WARNING",
    }
    await create_community(settings, folder)
    async with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeTelegramAPI() as api:
        platforms: list[Platform] = []
        if args.channel in ("whatsapp", "both"):
            platforms.append(WhatsApp(twilio, args.members))
        if args.channel in ("telegram", "both"):
            platforms.append(Telegram(api, args.members))
        for platform in platforms:
            settings |= platform.settings()
        guyub = GuyubProcess(settings, folder / "guyub.log")
        try:
            await guyub.start()
            for platform in platforms:
                await platform.ready(1)
            async with httpx.AsyncClient(
                base_url=guyub.base_url,
                timeout=30,
                limits=httpx.Limits(max_connections=args.concurrency),
            ) as http:
                for platform in platforms:
                    watch = platform.watch()
                    following = asyncio.create_task(watch.run())
                    try:
                        if not await join_all(http, platform, watch):
                            raise SystemExit(f"members did not join:\n{guyub.tail()}")
                        profile = args.profile and args.profile.with_suffix(
                            f".{platform.name}{args.profile.suffix}"
                        )
                        with profiled(guyub.pid, profile) as profiles:
                            result = await measure(
                                guyub.base_url,
                                platform,
                                watch,
                                guyub.pid,
                                messages=args.messages,
                                concurrency=args.concurrency,
                                rate=args.rate,
                                timeout=args.timeout,
                            )
                    finally:
                        following.cancel()
                        await asyncio.gather(following, return_exceptions=True)
                    print("\n".join(result.lines()), flush=True)
                    for label, file in profiles:
                        print(f"{label}:", flush=True)
                        print("\n".join(summarise_profile(file)), flush=True)
            await guyub.stop()
        finally:
            await guyub.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channel", choices=("whatsapp", "telegram", "both"), default="both")
    parser.add_argument("--messages", type=int, default=1000, help="per channel (default 1000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument(
        "--rate",
        type=float,
        help="offer this many messages per second (an open load) instead of sending each as "
        "soon as a connection is free; --concurrency still caps those in flight",
    )
    parser.add_argument("--members", type=int, default=50, help="people per channel")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to await replies")
    parser.add_argument("--database-url", help="PostgreSQL server (a fresh schema is used)")
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks to this file")
    args = parser.parse_args()
    if not 0 < args.messages <= 100_000 or not 0 < args.concurrency <= 1000:
        parser.error("--messages must be 1..100000 and --concurrency 1..1000")
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="guyub-bench-") as tmp:
        folder = Path(tmp)
        with database(args.database_url, folder) as url:
            kind = "PostgreSQL" if args.database_url else "SQLite"
            print(
                f"inbound bench on {kind}: {args.messages} messages per channel, "
                f"concurrency {args.concurrency}, {args.members} members"
                + (f", offered at {args.rate:.0f}/s" if args.rate else "")
                + "; "
                f"load average before {load[0]:.2f}",
                flush=True,
            )
            asyncio.run(bench(args, folder, url))
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
