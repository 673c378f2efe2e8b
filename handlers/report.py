"""The coordinator's report: members, reachability and what the outbox did."""

from collections.abc import Sequence
from datetime import timedelta

from handlers.context import Context
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import OutboxStatus, Role
from storage.product_requests import count_requests
from storage.reports import community_report


@REGISTRY.command(
    "report",
    slash=("laporan", "report"),
    role=Role.COORDINATOR,
    en="report",
)
async def report(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Counts a coordinator acts on: blocked members, missing WhatsApp templates, failures."""
    assert ctx.community is not None
    since = ctx.now - timedelta(days=7)
    numbers = community_report(session=ctx.session, community_id=ctx.community.id or 0, since=since)
    asked = count_requests(session=ctx.session, community_id=ctx.community.id or 0, since=since)
    outbox = numbers.outbox
    delivered = sum(
        outbox.get(s, 0) for s in (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ)
    )
    replies = [
        ctx.reply(
            "report.body",
            community=ctx.community.name,
            members=numbers.members,
            sellers=numbers.sellers,
            coordinators=numbers.coordinators,
            opted_out=numbers.opted_out,
            unreachable_telegram=numbers.unreachable.get("telegram", 0),
            unreachable_whatsapp=numbers.unreachable.get("whatsapp", 0),
            sent=delivered,
            failed=outbox.get(OutboxStatus.FAILED, 0),
            skipped=outbox.get(OutboxStatus.SKIPPED, 0),
            pending=outbox.get(OutboxStatus.PENDING, 0) + outbox.get(OutboxStatus.SENDING, 0),
            needs_template=outbox.get(OutboxStatus.NEEDS_TEMPLATE, 0),
            requests=asked,
        )
    ]
    if outbox.get(OutboxStatus.NEEDS_TEMPLATE):
        replies.append(ctx.reply("report.template_hint", count=outbox[OutboxStatus.NEEDS_TEMPLATE]))
    return replies
