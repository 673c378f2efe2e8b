"""Coordinators look after the catalogue: hide or remove with a reason, approval mode.

The seller always hears why (a notice through the outbox, in their own language).
"""

from collections.abc import Sequence
from typing import NamedTuple

from handlers.catalogue.cards import product_card, product_label, status_text
from handlers.catalogue.drafts import hint, in_language_of
from handlers.catalogue.manage import parse_id
from handlers.context import Context
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Product, ProductStatus, Role
from storage.products import caretaker, find_product, pending_products

MODERATE_FLOW = "moderate"
REASON_LIMIT = 300
ON_WORDS = {"on", "ya", "yes", "aktif", "nyala", "hidup", "1"}
OFF_WORDS = {"off", "tidak", "no", "mati", "nonaktif", "0"}


class Action(NamedTuple):
    """What a moderation action does, and the texts that say it was done."""

    applies_to: tuple[ProductStatus, ...]
    sets: ProductStatus
    done_key: str  # to the coordinator
    notice_key: str  # to the seller


ACTIONS = {
    "hide": Action(
        (ProductStatus.ACTIVE, ProductStatus.SOLD_OUT, ProductStatus.PENDING_APPROVAL),
        ProductStatus.HIDDEN,
        "catalogue.mod.hidden_done",
        "catalogue.mod.hidden_notice",
    ),
    "remove": Action(
        (
            ProductStatus.ACTIVE,
            ProductStatus.SOLD_OUT,
            ProductStatus.PENDING_APPROVAL,
            ProductStatus.HIDDEN,
        ),
        ProductStatus.REMOVED,
        "catalogue.mod.removed_done",
        "catalogue.mod.removed_notice",
    ),
    "reject": Action(
        (ProductStatus.PENDING_APPROVAL,),
        ProductStatus.REMOVED,
        "catalogue.mod.rejected_done",
        "catalogue.mod.rejected_notice",
    ),
}


def _product(ctx: Context, rest: str) -> tuple[Product | None, str, list[Reply]]:
    assert ctx.community is not None
    product_id, remainder = parse_id(rest)
    if product_id is None:
        return None, remainder, [ctx.reply("catalogue.mod.usage")]
    product = find_product(
        session=ctx.session, community_id=ctx.community.id or 0, product_id=product_id
    )
    if product is None or product.status == ProductStatus.DRAFT:
        return None, remainder, [ctx.reply("catalogue.not_found")]
    return product, remainder, []


def _tell_seller(ctx: Context, product: Product, key: str, **values: object) -> None:
    member = caretaker(session=ctx.session, product=product)
    if member is None or (ctx.member is not None and member.id == ctx.member.id):
        return
    theirs = in_language_of(ctx, member)
    ctx.notify(member.id or 0, Reply(text=theirs.t(key, product=product_label(product), **values)))


def _moderate(ctx: Context, action: str, rest: str) -> list[Reply]:
    product, reason, problem = _product(ctx, rest)
    if product is None:
        return problem
    if product.status not in ACTIONS[action].applies_to:
        status = status_text(ctx, product)
        return [ctx.reply("catalogue.mod.not_now", product=product_label(product), status=status)]
    if not reason.strip():
        ctx.start_flow(MODERATE_FLOW, "reason", {"action": action, "product_id": product.id})
        return [ctx.reply("catalogue.mod.ask_reason", product=product_label(product))]
    return _apply(ctx, action, product, reason)


def _apply(ctx: Context, action: str, product: Product, reason: str) -> list[Reply]:
    done = ACTIONS[action]
    reason = " ".join(reason.split())[:REASON_LIMIT]
    product.status, product.moderation_reason, product.updated_at = done.sets, reason, ctx.now
    ctx.session.add(product)
    _tell_seller(ctx, product, done.notice_key, reason=reason)
    return [ctx.reply(done.done_key, product=product_label(product))]


@REGISTRY.flow(MODERATE_FLOW)
async def moderate_flow(msg: Incoming, ctx: Context) -> Sequence[Reply]:
    """The reason a coordinator gives for hiding, removing or rejecting a product."""
    data = ctx.state.data
    action, reason = str(data.get("action")), msg.text.strip()
    if not reason or msg.payload or action not in ACTIONS:
        return [ctx.reply("catalogue.mod.reason_again")]
    ctx.end_flow()
    product, _, problem = _product(ctx, str(data.get("product_id")))
    if product is None:
        return problem
    if product.status not in ACTIONS[action][0]:
        status = status_text(ctx, product)
        return [ctx.reply("catalogue.mod.not_now", product=product_label(product), status=status)]
    return _apply(ctx, action, product, reason)


@REGISTRY.command(
    "hide_product",
    slash=("sembunyikan", "hideproduct"),
    bare=(),
    role=Role.COORDINATOR,
    en="hideproduct",
)
async def hide_product(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/sembunyikan 12 foto tidak pantas`: buyers stop seeing it; the seller hears why."""
    return _moderate(ctx, "hide", rest)


@REGISTRY.command(
    "remove_product",
    slash=("hapusproduk", "removeproduct"),
    bare=(),
    role=Role.COORDINATOR,
    en="removeproduct",
)
async def remove_product(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/hapusproduk 12 bukan produk UMKM`: out of the catalogue for good."""
    return _moderate(ctx, "remove", rest)


@REGISTRY.command(
    "unhide_product",
    slash=("tampilkanproduk", "unhideproduct"),
    bare=(),
    role=Role.COORDINATOR,
    en="unhideproduct",
    listed=False,
)
async def unhide_product(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Undo a hide: the product is back in the catalogue."""
    product, _, problem = _product(ctx, rest)
    if product is None:
        return problem
    if product.status != ProductStatus.HIDDEN:
        return [ctx.reply("catalogue.mod.not_hidden", product=product_label(product))]
    product.status, product.moderation_reason = ProductStatus.ACTIVE, None
    product.updated_at = product.last_confirmed_at = ctx.now
    ctx.session.add(product)
    _tell_seller(ctx, product, "catalogue.mod.unhidden_notice")
    return [ctx.reply("catalogue.mod.unhidden_done", product=product_label(product))]


@REGISTRY.command(
    "approval",
    slash=("persetujuan", "approval"),
    role=Role.COORDINATOR,
    en="approval",
)
async def approval(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`PERSETUJUAN on|off`: whether new products wait for a coordinator."""
    assert ctx.community is not None
    word = rest.strip().casefold()
    if word in ON_WORDS or word in OFF_WORDS:
        ctx.community.approval_required = word in ON_WORDS
        ctx.session.add(ctx.community)
    elif word:
        return [ctx.reply("catalogue.approval.usage")]
    mode = "catalogue.approval.on" if ctx.community.approval_required else "catalogue.approval.off"
    waiting = len(pending_products(session=ctx.session, community_id=ctx.community.id or 0))
    buttons = [
        ctx.button("catalogue.button.approval_on", "/persetujuan on"),
        ctx.button("catalogue.button.approval_off", "/persetujuan off"),
    ]
    return [
        ctx.reply(
            mode,
            waiting=waiting,
            queue=hint(ctx, "queue"),
            buttons=[] if word else buttons,
        )
    ]


@REGISTRY.command(
    "queue",
    slash=("antrian", "queue"),
    role=Role.COORDINATOR,
    en="queue",
)
async def queue(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """Products waiting for approval, each with Setujui / Tolak."""
    assert ctx.community is not None
    waiting = pending_products(session=ctx.session, community_id=ctx.community.id or 0)
    if not waiting:
        return [ctx.reply("catalogue.approval.queue_empty")]
    cards = [
        product_card(
            ctx,
            product,
            buttons=(
                ctx.button("catalogue.button.approve", f"/setujui {product.id}"),
                ctx.button("catalogue.button.reject", f"/tolak {product.id}"),
            ),
        )
        for product in waiting[:10]
    ]
    return [ctx.reply("catalogue.approval.queue", count=len(waiting)), *cards]


@REGISTRY.command(
    "approve",
    slash=("setujui", "approve"),
    bare=(),
    role=Role.COORDINATOR,
    en="approve",
    listed=False,
)
async def approve(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """A waiting product goes live; the seller hears it."""
    product, _, problem = _product(ctx, rest)
    if product is None:
        return problem
    if product.status != ProductStatus.PENDING_APPROVAL:
        status = status_text(ctx, product)
        return [ctx.reply("catalogue.mod.not_now", product=product_label(product), status=status)]
    product.status = ProductStatus.ACTIVE
    product.updated_at = product.last_confirmed_at = ctx.now
    ctx.session.add(product)
    _tell_seller(ctx, product, "catalogue.approval.approved_notice")
    return [ctx.reply("catalogue.approval.approved", product=product_label(product))]


@REGISTRY.command(
    "reject", slash=("tolak", "reject"), bare=(), role=Role.COORDINATOR, en="reject", listed=False
)
async def reject(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/tolak 12 alasan`; without a reason, Guyub asks for one (the seller deserves it)."""
    return _moderate(ctx, "reject", rest)
