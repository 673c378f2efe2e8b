"""Titip produk end to end: a seller entrusts products to an event, members going carry
them, report what sold after the event, the sellers are told; every refusal."""

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from handlers.clock import ManualClock
from storage.consignments import carries_by_member
from storage.models import Consignment
from tests.events.town import coordinator, create
from tests.factories import Transcript, make_community

AFTER_THE_EVENT = datetime(2026, 12, 10, 5, 0, tzinfo=UTC)  # Thu 10 Dec 12:00 WIB


def consignments(town: Transcript) -> list[Consignment]:
    with town.core.open_session() as session:
        return list(session.exec(select(Consignment).order_by(col(Consignment.id))).all())


async def test_titip_from_request_to_sold(town: Transcript, clock: ManualClock) -> None:
    await coordinator(town)
    for name in ("Siti", "Dewi", "Eko", "Budi"):
        await town.join(name)
    keripik = await town.post("Siti", "Keripik pisang 15rb")
    bolu = await town.post("Dewi", "Bolu pandan 35rb")
    await town.say("Dewi", "LANGUAGE en")
    await create(town, "Posyandu Melati | Kamis 10 Des 08.00 | Balai RW 05")

    # the seller asks: one line, or the card's button and a choice of events
    found = await town.say("Siti", "CARI keripik")
    assert "🧺 Titip ke acara" in town.buttons("Siti"), found
    await town.say("Dewi", "SEARCH keripik")
    assert "🧺 Send to an event" not in town.buttons("Dewi")  # not on someone else's card
    choose = await town.text("Siti", press="Titip ke acara")
    assert "Titip #1 Keripik pisang ke acara mana?" in choose
    assert "#1 Posyandu Melati — Kam 10 Des 08.00 — Balai RW 05" in choose
    saved = await town.text("Siti", press="Posyandu")
    assert "🧺 #1 Keripik pisang dititipkan ke #1 Posyandu Melati" in saved
    assert "BAWA 1" in saved
    again = await town.text("Siti", f"/titip {keripik} acara 1 10")
    assert "sudah dititipkan" in again
    assert "waiting for a carrier" in await town.text("Dewi", f"/consign {bolu} event 1")
    assert [(c.product_id, c.quantity, c.carrier_id) for c in consignments(town)] == [
        (keripik, 10, None),
        (bolu, None, None),
    ]

    # carriers: only those going
    refused = await town.text("Eko", "/bawa 1")
    assert "Hanya anggota yang menjawab Hadir" in refused and "HADIR 1" in refused
    await town.say("Eko", "/mungkin 1")
    assert "Hanya anggota yang menjawab Hadir" in await town.text("Eko", "BAWA 1")
    await town.say("Eko", "/hadir 1")
    listing = await town.text("Eko", "BAWA 1")
    assert "• #1 Keripik pisang — Rp15.000 — dari Siti (10 buah)" in listing
    assert "• #2 Bolu pandan — Rp35.000 — dari Dewi" in listing
    taken = await town.text("Eko", press="Bawa #1")
    assert "Anda membawa 1 titipan ke #1 Posyandu Melati" in taken
    assert f"TERJUAL {keripik} 4" in taken
    assert any(
        "🧺 Eko akan membawa #1 Keripik pisang Anda ke #1 Posyandu Melati" in text
        for text in town.delivered("Siti")
    )
    await town.say("Budi", "/hadir 1")
    assert "sudah dibawa orang lain" in await town.text("Budi", f"/bawa 1 {keripik}")
    assert "sudah Anda bawa" in await town.text("Eko", f"/bawa 1 {keripik}")
    assert "Tidak ada titipan produk #9" in await town.text("Budi", "/bawa 1 9")
    assert "Anda membawa 1 titipan" in await town.text("Budi", "/bawa 1 semua")
    assert any("Budi will bring your #2 Bolu pandan" in t for t in town.delivered("Dewi"))
    assert "Belum ada titipan" in await town.text("Budi", "/bawa 1 semua")
    await town.say("Siti", "/hadir 1")
    assert "produk Anda sendiri" in await town.text("Siti", f"/bawa 1 {keripik}")

    mine = await town.text("Eko", "BAWAAN")
    assert "#1 Posyandu Melati — Kam 10 Des 08.00" in mine
    assert "• #1 Keripik pisang — Rp15.000 — dari Siti (10 buah)" in mine
    assert "Bolu" not in mine
    assert "belum dimulai" in await town.text("Eko", f"/terjual {keripik} 5")

    # after the event
    clock.set(AFTER_THE_EVENT)
    assert "paling banyak 10" in await town.text("Eko", f"/terjual {keripik} 50")
    done = await town.text("Eko", f"TERJUAL {keripik} 5")
    assert "Tercatat: 5 #1 Keripik pisang terjual di #1 Posyandu Melati" in done
    assert any(
        "🎉 Eko melaporkan: 5 #1 Keripik pisang Anda terjual di #1 Posyandu Melati" in text
        for text in town.delivered("Siti")
    )
    await town.say("Budi", f"/terjual {bolu} 0")  # nothing sold is still a carry
    assert any("Budi reports: 0 of your #2 Bolu pandan sold" in t for t in town.delivered("Dewi"))
    assert "✅ 5 terjual" in await town.text("Eko", "/bawaan 1")
    assert "tidak membawa produk #2" in await town.text("Eko", f"/terjual {bolu} 1")
    assert "Tulis nomor produk" in await town.text("Eko", "/terjual lima")

    eko, budi = town.member("Eko"), town.member("Budi")
    assert eko is not None and budi is not None
    with town.core.open_session() as session:
        counts = carries_by_member(
            session=session,
            community_id=town.community.id or 0,
            since=AFTER_THE_EVENT - timedelta(days=7),
            until=AFTER_THE_EVENT + timedelta(days=1),
        )
    assert counts == {eko.id: 1, budi.id: 1}
    board = await town.text("Eko", "/gotongroyong")  # a carry is promotion help
    assert "Eko — 2 poin" in board and "2 per titipan yang dibawa ke acara" in board


async def test_every_refusal_changes_nothing(town: Transcript, clock: ManualClock) -> None:
    await coordinator(town)
    await town.join("Siti")
    await town.join("Dewi")
    keripik = await town.post("Siti", "Keripik pisang 15rb")
    soldout = await town.post("Siti", "Rendang 85rb")
    await town.say("Siti", f"HABIS {soldout}")
    await create(town, "Posyandu Melati | Kamis 10 Des 08.00 | Balai RW 05")
    await create(town, "Bazar | Sabtu 12 Des 09.00 | Lapangan")
    await town.say("Bu RT", "/batalacara 2")
    await town.say("Bu RT", press="Ya, batalkan")
    other = make_community(town.core, name="Desa Lain", invite="LAIN1")
    elsewhere = Transcript(town.core, other)
    await coordinator(elsewhere, "Pak Kades", invite="LAIN1")
    await create(elsewhere, "Bazar Desa | Minggu 13 Des 09.00 | Balai Desa", who="Pak Kades")

    assert "bukan produk Anda" in await town.text("Dewi", f"/titip {keripik} acara 1")
    assert "tidak ditemukan" in await town.text("Siti", "/titip 99 acara 1")
    assert "sedang tidak dijual" in await town.text("Siti", f"/titip {soldout} acara 1")
    assert "Acara tidak ditemukan" in await town.text("Siti", f"/titip {keripik} acara 3")
    assert "tidak punya jadwal yang akan datang" in await town.text(
        "Siti", f"/titip {keripik} acara 2"
    )
    cancelled = await town.text("Siti", f"/titip {keripik} acara 2 202612120200")
    assert "dibatalkan" in cancelled
    assert "bukan jumlah" in await town.text("Siti", f"/titip {keripik} acara 1 banyak")
    assert "Tulis nomor produk" in await town.text("Siti", "/titip")
    await town.say("Siti", "/hadir 1")
    assert "Tidak ada titipan produk #1" in await town.text("Siti", f"/bawa 1 {keripik}")

    clock.set(AFTER_THE_EVENT)
    past = await town.text("Siti", f"/titip {keripik} acara 1 202612100100")
    assert "sudah dimulai atau lewat" in past
    assert "sudah dimulai atau lewat" in await town.text("Dewi", "/bawa 1 202612100100")
    assert consignments(town) == []
