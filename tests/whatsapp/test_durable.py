"""Nothing acknowledged is lost: the inbox row exists before the 200, a failed write is a
5xx, a crash leaves rows that the next start answers once, and a failing reply waits in the
outbox without holding up the person's next message."""

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import col, select

from bot.app import Core, build_core
from bot.channels.whatsapp import EMPTY_TWIML, WhatsAppChannel
from bot.settings import Settings
from handlers.clock import ManualClock
from storage.models import Community, InboxMessage, OutboxMessage, ProcessedInbound
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import SARI, Phone


def inbox(core: Core) -> list[InboxMessage]:
    with core.open_session() as session:
        return list(session.exec(select(InboxMessage).order_by(col(InboxMessage.id))).all())


def replies(core: Core) -> list[OutboxMessage]:
    with core.open_session() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all())


async def test_the_200_comes_after_the_message_is_in_the_inbox(
    sari: Phone, core: Core, channel: WhatsAppChannel, api: FakeTwilioAPI
) -> None:
    await core.inbox.release("whatsapp")  # nobody works on the inbox: only the webhook runs
    response = await sari.post(sari.params("halo", sid="SM" + "a" * 32))
    assert response.status_code == 200 and response.text == EMPTY_TWIML
    [row] = inbox(core)
    assert (row.channel, row.platform_id, row.sender) == ("whatsapp", "SM" + "a" * 32, SARI)
    assert row.done_at is None and row.payload["fields"]["body"] == "halo"
    assert api.messages == []  # nothing was handled before answering


async def test_a_failed_inbox_write_is_a_500_so_twilio_retries(
    sari: Phone, core: Core, channel: WhatsAppChannel, api: FakeTwilioAPI
) -> None:
    params = sari.params("halo")
    with core.engine.begin() as connection:  # the database refuses the write
        connection.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
    assert (await sari.post(params)).status_code == 500
    with core.open_session() as session:
        assert session.exec(select(ProcessedInbound)).all() == []  # rolled back together
    with core.engine.begin() as connection:
        connection.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    assert (await sari.post(params)).status_code == 200  # Twilio's retry
    await channel.idle()
    assert len(api.messages) == 1


async def test_rows_left_by_a_crash_are_answered_once_at_the_next_start(
    settings: Settings,
    clock: ManualClock,
    community: Community,
    sari: Phone,
    core: Core,
    channel: WhatsAppChannel,
    api: FakeTwilioAPI,
) -> None:
    await core.inbox.release("whatsapp")  # the process "dies" after acknowledging
    for text_ in ("GABUNG KBA13", "halo"):
        assert (await sari.post(sari.params(text_))).status_code == 200
    assert [r.done_at for r in inbox(core)] == [None, None]

    restarted = build_core(settings, clock)
    try:
        again = WhatsAppChannel(restarted)
        await again.start()
        await again.idle()
        await again.stop()
    finally:
        restarted.close()
    assert all(r.done_at is not None and r.payload == {} for r in inbox(core))
    assert [len(r) for r in (replies(core), api.messages)] == [2, 2]  # one reply each
    assert "Setuju?" in (api.messages[0].body or "")


async def test_a_failing_reply_waits_in_the_outbox_and_the_next_message_goes_on(
    chat: Transcript,
    sari: Phone,
    core: Core,
    clock: ManualClock,
    api: FakeTwilioAPI,
    community: Community,
) -> None:
    api.fail_next(status=503)
    assert await chat.bodies("Sari", "GABUNG KBA13") == []  # Twilio is down for this one
    [waiting] = replies(core)
    assert waiting.status == "pending" and waiting.attempts == 1
    later = await chat.bodies("Sari", "BAHASA en")  # her next message is not held up
    assert "English" in later[0]
    clock.advance(timedelta(seconds=5))
    await core.drain()  # the delivery worker, once the retry is due
    assert any("Setuju?" in body for body in sari.bodies(api.messages))
    assert {r.status for r in replies(core)} == {"sent"}


async def test_a_done_row_keeps_nothing_of_what_was_said(
    chat: Transcript, core: Core, channel: WhatsAppChannel
) -> None:
    assert len(await chat.bodies("Sari", "halo")) == 1
    [row] = inbox(core)
    assert row.done_at is not None and row.payload == {} and row.sender == ""
