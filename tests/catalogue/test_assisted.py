"""`/jualuntuk NAMA`: a coordinator posts for a seller without a smartphone."""

from sqlmodel import select

from handlers.messages import Channel
from storage.models import Member, Role
from tests.factories import Transcript


async def test_posting_for_a_new_assisted_seller(market: Transcript) -> None:
    await market.join("Rina")
    market.coordinator("Rina")
    assert "Buat anggota baru" in (await market.texts("Rina", "/jualuntuk Bu Minah"))[0]
    assert "Nomor HP Bu Minah" in (await market.texts("Rina", press="Buat anggota"))[0]
    assert "bukan nomor HP" in (await market.texts("Rina", "belum tahu"))[0]
    replies = await market.texts("Rina", "0812 1111 2222")
    assert "atas nama Bu Minah" in replies[0] and "nama produknya" in replies[1]
    await market.say("Rina", "Keripik singkong balado 12rb")
    await market.say("Rina", "lewati")
    await market.say("Rina", photo=True)
    card = await market.texts("Rina", press="Kuliner")
    assert "Penjual: Bu Minah" in card[0]
    assert "https://wa.me/6281211112222" in card[0]
    assert "sudah tayang atas nama Bu Minah" in (await market.texts("Rina", press="Pasang"))[0]

    with market.core.open_session() as session:
        minah = session.exec(select(Member).where(Member.display_name == "Bu Minah")).one()
    product = market.products()[0]
    assert (product.seller_id, product.posted_by_id) == (minah.id, market.member("Rina").id)  # type: ignore[union-attr]
    assert minah.assisted and minah.role == Role.SELLER and minah.phone == "+6281211112222"

    listing = await market.texts("Rina", "PRODUKKU")
    assert "(untuk Bu Minah)" in listing[0]
    assert "ditandai habis" in (await market.texts("Rina", f"HABIS {product.id}"))[0]


async def test_posting_for_an_existing_member_by_name(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Rina")
    market.coordinator("Rina")
    replies = await market.texts("Rina", "/jualuntuk siti")
    assert "atas nama Siti" in replies[0]
    await market.say("Rina", "Pempek kapal selam 50k")
    await market.say("Rina", "isi 5")
    await market.press("Rina", "Lewati")
    await market.press("Rina", "Kuliner")
    await market.press("Rina", "Pasang")
    assert market.products()[0].seller_id == market.member("Siti").id  # type: ignore[union-attr]
    assert "Pempek kapal selam" in (await market.texts("Siti", "PRODUKKU"))[0]


async def test_ambiguous_names_offer_a_choice(market: Transcript) -> None:
    await market.join("Sari")
    await market.join("Sari B")
    await market.say("Sari B", "PROFIL NAMA Sari")
    await market.join("Rina")
    market.coordinator("Rina")
    assert "beberapa anggota" in (await market.texts("Rina", "/jualuntuk Sari"))[0]
    assert len(market.buttons("Rina")) == 2
    assert "atas nama Sari" in (await market.texts("Rina", press="Sari"))[0]


async def test_only_coordinators_post_for_others(market: Transcript) -> None:
    await market.join("Budi")
    assert "hanya untuk koordinator" in (await market.texts("Budi", "/jualuntuk Bu Minah"))[0]
    await market.join("Rina")
    market.coordinator("Rina")
    assert "Tulis nama penjualnya" in (await market.texts("Rina", "/jualuntuk"))[0]


async def test_the_limit_is_checked_again_when_publishing(market: Transcript) -> None:
    await market.join("Siti")
    await market.join("Rina")
    market.coordinator("Rina")
    market.community_max(1)
    await market.say("Siti", "JUAL Keripik 15rb")  # Siti's draft waits for her

    await market.say("Rina", "/jualuntuk Siti")  # meanwhile Rina posts for Siti
    await market.say("Rina", "Rendang 85rb")
    await market.say("Rina", "lewati")
    await market.say("Rina", "lewati")
    await market.press("Rina", "Kuliner")
    await market.press("Rina", "Pasang")

    assert "sudah punya 1 produk aktif" in (await market.texts("Siti", press="Pasang"))[0]
    assert [p.title for p in market.products()] == ["Rendang"]


async def test_namesakes_are_told_apart_and_odd_numbers_are_not_members(market: Transcript) -> None:
    phone = "+6281234567890"
    await market.join("Sari")
    await market.join(phone, channel=Channel.WHATSAPP)
    await market.say(phone, "PROFIL NAMA Sari")
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Rina", "/jualuntuk Sari")
    sari, other = (market.member("Sari"), market.member(phone, Channel.WHATSAPP))
    assert market.buttons("Rina") == [
        f"#{sari.id} Sari",  # type: ignore[union-attr]
        f"#{other.id} Sari (+6281****7890)",  # type: ignore[union-attr]
    ]
    for text in ("/jualuntuk #99999999999999999999", "/jualuntuk #²"):
        assert "Buat anggota baru" in (await market.texts("Rina", text))[0], text
