"""Roles, the leader lock and the one-process rule of SQLite."""

import asyncio
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, inspect

from bot.cli import main
from bot.leader import Leadership
from bot.roles import NotShareable, ProcessRole, sqlite_guard
from bot.web import build_web_app, readiness
from handlers.clock import ManualClock
from storage.db import current_revision, head_revision, make_engine, prepare
from storage.media import MediaStore
from tests.postgres import schema_url


def test_sqlite_refuses_a_role_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--role", "worker", "--db", str(tmp_path / "g.db")]) == 7
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line
    assert "--role worker needs PostgreSQL" in err


def test_sqlite_refuses_a_second_process_on_the_same_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    first = sqlite_guard(url, ProcessRole.ALL)
    assert first is not None
    with pytest.raises(NotShareable, match="another guyub run is already using"):
        sqlite_guard(url, ProcessRole.ALL)
    first.release()
    again = sqlite_guard(url, ProcessRole.ALL)  # the first one stopped: fine
    assert again is not None
    again.release()


def test_postgresql_needs_no_guard() -> None:
    assert sqlite_guard("postgresql://guyub@db/guyub", ProcessRole.WEB) is None


async def test_one_leader_and_a_takeover_within_one_poll(pg: Engine, clock: ManualClock) -> None:
    first, second = Leadership(pg, clock, poll=5), Leadership(pg, clock, poll=5)
    await first.elected()
    waiting = asyncio.create_task(second.elected())
    await clock.sleep(12)  # two polls: the second still stands by
    assert not waiting.done() and not second.leading
    died_at = clock.now()
    assert first.lock is not None
    first.lock._drop()  # the leader's connection closes, as when its process is killed
    await asyncio.wait_for(waiting, timeout=10)
    assert second.leading
    assert clock.now() - died_at <= timedelta(seconds=5)
    with pytest.raises(Exception, match="lost the database connection"):
        assert second.lock is not None
        second.lock._drop()
        await second.kept()
    second.resign()


def test_processes_starting_together_migrate_once(pg_schema: str) -> None:
    engines = [make_engine(schema_url(pg_schema)) for _ in range(3)]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            prepare(engine)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert current_revision(engines[0]) == head_revision()
    assert "inbox" in inspect(engines[0]).get_table_names()
    for engine in engines:
        engine.dispose()


async def test_readyz_says_whether_the_process_can_work(pg: Engine, tmp_path: Path) -> None:
    state = {"running": True}
    app = build_web_app(
        open_session=lambda: None,  # type: ignore[arg-type,return-value]
        media=MediaStore(tmp_path),
        ready=lambda: readiness(pg, "worker", False, state["running"]),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://guyub") as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["schema"] == head_revision()
        state["running"] = False  # its worker loop ended
        assert (await http.get("/readyz")).status_code == 503
