"""Promo buddies (*pasangan promosi*): sellers opt in and each week promote a buddy's product.

`PASANGAN ikut` / `PASANGAN berhenti` opt in and out (sellers with an active product only),
`PASANGAN` shows where one stands, `SUDAH` says this week's share is done. The weekly pairing
and the Thursday reminder are jobs (jobs/buddies.py); the message a buddy gets is built by
`buddy_message` alone, so the share feature can add its text and image in one place.
"""

from collections.abc import Sequence
from dataclasses import replace

from handlers import account
from handlers.catalogue.cards import product_card, product_label
from handlers.commands import hint
from handlers.community_settings import Setting, register_setting
from handlers.context import Context, in_language_of
from handlers.messages import Incoming, Reply, reply_to_payload
from handlers.promotion.share import share_package
from handlers.registry import REGISTRY
from handlers.weekly_time import read_weekly_time, shown_weekly_time
from storage.buddies import active_product_ids, current_assignment, open_groups_of
from storage.models import Community, Member, Product
from storage.outbox import enqueue
from storage.products import recommendation_counts

__all__ = ["buddy_message", "end_buddy_weeks", "reminder_message"]

JOIN_WORDS = frozenset({"ikut", "gabung", "daftar", "join", "on", "ya", "yes", "mulai", "start"})
LEAVE_WORDS = frozenset({"berhenti", "stop", "keluar", "off", "leave", "tidak", "no", "quit"})


def _name(member: Member | None) -> str:
    if member is None:
        return "?"
    return member.business_name or member.display_name


def _schedule(ctx: Context, community: Community) -> str:
    return shown_weekly_time(community.buddy_weekday, community.buddy_time, ctx.lang)


def buddy_message(
    ctx: Context, *, product: Product, partner: Member, promoter: Member | None
) -> list[Reply]:
    """What a member gets when paired: the buddy's product card, how to say SUDAH, then the
    ready-to-forward share text and picture with the member's own personal link.

    `partner` is whose product to promote; `promoter` is who promotes this member's own
    product (the same person in a pair, the third one in a trio).
    """
    counts = recommendation_counts(session=ctx.session, product_ids=[product.id or 0])
    card = product_card(
        ctx,
        product,
        recommendations=counts.get(product.id or 0, 0),
        heading=ctx.t("buddies.week.heading", partner=_name(partner)),
        buttons=[
            ctx.button("buddies.button.share", f"/bagikan {product.id}"),
            ctx.button("buddies.button.done", "/sudah"),
        ],
    )
    footer = ctx.t("buddies.week.footer", cmd=hint(ctx, "buddy_done"), promoter=_name(promoter))
    message = [replace(card, text=f"{card.text}\n\n{footer}", kind="notice")]
    if ctx.member is None:
        return message
    share = share_package(
        session=ctx.session,
        options=ctx.options,
        member=ctx.member,
        product=product,
        now=ctx.clock.now(),
        language=ctx.lang,
        record=False,  # the job records this appearance once, as a buddy exposure
    )
    return message + [replace(reply, kind="notice") for reply in share]


def reminder_message(ctx: Context, *, product: Product | None, partner: Member | None) -> Reply:
    """The one gentle Thursday nudge for a pairing nobody answered yet."""
    buttons = [ctx.button("buddies.button.done", "/sudah")]
    if product is not None:
        buttons.insert(0, ctx.button("buddies.button.share", f"/bagikan {product.id}"))
    return Reply(
        text=ctx.t(
            "buddies.reminder",
            partner=_name(partner),
            product=product_label(product) if product is not None else "?",
            cmd=hint(ctx, "buddy_done"),
        ),
        buttons=tuple(buttons),
        kind="reminder",
    )


@REGISTRY.command("buddies", slash=("pasangan", "buddy", "buddies"), en="buddy")
async def buddies(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`PASANGAN ikut` / `PASANGAN berhenti`; `PASANGAN` alone explains and shows this week."""
    assert ctx.member is not None and ctx.community is not None
    word = rest.split()[0].strip(".,!").casefold() if rest.split() else ""
    if word in JOIN_WORDS:
        return [_join(ctx, ctx.member, ctx.community)]
    if word in LEAVE_WORDS:
        return [_leave(ctx, ctx.member, ctx.community)]
    if word:
        return [ctx.reply("buddies.unknown", value=word[:20], cmd=hint(ctx, "buddies"))]
    return [_status(ctx, ctx.member, ctx.community)]


def _join(ctx: Context, member: Member, community: Community) -> Reply:
    if member.buddy_since is not None:
        return ctx.reply("buddies.already_in", when=_schedule(ctx, community))
    if not active_product_ids(
        session=ctx.session, community_id=community.id or 0, seller_id=member.id or 0
    ):
        return ctx.reply("buddies.need_product", cmd=hint(ctx, "sell"))
    member.buddy_since = ctx.now
    ctx.session.add(member)
    return ctx.reply("buddies.joined", when=_schedule(ctx, community), cmd=hint(ctx, "buddies"))


def _leave(ctx: Context, member: Member, community: Community) -> Reply:
    if member.buddy_since is None:
        return ctx.reply("buddies.not_in", cmd=hint(ctx, "buddies"))
    member.buddy_since = None
    ctx.session.add(member)
    end_buddy_weeks(ctx, member)
    return ctx.reply("buddies.left", cmd=hint(ctx, "buddies"))


def _status(ctx: Context, member: Member, community: Community) -> Reply:
    lines = [ctx.t("buddies.about", when=_schedule(ctx, community))]
    if member.buddy_since is None:
        lines.append(ctx.t("buddies.status.out", cmd=hint(ctx, "buddies")))
        button = ctx.button("buddies.button.join", "/pasangan ikut")
    else:
        lines.append(ctx.t("buddies.status.in", cmd=hint(ctx, "buddies")))
        button = ctx.button("buddies.button.leave", "/pasangan berhenti")
    assignment = current_assignment(
        session=ctx.session, community_id=community.id or 0, member_id=member.id or 0, now=ctx.now
    )
    if assignment is not None:
        partner = ctx.session.get(Member, assignment.partner_id or 0)
        product = ctx.session.get(Product, assignment.product_id or 0)
        key = "buddies.status.week_done" if assignment.done_at else "buddies.status.week"
        lines.append(
            ctx.t(
                key,
                partner=_name(partner),
                product=product_label(product) if product else "?",
                cmd=hint(ctx, "buddy_done"),
            )
        )
    return Reply(text="\n\n".join(lines), buttons=(button,))


@REGISTRY.command("buddy_done", slash=("sudah", "done"), en="done", listed=False)
async def done(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`SUDAH`: this week's buddy product is shared; thank them and tell the buddy."""
    assert ctx.member is not None and ctx.community is not None
    assignment = current_assignment(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        member_id=ctx.member.id or 0,
        now=ctx.now,
    )
    if assignment is None:
        key = "buddies.done.none_in" if ctx.member.buddy_since else "buddies.done.none_out"
        return [ctx.reply(key, when=_schedule(ctx, ctx.community), cmd=hint(ctx, "buddies"))]
    partner = ctx.session.get(Member, assignment.partner_id or 0)
    if assignment.done_at is not None:
        return [ctx.reply("buddies.done.already", partner=_name(partner))]
    assignment.done_at = ctx.now
    ctx.session.add(assignment)
    if partner is not None:
        theirs = in_language_of(ctx, partner)
        ctx.notify(
            partner.id or 0, theirs.reply("buddies.done.partner_told", promoter=_name(ctx.member))
        )
    return [ctx.reply("buddies.done.thanks", partner=_name(partner))]


def end_buddy_weeks(ctx: Context, member: Member) -> None:
    """End the member's running pairings and tell their buddies, who are paired anew next week.

    Used when a member leaves the buddies and just before their data is erased (their name
    is never in the notice). The notice is queued here, not with `ctx.notify`: an erased
    member's message queues no notices once the erasure is done.
    """
    community_id = member.community_id
    for group in open_groups_of(
        session=ctx.session, community_id=community_id, member_id=member.id or 0, now=ctx.now
    ):
        others = sorted({row.member_id for row in group if row.member_id not in (None, member.id)})
        for row in group:
            if row.ended_at is None and row.done_at is None:
                row.ended_at = ctx.now
                ctx.session.add(row)
        for other_id in others:
            other = ctx.session.get(Member, other_id)
            if other is None or other.community_id != community_id:
                continue
            community = ctx.session.get(Community, community_id)
            assert community is not None
            theirs = in_language_of(ctx, other)
            notice = theirs.reply("buddies.partner_left", when=_schedule(theirs, community))
            enqueue(
                session=ctx.session,
                community_id=community_id,
                member_id=other_id,
                kind="notice",
                idempotency_key=f"buddy-ended:{group[0].week}:{group[0].group_no}:{other_id}",
                payload=reply_to_payload(replace(notice, kind="notice")),
                now=ctx.now,
            )


def _erase_hook(ctx: Context, member: Member) -> None:
    end_buddy_weeks(ctx, member)


if _erase_hook not in account.BEFORE_ERASE:
    account.BEFORE_ERASE.append(_erase_hook)


def _show_buddy_time(ctx: Context, community: Community) -> str:
    return _schedule(ctx, community)


def _change_buddy_time(ctx: Context, community: Community, value: str) -> Reply:
    weekly = read_weekly_time(value)
    if weekly is None:
        return ctx.reply("buddies.setting.invalid", value=value[:30], cmd=hint(ctx, "settings"))
    community.buddy_weekday, community.buddy_time = weekly.weekday, weekly.time
    ctx.session.add(community)
    return ctx.reply("buddies.setting.saved", when=_schedule(ctx, community))


register_setting(
    Setting(
        names=("pasangan", "buddy", "buddies"),
        line="buddies.setting.line",
        show=_show_buddy_time,
        change=_change_buddy_time,
    )
)
