"""A seller's own products: PRODUKKU, edits, HABIS / ADA, delete, the limit, other people's."""

from storage.models import ProductStatus
from tests.factories import Transcript


async def test_my_products_lists_and_edits_price_and_description(market: Transcript) -> None:
    await market.join("Siti")
    first = await market.post("Siti", "Keripik pisang 15rb")
    await market.post("Siti", "Rendang 85rb")
    listing = await market.texts("Siti", "PRODUKKU")
    assert f"#{first} Keripik pisang — Rp15.000 — Tayang" in listing[0]
    assert market.buttons("Siti") == [f"#{first + 1} Rendang", f"#{first} Keripik pisang"]

    card = await market.texts("Siti", press="Keripik")
    assert "Ubah harga" in market.buttons("Siti") and "Sudah habis" in market.buttons("Siti")
    assert "Keripik pisang" in card[0]
    await market.press("Siti", "Ubah harga")
    saved = await market.texts("Siti", "Rp17.500")
    assert f"Perubahan #{first} Keripik pisang disimpan" in saved[0]
    assert "Harga: Rp17.500" in saved[1]

    await market.say("Siti", f"/ubahketerangan {first} Renyah, tanpa pengawet")
    await market.say("Siti", f"/ubahharga {first} 16rb")
    await market.join("Budi")
    found = await market.texts("Budi", "CARI pengawet")
    assert "Harga: Rp16.000" in found[1] and "Renyah, tanpa pengawet" in found[1]


async def test_sold_out_and_available_again(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    pid = await market.post("Siti", "Keripik pisang 15rb")
    assert "ditandai habis" in (await market.texts("Siti", f"HABIS {pid}"))[0]
    assert "Belum ada produk" in (await market.texts("Budi", "CARI keripik"))[0]
    assert "memang sudah" in (await market.texts("Siti", f"habis #{pid}"))[0]
    assert "Habis" in (await market.texts("Siti", "PRODUKKU"))[0]
    assert "tampil lagi" in (await market.texts("Siti", f"ADA {pid}"))[0]
    assert "Keripik pisang" in (await market.texts("Budi", "CARI keripik"))[1]
    await market.say("Siti", f"/produkku {pid}")
    assert "ditandai habis" in (await market.texts("Siti", press="Sudah habis"))[0]
    await market.say("Siti", f"/produkku {pid}")
    assert "tampil lagi" in (await market.texts("Siti", press="Ada lagi"))[0]


async def test_delete_asks_first(market: Transcript) -> None:
    await market.join("Siti")
    pid = await market.post("Siti", "Keripik pisang 15rb")
    assert "untuk selamanya?" in (await market.texts("Siti", f"HAPUS {pid}"))[0]
    await market.press("Siti", "Jangan")
    assert market.products()[0].status == ProductStatus.ACTIVE
    await market.say("Siti", f"/hapus {pid}")
    assert "sudah dihapus" in (await market.texts("Siti", press="Ya, hapus"))[0]
    assert market.products() == []


async def test_a_seller_can_never_touch_another_sellers_product(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    pid = await market.post("Siti", "Keripik pisang 15rb")
    for attempt in (
        f"HABIS {pid}",
        f"/habis {pid}",
        f"/ada {pid}",
        f"HAPUS {pid}",
        f"/hapus {pid} ya",
        f"/ubahharga {pid} 1rb",
        f"/ubahketerangan {pid} palsu",
        f"/produkku {pid}",
        f"/masihada {pid}",
    ):
        assert "Produk tidak ditemukan" in (await market.texts("Budi", attempt))[0], attempt
    product = market.products()[0]
    assert (product.status, product.price, product.description) == ("active", 15000, "")


async def test_bad_numbers_get_friendly_replies(market: Transcript) -> None:
    await market.join("Siti")
    assert "Tulis nomor produk yang habis" in (await market.texts("Siti", "/habis"))[0]
    assert "Tulis nomor produk yang habis" in (await market.texts("Siti", "/habis keripik"))[0]
    assert "Produk tidak ditemukan" in (await market.texts("Siti", "/ada 99999"))[0]
    assert "Produk tidak ditemukan" in (await market.texts("Siti", "/hapus 123456789"))[0]
    assert "Tulis nomor produk dan harga" in (await market.texts("Siti", "/ubahharga x 5rb"))[0]
    assert "belum punya produk" in (await market.texts("Siti", "PRODUKKU"))[0]
    assert "Tulis nomor produknya" in (await market.texts("Siti", "PRODUKKU keripik"))[0]


async def test_the_twenty_first_active_product_is_refused_kindly(market: Transcript) -> None:
    await market.join("Siti")
    ids = [await market.post("Siti", f"Kue nomor {n} 10rb") for n in range(20)]
    refused = await market.texts("Siti", "JUAL Kue terakhir 10rb")
    assert "sudah punya 20 produk aktif" in refused[0]
    assert len(market.products()) == 20
    assert "sudah punya 20" in (await market.texts("Siti", "/jual"))[0]

    await market.say("Siti", f"HABIS {ids[0]}")
    await market.post("Siti", "Kue terakhir 10rb")
    assert "sudah punya 20 produk aktif" in (await market.texts("Siti", f"ADA {ids[0]}"))[0]
    assert len([p for p in market.products() if p.status == "active"]) == 20


async def test_odd_numbers_and_bare_words_get_friendly_replies(market: Transcript) -> None:
    await market.join("Siti")
    pid = await market.post("Siti", "Keripik pisang 15rb")
    for text in ("/produkku ²", "/hapus ²", "HABIS", "habis!", "HABIS 99999999999999"):
        reply = await market.texts("Siti", text)
        assert "Tulis nomor produk" in reply[0], text
    assert "Tulis nomor produknya" in (await market.texts("Siti", "/produkku @99999999999999"))[0]
    assert "Tidak ada produk lagi di halaman 3" in (await market.texts("Siti", "PRODUKKU @3"))[0]
    assert "Keripik pisang" in (await market.texts("Siti", press="halaman pertama"))[0]
    assert "sudah dihapus" in (await market.texts("Siti", f"HAPUS {pid} ya"))[0]
    assert market.products() == []


async def test_a_questioned_price_in_one_command_is_answered_in_the_next_message(
    market: Transcript,
) -> None:
    await market.join("Siti")
    pid = await market.post("Siti", "Keripik pisang 15rb")
    assert "Harga Rp0?" in (await market.texts("Siti", f"/ubahharga {pid} 0"))[0]
    assert "Perubahan" in (await market.texts("Siti", "12rb"))[0]
    assert "belum terbaca" in (await market.texts("Siti", f"/ubahharga {pid} murah"))[0]
    assert "Harga: Rp13.000" in (await market.texts("Siti", "13rb"))[1]
    assert market.products()[0].price == 13_000
    assert "belum paham" in (await market.texts("Siti", "14rb"))[0]  # the edit is over
