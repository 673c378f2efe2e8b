"""The QR join poster: A4, both QR codes readable to the right links, a one-page PDF; on the
web for a public community, in chat (POSTER) for coordinators."""

import io
import re
from dataclasses import replace

import httpx
import zxingcpp
from PIL import Image

from bot.app import Core
from handlers.context import Options
from handlers.poster import A4_PX, poster_for, render_pdf, render_png
from storage.db import transaction
from storage.models import Community
from tests.factories import Transcript
from tests.site.conftest import BASE
from tests.site.market import Market

TELEGRAM = "https://t.me/GuyubBot?start=KBA13"
WHATSAPP = "https://wa.me/6285550001111?text=GABUNG%20KBA13"


def qr_texts(png: bytes) -> set[str]:
    with Image.open(io.BytesIO(png)) as image:
        return {found.text for found in zxingcpp.read_barcodes(image)}


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_the_poster_is_a4_with_both_codes_and_the_catalogue(
    core: Core, options: Options, market: Market
) -> None:
    with core.open_session() as session:
        community = session.get(Community, market.community.id)
        assert community is not None
        sheet = poster_for(community, options=options, lang="id", base_url=BASE)
    assert sheet.code == "KBA13" and sheet.catalogue == f"Lihat katalog: {BASE}/k/kba13"
    assert [code.label for code in sheet.codes] == [
        "Pindai untuk Telegram",
        "Pindai untuk WhatsApp",
    ]
    png = render_png(sheet)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == A4_PX
        assert abs(image.size[1] / image.size[0] - 297 / 210) < 0.01
        assert image.mode in ("RGB", "L", "1")
        counted: list[tuple[int, tuple[int, int, int]]] = image.convert("RGB").getcolors(1 << 16)  # type: ignore[assignment]
        assert all(len(set(colour)) == 1 for _, colour in counted)  # black, white, greys
    assert qr_texts(png) == {TELEGRAM, WHATSAPP}
    pdf = render_pdf(sheet)
    assert pdf.startswith(b"%PDF") and pages(pdf) == 1
    assert render_pdf(sheet) == pdf  # the same poster is the same file


def test_a_private_community_poster_has_no_catalogue_line_and_only_running_channels(
    core: Core, options: Options, market: Market
) -> None:
    with core.open_session() as session:
        other = session.get(Community, market.other.id)
        assert other is not None
        only_telegram = replace(options, whatsapp_number=None)
        sheet = poster_for(other, options=only_telegram, lang="en", base_url=BASE)
    assert sheet.catalogue == "" and sheet.headline == "Join our selling community!"
    assert qr_texts(render_png(sheet)) == {"https://t.me/GuyubBot?start=RW05"}


async def test_the_web_serves_the_poster_of_a_public_community(
    web: httpx.AsyncClient, market: Market
) -> None:
    png = await web.get("/poster/KBA13.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert qr_texts(png.content) == {TELEGRAM, WHATSAPP}
    for path in ("/poster/kba13.pdf", "/poster/kba13"):
        pdf = await web.get(path)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and pages(pdf.content) == 1
    assert (await web.get("/poster/kba13.exe")).status_code == 404


async def test_poster_in_chat_for_coordinators(chat: Transcript, core: Core) -> None:
    options = replace(
        core.options, telegram_bot_username="GuyubBot", whatsapp_number="6285550001111"
    )
    core.options = core.router.options = options
    await chat.join("Pak RT")
    chat.coordinator("Pak RT")
    picture, document = await chat.say("Pak RT", "POSTER")
    assert "Poster KBA13" in picture.text and len(picture.media) == 1
    assert "tidak publik" in document.text and len(document.documents) == 1
    with core.open_session() as session:
        png = core.media.get(session=session, media_id=picture.media[0])
        pdf = core.media.get(session=session, media_id=document.documents[0])
        assert png is not None and pdf is not None
        assert pdf.content_type == "application/pdf"
        assert core.media.file_name(pdf) == "poster-kba13.pdf"
        assert qr_texts(core.media.read(png)) == {TELEGRAM, WHATSAPP}
        assert core.media.read(pdf).startswith(b"%PDF")
    await chat.join("Siti")
    refused = await chat.text("Siti", "POSTER")
    assert "koordinator" in refused.lower()
    assert not any(r.media or r.documents for r in chat.last("Siti"))


async def test_the_poster_points_to_the_public_catalogue_once_it_is_on(
    chat: Transcript, core: Core
) -> None:
    core.options = core.router.options = replace(core.options, public_base_url=BASE)
    await chat.join("Pak RT")
    chat.coordinator("Pak RT")
    await chat.say("Pak RT", "/atur katalog publik on")
    _, document = await chat.say("Pak RT", "POSTER")
    assert "publik" in document.text and "siapa saja" in document.text
    with transaction(core.open_session) as session:
        community = session.get(Community, chat.community.id)
        assert community is not None and community.public_catalogue
