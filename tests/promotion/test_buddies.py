"""Promo buddies through the local channel: opting in, the weekly pairing job, SUDAH,
the Thursday reminder, leaving and erasure, with the clock moved across weeks."""

from collections import Counter
from datetime import timedelta

from sqlmodel import col, select

from handlers.clock import ManualClock
from jobs.scheduler import build_specs, due_between
from storage.db import transaction
from storage.exposure import record_exposure
from storage.models import BuddyAssignment, Exposure, ExposureKind
from tests.factories import Transcript

SELLERS = ["Ani", "Budi", "Citra", "Dewi", "Eko"]
MONDAY_8_WIB = "2026-12-14T01:00:00+00:00"


async def _move(chat: Transcript, delta: timedelta, *, again: bool = False) -> None:
    """Move the clock, running every buddy job that falls due (twice each with `again`)."""
    clock = chat.core.clock
    assert isinstance(clock, ManualClock)
    start = clock.now()
    specs = [s for s in build_specs(chat.core.job_env) if s.id.startswith("buddies")]
    for when, spec in due_between(specs, start, start + delta):
        clock.set(when)
        await spec.run(when)
        if again:
            await spec.run(when)  # a re-run or a catch-up of the same fire time
        await chat.core.drain()
    clock.set(start + delta)
    await chat.core.drain()


async def _sellers(chat: Transcript, names: list[str]) -> dict[str, int]:
    """Members who each post a product and join the buddies; name -> member id."""
    ids = {}
    for name in names:
        member = await chat.join(name)
        await chat.post(name, f"Produk {name} 15rb")
        assert "Anda ikut pasangan promosi" in await chat.text(name, "PASANGAN ikut")
        ids[name] = member.id or 0
    return ids


def _rows(chat: Transcript) -> list[BuddyAssignment]:
    with chat.core.open_session() as session:
        return list(session.exec(select(BuddyAssignment).order_by(col(BuddyAssignment.id))).all())


def _keys(chat: Transcript, start: str) -> list[str]:
    return [r.idempotency_key for r in chat.outbox() if r.idempotency_key.startswith(start)]


async def test_four_weeks_of_five_sellers(chat: Transcript) -> None:
    ids = await _sellers(chat, SELLERS)
    await _move(chat, timedelta(weeks=4), again=True)  # to Monday 4 January, 09:00

    rows = _rows(chat)
    weeks = sorted({row.week for row in rows})
    assert weeks == ["2026-W51", "2026-W52", "2026-W53", "2027-W01"]
    assert rows[0].created_at.isoformat() == MONDAY_8_WIB  # at the buddy time, Monday 08.00
    promoted = Counter((row.member_id, row.partner_id) for row in rows)
    assert max(promoted.values()) == 1  # nobody promotes the same seller twice
    for week in weeks:
        week_rows = [row for row in rows if row.week == week]
        assert sorted(r.member_id or 0 for r in week_rows) == sorted(ids.values())  # nobody out
        assert sorted(r.partner_id or 0 for r in week_rows) == sorted(ids.values())
        assert sorted(Counter(r.group_no for r in week_rows).values()) == [2, 3]
    everyone = {(a, b) for a in ids.values() for b in ids.values() if a != b}
    assert set(promoted) == everyone  # in four weeks, everyone promoted everyone else

    keys = _keys(chat, "buddy:")
    # one message per member per week, re-runs too: the card, then the share text and picture
    assert len(keys) == len(set(keys)) == 3 * 20
    assert len([key for key in keys if key.count(":") == 2]) == 20
    shared = [t for t in chat.delivered("Ani") if "LIHAT p" in t]
    assert len(shared) == 4, chat.delivered("Ani")  # a share text each week, with Ani's link
    for name in SELLERS:
        got = [t for t in chat.delivered(name) if "Pasangan promosi minggu ini" in t]
        assert len(got) == 4, name
        reminders = [t for t in chat.delivered(name) if "Pengingat pasangan promosi" in t]
        assert len(reminders) == 3, name  # Thursdays of the first three weeks, once each
    with chat.core.open_session() as session:
        shown = session.exec(select(Exposure).where(Exposure.kind == ExposureKind.BUDDY)).all()
    assert len(shown) == 20
    assert Counter(e.member_id for e in shown) == dict.fromkeys(ids.values(), 4)


async def test_a_pairing_answered_with_sudah(chat: Transcript) -> None:
    await chat.join("Ani")
    assert "belum ikut" in await chat.text("Ani", "PASANGAN")
    refused = await chat.text("Ani", "PASANGAN ikut")
    assert "produk aktif" in refused and "JUAL" in refused
    assert chat.member("Ani").buddy_since is None  # type: ignore[union-attr]
    assert "Belum ada pasangan promosi" in await chat.text("Ani", "SUDAH")

    ani = await chat.post("Ani", "Keripik pisang 15rb")
    assert "Setiap Senin 08.00" in await chat.text("Ani", "PASANGAN ikut")
    assert "sudah ikut" in await chat.text("Ani", "PASANGAN ikut")
    await chat.join("Budi")
    budi = await chat.post("Budi", "Rendang 85rb")
    await chat.say("Budi", "PASANGAN ikut")
    assert "Pasangan berikutnya dibuat Senin 08.00" in await chat.text("Budi", "SUDAH")

    await _move(chat, timedelta(days=7))
    to_ani, share_text, picture = [o for o in chat.senders["local"].sent if o.address == "Ani"]
    assert f"#{budi} Rendang" in to_ani.reply.text and "balas SUDAH" in to_ani.reply.text
    assert [b.payload for b in to_ani.reply.buttons] == [f"/bagikan {budi}", "/sudah"]
    assert f"LIHAT p{budi}-" in share_text.reply.text and "Rp85.000" in share_text.reply.text
    assert picture.reply.media  # the square share picture
    assert f"#{ani} Keripik pisang" in chat.delivered("Budi")[0]

    status = await chat.text("Budi", "PASANGAN")
    assert f"mempromosikan #{ani} Keripik pisang dari Ani" in status
    assert "Terima kasih sudah mempromosikan produk Ani" in await chat.text("Budi", "SUDAH")
    assert "Budi sudah membagikan produk Anda" in chat.delivered("Ani")[-1]
    assert "Sudah tercatat" in await chat.text("Budi", "sudah")
    assert "sudah membagikan" in await chat.text("Budi", "PASANGAN")

    await _move(chat, timedelta(days=3), again=True)  # Thursday: only Ani is reminded, once
    assert len([t for t in chat.delivered("Ani") if "Pengingat" in t]) == 1
    assert not [t for t in chat.delivered("Budi") if "Pengingat" in t]
    done = {row.member_id: row.done_at for row in _rows(chat)}
    assert done[chat.member("Budi").id] is not None  # type: ignore[union-attr]
    assert done[chat.member("Ani").id] is None  # type: ignore[union-attr]


async def test_english_buddies(chat: Transcript) -> None:
    await chat.join("Ani")
    await chat.post("Ani", "Keripik 15rb")
    await chat.say("Ani", "LANGUAGE en")
    assert "You joined promo buddies" in await chat.text("Ani", "BUDDY join")
    assert "next pairs are made on Monday 08:00" in await chat.text("Ani", "DONE")
    assert "no longer take part" in await chat.text("Ani", "BUDDY stop")
    assert "haven't joined" in await chat.text("Ani", "BUDDY stop")


async def test_one_seller_alone_is_not_paired(chat: Transcript) -> None:
    await _sellers(chat, ["Ani"])
    await _move(chat, timedelta(days=7))
    assert _rows(chat) == []
    assert "Belum ada pasangan promosi" in await chat.text("Ani", "SUDAH")


async def test_leaving_mid_week_tells_the_buddies_who_are_paired_anew(chat: Transcript) -> None:
    ids = await _sellers(chat, ["Ani", "Budi", "Citra"])
    await _move(chat, timedelta(days=7))
    assert len(_rows(chat)) == 3  # a trio

    assert "tidak ikut pasangan promosi lagi" in await chat.text("Ani", "PASANGAN berhenti")
    for name in ("Budi", "Citra"):
        assert "berhenti ikut" in chat.delivered(name)[-1]
        assert "Ani" not in chat.delivered(name)[-1]
    assert all(row.ended_at is not None for row in _rows(chat))
    assert "Belum ada pasangan" in await chat.text("Budi", "SUDAH")

    await _move(chat, timedelta(days=7))
    week = [row for row in _rows(chat) if row.ended_at is None]
    assert {(r.member_id, r.partner_id) for r in week} == {
        (ids["Budi"], ids["Citra"]),
        (ids["Citra"], ids["Budi"]),
    }


async def test_erasing_a_paired_member(chat: Transcript) -> None:
    ids = await _sellers(chat, ["Ani", "Budi", "Citra", "Dewi"])
    await _move(chat, timedelta(days=7))
    ani_group = next(r.group_no for r in _rows(chat) if r.member_id == ids["Ani"])
    buddy = next(
        name
        for name, member_id in ids.items()
        if name != "Ani"
        and any(r.member_id == member_id and r.group_no == ani_group for r in _rows(chat))
    )
    await chat.say("Ani", "HAPUSDATA")
    await chat.say("Ani", "1")
    assert chat.member("Ani") is None
    assert "berhenti ikut" in chat.delivered(buddy)[-1]
    rows = _rows(chat)
    assert ids["Ani"] not in {r.member_id for r in rows} | {r.partner_id for r in rows}
    assert [r.ended_at is not None for r in rows if r.group_no == ani_group] == [True, True]
    assert all(r.ended_at is None for r in rows if r.group_no != ani_group)

    await _move(chat, timedelta(days=7))
    latest = max(r.week for r in _rows(chat))
    paired = {r.member_id for r in _rows(chat) if r.week == latest}
    assert paired == {ids["Budi"], ids["Citra"], ids["Dewi"]}


def _show(chat: Transcript, product_id: int, *, days_ago: int = 0) -> None:
    with transaction(chat.core.open_session) as session:
        record_exposure(
            session=session,
            community_id=chat.community.id or 0,
            product_id=product_id,
            kind=ExposureKind.DIGEST,
            member_id=None,
            at=chat.core.clock.now() - timedelta(days=days_ago),
        )


async def test_the_least_shown_product_is_promoted_then_the_newest(chat: Transcript) -> None:
    await _sellers(chat, ["Ani", "Budi", "Citra", "Dewi"])
    oldest = chat.products()[0].id or 0  # Ani's first product
    sambal = await chat.post("Ani", "Sambal 20rb")
    newest = await chat.post("Ani", "Kerupuk 10rb")
    _show(chat, oldest, days_ago=40)  # too long ago to count
    _show(chat, sambal)
    _show(chat, newest)
    await _move(chat, timedelta(days=7))
    ani = chat.member("Ani")
    assert ani is not None
    (first,) = [r for r in _rows(chat) if r.partner_id == ani.id]
    assert first.product_id == oldest  # never shown in four weeks: first, however old

    _show(chat, oldest)
    _show(chat, oldest)  # now shown the most (with the buddy week): newest of the rest
    await _move(chat, timedelta(days=7))
    (second,) = [r for r in _rows(chat) if r.partner_id == ani.id and r.week != first.week]
    assert second.product_id == newest
