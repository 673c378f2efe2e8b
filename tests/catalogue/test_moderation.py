"""Coordinators: hide or remove with a reason, approval mode and its queue."""

import pytest

from storage.models import ProductStatus
from tests.factories import Transcript


async def test_hiding_with_a_reason_tells_the_seller(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Rina")
    market.coordinator("Rina")
    pid = await market.post("Siti", "Keripik pisang 15rb")
    done = await market.texts("Rina", f"/sembunyikan {pid} foto kurang jelas")
    assert f"#{pid} Keripik pisang disembunyikan" in done[0]
    notice = market.outbox()[-1]
    assert notice.member_id == market.member("Siti").id  # type: ignore[union-attr]
    assert "Alasan: foto kurang jelas" in str(notice.payload["text"])
    assert any("Alasan: foto kurang jelas" in t for t in market.delivered("Siti"))
    assert "Belum ada produk" in (await market.texts("Rina", "CARI keripik"))[0]
    listing = await market.texts("Siti", f"/produkku {pid}")
    assert "Disembunyikan koordinator" in listing[0] and "foto kurang jelas" in listing[0]
    assert "sedang tidak tayang" in (await market.texts("Siti", f"ADA {pid}"))[0]
    assert "tampil lagi" in (await market.texts("Rina", f"/tampilkanproduk {pid}"))[0]
    assert market.products()[0].status == ProductStatus.ACTIVE


@pytest.mark.usefixtures("no_card_buttons")
async def test_coordinator_buttons_on_cards_ask_for_the_reason(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Rina")
    market.coordinator("Rina")
    pid = await market.post("Siti", "Pulsa murah 10rb")
    await market.say("Rina", "CARI pulsa")
    assert market.buttons("Rina")[-2:] == ["Sembunyikan", "Hapus dari katalog"]  # after 👍
    assert "Apa alasannya" in (await market.texts("Rina", press="Hapus dari katalog"))[0]
    assert "dihapus dari katalog" in (await market.texts("Rina", "bukan produk UMKM"))[0]
    assert market.products()[0].status == ProductStatus.REMOVED
    assert any("bukan produk UMKM" in t for t in market.delivered("Siti"))
    assert "Produk tidak ditemukan" in (await market.texts("Siti", f"/produkku {pid}"))[0]


async def test_members_cannot_moderate(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    pid = await market.post("Siti", "Keripik 15rb")
    assert "hanya untuk koordinator" in (await market.texts("Budi", f"/sembunyikan {pid} jelek"))[0]
    assert "hanya untuk koordinator" in (await market.texts("Budi", "PERSETUJUAN on"))[0]
    assert market.products()[0].status == ProductStatus.ACTIVE


async def test_moderation_bad_input(market: Transcript) -> None:
    await market.join("Rina")
    market.coordinator("Rina")
    assert "Tulis nomor produk dan alasannya" in (await market.texts("Rina", "/sembunyikan"))[0]
    assert "Produk tidak ditemukan" in (await market.texts("Rina", "/hapusproduk 77 spam"))[0]
    assert "PERSETUJUAN on" in (await market.texts("Rina", "PERSETUJUAN mungkin"))[0]


async def test_approval_mode_queues_new_products_for_coordinators(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    await market.join("Rina")
    market.coordinator("Rina")
    assert "AKTIF" in (await market.texts("Rina", "PERSETUJUAN on"))[0]

    await market.say("Siti", "JUAL Keripik pisang 15rb")
    assert "menunggu persetujuan" in (await market.texts("Siti", press="Pasang"))[0]
    assert any("menunggu persetujuan Anda" in t for t in market.delivered("Rina"))
    assert market.outbox()[-1].payload["buttons"][0] == ["Setujui", "/setujui 1"]
    assert "Belum ada produk" in (await market.texts("Budi", "CARI keripik"))[0]

    queue = await market.texts("Rina", "ANTRIAN")
    assert "1 produk menunggu" in queue[0] and "Keripik pisang" in queue[1]
    assert "disetujui dan sudah tayang" in (await market.texts("Rina", press="Setujui"))[0]
    assert any("sudah disetujui" in t for t in market.delivered("Siti"))
    assert "Keripik pisang" in (await market.texts("Budi", "CARI keripik"))[1]

    await market.say("Siti", "JUAL Obat kuat 50rb")
    await market.press("Siti", "Pasang")
    assert "Apa alasannya" in (await market.texts("Rina", "/tolak 2"))[0]
    assert "ditolak" in (await market.texts("Rina", "tidak sesuai aturan komunitas"))[0]
    assert any("tidak sesuai aturan" in t for t in market.delivered("Siti"))
    assert "Tidak ada produk yang menunggu" in (await market.texts("Rina", "ANTRIAN"))[0]

    assert "MATI" in (await market.texts("Rina", "/persetujuan off"))[0]
    await market.say("Siti", "JUAL Rendang 85rb")
    assert "sudah tayang" in (await market.texts("Siti", press="Pasang"))[0]


async def test_coordinators_own_products_skip_approval(market: Transcript) -> None:
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Rina", "PERSETUJUAN on")
    await market.post("Rina", "Madu hutan 150rb")
    assert market.products()[0].status == ProductStatus.ACTIVE


async def test_a_reason_for_a_product_that_changed_meanwhile_names_its_status(
    market: Transcript,
) -> None:
    await market.join("Siti")
    await market.join("Rina")
    await market.join("Dewi")
    market.coordinator("Rina")
    market.coordinator("Dewi")
    await market.say("Rina", "PERSETUJUAN on")
    await market.say("Siti", "JUAL Keripik 15rb")
    pid = market.products()[0].id
    await market.press("Siti", "Pasang")
    assert "Apa alasannya" in (await market.texts("Rina", f"/tolak {pid}"))[0]
    await market.say("Dewi", f"/setujui {pid}")
    late = await market.texts("Rina", "foto kurang jelas")
    assert f"#{pid} Keripik tidak bisa diubah sekarang (Tayang)" in late[0]
