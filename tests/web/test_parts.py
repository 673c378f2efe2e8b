"""The parts of the web processes (bot/web_processes.py), each on its own: the turn with a
first lane, the link between processes, the child's settings, and WAL checkpoints."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from bot.turn import Turn
from bot.web_link import LATER, Link, open_link
from bot.web_processes import ChildSpec, child_env, web_process_count
from storage.checkpoints import Checkpointer
from storage.db import make_engine


async def test_the_first_lane_goes_before_everyone_waiting() -> None:
    turn, order = Turn(), []

    async def hold(name: str, *, first: bool = False) -> None:
        await turn.acquire(first=first)
        order.append(name)
        await asyncio.sleep(0)
        turn.release()

    await turn.acquire()  # a message is being handled
    waiting = [asyncio.create_task(hold(f"message {n}")) for n in range(3)]
    await asyncio.sleep(0)
    urgent = asyncio.create_task(hold("webhook rows", first=True))
    await asyncio.sleep(0)
    turn.release()
    await asyncio.gather(*waiting, urgent)
    assert order == ["webhook rows", "message 0", "message 1", "message 2"]
    assert not turn.locked()


async def test_a_waiter_cancelled_after_being_handed_the_turn_passes_it_on() -> None:
    turn = Turn()
    await turn.acquire()
    first = asyncio.create_task(turn.acquire())
    second = asyncio.create_task(turn.acquire())
    await asyncio.sleep(0)
    turn.release()  # handed to `first`, which is cancelled before it runs
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, 1)  # not stuck: the turn went on to it
    assert turn.locked()
    turn.release()
    assert not turn.locked()


async def linked_pair(
    left: dict[str, object], right: dict[str, object], immediate: dict[str, object] | None = None
) -> tuple[Link, Link, list[asyncio.Future[None]]]:
    a, b = socket.socketpair()
    one, one_closed = await open_link(a, left, immediate)  # type: ignore[arg-type]
    two, two_closed = await open_link(b, right)  # type: ignore[arg-type]
    return one, two, [one_closed, two_closed]


async def test_the_link_carries_requests_both_ways_and_their_errors() -> None:
    async def double(body: int) -> int:
        return body * 2

    async def broken(body: object) -> None:
        raise ValueError("no")

    main, web, reading = await linked_pair({"double": double}, {"broken": broken})
    assert await web.call("double", 21) == 42
    assert await asyncio.gather(*(web.call("double", n) for n in range(5))) == [0, 2, 4, 6, 8]
    with pytest.raises(RuntimeError, match="ValueError"):
        await main.call("broken", None)
    main.close()  # the main process is gone: calls fail at once, none hangs
    await asyncio.wait_for(asyncio.gather(*reading), 2)
    with pytest.raises(ConnectionError):
        await web.call("double", 1)


async def test_an_immediate_handler_answers_at_once_or_hands_over() -> None:
    now_or_later: list[object] = [LATER]

    async def later(body: int) -> str:
        return f"later {body}"

    def at_once(bodies: list[int]) -> object:
        return now_or_later[0] if now_or_later[0] is LATER else [f"now {b}" for b in bodies]

    main, web, reading = await linked_pair({"rows": later}, {}, {"rows": at_once})
    assert await web.call("rows", 1) == "later 1"
    now_or_later[0] = "now"
    assert await web.call("rows", 2) == "now 2"
    main.close()
    await asyncio.wait_for(asyncio.gather(*reading), 2)


async def test_an_open_call_fails_when_the_other_side_goes() -> None:
    started = asyncio.Event()

    async def never(body: object) -> None:
        started.set()
        await asyncio.Event().wait()

    main, web, reading = await linked_pair({"never": never}, {})
    call = asyncio.create_task(web.call("never", None))
    await started.wait()
    main.close()
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(call, 2)
    await asyncio.wait_for(asyncio.gather(*reading), 2)


def test_a_child_gets_exactly_its_parents_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = Settings(
        database_url="sqlite:///x.db",
        twilio_account_sid="AC" + "c" * 32,
        twilio_auth_token=SecretStr("real-token"),
        twilio_whatsapp_from="whatsapp:+14155238886",
        public_base_url="https://guyub.test",
        web_processes=2,
        _env_file=None,  # type: ignore[call-arg]
    )
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://stale.example/telegram")  # not the parent's
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = child_env(parent)
    assert env["TWILIO_AUTH_TOKEN"] == "real-token" and env["LANG"] == "C.UTF-8"
    assert "TELEGRAM_WEBHOOK_URL" not in env
    for key in [k for k in os.environ if k.upper() in {n.upper() for n in Settings.model_fields}]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    child = Settings(_env_file=None)  # type: ignore[call-arg]
    assert child.model_dump() == parent.model_dump()
    assert web_process_count(child) == 2
    spec = ChildSpec(3, 4, 5, 6, 7, "guyub_bot")
    assert ChildSpec.decode(spec.encode()) == spec


def test_checkpoints_leave_the_commits_to_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "guyub.db"
    engine = make_engine(f"sqlite:///{path}", background_checkpoints=True)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x TEXT)")
    with engine.begin() as connection:
        for n in range(2000):  # far past the 1,000 pages SQLite would checkpoint at
            connection.exec_driver_sql("INSERT INTO t VALUES (?)", ("x" * 1000 + str(n),))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    before = path.stat().st_size
    wal = Path(f"{path}-wal").stat().st_size
    assert wal > 1_000_000  # the commits only appended to the log
    checkpointer = Checkpointer(path, interval=0.01).start()
    checkpointer.stop()
    assert path.stat().st_size > before + 1_000_000  # the log's pages are in the file now
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (2000,)
    engine.dispose()
