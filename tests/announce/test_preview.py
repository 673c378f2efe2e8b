"""The preview: the message as members see it, the audience per app, paid WhatsApp, cost."""

from datetime import timedelta

from handlers.messages import Channel
from storage.models import Role
from tests.announce.conftest import Kampung, wa


async def test_preview_counts_each_app_and_prices_paid_whatsapp(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=2, telegram=3, whatsapp=4)
    kampung.clock.advance(timedelta(hours=30))  # every WhatsApp window has closed ...
    await kampung.say(wa(1), "MENU")  # ... but W1 just wrote

    await kampung.say("Bu RT", "/umumkan Kerja bakti Minggu pagi, bawa cangkul")
    assert kampung.buttons("Bu RT") == ["Semua anggota", "Penjual saja", "Peserta acara (Hadir)"]
    replies = await kampung.say("Bu RT", press="Semua anggota")

    title, shown, numbers = (r.text for r in replies)
    assert "Pratinjau" in title
    assert shown == (
        "📣 Pengumuman KBA 13 Ulu\n\nKerja bakti Minggu pagi, bawa cangkul\n\n"
        "Tidak ingin menerima pesan lagi? Ketik BERHENTI."
    )
    assert numbers.splitlines() == [
        "Penerima: 9 anggota (semua anggota)",
        "Telegram 3 · WhatsApp 4 · lokal 2",
        "WhatsApp di luar jendela 24 jam: 3 (dikirim sebagai template berbayar, "
        "atau dilaporkan perlu template)",
        "Perkiraan biaya WhatsApp: Rp2.400 (Rp800 per template)",  # 3 × the set price
    ]
    assert kampung.buttons("Bu RT") == ["Kirim sekarang", "Jadwalkan", "Batal"]
    assert kampung.outbox() == []  # a preview sends nothing


async def test_both_apps_means_telegram_unless_whatsapp_was_chosen(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(telegram=2)
    kampung.link("T1", "whatsapp", wa(1))  # uses both; contact stays Telegram
    kampung.link("T2", "whatsapp", wa(2))
    kampung.change("T2", contact_channel="whatsapp")  # chose WhatsApp
    await kampung.say("Bu RT", "/umumkan Rapat RT")
    numbers = (await kampung.say("Bu RT", press="Semua"))[-1].text
    assert "Telegram 1 · WhatsApp 1 · lokal 0" in numbers

    await kampung.say("Bu RT", press="Kirim sekarang")
    sent = {o.address: o.kind for o in kampung.senders["telegram"].sent}
    assert sent == {"T1": "broadcast"}
    assert [o.address for o in kampung.senders["whatsapp"].sent] == [wa(2)]


async def test_group_post_is_announced_and_sent_once(kampung: Kampung, group: str) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=1)
    await kampung.say("Bu RT", "/umumkan Posyandu pindah ke balai RW")
    numbers = (await kampung.say("Bu RT", press="Semua"))[-1].text
    assert "Ditambah satu kiriman ke grup Telegram komunitas." in numbers
    await kampung.say("Bu RT", press="Kirim sekarang")
    assert kampung.senders["telegram"].texts_to(group) == [
        "📣 Pengumuman KBA 13 Ulu\n\nPosyandu pindah ke balai RW\n\n"
        "Tidak ingin menerima pesan lagi? Ketik BERHENTI."
    ]
    assert [r.idempotency_key for r in kampung.broadcast_rows()] == [
        "broadcast:1:2",
        "broadcast:1:group",
    ]


async def test_photo_with_the_command_as_caption_goes_along(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=1)
    replies = await kampung.say("Bu RT", "/umumkan Lomba 17-an!", photo=True)
    assert kampung.buttons("Bu RT")[0] == "Semua anggota", replies
    shown = (await kampung.say("Bu RT", press="Semua"))[1]
    assert len(shown.media) == 1
    await kampung.say("Bu RT", press="Kirim sekarang")
    assert kampung.senders["local"].sent[-1].reply.media == shown.media


async def test_guided_asks_text_then_photo_then_audience(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=1)
    assert "Tulis pengumumannya" in await kampung.text("Bu RT", "/umumkan")
    assert "Tambahkan foto?" in await kampung.text("Bu RT", "Arisan Sabtu jam 4 sore")
    assert "Untuk siapa" in await kampung.text("Bu RT", "Lewati")
    replies = await kampung.say("Bu RT", press="Penjual saja")
    assert replies[1].media == ()
    assert "Penerima: 0 anggota (penjual)" in replies[-1].text


async def test_in_english(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    kampung.change("Bu RT", language="en")
    await kampung.people(whatsapp=1)
    kampung.clock.advance(timedelta(days=2))
    await kampung.say("Bu RT", "/announce Clean-up on Sunday")
    replies = await kampung.say("Bu RT", press="All members")
    assert replies[-1].text.splitlines() == [
        "Recipients: 1 member (all members)",
        "Telegram 0 · WhatsApp 1 · local 0",
        "WhatsApp outside the 24-hour window: 1 (sent as a paid template, or reported as "
        "needing one)",
        "Estimated WhatsApp cost: Rp800 (Rp800 per template)",
    ]


async def test_plain_members_and_sellers_cannot_announce(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.people(local=2)
    kampung.set_role("L2", Role.SELLER)
    for who in ("L1", "L2"):
        answer = await kampung.text(who, "/umumkan Diskon besar!")
        assert "koordinator" in answer
    assert kampung.outbox() == []


async def test_a_wrong_answer_asks_again_with_the_buttons(kampung: Kampung) -> None:
    await kampung.coordinator_bu_rt()
    await kampung.say("Bu RT", "/umumkan Rapat", channel=Channel.LOCAL)
    assert "Pilih salah satu" in await kampung.text("Bu RT", "semuanya dong")
    await kampung.say("Bu RT", press="Semua")
    assert "Pilih Kirim sekarang" in await kampung.text("Bu RT", "hmm")
    assert kampung.buttons("Bu RT") == ["Kirim sekarang", "Jadwalkan", "Batal"]
    assert "dibatalkan" in await kampung.text("Bu RT", press="Batal")
    assert kampung.broadcast_rows() == []
