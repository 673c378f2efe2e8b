"""Linking a community's Telegram group, so announcements can go to the group once."""

from collections.abc import Sequence

from handlers.context import Context
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Role


@REGISTRY.command(
    "connect_group",
    slash=("hubungkan", "connect"),
    bare=(),
    role=Role.COORDINATOR,
    in_group=True,
    en="connect",
)
async def connect_group(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/hubungkan` typed in the group by a coordinator makes it the community's group."""
    assert ctx.community is not None
    if not msg.is_group or msg.chat_id is None:
        return [ctx.reply("group.connect.only_in_group", community=ctx.community.name)]
    if ctx.community.telegram_group_chat_id == msg.chat_id:
        return [ctx.reply("group.connect.already", community=ctx.community.name)]
    ctx.community.telegram_group_chat_id = msg.chat_id
    ctx.session.add(ctx.community)
    return [ctx.reply("group.connect.done", community=ctx.community.name)]
