"""A community's Telegram group: linked with /hubungkan, then announced to through the outbox."""

from typing import Any

from sqlmodel import select

from bot.app import Core
from handlers.messages import Reply, reply_to_payload
from storage.db import transaction
from storage.models import Community, OutboxMessage, Role
from storage.outbox import enqueue
from tests.factories import Transcript
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import add_member
from tests.telegram.line import TelegramLine

GROUP = -1001234567
IN_GROUP: dict[str, Any] = {"chat_id": str(GROUP), "is_group": True}


async def test_coordinator_connects_the_group_and_announcements_go_there(
    chat: Transcript,
    line: TelegramLine,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
) -> None:
    add_member(core, community, 7, "Bu Rina", Role.COORDINATOR)
    add_member(core, community, 42, "Siti")
    line.person("Rina", 7)

    assert await chat.say("Rina", "halo semua, ada bazar Sabtu", **IN_GROUP) == []  # chatter
    assert await chat.say("Rina", "/menu@AnotherBot", **IN_GROUP) == []  # another bot's
    await chat.say("Siti", "/hubungkan", **IN_GROUP)  # members may not
    (refused,) = line.sent(str(GROUP))
    assert "hanya untuk koordinator" in refused.params["text"]

    await chat.say("Rina", "/hubungkan@GuyubTestBot", **IN_GROUP)
    done = line.sent(str(GROUP))[-1]
    assert "Grup ini sekarang terhubung dengan KBA 13 Ulu" in done.params["text"]
    with core.open_session() as session:
        linked = session.get(Community, community.id)
        assert linked is not None and linked.telegram_group_chat_id == str(GROUP)

    await chat.say("Rina", "/hubungkan", **IN_GROUP)
    again = line.sent(str(GROUP))[-1]
    assert "sudah terhubung" in again.params["text"]
    assert len(api.sent_texts(GROUP)) == 3  # the chatter and the other bot's command: silence

    with transaction(core.open_session) as session:
        enqueue(
            session=session,
            community_id=community.id or 0,
            member_id=None,
            chat_id=str(GROUP),
            kind="broadcast",
            idempotency_key="bazar-1",
            payload=reply_to_payload(Reply(text="Bazar Sabtu jam 8 di balai RW!")),
            now=core.clock.now(),
        )
    report = await core.drain()
    assert report.counts == {"sent": 1}
    assert api.sent_texts(GROUP)[-1] == "Bazar Sabtu jam 8 di balai RW!"
    with core.open_session() as session:
        (row,) = session.exec(select(OutboxMessage).where(OutboxMessage.kind != "reply")).all()
        assert row.status == "sent" and row.provider_message_id


async def test_connect_in_a_private_chat_explains_where(
    chat: Transcript, core: Core, community: Community
) -> None:
    add_member(core, community, 7, "Bu Rina", Role.COORDINATOR)
    (answer,) = await chat.say("7", "/hubungkan")
    assert "ketik /hubungkan di grup itu" in answer.text
