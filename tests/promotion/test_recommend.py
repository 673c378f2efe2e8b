"""Recommend (*rekomendasi*): the 👍 button and command, testimonials, caps, refusals,
coordinators removing a testimonial, the daily seller notice and erasure."""

from datetime import datetime, timedelta

from sqlmodel import col, select

from handlers.clock import ManualClock
from jobs.recommendation_notices import recommendation_notice_jobs
from jobs.scheduler import build_specs, due_between
from storage.db import transaction
from storage.models import Community, ProductStatus, Recommendation
from tests.factories import Transcript, make_community


def _rows(market: Transcript) -> list[Recommendation]:
    with market.core.open_session() as session:
        query = select(Recommendation).order_by(col(Recommendation.id))
        return list(session.exec(query).all())


async def _card(market: Transcript, who: str, words: str) -> str:
    """The first product card `who` finds for `words`."""
    cards = await market.texts(who, f"CARI {words}")
    return next(text for text in cards if "🛍️" in text)


async def _shop(market: Transcript) -> int:
    """Siti sells keripik; Dewi and Budi are members. The keripik's id."""
    await market.join("Siti")
    product = await market.post("Siti", "Keripik pisang 15rb")
    await market.join("Dewi")
    await market.join("Budi")
    return product


async def test_the_card_button_recommends_and_the_testimonial_shows_on_the_card(
    market: Transcript,
) -> None:
    product = await _shop(market)
    await _card(market, "Dewi", "keripik")
    assert market.button("Dewi", "Rekomendasikan").payload == f"/rekomendasi {product}"

    [done] = await market.press("Dewi", "Rekomendasikan")
    assert f"Anda merekomendasikan #{product} Keripik pisang" in done.text
    assert "maks. 200 huruf" in done.text and [b.label for b in done.buttons] == ["Lewati"]
    [saved] = await market.say("Dewi", "Enak banget! <b>renyah</b> & gurih")
    assert '💬 "Enak banget! <b>renyah</b> & gurih"' in saved.text

    card = await _card(market, "Budi", "keripik")
    assert "👍 1 rekomendasi" in card
    assert '💬 "Enak banget! <b>renyah</b> & gurih" — Dewi' in card  # as typed, markup too
    assert "Rekomendasikan" in " ".join(market.buttons("Budi"))
    await _card(market, "Dewi", "keripik")  # recommended already: no button any more
    assert not any("Rekomendasikan" in label for label in market.buttons("Dewi"))
    await _card(market, "Siti", "keripik")  # her own product: no button
    assert not any("Rekomendasikan" in label for label in market.buttons("Siti"))

    [row] = _rows(market)
    assert (row.product_id, row.testimonial) == (product, "Enak banget! <b>renyah</b> & gurih")
    assert row.member_id == (market.member("Dewi") or None).id  # type: ignore[union-attr]


async def test_the_testimonial_is_skipped_by_button_or_a_typed_word(market: Transcript) -> None:
    first = await _shop(market)
    second = await market.post("Siti", "Rendang 85rb")
    await market.say("Dewi", f"REKOMENDASI {first}")
    assert "tetap tercatat" in (await market.texts("Dewi", press="Lewati"))[0]
    await market.say("Dewi", f"/rekomendasi #{second}")
    assert "tetap tercatat" in (await market.texts("Dewi", "lewati"))[0]
    assert [(r.product_id, r.testimonial) for r in _rows(market)] == [
        (first, None),
        (second, None),
    ]
    card = await _card(market, "Budi", "keripik")
    assert "👍 1 rekomendasi" in card and "💬" not in card


async def test_a_testimonial_over_200_characters_is_asked_again(market: Transcript) -> None:
    product = await _shop(market)
    await market.say("Dewi", f"REKOMENDASI {product}")
    [again] = await market.say("Dewi", "a" * 201)
    assert "201 huruf, maksimal 200" in again.text
    assert [b.label for b in again.buttons] == ["Lewati"]
    assert _rows(market)[0].testimonial is None
    [saved] = await market.say("Dewi", "b" * 200)
    assert "tersimpan" in saved.text
    assert _rows(market)[0].testimonial == "b" * 200


async def test_every_refusal_is_friendly_and_changes_nothing(market: Transcript) -> None:
    product = await _shop(market)
    sold = await market.post("Siti", "Rendang 85rb")
    hidden = await market.post("Siti", "Bolu 40rb")
    removed = await market.post("Siti", "Pempek 50rb")
    market.update(sold, status=ProductStatus.SOLD_OUT)
    market.update(hidden, status=ProductStatus.HIDDEN)
    market.update(removed, status=ProductStatus.REMOVED)
    await market.say("Siti", "JUAL Kemplang 20rb")
    await market.say("Siti", "BATAL")
    draft = market.products()[-1]
    assert draft.status == ProductStatus.DRAFT

    other = make_community(market.core, name="Alumni SMA 2", invite="ALUMNI2")
    foreign = Transcript(market.core, other)
    await foreign.join("Tono", invite="ALUMNI2")
    theirs = await foreign.post("Tono", "Batik tulis 250rb")

    await market.say("Dewi", f"REKOMENDASI {product}")
    await market.say("Dewi", "lewati")
    before = len(_rows(market))

    async def answer(who: str, text: str) -> str:
        [reply] = await market.texts(who, text)
        return reply

    assert "produk Anda sendiri" in await answer("Siti", f"REKOMENDASI {product}")
    assert "sudah merekomendasikan" in await answer("Dewi", f"REKOMENDASI {product}")
    assert "sedang habis" in await answer("Dewi", f"REKOMENDASI {sold}")
    assert "tidak tampil di katalog" in await answer("Dewi", f"REKOMENDASI {hidden}")
    assert "tidak tampil di katalog" in await answer("Dewi", f"REKOMENDASI {removed}")
    assert f"Produk #{draft.id} tidak ada" in await answer("Dewi", f"REKOMENDASI {draft.id}")
    assert f"Produk #{theirs} tidak ada" in await answer("Dewi", f"REKOMENDASI {theirs}")
    assert "Produk #999 tidak ada" in await answer("Dewi", "REKOMENDASI 999")
    assert "Contoh: REKOMENDASI 12" in await answer("Dewi", "REKOMENDASI")
    assert "Contoh: REKOMENDASI 12" in await answer("Dewi", "REKOMENDASI abc")
    assert "Contoh: REKOMENDASI 12" in await answer("Dewi", "/rekomendasi 99999999999999")
    assert "hanya untuk koordinator" in await answer("Dewi", f"/hapusulasan {product}")
    assert len(_rows(market)) == before
    assert market.outbox() == []  # nobody was told anything


async def test_the_eleventh_recommendation_of_the_day_waits_for_tomorrow(
    market: Transcript,
) -> None:
    await market.join("Siti")
    market.community_max(20)
    products = [await market.post("Siti", f"Kue nomor {n} 10rb") for n in range(11)]
    await market.join("Dewi")
    for product in products[:10]:  # typed one after another, no testimonial in between
        [done] = await market.texts("Dewi", f"REKOMENDASI {product}")
        assert "Terima kasih" in done
    [refused] = await market.texts("Dewi", f"REKOMENDASI {products[10]}")
    assert "sudah memberi 10 rekomendasi hari ini" in refused
    assert len(_rows(market)) == 10

    clock = market.core.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=15))  # Tuesday 00:00 WIB: a new local day
    [done] = await market.texts("Dewi", f"REKOMENDASI {products[10]}")
    assert "Terima kasih" in done and len(_rows(market)) == 11


async def test_the_cap_is_the_communitys_setting(market: Transcript) -> None:
    first = await _shop(market)
    second = await market.post("Siti", "Rendang 85rb")
    with transaction(market.core.open_session) as session:
        community = session.get(Community, market.community.id)
        assert community is not None
        community.recommendations_per_day = 1
        session.add(community)
    await market.say("Dewi", f"REKOMENDASI {first}")
    refused, _left = await market.texts("Dewi", f"/rekomendasi {second}")  # leaves the step
    assert "sudah memberi 1 rekomendasi hari ini" in refused
    assert len(_rows(market)) == 1


async def test_a_coordinator_removes_a_testimonial_and_the_seller_is_not_told(
    market: Transcript,
) -> None:
    product = await _shop(market)
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Dewi", f"REKOMENDASI {product}")
    await market.say("Dewi", "Enak banget!")
    await market.say("Budi", f"REKOMENDASI {product}")
    await market.say("Budi", "Beli di tempat lain saja")

    [listing] = await market.say("Rina", f"/hapusulasan {product}")
    assert '1. 💬 "Enak banget!" — Dewi' in listing.text
    assert '2. 💬 "Beli di tempat lain saja" — Budi' in listing.text
    budi_row = _rows(market)[1]
    assert [b.payload for b in listing.buttons][1] == f"/hapusulasan {product} u{budi_row.id}"

    [removed] = await market.say("Rina", press="Hapus ulasan 2")
    assert "Ulasan dari Budi" in removed.text and "sudah dihapus" in removed.text
    assert _rows(market)[1].testimonial_removed_at == market.core.clock.now()
    assert any("dihapus oleh koordinator" in t for t in market.delivered("Budi"))
    assert not any("dihapus" in t or "Rina" in t for t in market.delivered("Siti"))

    card = await _card(market, "Budi", "keripik")
    assert "👍 2 rekomendasi" in card  # still counted
    assert '"Enak banget!" — Dewi' in card and "tempat lain" not in card

    again = await market.texts("Rina", f"/hapusulasan {product} u{budi_row.id}")
    assert "sudah dihapus atau tidak ada" in again[0] and "Budi" not in again[1]
    assert "Contoh: /hapusulasan 12" in (await market.texts("Rina", "/hapusulasan"))[0]
    assert "Produk #999 tidak ada" in (await market.texts("Rina", "/hapusulasan 999"))[0]


async def test_english_speakers_recommend_and_remove_reviews_in_english(
    market: Transcript,
) -> None:
    product = await _shop(market)
    await market.join("Sam", language_hint="en")
    market.coordinator("Sam")
    [done] = await market.say("Sam", f"RECOMMEND {product}")
    assert "Thank you! You recommend" in done.text and done.buttons[0].label == "Skip"
    assert "Your review has 201 characters" in (await market.texts("Sam", "x" * 201))[0]
    await market.say("Sam", "Crunchy!")
    [listing] = await market.say("Sam", f"/removereview {product}")
    assert '1. 💬 "Crunchy!" — Sam' in listing.text
    assert "You already recommend" in (await market.texts("Sam", f"/recommend {product}"))[0]
    assert "E.g. RECOMMEND 12" in (await market.texts("Sam", "RECOMMEND abc"))[0]


async def _evening(market: Transcript, days: float) -> datetime:
    """Move the clock ahead, running every recommendation notice passed over."""
    clock = market.core.clock
    assert isinstance(clock, ManualClock)
    start = clock.now()
    clock.advance(timedelta(days=days))
    specs = [s for s in build_specs(market.core.job_env) if s.id.startswith("recommendation-")]
    for when, spec in due_between(specs, start, clock.now()):
        await spec.run(when)
    await market.core.drain()
    return clock.now()


def _notices(market: Transcript) -> list[str]:
    return [t for t in market.delivered("Siti") if "Kabar baik" in t]


async def test_the_seller_gets_one_notice_a_day_gathering_new_recommendations(
    market: Transcript,
) -> None:
    product = await _shop(market)
    await market.join("Rina")
    for who in ("Dewi", "Budi", "Rina"):
        await market.say(who, f"REKOMENDASI {product}")
        await market.say(who, "Mantap")

    await _evening(market, 0.5)  # Monday 21:00 WIB: the 19:00 run has passed
    [notice] = _notices(market)
    assert "3 anggota merekomendasikan #1 Keripik pisang" in notice
    assert not any(name in notice for name in ("Dewi", "Budi", "Rina"))
    siti = market.member("Siti")
    assert siti is not None
    keys = [r.idempotency_key for r in market.outbox() if r.idempotency_key.startswith("recom")]
    assert keys == [f"recommend:{siti.id}:2026-12-07"]
    assert all(r.seller_notified_at is not None for r in _rows(market))

    await _evening(market, 1)  # Tuesday: nothing new, nothing sent
    assert len(_notices(market)) == 1

    await market.join("Joko")
    await market.say("Joko", f"REKOMENDASI {product}")
    await _evening(market, 1)  # Wednesday: one new recommendation
    assert len(_notices(market)) == 2
    assert "1 anggota merekomendasikan #1 Keripik pisang" in _notices(market)[1]


async def test_the_notice_job_is_idempotent_per_fire_time(market: Transcript) -> None:
    product = await _shop(market)
    await market.say("Dewi", f"REKOMENDASI {product}")
    clock = market.core.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=12))
    specs = recommendation_notice_jobs(market.core.job_env, [market.community])
    [(when, spec)] = due_between(specs, clock.now() - timedelta(days=1), clock.now())
    await spec.run(when)
    await market.say("Budi", f"REKOMENDASI {product}")  # after the run, same local day
    await spec.run(when)
    await spec.run(when + timedelta(minutes=5))
    await market.core.drain()
    assert len(_notices(market)) == 1
    assert _rows(market)[1].seller_notified_at is None  # waits for tomorrow's notice


async def test_erasing_a_member_keeps_the_count_and_removes_their_name(
    market: Transcript,
) -> None:
    product = await _shop(market)
    await market.say("Dewi", f"REKOMENDASI {product}")
    await market.say("Dewi", "Enak banget!")
    await market.say("Dewi", "HAPUSDATA")
    assert "sudah dihapus" in await market.text("Dewi", "1")
    assert market.member("Dewi") is None

    card = await _card(market, "Budi", "keripik")
    assert "👍 1 rekomendasi" in card
    assert '"Enak banget!" — anggota' in card and "Dewi" not in card
    [row] = _rows(market)
    assert row.member_id is None
