"""The digest's weekly schedule: per community, at its own day and time in its own zone,
and changed by a coordinator with `/atur digest`."""

from datetime import UTC, datetime, timedelta

from storage.models import Community
from tests.digest.conftest import digests, move
from tests.factories import Transcript, make_community


async def test_each_community_at_friday_nine_in_its_own_zone(market: Transcript) -> None:
    papua = make_community(
        market.core, name="Kampung Harapan", invite="JPR", timezone="Asia/Jayapura"
    )
    for who, invite in (("Ani", "KBA13"), ("Budi", "KBA13"), ("Yosefa", "JPR"), ("Markus", "JPR")):
        await market.join(who, invite=invite)
    await market.post("Ani", "Keripik pisang 15rb")
    await market.post("Yosefa", "Noken rajut 150rb")

    fired = await move(market, timedelta(days=7))  # one ManualClock, both communities
    assert fired == [
        datetime(2026, 12, 11, 0, 0, tzinfo=UTC),  # Friday 09.00 WIT
        datetime(2026, 12, 11, 2, 0, tzinfo=UTC),  # Friday 09.00 WIB
    ]
    made = {(d.community_id, d.created_at) for d in digests(market)}
    assert made == {
        (papua.id, fired[0]),
        (market.community.id, fired[1]),
    }
    (markus,) = [o.reply.text for o in market.senders["local"].sent if o.address == "Markus"]
    assert "Noken rajut" in markus and "Keripik" not in markus  # never another community's


async def test_a_coordinator_moves_the_digest(market: Transcript) -> None:
    await market.join("Bu RT")
    market.coordinator("Bu RT")
    await market.join("Ani")
    await market.post("Ani", "Keripik pisang 15rb")
    overview = await market.text("Bu RT", "ATUR")
    assert "📬 Rangkuman mingguan dikirim setiap: Jumat 09.00" in overview
    assert "tidak saya mengerti" in await market.text("Bu RT", "ATUR digest kapan-kapan")
    saved = await market.text("Bu RT", "ATUR digest Senin 07.30")
    assert saved == "✅ Tersimpan: rangkuman mingguan dikirim setiap Senin 07.30."
    with market.core.open_session() as session:
        community = session.get(Community, market.community.id)
        assert community is not None
        assert (community.digest_weekday, community.digest_time) == (0, "07:30")

    fired = await move(market, timedelta(days=7))
    assert fired == [datetime(2026, 12, 14, 0, 30, tzinfo=UTC)]  # Monday 07.30 WIB
    bu_rt = market.member("Bu RT")
    assert bu_rt is not None
    assert [d.member_id for d in digests(market)] == [bu_rt.id]  # Ani: only her own product
