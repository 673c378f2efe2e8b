"""KATALOG and CARI: what members find, in what order, and how to reach the seller."""

import pytest

from handlers.catalogue.fields import search_words
from handlers.messages import Channel
from storage import search_index
from storage.products import search_products
from tests.factories import Transcript, make_community


async def test_search_ignores_case_and_accents_and_matches_word_starts(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    await market.post("Siti", "Café latte Bandung 25rb")
    await market.post("Siti", "KOPI susu gula aren 18rb")
    for query in ("cafe", "CAFÉ", "Cafe LATTE", "caf", "lat band"):
        assert "Café latte Bandung" in (await market.texts("Budi", f"CARI {query}"))[1], query
    assert "KOPI susu" in (await market.texts("Budi", "cari kopi"))[1]
    assert "KOPI susu" in (await market.texts("Budi", "/cari kopi  ARÉN!"))[1]
    assert "Belum ada produk" in (await market.texts("Budi", "CARI kopi latte"))[0]
    assert "Belum ada produk" in (await market.texts("Budi", "CARI ren"))[0]  # not a word start


async def test_title_matches_come_first_then_newer_products(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    await market.post("Siti", "Rendang sapi 85rb")
    await market.post("Siti", "Nasi box 25rb, lauk rendang dan sayur")
    await market.post("Siti", "Rendang ayam 60rb")
    found = await market.texts("Budi", "CARI rendang")
    titles = [text.splitlines()[0] for text in found[1:]]
    assert titles == ["🛍️ #3 Rendang ayam", "🛍️ #1 Rendang sapi", "🛍️ #2 Nasi box"]
    found = await market.texts("Budi", "CARI rendang sayur")
    assert [t.splitlines()[0] for t in found[1:]] == ["🛍️ #2 Nasi box"]


async def test_typos_find_the_product_below_exact_matches(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    await market.post("Siti", "Keripik pisang 15rb")
    found = await market.texts("Budi", "cari kripik")
    assert found[0] == '🔎 Hasil untuk "kripik" — halaman 1:'
    assert "Keripik pisang" in found[1]
    assert "Keripik pisang" in (await market.texts("Budi", "cari keripk"))[1]
    await market.post("Siti", "Kripik singkong 12rb")
    found = await market.texts("Budi", "cari kripik")
    assert [text.splitlines()[0] for text in found[1:]] == [
        "🛍️ #2 Kripik singkong",
        "🛍️ #1 Keripik pisang",
    ]


async def test_quotes_around_search_words_are_not_doubled(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    await market.post("Siti", "Kopi robusta 45rb")
    assert (await market.texts("Budi", 'cari "kopi"'))[0] == '🔎 Hasil untuk "kopi" — halaman 1:'
    none = await market.texts("Budi", "cari “teh” 'manis'")
    assert none[0].startswith('Belum ada produk yang cocok dengan "teh manis".')


@pytest.mark.usefixtures("no_card_buttons")
async def test_search_pages_five_at_a_time(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    market.community_max(30)
    for number in range(12):
        await market.post("Siti", f"Kue kering rasa {number} 30rb")
    first = await market.texts("Budi", "CARI kue")
    assert "halaman 1" in first[0] and len(first) == 7
    assert market.buttons("Budi") == ["Berikutnya ▶"]
    second = await market.texts("Budi", press="Berikutnya")
    assert "halaman 2" in second[0] and len(second) == 7
    assert market.buttons("Budi") == ["◀ Sebelumnya", "Berikutnya ▶"]
    third = await market.texts("Budi", press="Berikutnya")
    assert len(third) == 4 and "itu saja" in third[-1]
    assert "Kue kering rasa 1\n" in third[1] and "Kue kering rasa 0\n" in third[2]
    assert "halaman 2" in (await market.texts("Budi", press="Sebelumnya"))[0]
    assert "Tidak ada hasil lagi" in (await market.texts("Budi", "/cari @9 kue"))[0]


async def test_empty_or_meaningless_searches_get_help(market: Transcript) -> None:
    await market.join("Budi")
    assert "Ketik kata yang dicari" in (await market.texts("Budi", "CARI"))[0]
    assert "Ketik kata yang dicari" in (await market.texts("Budi", "/cari !!! 🙂"))[0]
    assert "Belum ada produk" in (await market.texts("Budi", "CARI keripik"))[0]


async def test_catalogue_by_category_with_counts_and_pages(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Budi")
    market.community_max(30)
    for number in range(7):
        await market.post("Siti", f"Keripik rasa {number} 15rb")
    await market.post("Siti", "Batik tulis 1,5jt")
    sold = await market.post("Siti", "Mukena katun 1.2 juta")
    await market.say("Siti", f"HABIS {sold}")
    assert "(8 produk)" in (await market.texts("Budi", "KATALOG"))[0]
    assert market.buttons("Budi") == ["Kuliner (7)", "Fashion (1)"]
    page = await market.texts("Budi", press="Kuliner")
    assert "Kuliner — halaman 1" in page[0] and len(page) == 7
    page = await market.texts("Budi", press="Berikutnya")
    assert len(page) == 4 and "Keripik rasa 0" in page[2]
    assert "Batik tulis" in (await market.texts("Budi", "katalog fashion"))[1]
    assert "tidak ada" in (await market.texts("Budi", "KATALOG elektronik"))[0]
    assert "Belum ada produk di kategori Jasa" in (await market.texts("Budi", "/katalog jasa"))[0]


async def test_only_the_members_own_community_is_ever_shown(market: Transcript) -> None:
    await market.join("Siti")
    await market.post("Siti", "Keripik pisang 15rb")
    other = make_community(market.core, name="Kampung Lain", invite="LAIN1")
    await market.join("Ani", invite="LAIN1")
    assert "Belum ada produk" in (await market.texts("Ani", "CARI keripik"))[0]
    assert "masih kosong" in (await market.texts("Ani", "KATALOG"))[0]
    assert "Produk tidak ditemukan" in (await market.texts("Ani", "/produkku 1"))[0]
    assert other.id != market.community.id

    market.coordinator("Ani")  # a coordinator elsewhere reaches nothing here either
    for attempt in ("/sembunyikan 1 spam", "/hapusproduk 1 spam", "/setujui 1", "/tolak 1 x"):
        assert "Produk tidak ditemukan" in (await market.texts("Ani", attempt))[0], attempt
    siti = market.member("Siti")
    assert siti is not None
    assert "Buat anggota baru" in (await market.texts("Ani", f"/jualuntuk #{siti.id}"))[0]
    assert market.products()[0].status == "active"


async def test_cards_show_seller_business_area_and_whatsapp_link(market: Transcript) -> None:
    phone = "+6281234567890"
    await market.join(phone, channel=Channel.WHATSAPP)
    for line in ("PROFIL USAHA Keripik Bu Siti", "PROFIL AREA 13 Ulu"):
        await market.say(phone, line, channel=Channel.WHATSAPP)
    await market.say(phone, "JUAL Keripik pisang 15rb", channel=Channel.WHATSAPP)
    await market.press(phone, "Pasang")
    await market.join("Budi")
    card = (await market.texts("Budi", "CARI keripik"))[1]
    assert "Penjual: Keripik Bu Siti (13 Ulu)" in card
    assert "👍 0 rekomendasi" in card
    assert "Hubungi: https://wa.me/6281234567890" in card

    await market.say(phone, "PROFIL SEMBUNYIKAN", channel=Channel.WHATSAPP)
    card = (await market.texts("Budi", "CARI keripik"))[1]
    assert "wa.me" not in card and "6281234567890" not in card
    assert "lewat koordinator" in card


async def test_cards_link_to_telegram_when_the_seller_prefers_it(market: Transcript) -> None:
    market.usernames["1001"] = "sitikeripik"
    await market.join("1001", channel=Channel.TELEGRAM)
    await market.say("1001", "/jual Keripik pisang 15rb", channel=Channel.TELEGRAM)
    await market.press("1001", "Pasang")
    await market.join("Budi")
    assert "Hubungi: https://t.me/sitikeripik" in (await market.texts("Budi", "CARI keripik"))[1]
    await market.say("1001", "/profil nomor 0812 3456 7890", channel=Channel.TELEGRAM)
    await market.say("1001", "/profil kontak whatsapp", channel=Channel.TELEGRAM)
    assert "wa.me/6281234567890" in (await market.texts("Budi", "CARI keripik"))[1]
    await market.say("1001", "/profil sembunyikan", channel=Channel.TELEGRAM)
    assert "t.me/sitikeripik" in (await market.texts("Budi", "CARI keripik"))[1]


@pytest.mark.parametrize("few", [500, 2], ids=["ranked-in-python", "tier-by-tier"])
async def test_index_and_plain_sql_give_the_same_answers(
    market: Transcript, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_index, "FEW", few)
    await market.join("Siti")
    market.community_max(40)
    texts = [
        "Rendang sapi 85rb",
        "Nasi box 25rb, lauk rendang",
        "Kopi robusta Lampung 45.000",
        "Café Bandung 20rb, kopi dan roti",
        "Keripik pisang coklat 15rb, renyah",
        "Pisang goreng 10rb, keripik juga ada",
        "Sambal roa 35rb",
    ]
    for text in texts * 3:
        await market.post("Siti", text)
    await market.say("Siti", "HABIS 2")
    with market.core.open_session() as session:
        queries = ("rendang", "kopi", "pis ker", "k", "café roti", "zzz", "a", "r s")
        typos = ("rendng", "kripik", "pisang kripik", "kopi robsta", "sambel")
        for query in queries + typos:
            for offset in (0, 3, 10):
                args = {
                    "session": session,
                    "community_id": market.community.id or 0,
                    "words": search_words(query),
                    "limit": 6,
                    "offset": offset,
                }
                indexed = [p.id for p in search_products(**args)]  # type: ignore[arg-type]
                plain = [p.id for p in search_products(**args, use_index=False)]  # type: ignore[arg-type]
                assert indexed == plain, (query, offset)


async def test_paging_past_the_end_and_odd_page_numbers(market: Transcript) -> None:
    await market.join("Siti")
    await market.post("Siti", "Keripik pisang 15rb")
    past = await market.texts("Siti", "KATALOG kuliner @9")
    assert "Tidak ada produk lagi di kategori Kuliner (halaman 9)" in past[0]
    assert market.buttons("Siti") == ["Kuliner (1)"]
    for text in ("KATALOG kuliner 99999999999999999999", "KATALOG kuliner ²"):
        assert "tidak ada" in (await market.texts("Siti", text))[0], text
    assert "Tidak ada hasil lagi" in (await market.texts("Siti", "CARI keripik @999999"))[0]
    for text in ("CARI keripik @99999999999999999999", "CARI keripik @²"):
        assert "Belum ada produk yang cocok" in (await market.texts("Siti", text))[0], text
