"""Several processes on one PostgreSQL database (issue 15): nothing lost, nothing twice.

2 `web`, 2 `worker` and 2 `scheduler` processes (`guyub run --role ...`) share a fresh
schema, against the fake Twilio API and the fake Bot API (webhook mode). Members join on
both apps; then 1,000 signed WhatsApp webhooks and 500 Telegram updates (`cari zq<N>`,
whose reply names its marker) go to both web processes in turn. Meanwhile the schedulers
start: the leader's catch-up queues this week's digest and an event reminder for every
member (their times were set just past). During the burst one worker is killed with
SIGKILL and started again, and so is the active scheduler once its digests are going out.

Checked: every acknowledged message is answered exactly once (a second copy only for a
send in flight at the worker's kill: sent but not yet recorded as sent); every member got
exactly one digest and one reminder (same excuse); the standing-by scheduler took over
within LEADER_POLL_SECONDS and a bit.

Runs only when PostgreSQL answers (TEST_DATABASE_URL, set by .ci/run), like the storage
tests. It sends the issue's full 1,000 + 500 messages; `GUYUB_SCALE` scales the counts
(`GUYUB_SCALE=0.5`: 500 + 250, for a quicker run while working on it).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from storage.communities import create_community
from storage.db import make_engine, prepare, session_factory, transaction
from storage.events import create_event
from storage.models import (
    ChannelIdentity,
    Community,
    Member,
    OutboxMessage,
    OutboxStatus,
    ProductStatus,
)
from storage.products import create_product
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.platforms import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    MARKER,
    Platform,
    Seen,
    Telegram,
    WhatsApp,
    join_all,
)
from tests.postgres import PG_URL, fresh_schema, schema_url
from tests.processes import PUBLIC_BASE_URL, GuyubProcess, free_port
from tests.test_crash import Run, judge

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="TEST_DATABASE_URL not set (no PostgreSQL server answered)"
)

SCALE = float(os.environ.get("GUYUB_SCALE", "1"))
MESSAGES = {"whatsapp": int(1000 * SCALE), "telegram": int(500 * SCALE)}
MEMBERS = {"whatsapp": 50, "telegram": 50}  # Telegram: 1 message/s per chat
CONCURRENCY = 48
KILL_WORKER_AT = 0.3  # share of the burst acknowledged when a worker is killed
LEASE = 15  # INBOX_LEASE_SECONDS: longer than a row takes on a loaded 2-core machine
LEADER_POLL = 1  # LEADER_POLL_SECONDS
TAKEOVER_LIMIT = 30.0  # the issue: another scheduler takes over within 30 s
DRAIN_TIMEOUT = 60.0
PRODUCT = "Keripik Zeta"  # in every digest
EVENT = "Arisan Omega"
REMINDER = f"⏰ Pengingat|{EVENT}"  # each reminder's first line (| : both words)


def _settings(url: str, media: Path, platforms: list[Platform]) -> dict[str, str]:
    settings = {
        "DATABASE_URL": url,
        "MEDIA_DIR": str(media),
        "HOST": "127.0.0.1",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOG_LEVEL": "INFO",
        "TELEGRAM_RATE_PER_SECOND": "1000",  # the platform limits lifted (per chat: 1/s)
        "INBOX_LEASE_SECONDS": str(LEASE),
        "LEADER_POLL_SECONDS": str(LEADER_POLL),
        "WORKER_PROCESSES": "2",
    }
    for platform in platforms:
        settings |= platform.settings()
    return settings


def _community(url: str) -> None:
    """The community, its digest time and an event reminder both fallen due a minute ago:
    the leader's catch-up at start queues them (members join before the schedulers run)."""
    engine = make_engine(url)
    prepare(engine)
    zone = ZoneInfo("Asia/Jakarta")
    due = (datetime.now(UTC) - timedelta(minutes=1)).astimezone(zone)
    with transaction(session_factory(engine)) as session:
        community = create_community(
            session=session,
            name="KBA 13 Ulu",
            invite_code="KBA13",
            timezone="Asia/Jakarta",
            language="id",
            now=datetime.now(UTC),
        )
        community.digest_weekday = due.weekday()
        community.digest_time = due.strftime("%H:%M")
        session.add(community)
    engine.dispose()


def _content(url: str) -> tuple[str, str]:
    """After the joins: a product for the digest, an event whose -2h reminder fell due a
    minute ago (members count as joined an hour ago, the event as made 30 min ago). The
    seller's chat: their own product is nothing new to them, so they get no digest."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    with transaction(session_factory(engine)) as session:
        community = session.exec(select(Community)).one()
        session.exec(
            update(Member).values(created_at=now - timedelta(hours=1))  # type: ignore[call-overload]
        )
        seller = session.exec(select(Member).order_by(Member.id)).first()  # type: ignore[arg-type]
        assert seller is not None
        create_product(
            session=session,
            community_id=community.id or 0,
            seller_id=seller.id or 0,
            posted_by_id=seller.id,
            title=PRODUCT,
            description="renyah",
            price=15000,
            category="makanan",
            photo_media_id=None,
            search_text=PRODUCT.lower(),
            now=now - timedelta(minutes=10),
            status=ProductStatus.ACTIVE,
        )
        event = create_event(
            session=session,
            community_id=community.id or 0,
            created_by_id=seller.id,
            title=EVENT,
            place="Balai RW",
            starts_at=due + timedelta(hours=2),
            ends_at=None,
            rule=None,
            capacity=None,
            now=now - timedelta(minutes=30),
        )
        event.remind_to = "all"
        session.add(event)
        chat = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.member_id == seller.id)
        ).one()
    engine.dispose()
    return chat.channel, chat.address


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema of this test's own on the PostgreSQL of TEST_DATABASE_URL."""
    with fresh_schema() as schema:
        yield schema


@pytest.fixture
async def processes() -> AsyncIterator[list[GuyubProcess]]:
    """Every process the test starts; whatever happens, none outlives it."""
    started: list[GuyubProcess] = []
    yield started
    for process in started:
        await process.close()


@dataclass
class InFlight:
    """What the killed worker held `sending` (handed to the platform perhaps, not recorded
    as sent): the only messages that may arrive twice."""

    markers: dict[str, set[int]] = field(default_factory=dict)  # channel -> markers
    chats: dict[str, set[str]] = field(default_factory=dict)  # kind -> addresses


def _in_flight(url: str, worker: str) -> InFlight:
    engine = make_engine(url)
    found = InFlight()
    with session_factory(engine)() as session:
        rows = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_by == worker
            )
        ).all()
        for row in rows:
            text = str(row.payload.get("text", ""))
            found.markers.setdefault(row.channel or "", set()).update(
                int(m.group(1)) for m in MARKER.finditer(text)
            )
            if row.member_id is not None:
                chats = session.exec(
                    select(ChannelIdentity.address).where(
                        ChannelIdentity.member_id == row.member_id
                    )
                ).all()
                found.chats.setdefault(row.kind, set()).update(chats)
    engine.dispose()
    return found


def _leads(process: GuyubProcess) -> bool:
    return "this process leads" in process.log_path.read_text(errors="replace")


async def _until(condition: object, timeout: float) -> float:  # noqa: ASYNC109
    """Poll another process's state (its log) until `condition()`; when it came true."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)  # another process: no event to await
    return time.time()


def _count_to(seen: list[Seen], words: str) -> dict[str, list[Seen]]:
    """Messages with all these words, by chat: PRODUCT finds digests, REMINDER reminders."""
    found: dict[str, list[Seen]] = {}
    for s in seen:
        if all(word in s.text for word in words.split("|")) and "zq" not in s.text:
            found.setdefault(s.to, []).append(s)
    return found


async def test_two_of_each_role_lose_nothing_and_send_nothing_twice(
    pg_schema: str, processes: list[GuyubProcess], tmp_path: Path
) -> None:
    test_started = time.time()
    url = schema_url(pg_schema)
    _community(url)
    async with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeTelegramAPI() as api:
        whatsapp, telegram = (
            WhatsApp(twilio, MEMBERS["whatsapp"]),
            Telegram(api, MEMBERS["telegram"]),
        )
        platforms: list[Platform] = [whatsapp, telegram]
        settings = _settings(url, tmp_path / "media", platforms)

        def guyub(role: str, n: int) -> GuyubProcess:
            name = f"{role}{n}"
            process = GuyubProcess(
                settings | {"PORT": str(free_port()), "DELIVERY_WORKER_NAME": name},
                tmp_path / f"{name}.log",
                ["--role", role],
            )
            processes.append(process)
            return process

        web = [guyub("web", 1), guyub("web", 2)]
        workers = [guyub("worker", 1), guyub("worker", 2)]
        await asyncio.gather(*(p.start() for p in [*web, *workers]))
        watches = {p.name: p.watch() for p in platforms}
        following = [asyncio.create_task(w.run()) for w in watches.values()]
        clients = [httpx.AsyncClient(base_url=p.base_url, timeout=20) for p in web]
        try:
            joined = await asyncio.gather(
                join_all(clients[0], whatsapp, watches["whatsapp"]),
                join_all(clients[1], telegram, watches["telegram"]),
            )
            assert all(joined), "not every member joined"
            seller = _content(url)
            phases = {"joined": time.time()}

            runs = {
                name: Run(
                    sender={
                        m: platform.members[m % len(platform.members)]
                        for m in range(1, MESSAGES[name] + 1)
                    }
                )
                for name, platform in (("whatsapp", whatsapp), ("telegram", telegram))
            }
            total = sum(MESSAGES.values())
            acked = 0
            worker_killed = asyncio.Event()
            in_flight: list[InFlight] = []
            turn = itertools.count()

            async def send(platform: Platform, run: Run, markers: list[int]) -> None:
                nonlocal acked
                for marker in markers:
                    client = clients[next(turn) % 2]  # both web processes in turn
                    try:
                        status = str(await platform.send(client, run.sender[marker], marker))
                    except httpx.TransportError as error:
                        status = type(error).__name__
                    run.outcome.setdefault(marker, []).append(status)
                    acked += status.startswith("2")
                    if acked >= total * KILL_WORKER_AT:
                        worker_killed.set()

            async def burst() -> None:
                jobs = []
                for platform in platforms:
                    markers = list(runs[platform.name].sender)
                    share = [markers[i :: CONCURRENCY // 2] for i in range(CONCURRENCY // 2)]
                    jobs += [send(platform, runs[platform.name], part) for part in share]
                await asyncio.gather(*jobs)

            async def crash_a_worker() -> None:
                await worker_killed.wait()
                workers[0].kill()
                killed = time.time()
                await workers[0].wait()
                in_flight.append(await asyncio.to_thread(_in_flight, url, "worker1"))
                for run in runs.values():
                    run.killed_at = killed
                restarted = guyub("worker", 1)  # same name: takes its own claims back
                await restarted.start()
                for run in runs.values():
                    run.restarted_at = time.time()

            schedulers = [guyub("scheduler", 1), guyub("scheduler", 2)]

            async def crash_the_leader() -> tuple[float, float]:
                await asyncio.gather(*(p.start() for p in schedulers))
                await _until(lambda: any(_leads(p) for p in schedulers), 20)
                leader, standby = sorted(schedulers, key=lambda p: not _leads(p))
                # the digest is going out: kill the leader in the middle of the week's work
                await watches["whatsapp"].until(
                    lambda seen: bool(_count_to(seen, PRODUCT)), DRAIN_TIMEOUT
                )
                leader.kill()
                killed = time.time()
                await leader.wait()
                took_over = await _until(lambda: _leads(standby), TAKEOVER_LIMIT)
                await guyub("scheduler", 1 if leader is schedulers[0] else 2).start()
                return killed, took_over

            started = time.time()
            _, _, (leader_killed, took_over) = await asyncio.gather(
                burst(), crash_a_worker(), crash_the_leader()
            )
            burst_seconds = time.time() - started

            phases["burst"] = time.time()
            members = {p.name: set(p.members) for p in platforms}
            readers = {name: chats - {seller[1]} for name, chats in members.items()}
            for name, watch in watches.items():
                run = runs[name]
                answered = {m for m in run.outcome if run.acknowledged(m)}

                def finished(
                    seen: list[Seen], answered: set[int] = answered, name: str = name
                ) -> bool:
                    return (
                        answered <= watches[name].markers
                        and set(_count_to(seen, PRODUCT)) >= readers[name]
                        and set(_count_to(seen, REMINDER)) >= members[name]
                    )

                if not await watch.until(finished, DRAIN_TIMEOUT):
                    watch.sync()
                    missing = sorted(answered - watch.markers)
                    digests, reminders = (
                        set(_count_to(watch.seen, w)) for w in (PRODUCT, REMINDER)
                    )
                    raise AssertionError(
                        f"{name}: {len(missing)} acknowledged not answered {missing[:10]}; "
                        f"no digest {len(readers[name] - digests)}, "
                        f"no reminder {len(members[name] - reminders)}; "
                        f"worker killed {runs[name].killed_at:.1f}, "
                        f"back {runs[name].restarted_at:.1f}, "
                        f"leader killed {leader_killed:.1f}, taken over {took_over:.1f}"
                    )
            phases["answered"] = time.time()
            for process in processes:
                if process.process is not None and process.process.returncode is None:
                    assert await process.stop() == 0, process.tail()
            for watch in watches.values():
                watch.sync()
        finally:
            for client in clients:
                await client.aclose()
            for task in following:
                task.cancel()
            await asyncio.gather(*following, return_exceptions=True)

    lines = [
        f"joined at {phases['joined'] - test_started:.1f} s, burst done at "
        f"{phases['burst'] - test_started:.1f} s ({burst_seconds:.1f} s), all answered at "
        f"{phases['answered'] - test_started:.1f} s; takeover {took_over - leader_killed:.1f} s"
    ]
    (held,) = in_flight
    for name, watch in watches.items():
        run = runs[name]
        verdict = judge(run, watch.seen)
        twice = [*verdict.in_flight_duplicates, *verdict.bad_duplicates]
        held_here = held.markers.get(name, set())
        excused = [m for m in twice if m in held_here]
        lines.append(
            f"{name}: {verdict.acknowledged} acknowledged ({verdict.unacknowledged} not), "
            f"lost {len(verdict.lost)}, answered twice {len(twice)} (all among the "
            f"{len(held_here)} replies the killed worker held `sending`: {excused == twice})"
        )
        assert not verdict.misdirected, verdict.misdirected[:5]
        assert not verdict.lost, f"{name}: lost {verdict.lost[:20]}"
        assert sorted(excused) == sorted(twice), (
            f"{name}: twice {sorted(set(twice) - set(excused))}"
        )
        assert verdict.acknowledged >= MESSAGES[name] * 0.9, verdict.summary(name)
        for kind, word, expected in (
            ("digest", PRODUCT, readers[name]),
            ("reminder", REMINDER, members[name]),
        ):
            copies = _count_to(watch.seen, word)
            assert set(copies) == expected, f"{name}: {word} missing for some"
            extra = {to for to, c in copies.items() if len(c) > 1}
            allowed = {
                to for to in extra if len(copies[to]) == 2 and to in held.chats.get(kind, set())
            }
            assert extra == allowed, f"{name}: {kind} twice to {sorted(extra - allowed)[:5]}"
            lines.append(
                f"{name}: one {kind} to each of {len(copies)} members "
                f"(+{len(allowed)} in flight at the kill)"
            )
    print("\n".join(lines))
    assert took_over - leader_killed < TAKEOVER_LIMIT
