"""Bagikan over WhatsApp through signed webhooks: the wa.me link the share text carries, and
the text it prefills sent by someone new, who sees the product and joins."""

import io
import re
from urllib.parse import unquote

import zxingcpp
from PIL import Image
from sqlmodel import select

from bot.app import Core
from storage.media import MediaStore
from storage.models import Member, ShareOpen
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import SARI

WA_LINK = re.compile(r"https://wa\.me/14155238886\?text=(\S+)")


async def test_the_wa_me_text_opens_the_product_for_someone_new(
    chat: Transcript, member: Member, core: Core, api: FakeTwilioAPI
) -> None:
    await chat.post("Sari", "Keripik tempe 12rb")
    text, picture = await chat.say("Sari", "BAGIKAN 1")
    match = WA_LINK.search(text.text)
    assert match, text.text
    prefilled = unquote(match.group(1))
    assert re.fullmatch(r"LIHAT p1-[A-Z2-9]{10}", prefilled)
    assert "t.me" not in text.text  # no Telegram in this set-up

    store = MediaStore(core.options.media_dir)
    with core.open_session() as session:
        kept = store.get(session=session, media_id=picture.media[0])
        assert kept is not None
        image = Image.open(io.BytesIO(store.read(kept)))
    assert image.size == (1080, 1080)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [match.group(0)]

    card, consent = await chat.say("Rina", prefilled)  # what wa.me puts in the chat box
    assert "Dibagikan oleh Bu Sari" in card.text and "Rp12.000" in card.text
    assert consent.text.startswith("Selamat datang di KBA 13 Ulu!")
    (welcome,) = await chat.say("Rina", "1")
    assert "anggota KBA 13 Ulu" in welcome.text
    assert chat.member("Rina") is not None

    await chat.say("Rina", prefilled)  # a member now, the same person: no second credit
    with core.open_session() as session:
        assert [row.credited for row in session.exec(select(ShareOpen)).all()] == [True, False]
    thanks = [
        m
        for m in api.messages
        if m.to == f"whatsapp:{SARI}" and "Ada orang baru membuka" in (m.body or "")
    ]
    assert len(thanks) == 1


async def test_a_forged_code_is_unknown(chat: Transcript, member: Member) -> None:
    (reply,) = await chat.say("Rina", "LIHAT p1-ABCDEFGHJK")
    assert reply.text.startswith("Maaf, link ini tidak dikenal.")
    assert chat.member("Rina") is None
