"""The coordinator's report shows blocked members and messages that need a template."""

from handlers.messages import Channel, Reply, reply_to_payload
from jobs.sending import PermanentFailure, SendResult
from storage.db import transaction
from storage.models import Role
from storage.outbox import enqueue
from tests.factories import Transcript


async def test_report_counts_unreachable_and_needs_template(chat: Transcript) -> None:
    await chat.join("Siti")
    await chat.join("42", channel=Channel.TELEGRAM)
    await chat.join("+6281234567890", channel=Channel.WHATSAPP)
    await chat.say("+6281234567890", "BERHENTI", channel=Channel.WHATSAPP)
    chat.set_role("Siti", Role.COORDINATOR)
    chat.senders["telegram"].fail_next(
        PermanentFailure("Forbidden: bot was blocked", "403", unreachable=True)
    )

    async def needs_template(outbound: object) -> SendResult:
        return SendResult(status="needs_template")

    telegram_member = chat.member("42", Channel.TELEGRAM)
    siti = chat.member("Siti")
    assert telegram_member is not None and siti is not None
    with transaction(chat.core.open_session) as session:
        for key, member_id in (("a", telegram_member.id), ("b", siti.id)):
            enqueue(
                session=session,
                community_id=siti.community_id,
                member_id=member_id,
                kind="broadcast",
                idempotency_key=key,
                payload=reply_to_payload(Reply("Posyandu besok")),
                now=chat.core.clock.now(),
            )
    chat.senders["local"].send = needs_template  # type: ignore[method-assign]
    await chat.core.drain()
    await chat.core.drain()

    report = await chat.text("Siti", "LAPORAN")
    assert "Anggota: 3 (koordinator 1)" in report
    assert "Penjual (anggota dengan produk tayang): 0" in report
    assert "Berhenti menerima pesan: 1" in report
    assert "Tidak terjangkau di Telegram (memblokir bot / akun hilang): 1" in report
    assert "Butuh template WhatsApp (di luar jendela 24 jam): 1" in report
    assert "WHATSAPP_TEMPLATE_" in report
    assert "hanya untuk koordinator" in await chat.text("42", "/laporan", channel=Channel.TELEGRAM)
