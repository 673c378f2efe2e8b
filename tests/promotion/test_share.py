"""Bagikan on the local channel: the share text and picture, opening a personal link, the
sharer's credit once per new person, the newcomer joining through it, and bad links."""

import io
import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import quote

import zxingcpp
from PIL import Image
from sqlmodel import col, select

from bot.app import Core
from bot.channels.local import LocalChat
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.context import Options
from handlers.i18n import rupiah
from handlers.promotion import share_image
from handlers.promotion.share import share_package
from handlers.promotion.share_image import ShareCard, layout, render_share_image
from storage.db import transaction
from storage.media import MediaStore
from storage.models import Exposure, ExposureKind, Member, ShareLink, ShareOpen
from storage.shares import CODE_ALPHABET, CODE_LENGTH
from tests.factories import Transcript, make_community

LOCAL_TOKEN = re.compile(r"LIHAT (p\d+-[A-Z0-9]+)")
FORTY = "Keripik pisang coklat lumer khas Palembang"[:40]


async def _shop(chat: Transcript) -> int:
    """Siti sells keripik; Dewi is a member who shares it. The product id."""
    await chat.join("Siti")
    await chat.say("Siti", "PROFIL USAHA Keripik Bu Siti")
    product_id = await chat.post("Siti", "Keripik pisang coklat 15rb")
    await chat.join("Dewi")
    return product_id


def _token(text: str) -> str:
    match = LOCAL_TOKEN.search(text)
    assert match, text
    return match.group(1)


def _opens(core: Core) -> list[ShareOpen]:
    with core.open_session() as session:
        return list(session.exec(select(ShareOpen).order_by(col(ShareOpen.id))).all())


def _credited(core: Core) -> int:
    return sum(1 for row in _opens(core) if row.credited)


def _image(core: Core, media_id: str) -> Image.Image:
    store = MediaStore(core.options.media_dir)
    with core.open_session() as session:
        row = store.get(session=session, media_id=media_id)
        assert row is not None and row.content_type == "image/png"
        return Image.open(io.BytesIO(store.read(row)))


def _qr(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


async def test_share_gives_a_forwardable_text_and_a_square_picture(
    chat: Transcript, core: Core
) -> None:
    product_id = await _shop(chat)
    text, picture = await chat.say("Dewi", f"BAGIKAN {product_id}")
    assert text.text.startswith("🛍️ Keripik pisang coklat — Rp15.000\n")
    assert "dari Keripik Bu Siti, anggota KBA 13 Ulu" in text.text
    assert "Yuk dukung!" in text.text
    token = _token(text.text)  # no Telegram or WhatsApp here: the words to send the bot
    assert "t.me" not in text.text and "wa.me" not in text.text
    code = token.split("-", 1)[1]
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert picture.media and "Teruskan pesan di atas" in picture.text
    image = _image(core, picture.media[0])
    assert image.size == (1080, 1080)
    assert _qr(image) == [f"LIHAT {token}"]

    # the same link every time; each share is one more exposure of the product
    again, _ = await chat.say("Dewi", f"/bagikan #{product_id}")
    assert _token(again.text) == token
    with core.open_session() as session:
        assert len(session.exec(select(ShareLink)).all()) == 1
        kinds = session.exec(select(Exposure.kind, Exposure.member_id)).all()
    dewi = chat.member("Dewi")
    assert dewi is not None and kinds == [(ExposureKind.SHARE, dewi.id)] * 2


async def test_links_for_the_channels_that_run(chat: Transcript, core: Core) -> None:
    product_id = await _shop(chat)
    core.router.options = replace(
        core.options, telegram_bot_username="GuyubBot", whatsapp_number="6281100000000"
    )
    text, picture = await chat.say("Dewi", f"SHARE {product_id}")
    match = re.search(r"https://t\.me/GuyubBot\?start=(p\d+-[A-Z0-9]+)", text.text)
    assert match, text.text
    token = match.group(1)
    wa = f"https://wa.me/6281100000000?text={quote(f'LIHAT {token}')}"
    assert f"👉 Lihat lewat WhatsApp: {wa}" in text.text
    assert "Kirim ke Guyub" not in text.text
    assert _qr(_image(core, picture.media[0])) == [f"https://t.me/GuyubBot?start={token}"]

    core.router.options = replace(core.options, whatsapp_number="6281100000000")
    text, picture = await chat.say("Dewi", f"BAGIKAN {product_id}")
    assert "t.me" not in text.text and wa in text.text
    assert _qr(_image(core, picture.media[0])) == [wa]


async def test_english_member_gets_english_text(chat: Transcript) -> None:
    product_id = await _shop(chat)
    await chat.join("Ann", language_hint="en")
    await chat.say("Ann", "LANGUAGE en")
    text, picture = await chat.say("Ann", f"SHARE {product_id}")
    assert "by Keripik Bu Siti, a member of KBA 13 Ulu" in text.text
    assert "VIEW p" in text.text and "Forward the message above" in picture.text


async def test_the_card_button_shares(chat: Transcript) -> None:
    product_id = await _shop(chat)
    await chat.say("Dewi", "CARI keripik")
    button = chat.button("Dewi", "Bagikan")
    assert button.payload == f"/bagikan {product_id}"
    text, _ = await chat.press("Dewi", "Bagikan")
    assert _token(text.text).startswith(f"p{product_id}-")


async def test_a_newcomer_opens_the_link_joins_and_credits_the_sharer_once(
    chat: Transcript, core: Core, clock: ManualClock
) -> None:
    product_id = await _shop(chat)
    text, _ = await chat.say("Dewi", f"BAGIKAN {product_id}")
    token = _token(text.text)

    card, consent = await chat.say("Rina", f"LIHAT {token}")
    assert card.text.startswith("📣 Dibagikan oleh Dewi\n🛍️ #1 Keripik pisang coklat")
    assert "Rp15.000" in card.text and not card.buttons  # not a member: nothing to press yet
    assert "Selamat datang di KBA 13 Ulu" in consent.text
    assert _credited(core) == 1
    (notice,) = chat.delivered("Dewi")
    assert "orang baru membuka link Bagikan Anda untuk #1 Keripik pisang coklat" in notice
    assert "Sudah 1 orang" in notice

    welcome = await chat.texts("Rina", "1")
    assert "anggota KBA 13 Ulu" in welcome[0]
    rina = chat.member("Rina")
    assert rina is not None

    # the same person again, now as a member: seen, not counted, no second notice
    (card,) = await chat.say("Rina", f"LIHAT {token}")
    assert "Keripik pisang coklat" in card.text and chat.button("Rina", "Bagikan")
    assert _credited(core) == 1 and len(_opens(core)) == 2
    assert len(chat.delivered("Dewi")) == 1

    # the sharer's own link: the card and a word about it, no credit
    card, own = await chat.say("Dewi", f"/lihat {token}")
    assert "Dibagikan oleh" not in card.text and "link pribadi Anda sendiri" in own.text
    assert _credited(core) == 1

    # another member counts; the sharer hears at most once a day per product
    await chat.join("Budi")
    await chat.say("Budi", f"LIHAT {token}")
    assert _credited(core) == 2 and len(chat.delivered("Dewi")) == 1
    clock.advance(timedelta(days=1))
    await chat.say("Tono", f"lihat {token.lower()}")  # typed in lower case: the same code
    assert _credited(core) == 3
    assert "Sudah 3 orang" in chat.delivered("Dewi")[-1] and len(chat.delivered("Dewi")) == 2

    with core.open_session() as session:
        opened = session.exec(
            select(Exposure).where(Exposure.kind == ExposureKind.SHARE_OPEN)
        ).all()
        dewi = chat.member("Dewi")
        assert dewi is not None
        # every opening but the sharer's own is the product shown, to Dewi's credit
        assert len(opened) == 4 and {row.member_id for row in opened} == {dewi.id}
        rina_opens = session.exec(
            select(ShareOpen).where(ShareOpen.opener_member_id == rina.id)
        ).all()
        assert len(rina_opens) == 1 and not rina_opens[0].credited


async def test_a_forwarded_share_message_opens_the_link(chat: Transcript, core: Core) -> None:
    product_id = await _shop(chat)
    text, _ = await chat.say("Dewi", f"BAGIKAN {product_id}")
    card, consent = await chat.say("Rina", text.text)  # the whole message, as forwarded
    assert "Dibagikan oleh Dewi" in card.text and "Setuju" in consent.text
    assert _credited(core) == 1


async def test_bad_links_are_unknown_and_change_nothing(chat: Transcript, core: Core) -> None:
    product_id = await _shop(chat)
    text, _ = await chat.say("Dewi", f"BAGIKAN {product_id}")
    token = _token(text.text)
    code = token.split("-", 1)[1]
    forged = "".join("A" if ch != "A" else "B" for ch in code)
    unknown = "Maaf, link ini tidak dikenal."
    for typed in (
        f"LIHAT p{product_id}-{forged}",  # forged code
        f"LIHAT p{product_id}-{code[:5]}",  # cut short
        f"LIHAT p{product_id + 1}-{code}",  # the code with another product
        f"LIHAT {code}",  # no product
        "LIHAT",
        "LIHAT p1-<b>x</b>",
    ):
        (reply,) = await chat.say("Budi", typed)
        assert reply.text.startswith(unknown), typed
    (reply,) = await chat.say("Budi", "VIEW p1-XXXX", language_hint="en")
    assert reply.text.startswith("Sorry, this link is not known.")
    assert _opens(core) == []
    assert chat.member("Budi") is None  # no join step either


async def test_a_link_of_another_community_is_unknown_to_its_members(
    chat: Transcript, core: Core
) -> None:
    product_id = await _shop(chat)
    text, _ = await chat.say("Dewi", f"BAGIKAN {product_id}")
    token = _token(text.text)
    make_community(core, name="Posyandu Melati", invite="MELATI")
    await chat.join("Wati", invite="MELATI")
    (reply,) = await chat.say("Wati", f"LIHAT {token}")
    assert reply.text.startswith("Maaf, link ini tidak dikenal.")
    (reply,) = await chat.say("Wati", f"BAGIKAN {product_id}")  # nor can she share it
    assert reply.text.startswith(f"Produk #{product_id} tidak ada di komunitas Anda.")
    assert _opens(core) == []


async def test_a_product_no_longer_active(chat: Transcript, core: Core) -> None:
    product_id = await _shop(chat)
    text, _ = await chat.say("Dewi", f"BAGIKAN {product_id}")
    token = _token(text.text)
    await chat.say("Siti", f"HABIS {product_id}")
    (reply,) = await chat.say("Rina", f"LIHAT {token}")
    assert reply.text == "Maaf, produk ini sudah tidak tersedia."
    (reply,) = await chat.say("Dewi", f"BAGIKAN {product_id}")
    assert "sudah tidak tersedia" in reply.text and "belum bisa dibagikan" in reply.text
    assert _opens(core) == [] and chat.member("Rina") is None


async def test_share_without_a_good_number(chat: Transcript) -> None:
    await _shop(chat)
    (reply,) = await chat.say("Dewi", "BAGIKAN")
    assert reply.text.startswith("Tulis nomor produk yang mau dibagikan, contoh: BAGIKAN 12")
    (reply,) = await chat.say("Dewi", "BAGIKAN keripik")
    assert reply.text.startswith("Tulis nomor produk")
    (reply,) = await chat.say("Dewi", "BAGIKAN 999")
    assert reply.text.startswith("Produk #999 tidak ada di komunitas Anda. Cari produknya dengan")
    (reply,) = await chat.say("Rina", "BAGIKAN 1")  # not a member
    assert "GABUNG" in reply.text


async def test_share_package_for_a_job(chat: Transcript, core: Core) -> None:
    """The weekly buddy job calls share_package with no message to answer."""
    product_id = await _shop(chat)
    dewi = chat.member("Dewi")
    assert dewi is not None
    options = replace(core.options, telegram_bot_username="GuyubBot")
    with transaction(core.open_session) as session:
        member = session.get(Member, dewi.id)
        product = next(p for p in chat.products() if p.id == product_id)
        assert member is not None
        replies = share_package(
            session=session, options=options, member=member, product=product, now=core.clock.now()
        )
    assert len(replies) == 2 and "https://t.me/GuyubBot?start=p1-" in replies[0].text
    assert replies[1].media
    with core.open_session() as session:
        assert session.exec(select(ShareLink.member_id)).all() == [dewi.id]


# -- the picture ----------------------------------------------------------------------


def test_forty_character_name_wraps_and_keeps_every_word() -> None:
    assert len(FORTY) == 40
    card = ShareCard(
        title=FORTY,
        price=rupiah(1_250_000),
        seller="Keripik Bu Siti",
        community="Produk anggota KBA 13 Ulu",
        link="https://t.me/GuyubBot?start=p12-ABCDEFGH23",
        scan_label="Pindai untuk melihat",
    )
    lines = layout(card)
    name_lines = [line for line in lines if line.colour == share_image.INK]
    assert " ".join(line.text for line in name_lines) == FORTY  # wrapped, nothing cut
    assert len(name_lines) == 2 and min(line.size for line in name_lines) >= 36
    for line in name_lines:  # every line fits left of the QR code
        assert share_image.font(line.size, True).getlength(line.text) <= share_image.TEXT_WIDTH
    assert "Rp1.250.000" in [line.text for line in lines]
    assert "Keripik Bu Siti" in [line.text for line in lines]

    image = Image.open(io.BytesIO(render_share_image(card)))
    assert image.size == (1080, 1080) and image.format == "PNG"
    assert _qr(image) == ["https://t.me/GuyubBot?start=p12-ABCDEFGH23"]


def test_a_name_too_long_for_two_lines_ends_in_an_ellipsis() -> None:
    card = ShareCard(
        title="Sambal " * 30,
        price="tanya penjual",
        seller="x" * 200,
        community="KBA",
        link="LIHAT p1-ABCDEFGH23",
        scan_label="Scan",
    )
    lines = layout(card)
    name_lines = [line for line in lines if line.colour == share_image.INK]
    assert len(name_lines) == 2 and name_lines[-1].text.endswith("…")
    seller = next(line for line in lines if line.text.startswith("xxx"))
    assert seller.text.endswith("…")


def test_the_product_photo_fills_the_top(tmp_path: object) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 120, 200)).save(photo, format="JPEG")
    card = ShareCard(
        title="Rendang",
        price="Rp85.000",
        seller="Dapur Dewi",
        community="KBA",
        link="LIHAT p2-ABCDEFGH23",
        scan_label="Scan",
        photo=photo.getvalue(),
    )
    image = Image.open(io.BytesIO(render_share_image(card))).convert("RGB")
    red, _, blue = image.getpixel((540, 400))  # type: ignore[misc]
    assert blue > 150 and red < 60  # the photo, not the placeholder
    broken = render_share_image(replace(card, photo=b"not a picture"))  # placeholder instead
    assert Image.open(io.BytesIO(broken)).size == (1080, 1080)


def test_settings_give_the_bot_whatsapp_number_for_links(tmp_path: object) -> None:
    settings = Settings(
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="token",  # type: ignore[arg-type]
        twilio_whatsapp_from="whatsapp:+14155238886",
        public_base_url="https://guyub.example",
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.whatsapp_number == "14155238886"
    assert Settings(_env_file=None).whatsapp_number is None  # type: ignore[call-arg]
    assert Options().whatsapp_number is None


async def test_a_rehearsal_forwards_the_share_text(chat: Transcript, core: Core) -> None:
    """`Rina: [teruskan Dewi]` in a script sends what Guyub last told Dewi."""
    product_id = await _shop(chat)
    printed: list[str] = []
    local = LocalChat(core, emit=printed.append)
    await local.line(f"Dewi: BAGIKAN {product_id}")
    await local.line("Rina: [teruskan Dewi]")
    assert any("📣 Dibagikan oleh Dewi" in text for text in printed)
    assert _credited(core) == 1


async def test_a_member_opens_a_product_by_number_and_is_pointed_to_search(
    chat: Transcript,
) -> None:
    product_id = await _shop(chat)
    card = await chat.texts("Dewi", f"LIHAT {product_id}")
    assert f"#{product_id} Keripik pisang coklat" in card[0] and "Rp15.000" in card[0]
    assert "📣 Bagikan" in chat.buttons("Dewi")
    assert "CARI keripik" in await chat.text("Dewi", "LIHAT keripik")
    assert "tidak ada" in await chat.text("Dewi", "LIHAT 999")
    assert "tidak dikenal" in await chat.text("Dewi", f"LIHAT p{product_id}-AAAAAAAAAA")
