"""Telegram builders: members made directly in the database, kept photos, and waits on
what the fake API saw sent (for webhook and whole-process tests, where no transcript line
can hook into the application; see tests/telegram/line.py otherwise)."""

import asyncio

from sqlmodel import select

from bot.app import Core
from storage.communities import get_or_create_identity, join_community
from storage.db import transaction
from storage.media import MediaStore
from storage.models import ChannelIdentity, Community, Media, Member, Role
from tests.fakes.telegram_api import (
    Call,
    FakeTelegramAPI,
)
from tests.images import image_bytes

JPEG = image_bytes("keripik singkong", size=(32, 32))


async def sent_to(
    api: FakeTelegramAPI,
    chat_id: int | str,
    count: int = 1,
    methods: tuple[str, ...] = ("sendMessage",),
) -> list[Call]:
    """Wait for `count` successful sends to a chat (waking on each new call, never sleeping)."""
    async with asyncio.timeout(5):
        while True:
            found = [
                call
                for call in api.calls
                if call.method in methods and str(call.chat_id) == str(chat_id) and call.ok
            ]
            if len(found) >= count:
                return found
            waits = {
                asyncio.ensure_future(api.wait_for(m, len(api.calls_to(m)) + 1)) for m in methods
            }
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)


async def fetched(api: FakeTelegramAPI, update_id: int) -> None:
    """Wait until polling has taken `update_id` (PTB asks for the next offset only after)."""
    while not any(
        int(call.params.get("offset") or 0) > update_id for call in api.calls_to("getUpdates")
    ):
        await api.wait_for("getUpdates", count=len(api.calls_to("getUpdates")) + 1)


def kept_photo(core: Core, data: bytes = JPEG) -> Media:
    """A photo already in the media store (not yet known to Telegram)."""
    with transaction(core.open_session) as session:
        return MediaStore(core.options.media_dir).save(
            session=session, data=data, content_type="image/jpeg", now=core.clock.now()
        )


def add_member(
    core: Core, community: Community, user_id: int, name: str, role: Role = Role.MEMBER
) -> Member:
    """A member with a Telegram identity, as if they had joined earlier."""
    with transaction(core.open_session) as session:
        now = core.clock.now()
        identity = get_or_create_identity(
            session=session, channel="telegram", address=str(user_id), display_name=name, now=now
        )
        member = join_community(
            session=session,
            identity=identity,
            community=community,
            display_name=name,
            language="id",
            phone=None,
            now=now,
        )
        member.role = role
        session.add(member)
        return member


def identity_of(core: Core, user_id: int) -> ChannelIdentity | None:
    """The Telegram identity of a user, fresh from the database."""
    with core.open_session() as session:
        return session.exec(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == "telegram", ChannelIdentity.address == str(user_id)
            )
        ).first()
