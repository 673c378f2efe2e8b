"""Right words for the right person (issue 10): sellers counted the same way everywhere,
coordinators' errors spoken to coordinators, long names cut at a word."""

from handlers.shorten import shorten
from storage.models import ProductStatus
from tests.factories import Transcript

LONG_NAME = "Keripik pisang coklat lumer spesial buatan rumah Bu Siti untuk camilan keluarga besar"


async def test_report_counts_members_with_a_published_product(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    await market.join("Rina")
    market.coordinator("Rina")
    await market.post("Siti", "Keripik pisang 15rb")
    await market.post("Siti", "Rengginang 10rb")
    await market.post("Rina", "Kue lapis 20rb")  # a coordinator who sells too
    hidden = await market.post("Budi", "Sambal 12rb")
    market.update(hidden, status=ProductStatus.HIDDEN)  # not on show: not counted
    report = await market.text("Rina", "LAPORAN")
    assert "Anggota: 3 (koordinator 1)" in report
    assert "Penjual (anggota dengan produk tayang): 2" in report  # was `penjual 0`
    await market.say("Rina", "LANGUAGE en")
    assert "Sellers (members with a published product): 2" in await market.text("Rina", "REPORT")


async def test_coordinator_errors_speak_to_coordinators(market: Transcript) -> None:
    await market.join("Rina")
    market.coordinator("Rina")
    for command in (
        "/tolak 99 ga jelas",
        "/sembunyikan 99 spam",
        "/hapusproduk 99 spam",
        "/tampilkanproduk 99",
        "/setujui 99",
    ):
        reply = await market.text("Rina", command)
        assert "tidak ada produk #99 di KBA 13 Ulu" in reply, command
        assert "KATALOG" in reply and "ANTRIAN" in reply, command
        assert "Produkku" not in reply, command  # the seller's words
    await market.say("Rina", "LANGUAGE en")
    reply = await market.text("Rina", "/reject 99 unclear")
    assert "there is no product #99 in KBA 13 Ulu" in reply and "My products" not in reply


async def test_long_names_are_cut_at_a_word(market: Transcript) -> None:
    await market.join("Siti")
    card = await market.text("Siti", f"JUAL {LONG_NAME} 15rb")
    assert "potong" in card
    title = "Keripik pisang coklat lumer spesial buatan rumah Bu Siti untuk camilan keluarga…"
    assert title in card and "camilan kelu\n" not in card
    await market.press("Siti", "Pasang")
    assert market.products()[0].title == title
    assert len(title) <= 80


async def test_long_profile_fields_are_cut_at_a_word(market: Transcript) -> None:
    await market.join("Siti")
    area = "RT 03 RW 07 Kelurahan Sukamaju Kecamatan Sukajadi Kota Bandung Jawa Barat Indonesia"
    await market.say("Siti", f"PROFIL AREA {area}")
    member = market.member("Siti")
    assert member is not None
    assert member.area == "RT 03 RW 07 Kelurahan Sukamaju Kecamatan Sukajadi Kota Bandung…"


def test_shorten() -> None:
    assert shorten("Keripik pisang", 80) == "Keripik pisang"
    assert shorten("Keripik pisang camilan keluarga", 27) == "Keripik pisang camilan…"
    assert shorten("Keripik pisang camilan keluarga", 23) == "Keripik pisang camilan…"
    assert shorten("x" * 200, 64) == "x" * 63 + "…"  # one long word: no word to cut at
    assert shorten("Kue, lapis, legit", 12) == "Kue, lapis…"
