"""`/jual` alone: name, price, description, photo, category, step by step."""

from storage.models import ProductStatus
from tests.factories import Transcript


async def test_guided_flow_asks_each_part_in_turn(market: Transcript) -> None:
    await market.join("Siti")
    assert "nama produknya" in (await market.texts("Siti", "/jual"))[0]
    assert "harganya" in (await market.texts("Siti", "Kue lapis legit"))[0]
    assert "keterangan" in (await market.texts("Siti", "Rp175.000"))[0]
    assert "foto" in (await market.texts("Siti", "1 loyang, pesan H-2"))[0]
    assert "Saran saya: Kuliner" in (await market.texts("Siti", photo=True))[0]
    card = await market.texts("Siti", "kuliner")
    assert "#1 Kue lapis legit" in card[0]
    assert "Harga: Rp175.000" in card[0]
    assert "1 loyang, pesan H-2" in card[0]
    assert market.last("Siti")[0].media
    await market.press("Siti", "Pasang")
    assert market.products()[0].status == ProductStatus.ACTIVE


async def test_guided_flow_skips_and_repeats_unclear_answers(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "JUAL")
    assert "nama produknya" in (await market.texts("Siti", "15rb"))[0]  # a price, no name
    assert "keterangan" in (await market.texts("Siti", "Es teh jumbo"))[0]  # price came earlier
    assert "foto" in (await market.texts("Siti", press="Lewati"))[0]
    assert "menunggu foto" in (await market.texts("Siti", "nanti ya"))[0]
    assert "kategori" in (await market.texts("Siti", "skip"))[0]
    assert "kategori" in (await market.texts("Siti", "elektronik"))[0]
    card = await market.texts("Siti", press="Lainnya")
    assert "Es teh jumbo" in card[0] and "Rp5.000" not in card[0] and "Rp15.000" in card[0]
    assert "Kategori: Lainnya" in card[0]


async def test_guided_flow_questions_a_zero_price(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "/jual")
    await market.say("Siti", "Keripik")
    assert "Harga Rp0?" in (await market.texts("Siti", "0"))[0]
    assert "keterangan" in (await market.texts("Siti", "nego"))[0]
    await market.say("Siti", "lewati")
    await market.say("Siti", "lewati")
    card = await market.texts("Siti", press="Kuliner")
    assert "Harga: tanya penjual" in card[0]


async def test_cancel_at_any_step_leaves_no_visible_product(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    await market.say("Siti", "/jual")
    await market.say("Siti", "Keripik pisang")
    assert "dibatalkan" in (await market.texts("Siti", "BATAL"))[0]
    assert "Maaf, saya belum paham" in (await market.texts("Siti", "15rb"))[0]
    assert market.products() == []

    await market.say("Siti", "JUAL Keripik pisang 15rb")  # a draft exists now
    assert "dibatalkan" in (await market.texts("Siti", "batal"))[0]
    assert "Belum ada produk" in (await market.texts("Budi", "CARI keripik"))[0]
    assert "Katalog masih kosong" in (await market.texts("Budi", "KATALOG"))[0]
    assert "belum punya produk" in (await market.texts("Siti", "PRODUKKU"))[0]

    await market.say("Siti", "JUAL Rendang 85rb")  # starting again forgets the old draft
    assert [p.title for p in market.products()] == ["Rendang"]


async def test_a_restart_in_the_middle_of_the_flow_loses_nothing(market: Transcript) -> None:
    await market.join("Siti")
    photo = market.photo()
    await market.say("Siti", photo=photo)
    await market.say("Siti", "Sambal roa botol 200ml - 35 ribu")

    market.restart()  # a new Core and Router on the same SQLite file

    assert "foto" not in (await market.texts("Siti", "Pedas mantap"))[0].casefold()
    card = await market.texts("Siti", "1")  # the first category button, remembered too
    assert "Sambal roa botol 200ml" in card[0] and "Rp35.000" in card[0]

    market.restart()

    assert "sudah tayang" in (await market.texts("Siti", "1"))[0]
    product = market.products()[0]
    assert (product.photo_media_id, product.status) == (photo, ProductStatus.ACTIVE)


async def test_a_command_in_the_middle_wins_over_the_flow(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "/jual")
    assert "belum punya produk" in (await market.texts("Siti", "/produkku"))[0]
    # not a product word (a single word is now a search): shows the flow no longer reads it
    assert "Maaf, saya belum paham" in (await market.texts("Siti", "Keripik pisang 15rb"))[0]
