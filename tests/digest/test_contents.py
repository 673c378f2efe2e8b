"""What the weekly digest holds, through the real router and the job: new products first,
then the fair picks and the most recommended, events; never one's own products, nothing
sold out or stale; one DIGEST exposure per product per run; no digest with nothing new."""

from datetime import timedelta

from handlers.messages import Channel
from storage.models import ProductStatus
from tests.digest.conftest import (
    FRIDAY_9_WIB,
    digest_exposures,
    digest_rows,
    digests,
    move,
    sent_digests,
    to_friday,
)
from tests.events.town import create
from tests.factories import Transcript


async def _market(chat: Transcript) -> dict[str, int]:
    """Ani, Budi, Citra sell, Dewi only reads; returns product ids by name."""
    for name in ("Ani", "Budi", "Citra", "Dewi"):
        await chat.join(name)
    ids = {
        "keripik": await chat.post("Ani", "Keripik pisang 15rb"),
        "rendang": await chat.post("Budi", "Rendang 85rb"),
        "bolu": await chat.post("Citra", "Bolu pandan 35rb"),
    }
    await move(chat, timedelta(hours=1))
    ids["sambal"] = await chat.post("Budi", "Sambal roa 25rb")
    now = chat.core.clock.now()
    chat.update(ids["keripik"], status=ProductStatus.SOLD_OUT)
    chat.update(ids["bolu"], last_confirmed_at=now - timedelta(days=31))  # "masih ada?"
    return ids


async def test_first_digest_new_products_newest_first_without_own_sold_out_or_stale(
    market: Transcript,
) -> None:
    ids = await _market(market)
    fired = await to_friday(market)
    assert fired == [FRIDAY_9_WIB]

    (dewi,) = sent_digests(market, "Dewi")
    lines = dewi.splitlines()
    assert lines[0] == "📬 Rangkuman mingguan KBA 13 Ulu"
    new = lines.index("🆕 Produk baru:")
    assert lines[new + 1] == f"#{ids['sambal']} Sambal roa — Rp25.000 · Budi"
    assert lines[new + 2] == f"#{ids['rendang']} Rendang — Rp85.000 · Budi"
    assert "Keripik" not in dewi and "Bolu" not in dewi  # sold out; waiting for "masih ada?"
    assert f"Ketik LIHAT {ids['sambal']} untuk melihat produk." in dewi
    assert lines[-1] == "Tidak ingin menerima pesan dari Guyub lagi? Ketik BERHENTI."

    (ani,) = sent_digests(market, "Ani")
    assert f"#{ids['sambal']} Sambal roa" in ani
    assert sent_digests(market, "Budi") == []  # only his own products are new: nothing new
    assert {row.member_id for row in digests(market)} == {
        market.member(n).id  # type: ignore[union-attr]
        for n in ("Ani", "Citra", "Dewi")
    }
    card = await market.text("Dewi", f"LIHAT {ids['sambal']}")
    assert "Sambal roa" in card and "Rp25.000" in card


async def test_second_week_new_then_fair_picks_then_most_recommended(market: Transcript) -> None:
    ids = await _market(market)
    await to_friday(market)
    assert len(digest_exposures(market)) == 2  # Sambal roa and Rendang, once each
    assert {e.member_id for e in digest_exposures(market)} == {None}

    await market.join("Eko")
    await move(market, timedelta(days=2))
    ids["tempe"] = await market.post("Eko", "Keripik tempe 12rb")
    ids["kopi"] = await market.post("Eko", "Kopi robusta 40rb")
    await market.say("Dewi", f"REKOMENDASI {ids['rendang']}")
    await market.say("Dewi", "Lewati")
    await to_friday(market)

    dewi = sent_digests(market, "Dewi")[-1]
    lines = dewi.splitlines()
    new = lines.index("🆕 Produk baru:")
    assert lines[new + 1 : new + 3] == [
        f"#{ids['kopi']} Kopi robusta — Rp40.000 · Eko",
        f"#{ids['tempe']} Keripik tempe — Rp12.000 · Eko",
    ]
    picks = lines.index("🛍️ Pilihan minggu ini:")
    # the fair ranking (both shown once last week: the newer first), the most recommended last
    assert lines[picks + 1 :][:2] == [
        f"#{ids['sambal']} Sambal roa — Rp25.000 · Budi",
        f"#{ids['rendang']} Rendang — Rp85.000 · Budi · 👍1",
    ]
    budi = sent_digests(market, "Budi")[-1]
    assert "Kopi robusta" in budi
    assert "Sambal" not in budi and "Rendang" not in budi  # never one's own products
    assert sent_digests(market, "Eko") == []  # only his own products are new this week
    # one ledger row per product per run, whoever many members saw it
    rows = digest_exposures(market)
    assert len(rows) == 2 + 4
    assert len({(e.product_id, e.at) for e in rows}) == len(rows)


async def test_rerun_sends_nothing_twice_and_nothing_new_means_no_digest(
    market: Transcript,
) -> None:
    await _market(market)
    await to_friday(market, again=True)  # every fire time run twice
    keys = [row.idempotency_key for row in digest_rows(market)]
    assert len(keys) == len(set(keys)) == 3
    assert all(key.startswith("digest:2026-W50:") for key in keys)
    assert len(sent_digests(market, "Dewi")) == 1
    assert len(digest_exposures(market)) == 2

    await to_friday(market)  # a week without a new product or event
    assert len(digest_rows(market)) == 3

    await market.join("Bu RT")
    market.coordinator("Bu RT")
    await create(market, "Posyandu Melati | Rabu 6 Januari 2027 jam 08.00 | Balai RW 05")
    await to_friday(market)  # nothing new to buy, but an event ahead: a digest with it
    dewi = sent_digests(market, "Dewi")[-1]
    assert "📅 Acara 14 hari ke depan:" in dewi
    assert "Rab 6 Jan 08.00 · Posyandu Melati · Balai RW 05" in dewi
    assert len(sent_digests(market, "Dewi")) == 2

    await to_friday(market)  # the same event was in the last digest: nothing new again
    assert len(sent_digests(market, "Dewi")) == 2


async def test_english_on_telegram(market: Transcript) -> None:
    await market.join("Ani")
    await market.join("77", channel=Channel.TELEGRAM, language_hint="en")
    await market.say("77", "/bahasa en")
    product = await market.post("Ani", "Keripik pisang 15rb")
    await to_friday(market)
    (text,) = sent_digests(market, "77", "telegram")
    assert text.startswith("📬 Weekly digest of KBA 13 Ulu")
    assert f"Type /view {product} to open a product." in text
    assert text.endswith("Type /stop.")
