"""The inbox and the reply lane through the real router: a row handled twice answers once,
and replies never wait behind a broadcast."""

from dataclasses import replace
from datetime import timedelta

from sqlmodel import col, select

from bot.app import Core
from bot.inbox import Prepared, prepare_stored
from handlers.clock import ManualClock
from handlers.messages import Channel, Incoming, Reply, reply_to_payload
from jobs.delivery import deliver_due
from storage.db import transaction
from storage.models import Community, InboxMessage, OutboxLane, OutboxMessage
from storage.outbox import enqueue
from tests.factories import Transcript


def hello(core: Core, message_id: str = "m-1") -> Incoming:
    return Incoming(
        channel=Channel.LOCAL,
        message_id=message_id,
        address="Siti",
        display_name="Siti",
        received_at=core.clock.now(),
        text="GABUNG KBA13",
    )


def reply_rows(core: Core) -> list[OutboxMessage]:
    with core.open_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "reply")
        return list(session.exec(query.order_by(col(OutboxMessage.id))).all())


async def test_a_row_processed_twice_queues_its_reply_once(chat: Transcript) -> None:
    core = chat.core
    msg = hello(core)
    inbox_id = core.router.accept(msg)
    assert inbox_id is not None and core.router.accept(msg) is None  # the retry: a duplicate
    first = await core.router.process(inbox_id, msg)
    assert "Setuju?" in first[0].text
    assert await core.router.process(inbox_id, msg) == []  # a crash-restart race, say
    [row] = reply_rows(core)
    assert (row.idempotency_key, row.lane, row.address) == (
        f"reply:{inbox_id}:0",
        OutboxLane.REPLY,
        "Siti",
    )
    with core.open_session() as session:
        stored = session.get(InboxMessage, inbox_id)
        assert stored is not None and stored.done_at is not None


async def test_replies_go_before_a_big_broadcast(chat: Transcript, community: Community) -> None:
    core = chat.core
    await chat.join("Budi")
    member = chat.member("Budi")
    assert member is not None
    with transaction(core.open_session) as session:
        for number in range(300):  # due already, and older than the reply
            enqueue(
                session=session,
                community_id=community.id or 0,
                member_id=member.id,
                kind="broadcast",
                idempotency_key=f"b{number}",
                payload=reply_to_payload(Reply(text=f"pengumuman {number}")),
                now=core.clock.now(),
            )
    msg = hello(core, "m-siti")
    inbox_id = core.router.accept(msg)
    assert inbox_id is not None
    await core.router.process(inbox_id, msg)  # handled; the reply is queued, not yet sent
    await deliver_due(
        open_session=core.open_session, senders=core.senders, clock=core.clock, batch=10
    )
    local = chat.senders["local"]
    assert [o.address for o in local.replies][-1] == "Siti"  # in the first batch of ten
    assert len(local.sent) == 9  # the rest of the batch: broadcasts


async def test_one_senders_rows_keep_their_order_even_when_one_fails(
    chat: Transcript, clock: ManualClock
) -> None:
    core = chat.core
    first, second = hello(core, "m-a"), replace(hello(core, "m-b"), text="MENU")
    other = replace(hello(core, "m-c"), address="Budi", display_name="Budi")
    ids = [core.router.accept(m) for m in (first, second, other)]
    seen: list[str] = []
    fail_once = {"m-a"}

    async def prepare(row: InboxMessage) -> Prepared:
        seen.append(row.platform_id)
        if row.platform_id in fail_once:
            fail_once.clear()
            raise OSError("the photo host is down")
        return await prepare_stored(row)

    core.inbox.serve("local", prepare)
    await core.inbox.idle()
    assert seen == ["m-a", "m-c"]  # Siti's second message waits for her first; Budi goes on
    clock.advance(timedelta(seconds=3))  # past the retry's wait
    await core.inbox.idle()
    assert seen == ["m-a", "m-c", "m-a", "m-b"]
    await core.inbox.release("local")
    with core.open_session() as session:
        assert all(session.get(InboxMessage, i).done_at is not None for i in ids)  # type: ignore[union-attr]
    assert {row.inbox_id for row in reply_rows(core)} == set(ids)  # each answered
