"""Proves FakeTwilioAPI against the real twilio-python async client (no mocks, 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.twilio_http import HeaderAuthHttpClient
from tests.fakes.twilio_api import MSG_OUTSIDE_WINDOW, FakeTwilioAPI

ACCOUNT_SID = "AC" + "0" * 32
TOKEN = "testtoken"
WA_TO = "whatsapp:+6281234567890"
WA_FROM = "whatsapp:+14155238886"
FIXED_NOW = datetime(2024, 5, 17, 3, 4, 5, tzinfo=UTC)


# aiohttp >= 3.14 deprecates both BasicAuth() and request(auth=...); stock twilio uses both.
AIOHTTP_AUTH_DEPRECATIONS = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


# The production client (bot/channels/twilio_http.py) sends the Authorization header
# itself and applies its timeout; the stock client is kept below as a canary.
HeaderAuthTwilioHttpClient = HeaderAuthHttpClient


ClientFactory = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
async def api() -> AsyncIterator[FakeTwilioAPI]:
    async with FakeTwilioAPI(ACCOUNT_SID, TOKEN, clock=lambda: FIXED_NOW) as fake:
        yield fake


@pytest.fixture(
    params=[
        pytest.param(
            AsyncTwilioHttpClient,
            id="stock",
            marks=AIOHTTP_AUTH_DEPRECATIONS,
        ),
        pytest.param(HeaderAuthTwilioHttpClient, id="header_auth"),
    ]
)
def twilio_client(request: pytest.FixtureRequest, api: FakeTwilioAPI) -> ClientFactory:
    """Factory: real Client + async HTTP client pointed at the fake; closes its session."""
    http_cls: type[AsyncTwilioHttpClient] = request.param

    @asynccontextmanager
    async def factory(auth_token: str = TOKEN, **http_kwargs: Any) -> AsyncIterator[Client]:
        http_client = http_cls(**http_kwargs)  # makes an aiohttp.ClientSession: needs a loop
        client = Client(ACCOUNT_SID, auth_token, http_client=http_client)
        client.edge = client.region = None  # TWILIO_EDGE/REGION env would rewrite the host
        client.api.base_url = api.base_url  # requests go to {base_url}/2010-04-01/...
        try:
            yield client
        finally:
            await http_client.close()  # closes the ClientSession (no "Unclosed" warning)

    return factory


async def test_whatsapp_send_is_recorded(api: FakeTwilioAPI, twilio_client: ClientFactory) -> None:
    async with twilio_client() as client:
        msg = await client.messages.create_async(
            to=WA_TO,
            from_=WA_FROM,
            body="Halo Bu Sari 👋",
            status_callback="https://guyub.example/twilio/status",
            media_url=["https://cdn.example/a.jpg", "https://cdn.example/b.jpg"],
        )
    [sent] = await api.wait_for_messages(1)
    assert sent.to == WA_TO and sent.from_ == WA_FROM and sent.is_whatsapp
    assert sent.body == "Halo Bu Sari 👋"
    assert sent.status_callback == "https://guyub.example/twilio/status"
    assert sent.media_url == ["https://cdn.example/a.jpg", "https://cdn.example/b.jpg"]
    assert sent.form["MediaUrl"] == sent.media_url
    assert sent.content_sid is None and sent.messaging_service_sid is None
    assert msg.sid == sent.sid and msg.sid is not None
    assert msg.sid.startswith("SM") and len(msg.sid) == 34
    assert msg.status == "queued" and msg.num_media == "2" and msg.error_code is None
    assert msg.account_sid == ACCOUNT_SID and msg.to == WA_TO and msg.from_ == WA_FROM
    assert msg.date_created == FIXED_NOW
    assert msg.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{msg.sid}.json"


async def test_content_template_send(api: FakeTwilioAPI, twilio_client: ClientFactory) -> None:
    variables = {"1": "Bu Sari", "2": "Keripik Tempe"}
    async with twilio_client() as client:
        msg = await client.messages.create_async(
            to=WA_TO,
            messaging_service_sid="MG" + "1" * 32,
            content_sid="HX" + "2" * 32,
            content_variables=json.dumps(variables),
        )
    [sent] = api.messages
    assert sent.content_sid == "HX" + "2" * 32
    assert sent.content_variables == variables
    assert sent.messaging_service_sid == "MG" + "1" * 32 and sent.body is None
    assert msg.status == "accepted" and msg.from_ is None


async def test_rate_limited_once(api: FakeTwilioAPI, twilio_client: ClientFactory) -> None:
    api.fail_next(status=429, code=20429, message="Too Many Requests")
    async with twilio_client() as client:
        with pytest.raises(TwilioRestException) as exc_info:
            await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="a")
        retry = await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="a")
    assert exc_info.value.status == 429 and exc_info.value.code == 20429
    assert "Too Many Requests" in exc_info.value.msg
    assert [m.sid for m in api.messages] == [retry.sid]
    assert [(a.http_status, a.error_code) for a in api.attempts] == [(429, 20429), (201, None)]


async def test_invalid_number_fails_permanently(
    api: FakeTwilioAPI, twilio_client: ClientFactory
) -> None:
    api.fail_to("+628000")
    async with twilio_client() as client:
        for _ in range(2):
            with pytest.raises(TwilioRestException) as exc_info:
                await client.messages.create_async(to="whatsapp:+628000", from_=WA_FROM, body="x")
            assert exc_info.value.status == 400 and exc_info.value.code == 21211
            assert "is not a valid phone number" in exc_info.value.msg
        await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="ok")
    assert [m.to for m in api.messages] == [WA_TO]


async def test_outside_window_freeform_fails_template_succeeds(
    api: FakeTwilioAPI, twilio_client: ClientFactory
) -> None:
    api.outside_window(WA_TO)
    async with twilio_client() as client:
        with pytest.raises(TwilioRestException) as exc_info:
            await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="freeform")
        template = await client.messages.create_async(
            to=WA_TO, from_=WA_FROM, content_sid="HX" + "3" * 32, content_variables='{"1": "x"}'
        )
    assert exc_info.value.status == 400 and exc_info.value.code == 63016
    assert MSG_OUTSIDE_WINDOW in exc_info.value.msg
    assert [m.sid for m in api.messages] == [template.sid]


async def test_outside_window_callback_mode_builds_signed_status_callback(
    api: FakeTwilioAPI, twilio_client: ClientFactory
) -> None:
    api.outside_window(WA_TO, mode="callback")
    url = "https://guyub.example/twilio/status?tenant=1"
    async with twilio_client() as client:
        msg = await client.messages.create_async(
            to=WA_TO, from_=WA_FROM, body="late", status_callback=url
        )
    assert msg.status == "queued"
    cb = api.status_callback(api.messages[0])
    assert cb.url == url
    assert cb.params["MessageSid"] == msg.sid and cb.params["MessageStatus"] == "failed"
    assert cb.params["ErrorCode"] == "63016" and cb.params["ChannelPrefix"] == "whatsapp"
    validator = RequestValidator(TOKEN)
    assert validator.validate(cb.url, cb.params, cb.headers["X-Twilio-Signature"])


async def test_wrong_auth_token_is_401(api: FakeTwilioAPI, twilio_client: ClientFactory) -> None:
    async with twilio_client(auth_token="wrong") as client:
        with pytest.raises(TwilioRestException) as exc_info:
            await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="x")
    assert exc_info.value.status == 401 and exc_info.value.code == 20003
    assert api.messages == [] and api.attempts == []


async def test_missing_body_and_unknown_route(
    api: FakeTwilioAPI, twilio_client: ClientFactory
) -> None:
    async with twilio_client() as client:
        with pytest.raises(TwilioRestException) as exc_info:
            await client.messages.create_async(to=WA_TO, from_=WA_FROM)
    assert exc_info.value.code == 21602
    async with httpx.AsyncClient(base_url=api.base_url) as http:
        resp = await http.get("/2010-04-01/Nope.json", auth=(ACCOUNT_SID, TOKEN))
    assert resp.status_code == 404
    assert resp.json()["code"] == 20404 and resp.json()["status"] == 404


async def test_media_download_requires_basic_auth(api: FakeTwilioAPI) -> None:
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'a' * 32}/Media/ME{'b' * 32}"
    url = api.add_media(path, b"\xff\xd8jpeg-bytes", "image/jpeg")
    named = api.add_media("voice-note", b"OggS", "audio/ogg", redirect=True)
    assert url == api.media_url(path) and named == api.media_url("voice-note")
    async with httpx.AsyncClient() as http:
        ok = await http.get(url, auth=(ACCOUNT_SID, TOKEN))
        anonymous = await http.get(url)
        wrong = await http.get(url, auth=(ACCOUNT_SID, "nope"))
        redirected = await http.get(named, auth=(ACCOUNT_SID, TOKEN), follow_redirects=True)
    assert ok.status_code == 200 and ok.content == b"\xff\xd8jpeg-bytes"
    assert ok.headers["content-type"] == "image/jpeg"
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 20003
    assert wrong.status_code == 401
    assert redirected.status_code == 200 and redirected.content == b"OggS"
    assert redirected.history[0].status_code == 307


async def test_wait_for_messages_wakes_up_and_times_out(
    api: FakeTwilioAPI, twilio_client: ClientFactory
) -> None:
    async with twilio_client() as client:
        waiter = asyncio.create_task(api.wait_for_messages(2, timeout=5))
        for i in range(2):
            await client.messages.create_async(to=WA_TO, from_=WA_FROM, body=str(i))
        assert [m.body for m in await waiter] == ["0", "1"]
    with pytest.raises(TimeoutError, match="expected 3"):
        await api.wait_for_messages(3, timeout=0.01)


async def test_stock_client_warns_about_basic_auth(api: FakeTwilioAPI) -> None:
    """Canary for twilio-python#931: when this fails, HeaderAuthTwilioHttpClient can go."""
    async with AsyncTwilioHttpClient() as http_client:
        client = Client(ACCOUNT_SID, TOKEN, http_client=http_client)
        client.api.base_url = api.base_url
        with pytest.warns(DeprecationWarning, match="deprecated and will be removed") as record:
            await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="hi")
    messages = sorted(str(w.message).split(" is deprecated")[0] for w in record)
    assert messages == ["BasicAuth", "The 'auth' parameter"]


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning")
@pytest.mark.parametrize("http_cls", [AsyncTwilioHttpClient, HeaderAuthTwilioHttpClient])
async def test_constructor_timeout(
    api: FakeTwilioAPI, http_cls: type[AsyncTwilioHttpClient]
) -> None:
    api.stall_next()
    async with http_cls(timeout=0.2) as http_client:
        client = Client(ACCOUNT_SID, TOKEN, http_client=http_client)
        client.api.base_url = api.base_url
        send = asyncio.create_task(client.messages.create_async(to=WA_TO, from_=WA_FROM, body="x"))
        done, _ = await asyncio.wait({send}, timeout=0.5)
        if http_cls is HeaderAuthTwilioHttpClient:  # done: it gave up before the 0.5 s wait did
            assert done and isinstance(send.exception(), TimeoutError)
        else:  # stock client: timeout=0.2 is ignored, the request would hang forever
            assert not done
            api.release_stalled()
            with pytest.raises(TwilioRestException) as exc_info:
                await send
            assert exc_info.value.status == 503
    assert api.stalled == 1 and api.messages == []


class RewritingHttpClient(HeaderAuthTwilioHttpClient):
    """Alternative technique: rewrite https://api.twilio.com in every request URL."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        url = url.replace("https://api.twilio.com", self.base_url, 1)
        return await super().request(method, url, *args, **kwargs)


async def test_rewriting_http_client_alternative(api: FakeTwilioAPI) -> None:
    async with RewritingHttpClient(api.base_url) as http_client:
        client = Client(ACCOUNT_SID, TOKEN, http_client=http_client)
        msg = await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="hi")
    assert msg.sid == api.messages[0].sid


async def test_fail_next_filtered_by_recipient(
    api: FakeTwilioAPI, twilio_client: ClientFactory
) -> None:
    api.fail_next(status=500, code=20500, message="Internal Server Error", times=2, to="+628111")
    async with twilio_client() as client:
        await client.messages.create_async(to=WA_TO, from_=WA_FROM, body="other number")
        for _ in range(2):
            with pytest.raises(TwilioRestException, match="Internal Server Error"):
                await client.messages.create_async(to="whatsapp:+628111", from_=WA_FROM, body="x")
        await client.messages.create_async(to="whatsapp:+628111", from_=WA_FROM, body="x")
    assert [m.to for m in api.messages] == [WA_TO, "whatsapp:+628111"]


async def test_send_status_callback_is_signed(api: FakeTwilioAPI) -> None:
    received: list[bool] = []

    async def status_hook(request: web.Request) -> web.Response:
        form = await request.post()  # MultiDictProxy: RequestValidator handles repeated keys
        signature = request.headers["X-Twilio-Signature"]
        received.append(RequestValidator(TOKEN).validate(str(request.url), form, signature))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/twilio/status", status_hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        api.outside_window(WA_TO, mode="callback")
        async with HeaderAuthTwilioHttpClient() as http_client:
            client = Client(ACCOUNT_SID, TOKEN, http_client=http_client)
            client.api.base_url = api.base_url
            await client.messages.create_async(
                to=WA_TO,
                from_=WA_FROM,
                body="late",
                status_callback=f"http://127.0.0.1:{port}/twilio/status",
            )
        assert await api.send_status_callback(api.messages[0]) == 204
    finally:
        await runner.cleanup()
    assert received == [True]
