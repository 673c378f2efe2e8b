"""Posting a product in one message: text after JUAL, or a photo with a caption."""

from storage.models import ProductStatus, Role
from tests.factories import Transcript


async def test_text_post_shows_a_card_and_is_public_only_after_confirming(
    market: Transcript,
) -> None:
    await market.join("Siti")
    card = await market.texts("Siti", "JUAL Keripik pisang coklat 15rb")
    assert "Pratinjau" in card[0]
    assert "#1 Keripik pisang coklat" in card[0]
    assert "Harga: Rp15.000" in card[0]
    assert "Kategori: Kuliner" in card[0]
    assert market.buttons("Siti")[:3] == ["✅ Pasang", "Ubah harga", "Ubah nama"]

    await market.join("Budi")
    assert "Belum ada produk" in (await market.texts("Budi", "CARI keripik"))[0]
    assert market.products()[0].status == ProductStatus.DRAFT

    done = await market.texts("Siti", press="Pasang")
    assert "#1 Keripik pisang coklat sudah tayang" in done[0]
    assert "CARI Keripik" in done[0]
    assert "penjual" in done[1]
    assert market.member("Siti").role == Role.SELLER  # type: ignore[union-attr]

    found = await market.texts("Budi", "cari KERIPIK")
    assert "Keripik pisang coklat" in found[1]
    assert "Harga: Rp15.000" in found[1]


async def test_photo_with_caption_is_a_post_with_the_photo(market: Transcript) -> None:
    await market.join("Siti")
    photo = market.photo()
    card = await market.texts("Siti", "Rendang 500gr Rp85.000, PO tiap Jumat", photo=photo)
    assert "Rendang 500gr" in card[0]
    assert "Harga: Rp85.000" in card[0]
    assert "PO tiap Jumat" in card[0]
    assert market.last("Siti")[0].media == (photo,)
    await market.press("Siti", "Pasang")

    await market.join("Budi")
    await market.say("Budi", "CARI rendang")
    assert market.last("Budi")[1].media == (photo,)


async def test_photo_without_caption_asks_for_name_and_price_and_keeps_the_photo(
    market: Transcript,
) -> None:
    await market.join("Siti")
    photo = market.photo()
    assert "Foto diterima" in (await market.texts("Siti", photo=photo))[0]
    assert "keterangan" in (await market.texts("Siti", "Bolu pandan 45rb"))[0]
    assert "kategori" in (await market.texts("Siti", "Lewati"))[0]
    assert "Kuliner" in market.buttons("Siti")
    card = await market.texts("Siti", press="Kuliner")
    assert "Bolu pandan" in card[0] and "Rp45.000" in card[0]
    assert market.last("Siti")[0].media == (photo,)


async def test_no_price_or_negotiable_price_shows_ask_the_seller(market: Transcript) -> None:
    await market.join("Siti")
    card = await market.texts("Siti", "JUAL Jasa jahit permak celana, harga nego")
    assert "Harga: tanya penjual" in card[0]
    await market.press("Siti", "Batal")
    card = await market.texts("Siti", "JUAL Bolu pandan, DM untuk harga")
    assert "Harga: tanya penjual" in card[0]


async def test_absurd_prices_are_questioned_not_stored(market: Transcript) -> None:
    await market.join("Siti")
    assert "Harga Rp0?" in (await market.texts("Siti", "JUAL Keripik Rp0"))[0]
    assert market.products() == []
    assert "Harga Rp2.000.000.000?" in (await market.texts("Siti", "2 miliar"))[0]
    assert "belum terbaca" in (await market.texts("Siti", "murah kok"))[0]
    card = await market.texts("Siti", "15rb")
    assert "#1 Keripik" in card[0] and "Harga: Rp15.000" in card[0]

    assert (
        "Harga Rp2.000.000.000?" in (await market.texts("Siti", "JUAL Batik Rp 2.000.000.000"))[0]
    )


async def test_overlong_title_and_description_are_cut_with_a_notice(market: Transcript) -> None:
    await market.join("Siti")
    title = "Keripik " + "sangat " * 20 + "renyah"
    replies = await market.texts("Siti", f"JUAL {title} 15rb, " + "enak " * 300)
    assert "saya potong menjadi 80 huruf" in replies[0]
    assert "saya potong menjadi 1000 huruf" in replies[1]
    product = market.products()[0]
    assert len(product.title) <= 80 and len(product.description) <= 1000


async def test_markup_is_stored_and_shown_as_typed(market: Transcript) -> None:
    await market.join("Siti")
    card = await market.texts("Siti", "JUAL <b>Keripik</b> *pedas* 15rb, _enak_ <script>x</script>")
    assert "<b>Keripik</b> *pedas*" in card[0]
    assert "_enak_ <script>x</script>" in card[0]
    assert market.products()[0].title == "<b>Keripik</b> *pedas*"


async def test_editing_a_draft_before_publishing(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "JUAL Keripik pisang 15rb")
    assert "harga baru" in (await market.texts("Siti", press="Ubah harga"))[0]
    assert "Rp18.000" in (await market.texts("Siti", "18rb"))[0]
    await market.press("Siti", "Ubah kategori")
    assert "Kerajinan" in (await market.texts("Siti", press="Kerajinan"))[0]
    await market.press("Siti", "Ubah nama")
    assert "#1 Keripik pisang Bu Siti" in (await market.texts("Siti", "Keripik pisang Bu Siti"))[0]
    await market.press("Siti", "Ubah keterangan")
    assert "Isi 250 gram" in (await market.texts("Siti", "Isi 250 gram"))[0]
    await market.press("Siti", "Ubah foto")
    photo = market.photo()
    await market.say("Siti", photo=photo)
    assert market.last("Siti")[0].media == (photo,)
    await market.press("Siti", "Pasang")
    product = market.products()[0]
    assert (product.price, product.category, product.status) == (18000, "kerajinan", "active")


async def test_cancel_button_deletes_the_draft(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "JUAL Keripik 15rb")
    assert "tidak dipasang" in (await market.texts("Siti", press="Batal"))[0]
    assert market.products() == []


async def test_english_speakers_sell_with_sell(market: Transcript) -> None:
    await market.join("Ann")
    await market.say("Ann", "/bahasa en")
    card = await market.texts("Ann", "SELL Banana chips 15rb")
    assert "Price: Rp15.000" in card[0]
    assert "Preview" in card[0]
    assert "is published" in (await market.texts("Ann", press="Publish"))[0]


async def test_guests_must_join_before_selling(market: Transcript) -> None:
    assert "GABUNG" in (await market.texts("Tamu", "JUAL Keripik 15rb"))[0]


async def test_markup_on_other_lines_and_inside_filler_stays_as_typed(market: Transcript) -> None:
    await market.join("Siti")
    card = await market.texts("Siti", "JUAL <b>jual keripik</b> 15rb\n*Renyah*\n_gurih_")
    product = market.products()[0]
    assert (product.title, product.description) == ("<b> keripik</b>", "*Renyah*\n_gurih_")
    assert "*Renyah*\n_gurih_" in card[0]


async def test_a_bare_zero_price_is_questioned(market: Transcript) -> None:
    await market.join("Siti")
    assert "Harga Rp0?" in (await market.texts("Siti", "JUAL Tahu 0"))[0]
    card = await market.texts("Siti", "5rb")
    assert "#1 Tahu\n" in card[0] and "Harga: Rp5.000" in card[0]


async def test_enormous_numbers_are_questioned_without_crashing(market: Transcript) -> None:
    await market.join("Siti")
    for post in ("JUAL Keripik Rp " + "9" * 400, "JUAL Keripik " + "9" * 40 + "rb"):
        assert "Harga Rp1.000.000.000.000.000?" in (await market.texts("Siti", post))[0]
    assert "Harga Rp1.000.000.000.000.000?" in (await market.texts("Siti", "9" * 5_000))[0]
    assert market.products() == []
    pid = await market.post("Siti", "Keripik 15rb")
    reply = await market.texts("Siti", f"/ubahharga {pid} {'9' * 400}")
    assert "Harga Rp1.000.000.000.000.000?" in reply[0]
    assert market.products()[0].price == 15_000


async def test_the_stored_description_is_what_followed_the_price(market: Transcript) -> None:
    await market.join("Siti")
    for text, description in (
        ("Keripik 15rb {rasa} pedas", "{rasa} pedas"),
        ("Keripik 15rb *promo*", "*promo*"),
        ("Keripik 15rb _x_", "_x_"),
    ):
        card = await market.texts("Siti", f"JUAL {text}")
        assert description in card[0]
        assert market.products()[-1].description == description
        await market.press("Siti", "Pasang")
