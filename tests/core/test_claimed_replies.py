"""Replies the inbox worker sends right after their message: written already claimed (no
claim transaction), their outcomes recorded together, and nothing lost if the process dies
in between (bench/inbound.py's hot path, README "Inbound load")."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.app import Core
from bot.router import ClaimedReplies
from handlers.messages import Incoming
from jobs.delivery import ReplyRecorder, deliver_due, send_claimed_replies
from storage.conversations import load_state
from storage.models import ChannelIdentity, OutboxMessage, OutboxStatus
from tests.core.test_inbox import hello
from tests.factories import Transcript


def reply_rows(core: Core) -> list[OutboxMessage]:
    with core.open_session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "reply")
        return list(session.exec(query.order_by(col(OutboxMessage.id))).all())


def messages(core: Core, people: list[str]) -> Iterator[tuple[int, Incoming]]:
    for number, person in enumerate(people):
        msg = replace(hello(core, f"m-{number}"), address=person, display_name=person)
        inbox_id = core.router.accept(msg)
        assert inbox_id is not None
        yield inbox_id, msg


async def test_the_inbox_worker_sends_each_reply_once_without_claiming_it(
    chat: Transcript,
) -> None:
    core = chat.core
    people = ["Siti", "Budi", "Ani"]
    ids = [inbox_id for inbox_id, _ in messages(core, people)]
    core.inbox.serve("local")
    await core.inbox.idle()
    await core.inbox.release("local")
    rows = reply_rows(core)
    assert sorted(row.inbox_id or 0 for row in rows) == sorted(ids)
    assert {(row.status, row.attempts, row.claimed_by) for row in rows} == {
        (OutboxStatus.SENT, 1, core.worker.name)
    }
    local = chat.senders["local"]
    assert sorted(o.address for o in local.replies) == sorted(people)  # each once
    assert core.router.claimed == {}  # nothing kept after it was sent


async def test_a_replys_buttons_stay_as_the_router_numbered_them(chat: Transcript) -> None:
    """Sending a reply does not count its buttons as an unanswered notice's."""
    core = chat.core
    await chat.join("Budi")
    msg = replace(hello(core, "m-cari"), address="Budi", display_name="Budi", text="cari zq1")
    assert core.router.accept(msg) is not None
    core.inbox.serve("local")
    await core.inbox.idle()
    await core.inbox.release("local")
    sent = chat.senders["local"].replies[-1]
    assert sent.reply.buttons  # "nothing matches": what to do instead
    with Session(core.engine) as session:
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.address == "Budi")
        ).one()
        state = load_state(session=session, identity_id=identity.id or 0, now=core.clock.now())
        assert state.flow is None and state.button_notices == 0
        assert state.buttons == [[b.label, b.payload] for b in sent.reply.buttons]


async def test_replies_claimed_when_the_process_died_are_sent_after_a_restart(
    chat: Transcript,
) -> None:
    core = chat.core
    [(inbox_id, msg)] = list(messages(core, ["Siti"]))
    await core.router.process(inbox_id, msg, claim_as=core.worker.name)
    # killed here: handled and committed, its reply claimed but never sent
    [row] = reply_rows(core)
    assert (row.status, row.claimed_by) == (OutboxStatus.SENDING, core.worker.name)
    report = await deliver_due(
        open_session=core.open_session, senders=core.senders, clock=core.clock
    )
    assert report.claimed == 0  # another drain does not take a claimed row
    assert core.worker.release_own() == 1  # the worker starting again takes it back
    await deliver_due(open_session=core.open_session, senders=core.senders, clock=core.clock)
    [row] = reply_rows(core)
    assert row.status == OutboxStatus.SENT
    assert [o.address for o in chat.senders["local"].replies] == ["Siti"]


async def claimed_for(core: Core, people: list[str]) -> list[ClaimedReplies]:
    handled = []
    for inbox_id, msg in messages(core, people):
        await core.router.process(inbox_id, msg, claim_as=core.worker.name)
        claimed = core.router.take_claimed(inbox_id)
        assert claimed is not None and core.router.take_claimed(inbox_id) is None  # once
        handled.append(claimed)
    return handled


async def test_outcomes_of_replies_in_flight_together_commit_together(chat: Transcript) -> None:
    core = chat.core
    recorder = ReplyRecorder(core.open_session, core.clock)
    handled = await claimed_for(core, ["Siti", "Budi", "Ani"])
    reports = await asyncio.gather(
        *(
            send_claimed_replies(
                open_session=core.open_session,
                senders=core.senders,
                clock=core.clock,
                rows=claimed.rows,
                member=claimed.member,
                identity=claimed.identity,
                recorder=recorder,
            )
            for claimed in handled
        )
    )
    assert [r.counts for r in reports] == [{"sent": 1}] * 3  # each counts its own
    assert recorder.commits == 1
    assert {row.status for row in reply_rows(core)} == {OutboxStatus.SENT}


async def test_a_failed_commit_fails_every_reply_in_its_batch(
    chat: Transcript, caplog: pytest.LogCaptureFixture
) -> None:
    core = chat.core

    def broken() -> Session:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    recorder = ReplyRecorder(broken, core.clock)
    handled = await claimed_for(core, ["Siti", "Budi"])
    outcomes = await asyncio.gather(
        *(
            send_claimed_replies(
                open_session=core.open_session,
                senders=core.senders,
                clock=core.clock,
                rows=claimed.rows,
                member=claimed.member,
                identity=claimed.identity,
                recorder=recorder,
            )
            for claimed in handled
        ),
        return_exceptions=True,
    )
    assert [type(o) for o in outcomes] == [OperationalError, OperationalError]
    # sent but not recorded: still claimed, so a restart sends them again (at least once)
    assert {row.status for row in reply_rows(core)} == {OutboxStatus.SENDING}
    assert "outcomes of 2 replies not recorded" in caplog.text
