"""`guyub run` with a web process beside it (bot/web_processes.py), as a real process tree.

The web process answers the webhooks; on SQLite the main process writes their rows (one
writer) and handles them. Seen from outside: webhooks answered and replied to, forged ones
refused by the web process, delivery reports recorded by the main process (it sent the
message), a web process that dies started again, and a clean stop that leaves nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.platforms import ACCOUNT_SID, AUTH_TOKEN, ReplyWatch, WhatsApp, join_all
from tests.processes import PUBLIC_BASE_URL, GuyubProcess, alive, free_port, until

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilioAPI]:
    async with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
async def guyub(twilio: FakeTwilioAPI, tmp_path: Path) -> AsyncIterator[GuyubProcess]:
    db = tmp_path / "guyub.db"
    assert main(["community", "create", "KBA 13 Ulu", "--invite", "KBA13", "--db", str(db)]) == 0
    platform = WhatsApp(twilio, 2)
    settings = {
        "DATABASE_URL": f"sqlite:///{db}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOG_LEVEL": "INFO",
        "WEB_PROCESSES": "1",
        **platform.settings(),
    }
    process = GuyubProcess(settings, tmp_path / "guyub.log")
    try:
        await process.start()
        yield process
    finally:
        await process.close()


@asynccontextmanager
async def joined(
    guyub: GuyubProcess, platform: WhatsApp
) -> AsyncIterator[tuple[httpx.AsyncClient, ReplyWatch]]:
    """The platform's members joined through the running bot; its client and reply watch."""
    watch = platform.watch()
    following = asyncio.create_task(watch.run())
    try:
        async with httpx.AsyncClient(base_url=guyub.base_url, timeout=10) as http:
            assert await join_all(http, platform, watch), guyub.tail()
            yield http, watch
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)


async def test_webhooks_go_through_the_web_process_and_are_answered(
    guyub: GuyubProcess, twilio: FakeTwilioAPI, tmp_path: Path
) -> None:
    (helper,) = guyub.children()
    platform = WhatsApp(twilio, 2)
    async with joined(guyub, platform) as (http, watch):
        assert await platform.send(http, platform.members[0], 7) == 200
        assert await watch.until(lambda seen: 7 in watch.markers, 10), guyub.tail()

        forged = platform.request(platform.members[0], 8)
        headers = {**forged.headers, "X-Twilio-Signature": "forged"}
        answer = await http.post(forged.path, content=forged.body, headers=headers)
        assert answer.status_code == 403
    assert "whatsapp webhook refused (403)" in guyub.tail()
    assert helper in guyub.children()  # the same web process answered all of it

    # the reply's delivery report reaches the web process; the main process records it
    reply = next(m for m in twilio.messages if m.body and "zq7" in m.body)
    report = twilio.status_callback(reply, "delivered")
    async with httpx.AsyncClient(base_url=guyub.base_url, timeout=10) as http:
        answer = await http.post(
            "/whatsapp/status",
            content=str(httpx.QueryParams(report.params)),
            headers=report.headers,
        )
    assert answer.status_code == 200
    assert report.url == f"{PUBLIC_BASE_URL}/whatsapp/status"

    def delivered() -> bool:
        with sqlite3.connect(tmp_path / "guyub.db") as db:
            found = db.execute(
                "SELECT status FROM outbox WHERE provider_message_id = ?", (reply.sid,)
            ).fetchone()
        return found is not None and found[0] == "delivered"

    assert await until(delivered), guyub.tail()


async def test_a_web_process_that_dies_is_started_again(
    guyub: GuyubProcess, twilio: FakeTwilioAPI
) -> None:
    (helper,) = guyub.children()
    os.kill(helper, signal.SIGKILL)
    assert await until(lambda: len(guyub.children()) == 1 and helper not in guyub.children())
    async with joined(guyub, WhatsApp(twilio, 1)):
        pass  # the new web process serves the same socket: nothing was refused meanwhile
    assert "web process 1 ended" in guyub.tail()


async def test_a_clean_stop_ends_the_web_process_too(guyub: GuyubProcess) -> None:
    helpers = guyub.children()
    assert await guyub.stop() == 0
    assert not any(alive(pid) for pid in helpers)
