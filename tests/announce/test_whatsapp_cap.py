"""The daily cap of business-initiated WhatsApp messages (3 in these tests)."""

from datetime import UTC, datetime, timedelta

from tests.announce.conftest import CAP, Kampung, wa


async def test_messages_beyond_the_cap_wait_for_the_next_day(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(whatsapp=6)
    kampung.clock.advance(timedelta(days=2))  # Wednesday 09.00: every window has closed ...
    await kampung.say(wa(6), "MENU")  # ... but W6's: that one is free and not capped

    await kampung.say("Bu RT", "/umumkan Kerja bakti Minggu")
    numbers = (await kampung.say("Bu RT", press="Semua"))[-1].text
    assert "WhatsApp di luar jendela 24 jam: 5" in numbers
    assert f"Batas harian WhatsApp {CAP} pesan: 2 pesan menunggu hari berikutnya." in numbers

    await kampung.say("Bu RT", press="Kirim sekarang")
    sent = [o.address for o in kampung.senders["whatsapp"].sent]
    assert sent == [wa(1), wa(2), wa(3), wa(6)]
    held = [r for r in kampung.broadcast_rows() if r.status == "pending"]
    thursday_8 = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # 08.00 WIB
    assert [r.next_attempt_at for r in held] == [thursday_8, thursday_8]
    told = kampung.delivered("Bu RT")
    assert told == [
        "Batas harian WhatsApp tercapai: 2 pesan pengumuman #1 dikirim Kam 10 Des 08.00 "
        "dan sesudahnya."
    ]

    # a second announcement the same day finds today's cap used up
    await kampung.say("Bu RT", "/umumkan Iuran sampah naik")
    await kampung.say("Bu RT", press="Semua")
    await kampung.say("Bu RT", press="Kirim sekarang")
    assert len(kampung.senders["whatsapp"].sent) == 5  # only W6 (in its window) got it
    assert "5 pesan pengumuman #2" in kampung.delivered("Bu RT")[-1]

    await kampung.minute(60)  # an hour on: the held ones still wait
    assert len(kampung.senders["whatsapp"].sent) == 5
    assert not any("Laporan" in text for text in kampung.delivered("Bu RT"))

    kampung.clock.set(thursday_8)  # next morning: 3 more fit (#1's two, then one of #2)
    await kampung.minute(2)
    assert len(kampung.senders["whatsapp"].sent) == 5 + 3
    assert any(t.startswith("📊 Laporan pengumuman #1") for t in kampung.delivered("Bu RT"))
    assert kampung.delivered("Bu RT").count(told[0]) == 1  # told once

    for day, total in ((1, 5 + 3 + 3), (2, 5 + 3 + 3 + 1)):  # Friday 3, Saturday the last
        kampung.clock.set(thursday_8 + timedelta(days=day))
        await kampung.minute(2)
        assert len(kampung.senders["whatsapp"].sent) == total
    assert kampung.delivered("Bu RT")[-1].startswith("📊 Laporan pengumuman #2")
    addresses = [o.address for o in kampung.senders["whatsapp"].sent]
    assert all(addresses.count(wa(n)) == 2 for n in range(1, 7))
