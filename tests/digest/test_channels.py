"""One digest per member per week, whatever apps they linked; on WhatsApp outside the
24-hour window, the digest template's teaser first and the full digest with their reply."""

import json
from datetime import timedelta
from typing import Any

from pydantic import SecretStr

from bot.channels.whatsapp_send import WhatsAppSender
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.messages import Channel, payload_to_reply
from jobs.sending import Outbound
from tests.core.test_account import link_code
from tests.digest.conftest import digest_rows, digests, move, to_friday
from tests.factories import Transcript

SITI_WA = "+6281234567890"
WATI_WA = "+6281311112222"


async def test_a_member_linked_on_both_apps_gets_one_digest(market: Transcript) -> None:
    await market.join("100", channel=Channel.TELEGRAM)
    code = await link_code(market, "100")
    await market.say(SITI_WA, f"TAUTKAN {code}", channel=Channel.WHATSAPP)
    await market.join("Budi")
    await market.post("Budi", "Rendang 85rb")

    await to_friday(market, again=True)
    siti = market.member("100", Channel.TELEGRAM)
    assert siti is not None
    rows = [row for row in digest_rows(market) if row.member_id == siti.id]
    # a member row routed to the app it was written for, not pinned to an address
    assert len(rows) == 1 and rows[0].address is None and rows[0].channel == "telegram"
    (digest,) = [d for d in digests(market) if d.member_id == siti.id]
    assert digest.channel == "telegram"  # joined there: Telegram is her chosen app
    sent = [
        o
        for name in ("telegram", "whatsapp")
        for o in market.senders[name].sent
        if o.kind == "digest" and o.address in ("100", SITI_WA)
    ]
    assert len(sent) == 1 and sent[0].address == "100"  # Telegram, though WhatsApp wrote last
    assert "Rendang" in sent[0].reply.text
    assert digest.pending is None  # written for Telegram: no template teaser


async def test_outside_the_whatsapp_window_a_teaser_then_the_digest_on_reply(
    market: Transcript,
) -> None:
    await market.join(WATI_WA, channel=Channel.WHATSAPP)
    await market.join("+6281399998888", channel=Channel.WHATSAPP)
    await market.join("Budi")
    rendang = await market.post("Budi", "Rendang 85rb")
    await move(market, timedelta(days=3, hours=12))  # Thursday evening: Wati writes
    await market.say("+6281399998888", "MENU")

    await to_friday(market)
    rows = {row.member_id: row for row in digest_rows(market)}
    wati = market.member(WATI_WA, Channel.WHATSAPP)
    other = market.member("+6281399998888", Channel.WHATSAPP)
    assert wati is not None and other is not None
    teaser = payload_to_reply(rows[wati.id].payload)  # type: ignore[index]
    assert teaser.text == (
        "📬 Rangkuman mingguan KBA 13 Ulu sudah siap: 1 produk dan acara pilihan untuk Anda. "
        "Balas KATALOG untuk membacanya."
    )
    assert teaser.extra == {"1": "KBA 13 Ulu", "2": "1"}  # the template's variables
    in_window = payload_to_reply(rows[other.id].payload)  # type: ignore[index]
    assert f"#{rendang} Rendang — Rp85.000 · Budi" in in_window.text  # wrote within a day

    replies = await market.say(WATI_WA, "KATALOG")
    assert len(replies) == 1  # the digest answers KATALOG on its own
    assert replies[0].text.startswith("📬 Rangkuman mingguan KBA 13 Ulu")
    assert f"LIHAT {rendang}" in replies[0].text
    (row,) = [d for d in digests(market) if d.member_id == wati.id]
    assert row.pending is None and row.followed_at is not None
    again = await market.text(WATI_WA, "KATALOG")
    assert "Rangkuman" not in again  # sent once; KATALOG is the catalogue again


async def test_any_other_reply_gets_the_digest_before_its_answer(market: Transcript) -> None:
    await market.join(WATI_WA, channel=Channel.WHATSAPP)
    await market.join("Budi")
    await market.post("Budi", "Rendang 85rb")
    await to_friday(market)
    replies = await market.say(WATI_WA, "MENU")
    assert replies[0].text.startswith("📬 Rangkuman mingguan")
    assert len(replies) >= 2  # then the menu she asked for


async def test_the_teaser_goes_as_the_digest_template(
    settings: Settings, clock: ManualClock, market: Transcript
) -> None:
    await market.join(WATI_WA, channel=Channel.WHATSAPP)
    await market.join("Budi")
    await market.post("Budi", "Rendang 85rb")
    await to_friday(market)
    (row,) = [r for r in digest_rows(market) if r.payload["extra"]]
    wa = settings.model_copy(
        update={
            "twilio_account_sid": "AC123",
            "twilio_auth_token": SecretStr("token"),
            "twilio_whatsapp_from": "+14155238886",
            "public_base_url": "https://guyub.example",
            "whatsapp_template_digest": "HXdigest",
        }
    )
    sender = WhatsAppSender(wa, clock)
    created: list[dict[str, Any]] = []

    async def create(address: str, **params: Any) -> str:
        created.append({"to": address, **params})
        return "SM1"

    sender.create = create  # type: ignore[method-assign]
    last_inbound = clock.now() - timedelta(days=4)
    reply = payload_to_reply(row.payload, kind="digest")
    await sender.send(Outbound(WATI_WA, reply, "digest", "id", last_inbound, str(row.id)))
    (sent,) = created
    assert sent["content_sid"] == "HXdigest"
    assert json.loads(sent["content_variables"]) == {"1": "KBA 13 Ulu", "2": "1"}
