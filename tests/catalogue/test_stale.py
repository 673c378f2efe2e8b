"""The daily "masih ada?" job, run the way a moved clock runs it."""

from datetime import datetime, timedelta

from handlers.clock import ManualClock
from jobs.scheduler import build_specs, due_between
from jobs.stale_products import stale_product_jobs
from storage.models import ProductStatus
from storage.products import digest_candidates
from tests.factories import Transcript


async def _run_days(market: Transcript, days: int) -> datetime:
    """Move the clock `days` ahead, running every stale-products fire time passed over."""
    clock = market.core.clock
    assert isinstance(clock, ManualClock)
    start = clock.now()
    clock.advance(timedelta(days=days))
    specs = [s for s in build_specs(market.core.job_env) if s.id.startswith("stale-products:")]
    for when, spec in due_between(specs, start, clock.now()):
        await spec.run(when)
    await market.core.drain()
    return clock.now()


def _digest(market: Transcript) -> list[str]:
    with market.core.open_session() as session:
        return [
            p.title
            for p in digest_candidates(
                session=session,
                community_id=market.community.id or 0,
                now=market.core.clock.now(),
            )
        ]


async def test_untouched_products_are_asked_once_and_left_out_of_digests(
    market: Transcript,
) -> None:
    await market.join("Siti")
    old = await market.post("Siti", "Keripik pisang 15rb")
    await _run_days(market, 20)
    await market.post("Siti", "Rendang 85rb")
    assert _digest(market) == ["Rendang", "Keripik pisang"]

    await _run_days(market, 11)  # the keripik is now 31 days old
    rows = [r for r in market.outbox() if r.idempotency_key.startswith("stale:")]
    assert [r.idempotency_key for r in rows] == [f"stale:{old}:2027-01-06"]
    asked = [t for t in market.delivered("Siti") if "masih ada" in t]
    assert len(asked) == 1 and f"#{old} Keripik pisang (Rp15.000)" in asked[0]
    assert rows[0].payload["buttons"] == [
        ["Masih ada", f"/masihada {old}"],
        ["Sudah habis", f"/habis {old}"],
    ]
    assert _digest(market) == ["Rendang"]
    assert "Keripik pisang" in (await market.texts("Siti", "CARI keripik"))[1]  # still findable

    assert "tetap tampil" in (await market.texts("Siti", payload=f"/masihada {old}"))[0]
    assert _digest(market) == ["Rendang", "Keripik pisang"]


async def test_the_job_is_idempotent_per_fire_time(market: Transcript) -> None:
    await market.join("Siti")
    await market.post("Siti", "Keripik pisang 15rb")
    await _run_days(market, 31)
    specs = stale_product_jobs(market.core.job_env, [market.community])
    fire = due_between(specs, market.core.clock.now() - timedelta(days=1), market.core.clock.now())
    assert len(fire) == 1
    await fire[0][1].run(fire[0][0])
    await fire[0][1].run(fire[0][0])
    assert len([r for r in market.outbox() if r.idempotency_key.startswith("stale:")]) == 1


async def test_sold_out_answer_and_asking_again_after_another_month(market: Transcript) -> None:
    await market.join("Siti")
    first = await market.post("Siti", "Keripik pisang 15rb")
    second = await market.post("Siti", "Rendang 85rb")
    await _run_days(market, 31)
    assert "ditandai habis" in (await market.texts("Siti", payload=f"/habis {first}"))[0]
    assert market.products()[0].status == ProductStatus.SOLD_OUT
    await _run_days(market, 28)
    assert len([r for r in market.outbox() if r.idempotency_key.startswith("stale:")]) == 2
    await _run_days(market, 2)  # no answer about the rendang for 30 days: ask once more
    keys = [r.idempotency_key for r in market.outbox() if r.idempotency_key.startswith("stale:")]
    assert keys[-1].startswith(f"stale:{second}:") and len(keys) == 3
    assert "tetap tampil" in (await market.texts("Siti", f"MASIH ADA {second}"))[0]


async def test_abandoned_drafts_are_forgotten_by_the_daily_run(market: Transcript) -> None:
    await market.join("Siti")
    await market.say("Siti", "JUAL Keripik 15rb")
    await market.say("Siti", "BATAL")
    assert [p.status for p in market.products()] == [ProductStatus.DRAFT]
    await _run_days(market, 2)
    assert market.products() == []


async def test_assisted_sellers_products_are_asked_to_the_coordinator(market: Transcript) -> None:
    await market.join("Rina")
    market.coordinator("Rina")
    await market.say("Rina", "/jualuntuk Bu Minah")
    await market.press("Rina", "Buat anggota")
    await market.press("Rina", "Lewati")
    await market.say("Rina", "Keripik singkong 12rb")
    await market.say("Rina", "lewati")
    await market.say("Rina", "lewati")
    await market.press("Rina", "Kuliner")
    await market.press("Rina", "Pasang")
    await _run_days(market, 31)
    assert any("Keripik singkong" in t for t in market.delivered("Rina"))
