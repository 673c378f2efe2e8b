"""Group commit of webhook rows (bot/inbox_writer.py): concurrent writes share one commit,
a repeat inside a batch is still a duplicate, and one bad row fails only its own request."""

import asyncio

import pytest
from sqlmodel import col, select

from bot.inbox_writer import InboxWriter
from storage.models import InboxMessage
from tests.factories import Transcript


def writer_of(chat: Transcript) -> InboxWriter:
    return InboxWriter(open_session=chat.core.open_session, clock=chat.core.clock)


async def test_concurrent_writes_share_one_commit_and_dedupe_inside_it(chat: Transcript) -> None:
    writer = writer_of(chat)
    ids = await asyncio.gather(
        *(
            writer.write(channel="whatsapp", platform_id=pid, sender="+62811", payload={"n": n})
            for n, pid in enumerate(["SM1", "SM2", "SM1"])
        )
    )
    assert writer.batches == 1
    assert ids[0] is not None and ids[1] is not None and ids[2] is None  # SM1 again: a repeat
    with chat.core.open_session() as session:
        rows = session.exec(select(InboxMessage).order_by(col(InboxMessage.id))).all()
    assert [(r.platform_id, r.payload) for r in rows] == [("SM1", {"n": 0}), ("SM2", {"n": 1})]


async def test_a_bad_row_fails_only_its_own_write(chat: Transcript) -> None:
    writer = writer_of(chat)
    results = await asyncio.gather(
        writer.write(channel="whatsapp", platform_id="SM1", sender="+62811", payload={}),
        writer.write(  # a payload JSON cannot hold: its write fails, the other commits
            channel="whatsapp", platform_id="SM2", sender="+62811", payload={"x": object()}
        ),
        return_exceptions=True,
    )
    assert isinstance(results[0], int) and isinstance(results[1], Exception)
    with chat.core.open_session() as session:
        rows = session.exec(select(InboxMessage)).all()
    assert [r.platform_id for r in rows] == ["SM1"]
    with pytest.raises(Exception):  # noqa: B017  (the same failure, alone)
        await writer.write(
            channel="whatsapp", platform_id="SM2", sender="+62811", payload={"x": object()}
        )
