"""Photos sent on WhatsApp: fetched only from Twilio, credentials only to Twilio's API, and
stored only when the bytes are an image (issue 9, finding 3)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from sqlmodel import select

from bot.app import Core
from bot.channels.twilio_media import MediaHosts
from bot.settings import Settings
from storage.models import Media, Member
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.images import image_bytes
from tests.whatsapp.conftest import ACCOUNT_SID
from tests.whatsapp.webhooks import twilio_media

FAILED = "Maaf, foto Anda belum berhasil kami terima."


class Elsewhere:
    """A web server on 127.0.0.1 that is not Twilio, recording what reaches it."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization)
        self.base_url = ""

    async def serve(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, request.headers.get("Authorization")))
        return web.Response(body=image_bytes("not twilio"), content_type="image/jpeg")


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    server = Elsewhere()
    app = web.Application()
    app.router.add_get("/{tail:.*}", server.serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.base_url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


def stored(core: Core) -> list[Media]:
    with core.open_session() as session:
        return list(session.exec(select(Media)).all())


async def test_a_media_url_on_another_host_is_never_fetched(
    chat: Transcript, core: Core, member: Member, elsewhere: Elsewhere
) -> None:
    photo = twilio_media(f"{elsewhere.base_url}/x.png", "image/png")
    [reply] = await chat.bodies("Sari", "Keripik 15rb", media=[photo])
    assert reply.startswith(FAILED)
    assert elsewhere.requests == []  # not even asked, so no Authorization went there
    assert stored(core) == []


async def test_a_redirect_off_twilio_is_not_followed(
    chat: Transcript, api: FakeTwilioAPI, core: Core, member: Member, elsewhere: Elsewhere
) -> None:
    url = api.add_media("keripik", image_bytes("keripik"), redirect=f"{elsewhere.base_url}/cdn")
    [reply] = await chat.bodies("Sari", "Keripik 15rb", media=[twilio_media(url, "image/jpeg")])
    assert reply.startswith(FAILED)
    assert elsewhere.requests == []
    assert stored(core) == []


async def test_the_cdn_hop_gets_no_credentials(
    chat: Transcript, api: FakeTwilioAPI, core: Core, member: Member
) -> None:
    photo = image_bytes("keripik")
    url = api.add_media("keripik", photo, redirect=True)  # 307 to the fake's /_cdn/
    await chat.bodies("Sari", "Keripik 15rb", media=[twilio_media(url, "image/jpeg")])
    assert api.media_requests == [url.removeprefix(api.base_url)]  # the API hop: with them
    [(path, authorization)] = api.cdn_requests
    assert path.startswith("/_cdn/") and authorization is None
    [media] = stored(core)
    assert core.media.read(media) == photo


@pytest.mark.parametrize(
    "data",
    [
        b'{"status": "ok"}',  # what the bot's own /healthz answered in the probe
        b"\xff\xd8\xff\xe0 not really a jpeg",
        image_bytes("cut short")[:-40],  # a truncated JPEG
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ],
)
async def test_bytes_that_are_not_a_photo_are_not_stored(
    chat: Transcript, api: FakeTwilioAPI, core: Core, member: Member, data: bytes
) -> None:
    url = api.add_media("odd", data, "image/jpeg")
    [reply] = await chat.bodies("Sari", "Keripik 15rb", media=[twilio_media(url, "image/jpeg")])
    assert reply.startswith(FAILED)
    assert stored(core) == []


async def test_the_type_stored_is_the_one_the_bytes_have(
    chat: Transcript, api: FakeTwilioAPI, core: Core, member: Member
) -> None:
    url = api.add_media("bolu", image_bytes("bolu", "PNG"), "image/jpeg")  # claimed JPEG
    await chat.bodies("Sari", "Bolu 20rb", media=[twilio_media(url, "image/jpeg")])
    [media] = stored(core)
    assert media.content_type == "image/png"


async def test_a_photo_over_5_mb_is_refused(
    chat: Transcript, api: FakeTwilioAPI, core: Core, member: Member
) -> None:
    url = api.add_media("huge", image_bytes("huge") + b"\0" * (5 * 1024 * 1024))
    [reply] = await chat.bodies("Sari", "Keripik 15rb", media=[twilio_media(url, "image/jpeg")])
    assert reply.startswith(FAILED)
    assert stored(core) == []


def test_which_urls_are_fetched_and_which_get_credentials(settings: Settings) -> None:
    hosts = MediaHosts.from_settings(
        settings.model_copy(update={"twilio_api_base_url": None})  # the real api.twilio.com
    )
    media = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
    allowed = [media, "https://mms.twiliocdn.com/x/y", "https://media.us1.twiliocdn.com/a"]
    refused = [
        "http://mms.twiliocdn.com/x",  # not https
        "https://mms.twiliocdn.com:8443/x",
        "https://twiliocdn.com.evil.example/x",
        "https://eviltwiliocdn.com/x",
        "https://user:pw@mms.twiliocdn.com/x",
        "http://127.0.0.1:8080/healthz",
        "https://api.twilio.com.evil.example/2010-04-01/",
    ]
    assert [u for u in allowed if hosts.allows(httpx.URL(u))] == allowed
    assert [u for u in refused if hosts.allows(httpx.URL(u))] == []
    assert hosts.takes_credentials(httpx.URL(media))
    for url in [
        "https://mms.twiliocdn.com/x",
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        "https://api.twilio.com/2010-04-01/Accounts/ACother/Messages/MM1/Media/ME1",
        f"http://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1",
    ]:
        assert not hosts.takes_credentials(httpx.URL(url)), url


def test_a_configured_api_base_takes_credentials_too(
    settings: Settings, api: FakeTwilioAPI
) -> None:
    hosts = MediaHosts.from_settings(settings)  # TWILIO_API_BASE_URL: the fake
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
    assert hosts.takes_credentials(httpx.URL(api.base_url + path))
    assert hosts.takes_credentials(httpx.URL("https://api.twilio.com" + path))
    other_host = api.base_url.replace("127.0.0.1", "localhost")  # same port, not the base
    assert not hosts.takes_credentials(httpx.URL(other_host + path))
