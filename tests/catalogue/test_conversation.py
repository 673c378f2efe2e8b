"""Issue 10, the conversation: each quoted case reproduced, with the new behaviour.

Sticky numbered answers, commands over steps, yes/no in every confirm, small talk,
questions that become searches, permintaan, and several "masih ada?" notices at once.
"""

from datetime import timedelta

import pytest

from handlers.clock import ManualClock
from handlers.messages import Channel
from jobs.scheduler import build_specs, due_between
from storage.models import ProductStatus
from tests.factories import Transcript

NOT_UNDERSTOOD = "belum paham"


async def _run_days(market: Transcript, days: int) -> None:
    """Move the clock, running the daily "masih ada?" job and delivering what it queued."""
    clock = market.core.clock
    assert isinstance(clock, ManualClock)
    start = clock.now()
    clock.advance(timedelta(days=days))
    specs = [s for s in build_specs(market.core.job_env) if s.id.startswith("stale-products:")]
    for when, spec in due_between(specs, start, clock.now()):
        await spec.run(when)
    await market.core.drain()


# -- numbered answers are sticky ------------------------------------------------------------


async def test_numbers_keep_mapping_after_an_answer_without_buttons(market: Transcript) -> None:
    """`produkku`, `2`, `1` was "belum paham" (one product: `2` is a wrong answer)."""
    await market.join("Siti")
    await market.post("Siti", "Keripik pisang 15rb")
    assert "#1 Keripik pisang" in (await market.texts("Siti", "produkku"))[0]
    assert NOT_UNDERSTOOD in await market.text("Siti", "2")
    assert "Ubah harga" in await market.text("Siti", "1")  # the product, from the list
    await market.post("Siti", "Rendang 85rb")
    await market.say("Siti", "produkku")
    assert "Keripik pisang" in await market.text("Siti", "2")
    assert "harga baru untuk Keripik pisang" in await market.text("Siti", "1")


@pytest.mark.usefixtures("no_card_buttons")
async def test_the_same_number_twice_in_the_catalogue(market: Transcript) -> None:
    """After `katalog`, `1`, a second `1` was "belum paham"."""
    await market.join("Siti")
    await market.post("Siti", "Keripik pisang 15rb")
    await market.say("Siti", "katalog")
    first = await market.text("Siti", "1")
    assert "Kuliner — halaman 1" in first
    assert await market.text("Siti", "1") == first
    assert NOT_UNDERSTOOD in await market.text("Siti", "apa ini?")  # a wrong answer ...
    assert "Kuliner — halaman 1" in await market.text("Siti", "1")  # ... numbers still work


async def test_numbers_expire_after_a_day(market: Transcript) -> None:
    await market.join("Siti")
    await market.post("Siti", "Keripik pisang 15rb")
    await market.say("Siti", "katalog")
    clock = market.core.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=1, minutes=1))
    assert NOT_UNDERSTOOD in await market.text("Siti", "1")


async def test_a_wrong_phone_is_asked_again_with_skip_and_a_number_answers_it(
    market: Transcript,
) -> None:
    """`/jualuntuk Mbah Sarmi`, `1`, `Rengginang ketan 10rb`, `1` was "1" bukan nomor HP."""
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Rina", "/jualuntuk Mbah Sarmi")
    assert "Nomor HP Mbah Sarmi" in await market.text("Rina", "1")
    again = await market.text("Rina", "Rengginang ketan 10rb")
    assert "bukan nomor HP" in again and "1. Lewati" in again
    replies = await market.texts("Rina", "1")
    assert "atas nama Mbah Sarmi" in replies[0] and "bukan nomor HP" not in replies[0]


async def test_a_command_wins_over_the_phone_step(market: Transcript) -> None:
    """`persetujuan on` and `antrian` in the phone step were read as phone numbers."""
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Rina", "/jualuntuk Mbah Sarmi")
    await market.say("Rina", "1")
    replies = await market.texts("Rina", "persetujuan on")
    assert "bukan nomor HP" not in replies[0] and "Mode persetujuan AKTIF" in replies[0]
    assert "Langkah sebelumnya saya tinggalkan" in replies[-1]
    assert market.community.id is not None
    queue = await market.text("Rina", "antrian")
    assert "bukan nomor HP" not in queue and "Langkah sebelumnya" not in queue


async def test_a_wrong_answer_to_create_asks_again_with_its_buttons(market: Transcript) -> None:
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Rina", "/jualuntuk Mbah Sarmi")
    await market.say("Rina", "hmm")
    assert market.buttons("Rina") == ["Buat anggota", "Batal"]
    assert "Nomor HP Mbah Sarmi" in await market.text("Rina", "iya")


async def test_free_text_steps_keep_command_words_in_the_answer(market: Transcript) -> None:
    """A product named "Cari Rasa" is a name in the name step; `katalog` alone leaves it."""
    await market.join("Siti")
    await market.say("Siti", "JUAL")
    assert "Berapa harganya" in await market.text("Siti", "Cari Rasa sambal")
    await market.say("Siti", "JUAL")
    replies = await market.texts("Siti", "katalog")
    assert "Langkah sebelumnya saya tinggalkan" in replies[-1]


async def test_jual_on_the_review_card_still_posts_the_next_product_for_the_same_seller(
    market: Transcript,
) -> None:
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Rina", "/jualuntuk Bu Minah")
    await market.say("Rina", "1")
    await market.say("Rina", "lewati")
    await market.say("Rina", "Keripik singkong 12rb")
    await market.say("Rina", "lewati")
    await market.say("Rina", "lewati")
    await market.press("Rina", "Kuliner")
    card = await market.text("Rina", "JUAL Rengginang 10rb")
    assert "Penjual: Bu Minah" in card


# -- several "masih ada?" notices -----------------------------------------------------------


async def test_five_notices_at_once_can_each_be_answered(market: Transcript) -> None:
    """Five "masih ada?" notices: `1` answered only the last one, `2` was "belum paham"."""
    await market.join("Siti")
    ids = [await market.post("Siti", f"Kue nomor {n} 10rb") for n in range(1, 6)]
    await _run_days(market, 31)
    asked = [t for t in market.delivered("Siti") if "masih ada" in t]
    assert len(asked) == 5
    assert all(f"HABIS {i}" in text for i, text in zip(ids, asked, strict=True))  # a command each

    gathered = await market.text("Siti", "Sudah habis")  # which one? all of them, listed
    assert "5 pertanyaan" in gathered
    assert f"1. #{ids[0]} Masih ada" in gathered and f"10. #{ids[4]} Sudah habis" in gathered
    assert "tetap tampil" in await market.text("Siti", "1")
    assert "ditandai habis" in await market.text("Siti", "4")  # the second product: sold out
    assert "ditandai habis" in await market.text("Siti", f"HABIS {ids[2]}")
    statuses = {p.id: p.status for p in market.products()}
    assert statuses[ids[1]] == statuses[ids[2]] == ProductStatus.SOLD_OUT
    assert statuses[ids[0]] == ProductStatus.ACTIVE


async def test_one_notice_is_answered_by_its_number(market: Transcript) -> None:
    await market.join("Siti")
    only = await market.post("Siti", "Keripik pisang 15rb")
    await _run_days(market, 31)
    assert "ditandai habis" in await market.text("Siti", "2")
    assert market.products()[0].status == ProductStatus.SOLD_OUT and only


# -- yes and no in every confirm -------------------------------------------------------------


async def test_ya_deletes_after_hapus(market: Transcript) -> None:
    """`hapus 8` then `ya` was "belum paham"."""
    await market.join("Siti")
    product = await market.post("Siti", "Keripik pisang 15rb")
    await market.say("Siti", f"hapus {product}")
    assert "sudah dihapus" in await market.text("Siti", "ya")
    assert market.products() == []


async def test_tidak_keeps_the_product_and_a_late_yes_deletes_nothing(market: Transcript) -> None:
    await market.join("Siti")
    product = await market.post("Siti", "Keripik pisang 15rb")
    await market.say("Siti", f"hapus {product}")
    assert "dihapus" not in await market.text("Siti", "gak")
    await market.say("Siti", f"hapus {product}")
    await market.say("Siti", "halo")
    await market.say("Siti", "ok")  # a yes, but not to the question just asked
    assert len(market.products()) == 1


async def test_yes_erases_after_deletedata(market: Transcript) -> None:
    """`DELETEDATA` then `yes` said "OK, nothing was erased"."""
    await market.join("Sam", language_hint="en")
    assert "erase" in (await market.text("Sam", "DELETEDATA")).casefold()
    assert "nothing was erased" not in await market.text("Sam", "yes")
    assert market.member("Sam") is None


async def test_no_words_keep_data_and_cancel_ends_the_same_way(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "HAPUSDATA")
    kept = await market.text("Siti", "nggak")
    await market.say("Siti", "HAPUSDATA")
    cancelled = await market.text("Siti", "batal")
    assert market.member("Siti") is not None
    assert "dihapus" not in kept.replace("tidak dihapus", "") and "dibatalkan" in cancelled


async def test_join_consent_accepts_iya_and_declines_gak(market: Transcript) -> None:
    await market.say("Budi", "GABUNG KBA13")
    assert "tidak jadi" in (await market.text("Budi", "gak")).casefold() or (
        market.member("Budi") is None
    )
    await market.say("Budi", "GABUNG KBA13")
    await market.say("Budi", "👍")
    assert market.member("Budi") is not None


async def test_review_card_publishes_on_siap(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "JUAL Keripik pisang 15rb")
    assert "tayang" in (await market.text("Siti", "siap")).casefold()
    assert market.products()[0].status == ProductStatus.ACTIVE


# -- small talk --------------------------------------------------------------------------------


async def test_small_talk_gets_a_warm_answer(market: Transcript) -> None:
    """`halo`, `assalamualaikum`, `p`, `pagi min`, `makasih`, `ok`, 👍, 🙏 were "belum paham"."""
    await market.join("Siti")
    for text in ("halo", "p", "pagi min", "Hai kak!"):
        assert "Halo, Siti! 👋" in await market.text("Siti", text), text
    assert "Waalaikumsalam, Siti" in await market.text("Siti", "assalamualaikum")
    for text in ("makasih", "terima kasih", "🙏"):
        assert "Sama-sama, Siti" in await market.text("Siti", text), text
    for text in ("ok", "👍"):
        assert "👍 Siap" in await market.text("Siti", text), text


async def test_small_talk_in_english(market: Transcript) -> None:
    await market.join("Sam", language_hint="en")
    assert "Hello, Sam! 👋" in await market.text("Sam", "hello")
    assert "You're welcome" in await market.text("Sam", "thanks")


async def test_a_guest_is_greeted_and_told_how_to_join(market: Transcript) -> None:
    greeting = await market.text("Tamu", "assalamualaikum")
    assert greeting.startswith("Waalaikumsalam!") and "GABUNG" in greeting
    assert "GABUNG" in await market.text("Tamu", "makasih")


# -- questions become searches -----------------------------------------------------------


async def test_questions_and_product_words_become_searches(market: Transcript) -> None:
    """`ada yang jual bakso?` and `bakso` were "belum paham"."""
    await market.join("Siti")
    await market.post("Siti", "Bakso urat 20rb")
    for text in ("ada yang jual bakso?", "bakso", "mau pesan bakso", "Looking for bakso"):
        found = await market.text("Siti", text)
        assert 'Saya carikan "bakso"' in found and "Bakso urat" in found, text


async def test_a_typo_is_found(market: Transcript) -> None:
    """`cari kripik` found nothing while "Keripik pisang" was listed."""
    await market.join("Siti")
    await market.post("Siti", "Keripik pisang 15rb")
    assert "Keripik pisang" in await market.text("Siti", "cari kripik")
    assert "Keripik pisang" in await market.text("Siti", "ada kripik?")


async def test_nothing_found_offers_katalog_and_a_permintaan(market: Transcript) -> None:
    await market.join("Budi")
    await market.join("Rina")
    market.coordinator("Rina")
    assert "Belum ada permintaan" in await market.text("Rina", "PERMINTAAN")
    missing = await market.text("Budi", "cari tukang jahit")
    assert "KATALOG" in missing and "Kabari penjual" in missing
    assert "Dicatat" in await market.text("Budi", "1")
    assert "sudah dicatat" in (await market.texts("Budi", "/kabaripenjual tukang jahit"))[0]
    await market.say("Rina", "mau pesan tukang jahit")
    await market.say("Rina", "1")
    listing = await market.text("Rina", "PERMINTAAN")
    assert "tukang jahit — 2 orang" in listing
    assert "Permintaan anggota 7 hari terakhir" in await market.text("Rina", "LAPORAN")


async def test_permintaan_is_capped_per_person_per_week(market: Transcript) -> None:
    await market.join("Budi")
    for n in range(5):
        assert "Dicatat" in await market.text("Budi", f"/kabaripenjual barang {n}")
    assert "cukup banyak" in await market.text("Budi", "/kabaripenjual barang lain")
    clock = market.core.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=8))
    assert "Dicatat" in await market.text("Budi", "/kabaripenjual barang lain")


async def test_chatter_numbers_and_flow_answers_are_not_searches(market: Transcript) -> None:
    await market.join("Siti")
    for text in ("hmm oke deh kalau begitu", "wkwk", "12", "apa", "tidak"):
        assert "Saya carikan" not in await market.text("Siti", text), text
    await market.say("Siti", "JUAL")
    assert "Berapa harganya" in await market.text("Siti", "bakso")  # a name, not a search


async def test_search_on_telegram_shows_slash_words(market: Transcript) -> None:
    await market.join("42", channel=Channel.TELEGRAM)
    assert "/katalog" in await market.text("42", "bakso")


async def test_a_number_to_several_notices_lists_them_all(market: Transcript) -> None:
    await market.join("Siti")
    first = await market.post("Siti", "Keripik pisang 15rb")
    second = await market.post("Siti", "Rendang 85rb")
    await _run_days(market, 31)
    gathered = await market.text("Siti", "2")
    assert "2 pertanyaan" in gathered and f"4. #{second} Sudah habis" in gathered
    assert "ditandai habis" in await market.text("Siti", "4")
    assert "tetap tampil" in await market.text("Siti", "1")
    statuses = {p.id: p.status for p in market.products()}
    assert statuses == {first: ProductStatus.ACTIVE, second: ProductStatus.SOLD_OUT}
