"""Webhook mode: Telegram POSTs to the shared Starlette app, guarded by the secret token."""

import asyncio
import json
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.app import Core
from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from bot.settings import Settings
from bot.web import build_web_app
from storage.media import MediaStore
from storage.models import ProcessedInbound
from tests.fakes.telegram_api import Call, FakeTelegramAPI, make_text_update
from tests.telegram.chats import sent_to

SECRET = "rahasia-guyub_123"
HOOK = "/tg/hook-8f3a"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, api: FakeTelegramAPI) -> Settings:
    """Webhook-mode settings (overrides the polling ones)."""
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        telegram_bot_token=SecretStr("123456:GUYUB-TEST-TOKEN"),
        telegram_api_base_url=api.base_url,
        telegram_api_file_url=api.base_file_url,
        telegram_webhook_url=f"https://guyub.example{HOOK}",
        telegram_webhook_secret=SecretStr(SECRET),
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def web(telegram: TelegramChannel, core: Core) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the shared web app, with the channel's routes mounted."""
    app = build_web_app(
        open_session=core.open_session,
        media=MediaStore(core.options.media_dir),
        routes=telegram.routes(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://guyub.test") as client:
        yield client


async def post(web: httpx.AsyncClient, update: object, secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return (await web.post(HOOK, json=update, headers=headers)).status_code


def processed(core: Core) -> list[str]:
    with core.open_session() as session:
        return [row.message_id for row in session.exec(select(ProcessedInbound)).all()]


async def test_the_webhook_is_registered_with_the_secret(
    telegram: TelegramChannel, api: FakeTelegramAPI
) -> None:
    (registered,) = api.calls_to("setWebhook")
    assert registered.params["url"] == f"https://guyub.example{HOOK}"
    assert registered.params["secret_token"] == SECRET
    assert api.calls_to("getUpdates") == []
    assert [route.path for route in telegram.routes()] == [HOOK]  # type: ignore[attr-defined]


async def test_only_updates_with_the_right_secret_are_handled(
    web: httpx.AsyncClient, api: FakeTelegramAPI, core: Core
) -> None:
    assert await post(web, make_text_update(1, 42, "/start"), secret="tebakan") == 403
    assert await post(web, make_text_update(2, 42, "/start"), secret=None) == 403
    assert await post(web, make_text_update(3, 42, "/start")) == 200
    (hello,) = await sent_to(api, 42)
    assert hello.params["text"].startswith("Halo!")
    assert processed(core) == ["u3"]


async def test_malformed_posts_are_refused(web: httpx.AsyncClient, core: Core) -> None:
    headers = {SECRET_HEADER: SECRET, "content-type": "application/json"}
    assert (await web.post(HOOK, content=b"{not json", headers=headers)).status_code == 400
    assert await post(web, ["update_id", 1]) == 400
    assert await post(web, {"update_id": "satu"}) == 400
    assert await post(web, {"update_id": 4, "message": "halo"}) == 400
    assert (await web.get(HOOK)).status_code == 405
    assert processed(core) == []


async def test_redelivered_updates_are_answered_once(
    web: httpx.AsyncClient, api: FakeTelegramAPI, core: Core
) -> None:
    update = make_text_update(10, 42, "/menu")
    assert await post(web, update) == 200
    assert await post(web, update) == 200  # Telegram retried: same update_id
    assert await post(web, make_text_update(11, 42, "/bahasa")) == 200
    menu, language = await sent_to(api, 42, 2)
    assert "Menu" in menu.params["text"] and "bahasa" in language.params["text"].lower()
    assert processed(core) == ["u10", "u11"]


async def test_answered_before_handled_and_stop_finishes_what_came_in(
    telegram: TelegramChannel,
    web: httpx.AsyncClient,
    api: FakeTelegramAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, stop_began = asyncio.Event(), asyncio.Event()
    release_inbox = telegram.core.inbox.release

    async def release_and_tell(channel: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        stop_began.set()  # the channel finishes its inbox once it refuses new updates
        await release_inbox(channel, timeout)

    monkeypatch.setattr(telegram.core.inbox, "release", release_and_tell)

    async def slow_send(call: Call) -> dict[str, object]:
        await release.wait()
        return {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "ok"}

    api.set_handler("sendMessage", slow_send)
    assert await post(web, make_text_update(20, 42, "/start")) == 200  # answered at once
    await api.wait_for("sendMessage")  # ... while the reply is still on its way
    stopping = asyncio.create_task(telegram.stop())
    await stop_began.wait()
    assert await post(web, make_text_update(21, 42, "/menu")) == 503  # no new work now
    assert not stopping.done()
    release.set()
    await stopping  # the reply in hand was finished before the channel closed
    assert [c.ok for c in api.calls_to("sendMessage")] == [True]


async def test_webhook_mode_needs_a_valid_secret(core: Core, settings: Settings) -> None:
    core.settings = settings.model_copy(update={"telegram_webhook_secret": None})
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramChannel(core)
    core.settings = settings.model_copy(
        update={"telegram_webhook_secret": SecretStr("no spaces allowed")}
    )
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramChannel(core)


async def test_an_update_still_arriving_when_stop_begins_is_refused_not_lost(
    telegram: TelegramChannel, core: Core, api: FakeTelegramAPI
) -> None:
    """Its body comes in after stop(): a 200 then would drop it; a 503 makes Telegram retry."""
    app = build_web_app(open_session=core.open_session, media=core.media, routes=telegram.routes())
    body_asked, body_sent = asyncio.Event(), asyncio.Event()
    answers: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, object]:
        body_asked.set()
        await body_sent.wait()
        return {
            "type": "http.request",
            "body": json.dumps(make_text_update(30, 42, "/menu")).encode(),
        }

    async def send(message: MutableMapping[str, Any]) -> None:
        answers.append(message)

    headers = [(SECRET_HEADER.lower().encode(), SECRET.encode())]
    scope = {"type": "http", "method": "POST", "path": HOOK, "headers": headers}
    request = asyncio.create_task(app(scope | {"query_string": b""}, receive, send))
    await body_asked.wait()  # the request is in, its body still on the way
    await telegram.stop()
    body_sent.set()
    await request
    assert answers[0]["status"] == 503
    assert processed(core) == [] and api.calls_to("sendMessage") == []


async def test_an_oversized_update_is_413(web: httpx.AsyncClient, core: Core) -> None:
    update = make_text_update(40, 42, "x" * (1024 * 1024))
    assert await post(web, update) == 413
    assert processed(core) == []
