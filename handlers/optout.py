"""Stopping and resuming bot-initiated messages, with Indonesian and English keywords.

Guyub keeps its own opt-out list rather than relying on Twilio's STOP handling, and the
delivery worker checks it at send time.
"""

from collections.abc import Sequence

from handlers.context import Context
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY


@REGISTRY.command(
    "stop",
    slash=("berhenti", "stop", "keluar"),
    bare=("berhenti", "stop", "keluar", "unsubscribe"),
    role=None,
    en="stop",
)
async def stop(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """BERHENTI / STOP / KELUAR."""
    if ctx.member is None:
        return [ctx.reply("optout.not_member")]
    if ctx.member.opted_out_at is not None:
        return [ctx.reply("optout.already")]
    ctx.member.opted_out_at = ctx.now
    ctx.session.add(ctx.member)
    return [ctx.reply("optout.done")]


@REGISTRY.command(
    "resume",
    slash=("mulai", "resume"),
    bare=("mulai", "start", "resume"),
    role=None,
    en="start",
)
async def resume(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """MULAI (or a bare START, as WhatsApp users know it)."""
    if ctx.member is None:
        return [ctx.reply("join.intro")]
    ctx.member.opted_out_at = None
    ctx.session.add(ctx.member)
    return [ctx.reply("optout.resumed")]
