"""POST /whatsapp/status: Twilio's delivery reports move outbox rows forward, never back."""

import httpx
import pytest
from sqlmodel import select

from bot.app import Core
from bot.channels.whatsapp import WhatsAppChannel
from handlers.messages import Reply
from storage.db import transaction
from storage.models import Member, OutboxMessage
from tests.fakes.twilio_api import FakeTwilioAPI, SentMessage
from tests.whatsapp.conftest import INTERNAL, NOTICE, SARI, form_post, queue, row


async def report(
    http: httpx.AsyncClient,
    api: FakeTwilioAPI,
    message: SentMessage,
    status: str | None = None,
    error_code: int | None = None,
) -> int:
    """Deliver the signed status callback Twilio would send for `message`."""
    callback = api.status_callback(message, status, error_code)
    path = callback.url.split("guyub.example", 1)[1]
    response = await http.post(path, data=callback.params, headers=callback.headers)
    return response.status_code


@pytest.fixture
async def sent(core: Core, member: Member, api: FakeTwilioAPI) -> tuple[str, SentMessage]:
    """A notice handed to Twilio: its outbox key and what Twilio received."""
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"sent": 1}
    return key, api.messages[0]


async def test_sent_delivered_read(
    http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, sent: tuple[str, SentMessage]
) -> None:
    key, message = sent
    for status in ("sent", "delivered", "read"):
        assert await report(http, api, message, status) == 200
        assert row(core, key).status == status


async def test_statuses_never_go_backwards(
    http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, sent: tuple[str, SentMessage]
) -> None:
    key, message = sent
    await report(http, api, message, "read")  # WhatsApp's reports can overtake each other
    for late in ("delivered", "sent", "failed"):
        assert await report(http, api, message, late) == 200
        assert row(core, key).status == "read"
    assert row(core, key).error_code is None


async def test_failed_with_twilio_error_code(
    http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, sent: tuple[str, SentMessage]
) -> None:
    key, message = sent
    await report(http, api, message, "sent")
    await report(http, api, message, "failed", error_code=30008)
    failed = row(core, key)
    assert failed.status == "failed" and failed.error_code == "30008"


async def test_undelivered_is_a_failure_with_its_code(
    http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, sent: tuple[str, SentMessage]
) -> None:
    key, message = sent
    await report(http, api, message, "undelivered", error_code=63024)
    assert (row(core, key).status, row(core, key).error_code) == ("failed", "63024")


async def test_window_error_by_callback_marks_the_row_needs_template(
    http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, member: Member
) -> None:
    api.outside_window(SARI, mode="callback")  # Twilio accepts, then reports 63016
    key = queue(core, member, Reply(NOTICE))
    await core.drain()
    assert await report(http, api, api.messages[0]) == 200  # failed + ErrorCode 63016
    late = row(core, key)
    assert late.status == "needs_template" and late.error_code == "63016"


async def test_unknown_message_sid_is_accepted_and_ignored(
    http: httpx.AsyncClient,
    api: FakeTwilioAPI,
    core: Core,
    sent: tuple[str, SentMessage],
    channel: WhatsAppChannel,
) -> None:
    key, message = sent
    stranger = SentMessage(
        to=message.to,
        from_=message.from_,
        body="from another app on the same account",
        content_sid=None,
        content_variables=None,
        status_callback=message.status_callback,
        media_url=[],
        messaging_service_sid=None,
        form={},
        sid="SM" + "f" * 32,
    )
    assert await report(http, api, stranger, "delivered") == 200
    assert row(core, key).status == "sent"
    assert not channel.statuses.early  # not kept for later either


async def test_a_report_that_beats_the_delivery_worker_is_applied_later(
    http: httpx.AsyncClient,
    api: FakeTwilioAPI,
    core: Core,
    member: Member,
    sent: tuple[str, SentMessage],
) -> None:
    """The worker records a batch's SIDs after the whole batch went out."""
    key, message = sent
    with transaction(core.open_session) as session:
        early = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        pending = early.one()
        pending.provider_message_id, pending.status = None, "sending"  # not recorded yet
        session.add(pending)
    assert await report(http, api, message, "delivered") == 200
    assert row(core, key).status == "sending"
    with transaction(core.open_session) as session:
        recorded = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        done = recorded.one()
        done.provider_message_id, done.status = message.sid, "sent"  # the worker commits
        session.add(done)
    other = queue(core, member, Reply("Pesan lain"))
    await core.drain()
    await report(http, api, api.messages[-1], "sent")  # any later report applies the early one
    assert row(core, key).status == "delivered"
    assert row(core, other).status == "sent"


async def test_forged_status_callbacks_are_403_and_change_nothing(
    http: httpx.AsyncClient, api: FakeTwilioAPI, core: Core, sent: tuple[str, SentMessage]
) -> None:
    key, message = sent
    callback = api.status_callback(message, "delivered")
    tampered = dict(callback.params, MessageStatus="failed", ErrorCode="21610")
    response = await http.post("/whatsapp/status", data=tampered, headers=callback.headers)
    assert response.status_code == 403
    unsigned = form_post("/whatsapp/status", list(callback.params.items()))
    assert (await http.post(**unsigned)).status_code == 403
    internal = form_post(
        "/whatsapp/status",
        list(callback.params.items()),
        signed_for=f"{INTERNAL}/whatsapp/status",
    )
    assert (await http.post(**internal)).status_code == 403
    assert row(core, key).status == "sent" and row(core, key).error_code is None
