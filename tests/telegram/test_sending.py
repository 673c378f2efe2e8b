"""The outbox through the Telegram sender: bursts, 429s, blocked people, long texts."""

from datetime import timedelta

from sqlmodel import col, select

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from handlers.clock import ManualClock
from handlers.messages import Button, Reply, reply_to_payload
from storage.db import transaction
from storage.models import Community, Member, OutboxMessage
from storage.outbox import enqueue
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.chats import add_member, identity_of, kept_photo


def notify(core: Core, member: Member, reply: Reply, key: str) -> None:
    """Queue a notice for a member, as a handler's ctx.notify does."""
    with transaction(core.open_session) as session:
        enqueue(
            session=session,
            community_id=member.community_id,
            member_id=member.id,
            kind="notice",
            idempotency_key=key,
            payload=reply_to_payload(reply),
            now=core.clock.now(),
        )


def outbox(core: Core) -> list[OutboxMessage]:
    with core.open_session() as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.kind != "reply")
                .order_by(col(OutboxMessage.id))
            ).all()
        )


async def test_a_burst_with_429s_is_all_delivered_without_stalling_the_rest(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    clock: ManualClock,
) -> None:
    members = [add_member(core, community, 1000 + i, f"Anggota {i}") for i in range(40)]
    for member in members:
        notify(core, member, Reply(text=f"Halo {member.display_name}"), f"n{member.id}")
    api.fail_next("sendMessage", 429, retry_after=0.2, times=5)

    first = await core.drain()
    assert first.counts == {"sent": 35, "retry": 5}
    limited = {str(c.chat_id) for c in api.calls_to("sendMessage") if c.error_code == 429}
    assert len(limited) == 5 and len(api.sent_texts()) == 35  # the others were not held up
    waiting = [row for row in outbox(core) if row.status == "pending"]
    assert len(waiting) == 5
    assert all(row.next_attempt_at <= clock.now() + timedelta(seconds=1) for row in waiting)

    clock.advance(timedelta(seconds=1))
    second = await core.drain()
    assert second.counts == {"sent": 5}
    assert {str(c.chat_id) for c in api.calls_to("sendMessage") if c.ok} == {
        str(1000 + i) for i in range(40)
    }
    assert all(row.status == "sent" for row in outbox(core))


async def test_a_blocked_member_is_marked_and_not_retried_forever(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core, community: Community
) -> None:
    siti = add_member(core, community, 42, "Siti")
    api.block_chat(42)
    notify(core, siti, Reply(text="Pesanan baru!"), "order-1")

    assert (await core.drain()).counts == {"failed": 1}  # no other app to try
    identity = identity_of(core, 42)
    assert identity is not None and identity.unreachable_at is not None
    assert (await core.drain()).counts == {}
    (row,) = outbox(core)
    assert row.status == "failed" and row.error_code == "403"
    assert len(api.calls_to("sendMessage")) == 1


async def test_a_network_error_is_retried_later(
    telegram: TelegramChannel,
    api: FakeTelegramAPI,
    core: Core,
    community: Community,
    clock: ManualClock,
) -> None:
    siti = add_member(core, community, 42, "Siti")
    notify(core, siti, Reply(text="Arisan besok"), "arisan")
    api.fail_next("sendMessage", 502)
    assert (await core.drain()).counts == {"retry": 1}
    clock.advance(timedelta(minutes=1))
    assert (await core.drain()).counts == {"sent": 1}
    assert api.sent_texts(42) == ["Arisan besok"]


async def test_a_long_text_is_split_on_line_boundaries(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core, community: Community
) -> None:
    siti = add_member(core, community, 42, "Siti")
    lines = [f"{i}. Keripik singkong & kue lapis <spesial> nomor {i}" for i in range(300)]
    notify(core, siti, Reply(text="\n".join(lines), buttons=(Button("Oke", "ok"),)), "long")
    assert (await core.drain()).counts == {"sent": 1}

    parts = api.calls_to("sendMessage")
    assert len(parts) == 4
    plain = [p.params["text"].replace("&lt;", "<").replace("&gt;", ">") for p in parts]
    plain = [text.replace("&amp;", "&") for text in plain]
    assert all(len(text) <= 4096 for text in plain)
    assert "\n".join(plain).split("\n") == lines  # every cut fell between two lines
    assert [("reply_markup" in p.params) for p in parts] == [False, False, False, True]


async def test_an_album_then_its_text(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core, community: Community
) -> None:
    siti = add_member(core, community, 42, "Siti")
    photos = [kept_photo(core, bytes([i]) * 100) for i in range(2)]
    reply = Reply(text="Dua rasa", media=tuple(p.id for p in photos), buttons=(Button("A", "a"),))
    notify(core, siti, reply, "album")
    assert (await core.drain()).counts == {"sent": 1}
    (album,) = api.calls_to("sendMediaGroup")
    assert album.media() == [bytes([0]) * 100, bytes([1]) * 100]
    assert api.sent_texts(42) == ["Dua rasa"]


async def test_chat_not_found_is_treated_like_a_block(
    telegram: TelegramChannel, api: FakeTelegramAPI, core: Core, community: Community
) -> None:
    siti = add_member(core, community, 42, "Siti")
    api.fail_next("sendMessage", 400, chat_id=42)  # Bad Request: chat not found
    notify(core, siti, Reply(text="Pesanan baru!"), "order-2")
    assert (await core.drain()).counts == {"failed": 1}
    identity = identity_of(core, 42)
    assert identity is not None and identity.unreachable_at is not None
    (row,) = outbox(core)
    assert (row.status, row.error_code) == ("failed", "400")
