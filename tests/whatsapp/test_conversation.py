"""Chatting with Guyub over WhatsApp, as transcripts: joining by numbered buttons, photos,
button payloads, and replies that survive a rate limit."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Core
from bot.channels.whatsapp import WhatsAppChannel
from handlers.clock import ManualClock
from storage.media import MediaStore
from storage.models import Community, Media, Member
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.images import image_bytes
from tests.whatsapp.conftest import ACCOUNT_SID, PUBLIC, SARI, Phone
from tests.whatsapp.line import WhatsAppLine
from tests.whatsapp.webhooks import twilio_media


async def test_join_and_consent_by_number(
    chat: Transcript, sari: Phone, core: Core, community: Community, clock
) -> None:
    [consent] = await chat.bodies("Sari", "GABUNG KBA13")
    assert "KBA 13 Ulu" in consent and "Setuju?" in consent
    assert consent.endswith("1. Setuju\n2. Batal")
    [welcome] = await chat.bodies("Sari", "1")
    assert welcome.startswith("Terima kasih, Bu Sari! Anda sekarang anggota KBA 13 Ulu.")

    member = sari.member(core)
    assert member is not None and member.phone == SARI and member.display_name == "Bu Sari"
    assert member.consent_at == clock.now()
    identity = sari.identity(core)
    assert identity is not None and identity.last_inbound_at == clock.now()


async def test_consent_by_the_buttons_own_words_and_by_button_payload(
    chat: Transcript, line: WhatsAppLine, core: Core, community: Community
) -> None:
    await chat.bodies("Sari", "gabung kba13")
    [again] = await chat.bodies("Sari", "hmm")  # not an answer: asked again
    assert again.endswith("1. Setuju\n2. Batal")
    [welcome] = await chat.bodies("Sari", "setuju")
    assert "anggota KBA 13 Ulu" in welcome

    line.person("Budi", "+6285600001111", "Pak Budi")
    await chat.bodies("Budi", "GABUNG KBA13")
    [welcome] = await chat.bodies(
        "Budi", "Setuju", payload="join:yes"
    )  # a WhatsApp quick-reply button
    assert "Pak Budi" in welcome
    assert chat.member("Budi") is not None


async def test_product_photo_is_downloaded_with_basic_auth_and_kept_once(
    chat: Transcript, sari: Phone, core: Core, community: Community, api: FakeTwilioAPI
) -> None:
    await chat.bodies("Sari", "GABUNG KBA13")
    await chat.bodies("Sari", "1")
    photo = image_bytes("keripik tempe")
    url = api.add_media("keripik", photo, "image/jpeg", redirect=True)  # Twilio: 307 to a CDN
    replies = await chat.bodies(
        "Sari", "Keripik tempe 15rb", media=[twilio_media(url, "image/jpeg")]
    )
    assert replies  # the router (or the catalogue, once it lands) answered
    assert api.media_requests == [url.removeprefix(api.base_url)]  # with our credentials

    await chat.bodies(
        "Sari", "Keripik tempe 15rb", media=[twilio_media(url, "image/jpeg")]
    )  # sent twice: same bytes
    with core.open_session() as session:
        [media] = session.exec(select(Media)).all()
    assert media.content_type == "image/jpeg" and media.size == len(photo)
    assert media.community_id == community.id
    assert core.media.read(media) == photo
    assert [p for p in core.settings.media_dir.rglob("*") if p.is_file()] == [
        core.media.path_of(media)
    ]
    served = await sari.http.get(f"/media/{media.id}")  # what Twilio fetches for MediaUrl
    assert served.content == photo and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"


async def test_a_retried_photo_message_is_not_downloaded_again(
    sari: Phone, api: FakeTwilioAPI, channel: WhatsAppChannel, member: Member
) -> None:
    url = api.add_media("bolu", image_bytes("bolu", "PNG"), "image/png")
    params = sari.params("", media=[(url, "image/png")])
    await sari.post(params)
    await channel.idle()
    await sari.post(params)
    await channel.idle()
    assert len(api.media_requests) == 1 and len(api.messages) == 1


async def test_a_photo_that_cannot_be_fetched_gets_a_friendly_reply(
    chat: Transcript, api: FakeTwilioAPI, core: Core, member: Member
) -> None:
    gone = f"{api.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MMx/Media/MEgone"
    [reply] = await chat.bodies("Sari", "", media=[twilio_media(gone, "image/jpeg")])
    assert reply.startswith("Maaf, foto Anda belum berhasil kami terima.")
    with core.open_session() as session:
        assert session.exec(select(Media)).all() == []


async def test_a_photo_from_someone_who_has_not_joined_is_not_kept(
    chat: Transcript, api: FakeTwilioAPI, core: Core, community: Community
) -> None:
    url = api.add_media("kue", image_bytes("kue lapis"), "image/jpeg")
    [answer] = await chat.bodies("Sari", "Kue lapis", media=[twilio_media(url, "image/jpeg")])
    assert "GABUNG" in answer
    assert api.media_requests == []  # not even fetched: she has not consented to anything
    with core.open_session() as session:
        assert session.exec(select(Media)).all() == []


async def test_voice_notes_are_not_downloaded(
    chat: Transcript, api: FakeTwilioAPI, community: Community
) -> None:
    await chat.bodies("Sari", "GABUNG KBA13")
    await chat.bodies("Sari", "1")
    url = api.add_media("voice", b"OggS", "audio/ogg")
    [reply] = await chat.bodies("Sari", "", media=[twilio_media(url, "audio/ogg")])
    assert reply.startswith("Maaf, saya hanya bisa membaca teks dan foto.")
    assert api.media_requests == []


async def test_a_rate_limited_reply_is_retried(
    chat: Transcript,
    sari: Phone,
    api: FakeTwilioAPI,
    community: Community,
    core: Core,
    clock: ManualClock,
) -> None:
    api.fail_next(status=429, code=20429)
    assert await chat.bodies("Sari", "GABUNG KBA13") == []  # refused: it waits in the outbox
    clock.advance(timedelta(seconds=5))
    await core.drain()  # what the delivery worker does once the retry is due
    [consent] = sari.bodies(api.messages)
    assert "Setuju?" in consent
    assert [(a.http_status, a.error_code) for a in api.attempts] == [(429, 20429), (201, None)]


async def test_a_reply_to_an_invalid_number_is_logged_not_raised(
    chat: Transcript, api: FakeTwilioAPI, channel: WhatsAppChannel, caplog
) -> None:
    api.fail_to(SARI)
    assert await chat.bodies("Sari", "halo") == []
    assert "+6281****7890" in caplog.text and SARI not in caplog.text
    api.clear()
    assert len(await chat.bodies("Sari", "halo lagi")) == 1  # the channel carries on


async def test_status_callback_of_a_direct_reply_is_accepted(
    chat: Transcript, sari: Phone, api: FakeTwilioAPI
) -> None:
    await chat.bodies("Sari", "halo")
    callback = api.status_callback(api.messages[0], "delivered")
    assert callback.url == f"{PUBLIC}/whatsapp/status"
    response = await sari.http.post(
        "/whatsapp/status", data=callback.params, headers=callback.headers
    )
    assert response.status_code == 200


async def test_a_photo_is_written_to_disk_off_the_event_loop(
    chat: Transcript,
    api: FakeTwilioAPI,
    member: Member,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_thread, writers = threading.get_ident(), []
    save = MediaStore.save

    def recording_save(self: MediaStore, **kwargs: Any) -> Media:
        writers.append(threading.get_ident())
        return save(self, **kwargs)

    monkeypatch.setattr(MediaStore, "save", recording_save)
    url = api.add_media("rendang", image_bytes("rendang"), "image/jpeg")
    await chat.bodies("Sari", "Rendang 85rb", media=[twilio_media(url, "image/jpeg")])
    assert len(writers) == 1 and writers[0] != loop_thread
