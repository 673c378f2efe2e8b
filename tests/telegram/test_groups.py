"""A community's Telegram group: linked with /hubungkan, then announced to through the outbox."""

from collections.abc import Iterator

from sqlmodel import select

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from handlers.messages import Reply, reply_to_payload
from storage.db import transaction
from storage.models import Community, OutboxMessage, Role
from storage.outbox import enqueue
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import TelegramUser, add_member, sent_to

GROUP = -1001234567
IN_GROUP = {"chat_id": GROUP, "chat_type": "supergroup"}


async def test_coordinator_connects_the_group_and_announcements_go_there(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    update_ids: Iterator[int],
) -> None:
    add_member(core, community, 7, "Bu Rina", Role.COORDINATOR)
    add_member(core, community, 42, "Siti")
    rina = TelegramUser(api, update_ids, 7, first_name="Rina")
    siti = TelegramUser(api, update_ids, 42, first_name="Siti")

    rina.say("halo semua, ada bazar Sabtu", **IN_GROUP)  # chatter: not for the bot
    rina.say("/menu@AnotherBot", **IN_GROUP)  # another bot's command
    siti.say("/hubungkan", **IN_GROUP)  # members may not
    (refused,) = await sent_to(api, GROUP)
    assert "hanya untuk koordinator" in refused.params["text"]

    rina.say("/hubungkan@GuyubTestBot", **IN_GROUP)
    done = (await sent_to(api, GROUP, 2))[-1]
    assert "Grup ini sekarang terhubung dengan KBA 13 Ulu" in done.params["text"]
    with core.open_session() as session:
        linked = session.get(Community, community.id)
        assert linked is not None and linked.telegram_group_chat_id == str(GROUP)

    rina.say("/hubungkan", **IN_GROUP)
    again = (await sent_to(api, GROUP, 3))[-1]
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
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    update_ids: Iterator[int],
) -> None:
    add_member(core, community, 7, "Bu Rina", Role.COORDINATOR)
    rina = TelegramUser(api, update_ids, 7, first_name="Rina")
    rina.say("/hubungkan")
    (answer,) = await rina.hears()
    assert "ketik /hubungkan di grup itu" in answer.params["text"]
