"""The outbox worker: opt-out at send time, retries, unreachable addresses, idempotency."""

from datetime import timedelta

from sqlmodel import select

from handlers.clock import ManualClock
from handlers.messages import Button, Channel, Reply, reply_to_payload
from jobs.delivery import DeliveryWorker
from jobs.sending import PermanentFailure, RetryLater
from storage.communities import LINK_CODE_ALPHABET
from storage.db import transaction
from storage.models import ChannelIdentity, Community, OutboxMessage, OutboxStatus
from storage.outbox import enqueue
from tests.factories import Transcript


def queue_notice(
    chat: Transcript,
    who: str,
    key: str,
    text: str = "Info posyandu",
    channel: Channel = Channel.LOCAL,
) -> None:
    member = chat.member(who, channel)
    assert member is not None
    with transaction(chat.core.open_session) as session:
        enqueue(
            session=session,
            community_id=member.community_id,
            member_id=member.id,
            kind="broadcast",
            idempotency_key=key,
            payload=reply_to_payload(Reply(text)),
            now=chat.core.clock.now(),
        )


def statuses(chat: Transcript) -> dict[str, str]:
    with chat.core.open_session() as session:
        return {
            r.idempotency_key: r.status
            for r in session.exec(select(OutboxMessage).where(OutboxMessage.kind != "reply")).all()
        }


async def test_opt_out_is_checked_at_send_time(chat: Transcript) -> None:
    await chat.join("Siti")
    queue_notice(chat, "Siti", "b1")  # queued while still opted in
    await chat.say("Siti", "BERHENTI")  # the drain after this message sees the opt-out
    assert statuses(chat)["b1"] == OutboxStatus.SKIPPED
    assert "Info posyandu" not in chat.delivered("Siti")
    await chat.say("Siti", "MULAI")
    queue_notice(chat, "Siti", "b2")
    await chat.core.drain()
    assert chat.delivered("Siti") == ["Info posyandu"]


async def test_a_key_is_sent_once_even_if_queued_twice(chat: Transcript) -> None:
    await chat.join("Siti")
    queue_notice(chat, "Siti", "digest:2026-W50")
    queue_notice(chat, "Siti", "digest:2026-W50")
    await chat.core.drain()
    await chat.core.drain()
    assert chat.delivered("Siti") == ["Info posyandu"]


async def test_rate_limits_are_retried_after_the_given_time(
    chat: Transcript, clock: ManualClock
) -> None:
    await chat.join("Siti")
    chat.senders["local"].fail_next(RetryLater("429", retry_after=30))
    queue_notice(chat, "Siti", "b1")
    await chat.core.drain()
    assert statuses(chat)["b1"] == OutboxStatus.PENDING
    clock.advance(timedelta(seconds=29))
    await chat.core.drain()
    assert chat.delivered("Siti") == []
    clock.advance(timedelta(seconds=1))
    await chat.core.drain()
    assert chat.delivered("Siti") == ["Info posyandu"]


async def test_passing_failures_give_up_after_max_attempts(
    chat: Transcript, clock: ManualClock
) -> None:
    await chat.join("Siti")
    for _ in range(6):
        chat.senders["local"].fail_next(RetryLater("network down"))
    queue_notice(chat, "Siti", "b1")
    for _ in range(6):
        await chat.core.drain()
        clock.advance(timedelta(hours=1))
    assert statuses(chat)["b1"] == OutboxStatus.FAILED


async def test_a_blocked_app_falls_back_to_the_members_other_app(
    chat: Transcript, clock: ManualClock
) -> None:
    await chat.join("Siti")
    text = await chat.text("Siti", "TAUTKAN")
    code = next(w for w in text.split() if len(w) == 6 and set(w) <= set(LINK_CODE_ALPHABET))
    clock.advance(timedelta(minutes=1))
    await chat.say("42", f"TAUTKAN {code}", channel=Channel.TELEGRAM)  # now the most recent app
    chat.senders["telegram"].fail_next(PermanentFailure("blocked", "403", unreachable=True))
    queue_notice(chat, "Siti", "b1")
    await chat.core.drain()
    await chat.core.drain()
    assert chat.delivered("Siti") == ["Info posyandu"]
    with chat.core.open_session() as session:
        telegram = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.channel == "telegram")
        ).one()
        assert telegram.unreachable_at is not None and telegram.unreachable_reason == "blocked"
    await chat.say("42", "MENU", channel=Channel.TELEGRAM)  # writing again makes it reachable
    with chat.core.open_session() as session:
        telegram = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.channel == "telegram")
        ).one()
        assert telegram.unreachable_at is None


async def test_permanent_failures_are_recorded_not_retried(chat: Transcript) -> None:
    await chat.join("Siti")
    chat.senders["local"].fail_next(PermanentFailure("bad request", "400"))
    queue_notice(chat, "Siti", "b1")
    await chat.core.drain()
    with chat.core.open_session() as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.kind != "reply")).one()
        assert (row.status, row.error_code, row.attempts) == (OutboxStatus.FAILED, "400", 1)


async def test_the_worker_drains_when_kicked_and_stops(chat: Transcript) -> None:
    import asyncio

    await chat.join("Siti")
    worker = DeliveryWorker(
        open_session=chat.core.open_session,
        senders=chat.core.senders,
        clock=chat.core.clock,
        interval=3600,
    )
    task = asyncio.create_task(worker.run())
    queue_notice(chat, "Siti", "b1")
    worker.kick()
    async with asyncio.timeout(5):
        await chat.senders["local"].wait_for(1)
    worker.stop()
    await asyncio.wait_for(task, timeout=5)
    assert chat.delivered("Siti") == ["Info posyandu"]


async def test_a_rehearsal_leaves_other_channels_messages_alone(chat: Transcript) -> None:
    await chat.join("42", channel=Channel.TELEGRAM)
    del chat.core.senders["telegram"]  # e.g. `guyub chat` on the live database
    queue_notice(chat, "42", "b1", channel=Channel.TELEGRAM)
    assert (await chat.core.drain()).counts == {"deferred": 1}
    with chat.core.open_session() as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.kind != "reply")).one()
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


async def test_a_notices_buttons_are_answered_by_number(chat: Transcript) -> None:
    await chat.join("Siti")
    member = chat.member("Siti")
    assert member is not None
    notice = Reply("Mau lihat menu?", buttons=(Button("Lihat menu", "/menu"),))
    with transaction(chat.core.open_session) as session:
        enqueue(
            session=session,
            community_id=member.community_id,
            member_id=member.id,
            kind="notice",
            idempotency_key="n1",
            payload=reply_to_payload(notice),
            now=chat.core.clock.now(),
        )
    await chat.core.drain()
    assert "Menu KBA 13 Ulu" in await chat.text("Siti", "1")


async def test_a_group_that_removed_the_bot_is_unlinked(chat: Transcript) -> None:
    await chat.join("Siti")
    member = chat.member("Siti")
    assert member is not None
    with transaction(chat.core.open_session) as session:
        community = session.get(Community, member.community_id)
        assert community is not None
        community.telegram_group_chat_id = "-100"
        enqueue(
            session=session,
            community_id=member.community_id,
            member_id=None,
            chat_id="-100",
            kind="broadcast",
            idempotency_key="g1",
            payload=reply_to_payload(Reply("Pengumuman")),
            now=chat.core.clock.now(),
        )
    chat.senders["telegram"].fail_next(
        PermanentFailure("Forbidden: bot was kicked from the group chat", "403", unreachable=True)
    )
    await chat.core.drain()
    assert statuses(chat)["g1"] == OutboxStatus.FAILED
    with chat.core.open_session() as session:
        community = session.get(Community, member.community_id)
        assert community is not None and community.telegram_group_chat_id is None
