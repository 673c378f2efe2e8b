"""Bagikan over the real Telegram adapter: the t.me deep link in the share text, the share
picture uploaded as a photo, and a newcomer's `/start p1-<code>` opening it and joining."""

import io
import re

import zxingcpp
from PIL import Image
from sqlmodel import select

from bot.app import Core
from storage.models import Community, ShareOpen
from tests.factories import Transcript
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegramAPI
from tests.telegram.chats import add_member, identity_of
from tests.telegram.line import TelegramLine

DEEP_LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=(p1-[A-Z0-9]+)")


async def test_a_deep_link_opens_the_product_and_the_newcomer_joins(
    chat: Transcript, line: TelegramLine, api: FakeTelegramAPI, core: Core, community: Community
) -> None:
    add_member(core, community, 42, "Siti")
    add_member(core, community, 43, "Dewi")
    line.person("Dewi", 43)
    await chat.post("Siti", "Keripik pisang coklat 15rb")

    text, picture = await chat.say("Dewi", "/bagikan 1")
    match = DEEP_LINK.search(text.text)
    assert match, text.text
    token = match.group(1)
    assert "wa.me" not in text.text  # no WhatsApp in this set-up
    photo = line.sent("Dewi", "sendPhoto")[-1]
    data = photo.file("photo")
    assert isinstance(data, bytes)
    image = Image.open(io.BytesIO(data))
    assert image.size == (1080, 1080)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [match.group(0)]
    assert "Teruskan pesan di atas" in picture.text

    line.person("Rina", 77, first_name="Rina")
    card, consent = await chat.say("Rina", f"/start {token}")  # what t.me opens with
    assert "Dibagikan oleh Dewi" in card.text and "Keripik pisang coklat" in card.text
    assert "Rp15.000" in card.text
    assert "Selamat datang di KBA 13 Ulu" in consent.text
    await chat.press("Rina", "Setuju")
    rina = identity_of(core, 77)
    assert rina is not None and rina.member_id is not None

    await chat.say("Rina", f"/start {token}")  # again, as a member: no second credit
    with core.open_session() as session:
        opens = session.exec(select(ShareOpen)).all()
    assert [row.credited for row in opens] == [True, False]
    thanks = [
        c for c in line.sent("Dewi", "sendMessage") if "Ada orang baru membuka" in c.params["text"]
    ]
    assert len(thanks) == 1 and "Sudah 1 orang" in thanks[0].params["text"]


async def test_a_forged_deep_link_is_unknown_not_an_invite(
    chat: Transcript, line: TelegramLine, core: Core, community: Community
) -> None:
    line.person("Rina", 77, first_name="Rina")
    (reply,) = await chat.say("Rina", "/start p1-ABCDEFGHJK")
    assert reply.text.startswith("Maaf, link ini tidak dikenal.")
    (reply,) = await chat.say("Rina", "/start KBA13")  # invite codes still work
    assert "Selamat datang di KBA 13 Ulu" in reply.text
