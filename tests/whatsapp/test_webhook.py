"""POST /whatsapp: only Twilio's signed requests get in, they are answered at once,
and a retried MessageSid is answered once."""

import asyncio

import httpx
from sqlmodel import select

from bot.app import Core
from bot.channels.base import ChannelAdapter
from bot.channels.whatsapp import EMPTY_TWIML, WhatsAppChannel
from storage.models import ChannelIdentity, ProcessedInbound
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import INTERNAL, PUBLIC, Phone, form_post


def _nothing_happened(core: Core, api: FakeTwilioAPI) -> None:
    with core.open_session() as session:
        assert session.exec(select(ProcessedInbound)).all() == []
        assert session.exec(select(ChannelIdentity)).all() == []
    assert api.attempts == []


async def test_signed_message_is_answered_with_empty_twiml_then_a_reply(
    sari: Phone, api: FakeTwilioAPI, channel: WhatsAppChannel
) -> None:
    response = await sari.post(sari.params("halo"))
    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    assert response.headers["content-type"].startswith("text/xml")
    await channel.idle()
    [sent] = api.messages
    assert sent.to == "whatsapp:+6281234567890" and sent.from_ == "whatsapp:+14155238886"
    assert "GABUNG" in (sent.body or "")
    assert sent.status_callback == f"{PUBLIC}/whatsapp/status"


async def test_wrong_signature_is_403_and_nothing_happens(
    sari: Phone, http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, channel: WhatsAppChannel
) -> None:
    params = sari.params("halo")
    forged = form_post("/whatsapp", params, signed_for=f"{PUBLIC}/whatsapp")
    forged["content"] = forged["content"].replace("halo", "hapusdata")  # tampered after signing
    assert (await http.post(**forged)).status_code == 403
    other_token = form_post("/whatsapp", params)
    other_token["headers"]["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJl"
    assert (await http.post(**other_token)).status_code == 403
    await channel.idle()
    _nothing_happened(core, api)


async def test_missing_signature_is_403(
    sari: Phone, http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, channel: WhatsAppChannel
) -> None:
    response = await http.post(**form_post("/whatsapp", sari.params("halo")))
    assert response.status_code == 403
    await channel.idle()
    _nothing_happened(core, api)


async def test_signature_is_checked_against_the_public_url_not_the_proxied_one(
    sari: Phone, http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, channel: WhatsAppChannel
) -> None:
    """The app is reached as http://internal:8080 but Twilio signed https://guyub.example."""
    params = sari.params("halo")
    internal = await http.post(**form_post("/whatsapp", params, signed_for=f"{INTERNAL}/whatsapp"))
    assert internal.status_code == 403
    await channel.idle()
    _nothing_happened(core, api)

    with_query = form_post("/whatsapp?community=kba13", params, signed_for=f"{PUBLIC}/whatsapp")
    assert (await http.post(**with_query)).status_code == 403  # the query is signed too
    public = form_post(
        "/whatsapp?community=kba13", params, signed_for=f"{PUBLIC}/whatsapp?community=kba13"
    )
    assert (await http.post(**public)).status_code == 200
    await channel.idle()
    assert len(api.messages) == 1


async def test_malformed_body_is_400(
    http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, channel: WhatsAppChannel
) -> None:
    def post(content: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict:
        return {
            "url": "/whatsapp",
            "content": content,
            "headers": {"Content-Type": content_type, "X-Twilio-Signature": "c2ln"},
        }

    assert (await http.post(**post(b"Body=a&&From"))).status_code == 400
    assert (await http.post(**post(b"Body=\xff\xfe"))).status_code == 400
    assert (await http.post(**post(b'{"Body": "a"}', "application/json"))).status_code == 400
    assert (await http.post(**post(b"Body=" + b"a" * 70_000))).status_code == 413
    await channel.idle()
    _nothing_happened(core, api)


async def test_signed_but_not_a_message_is_400(
    sari: Phone, http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, channel: WhatsAppChannel
) -> None:
    params = [p for p in sari.params("halo") if p[0] not in {"MessageSid", "SmsMessageSid"}]
    response = await http.post(**form_post("/whatsapp", params, signed_for=f"{PUBLIC}/whatsapp"))
    assert response.status_code == 400
    await channel.idle()
    _nothing_happened(core, api)


async def test_a_retried_message_sid_is_answered_once(
    sari: Phone, api: FakeTwilioAPI, channel: WhatsAppChannel
) -> None:
    params = sari.params("GABUNG KBA13", sid="SM" + "d" * 32)
    first, second = await asyncio.gather(sari.post(params), sari.post(params))  # concurrent
    assert first.status_code == second.status_code == 200
    await channel.idle()
    third = await sari.post(params)  # a late retry, after we answered
    assert third.status_code == 200 and third.text == EMPTY_TWIML
    await channel.idle()
    assert len(api.messages) == 1


async def test_stop_finishes_work_in_hand_and_refuses_new_webhooks(
    sari: Phone, api: FakeTwilioAPI, channel: WhatsAppChannel
) -> None:
    assert (await sari.post(sari.params("halo"))).status_code == 200
    await channel.stop()  # no idle() first: stop() itself waits for the reply to go out
    assert len(api.messages) == 1
    assert (await sari.post(sari.params("halo lagi"))).status_code == 503
    await channel.start()  # the fixture stops it again


async def test_stop_gives_up_on_a_hanging_send_after_its_timeout(
    sari: Phone, api: FakeTwilioAPI, channel: WhatsAppChannel
) -> None:
    api.stall_next()  # Twilio never answers
    assert (await sari.post(sari.params("halo"))).status_code == 200
    await channel.stop(timeout=0.05)
    assert not channel.core.inbox.busy and api.messages == []
    api.release_stalled()
    await channel.start()


def test_the_channel_is_a_channel_adapter(channel: WhatsAppChannel, core: Core) -> None:
    adapter: ChannelAdapter = channel  # mypy checks the protocol
    assert adapter.name == "whatsapp" and core.senders["whatsapp"] is adapter.sender
    assert sorted(r.path for r in adapter.routes()) == ["/whatsapp", "/whatsapp/status"]  # type: ignore[attr-defined]


async def test_a_repeated_parameter_is_signed_with_every_value(
    sari: Phone, http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, channel: WhatsAppChannel
) -> None:
    params = [*sari.params("halo"), ("Tag", "pasar"), ("Tag", "bazar")]
    signed = form_post("/whatsapp", params, signed_for=f"{PUBLIC}/whatsapp")
    tampered = dict(signed, content=signed["content"].replace("bazar", "hapus"))
    assert (await http.post(**tampered)).status_code == 403  # the second value counts too
    dropped = dict(signed, content=signed["content"].replace("&Tag=bazar", ""))
    assert (await http.post(**dropped)).status_code == 403
    await channel.idle()
    _nothing_happened(core, api)
    assert (await http.post(**signed)).status_code == 200
    await channel.idle()
    assert len(api.messages) == 1
