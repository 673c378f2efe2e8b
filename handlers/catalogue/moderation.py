"""Coordinators look after the catalogue: hide or remove with a reason, approval mode.

The seller always hears why (a notice through the outbox, in their own language).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from handlers.answers import is_no, is_yes
from handlers.arguments import parse_id
from handlers.catalogue.cards import product_card, product_label, status_text
from handlers.commands import hint
from handlers.context import Context, in_language_of
from handlers.flow import Flow
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Product, ProductStatus, Role
from storage.products import caretaker, find_product, pending_products

REASON_LIMIT = 300
ON_WORDS = {"on", "ya", "yes", "aktif", "nyala", "hidup", "1"}
OFF_WORDS = {"off", "tidak", "no", "mati", "nonaktif", "0"}


class Action(StrEnum):
    """What a coordinator does to a product, always with a reason for the seller."""

    HIDE = "hide"
    REMOVE = "remove"
    REJECT = "reject"


@dataclass(frozen=True)
class Rule:
    """Which statuses an action applies to, the status it sets, and its two texts."""

    applies_to: tuple[ProductStatus, ...]
    sets: ProductStatus
    notice_key: str  # to the seller
    done_key: str  # to the coordinator


ACTIONS = {
    Action.HIDE: Rule(
        (ProductStatus.ACTIVE, ProductStatus.SOLD_OUT, ProductStatus.PENDING_APPROVAL),
        ProductStatus.HIDDEN,
        "catalogue.mod.hidden_notice",
        "catalogue.mod.hidden_done",
    ),
    Action.REMOVE: Rule(
        (
            ProductStatus.ACTIVE,
            ProductStatus.SOLD_OUT,
            ProductStatus.PENDING_APPROVAL,
            ProductStatus.HIDDEN,
        ),
        ProductStatus.REMOVED,
        "catalogue.mod.removed_notice",
        "catalogue.mod.removed_done",
    ),
    Action.REJECT: Rule(
        (ProductStatus.PENDING_APPROVAL,),
        ProductStatus.REMOVED,
        "catalogue.mod.rejected_notice",
        "catalogue.mod.rejected_done",
    ),
}


@dataclass
class ModerateData:
    """The action waiting for its reason, and on which product."""

    action: Action
    product_id: int


MODERATE = Flow("moderate", ModerateData)


def _product(ctx: Context, rest: str) -> tuple[Product | None, str, list[Reply]]:
    assert ctx.community is not None
    product_id, remainder = parse_id(rest)
    if product_id is None:
        return None, remainder, [ctx.reply("catalogue.mod.usage")]
    product = find_product(
        session=ctx.session, community_id=ctx.community.id or 0, product_id=product_id
    )
    if product is None or product.status == ProductStatus.DRAFT:
        # spoken to a coordinator: where product numbers are, not "your products"
        not_found = ctx.reply(
            "catalogue.mod.not_found",
            id=product_id,
            community=ctx.community.name,
            catalog=hint(ctx, "catalogue"),
            queue=hint(ctx, "queue"),
        )
        return None, remainder, [not_found]
    return product, remainder, []


def _tell_seller(ctx: Context, product: Product, key: str, **values: object) -> None:
    member = caretaker(session=ctx.session, product=product)
    if member is None or (ctx.member is not None and member.id == ctx.member.id):
        return
    theirs = in_language_of(ctx, member)
    ctx.notify(member.id or 0, Reply(text=theirs.t(key, product=product_label(product), **values)))


def _moderate(ctx: Context, action: Action, rest: str) -> list[Reply]:
    product, reason, problem = _product(ctx, rest)
    if product is None:
        return problem
    if product.status not in ACTIONS[action].applies_to:
        return [_not_now(ctx, product)]
    if not reason.strip():
        MODERATE.start(ctx, "reason", ModerateData(action, product.id or 0))
        return [ctx.reply("catalogue.mod.ask_reason", product=product_label(product))]
    return _apply(ctx, action, product, reason)


def _not_now(ctx: Context, product: Product) -> Reply:
    status = status_text(ctx, product.status)
    return ctx.reply("catalogue.mod.not_now", product=product_label(product), status=status)


def _apply(ctx: Context, action: Action, product: Product, reason: str) -> list[Reply]:
    rule = ACTIONS[action]
    reason = " ".join(reason.split())[:REASON_LIMIT]
    product.status, product.moderation_reason, product.updated_at = rule.sets, reason, ctx.now
    ctx.session.add(product)
    _tell_seller(ctx, product, rule.notice_key, reason=reason)
    return [ctx.reply(rule.done_key, product=product_label(product))]


@MODERATE.step("reason", free_text=True)
async def reason(msg: Incoming, ctx: Context, data: ModerateData) -> Sequence[Reply]:
    """The reason a coordinator gives for hiding, removing or rejecting a product."""
    typed = msg.text.strip()
    if not typed or msg.payload:
        return [ctx.reply("catalogue.mod.reason_again")]
    MODERATE.end(ctx)
    product, _, problem = _product(ctx, str(data.product_id))
    if product is None:
        return problem
    if product.status not in ACTIONS[data.action].applies_to:
        return [_not_now(ctx, product)]
    return _apply(ctx, data.action, product, typed)


@REGISTRY.command(
    "hide_product",
    slash=("sembunyikan", "hideproduct"),
    bare=(),
    role=Role.COORDINATOR,
    en="hideproduct",
)
async def hide_product(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/sembunyikan 12 foto tidak pantas`: buyers stop seeing it; the seller hears why."""
    return _moderate(ctx, Action.HIDE, rest)


@REGISTRY.command(
    "remove_product",
    slash=("hapusproduk", "removeproduct"),
    bare=(),
    role=Role.COORDINATOR,
    en="removeproduct",
)
async def remove_product(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/hapusproduk 12 bukan produk UMKM`: out of the catalogue for good."""
    return _moderate(ctx, Action.REMOVE, rest)


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
    on, off = word in ON_WORDS or is_yes(word), word in OFF_WORDS or is_no(word)
    if on or off:
        ctx.community.approval_required = on
        ctx.session.add(ctx.community)
    elif word:
        return [ctx.reply("catalogue.approval.usage")]
    key = "catalogue.approval.on" if ctx.community.approval_required else "catalogue.approval.off"
    waiting = len(pending_products(session=ctx.session, community_id=ctx.community.id or 0))
    buttons = [
        ctx.button("catalogue.button.approval_on", "/persetujuan on"),
        ctx.button("catalogue.button.approval_off", "/persetujuan off"),
    ]
    return [
        ctx.reply(
            key,
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
        return [_not_now(ctx, product)]
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
    return _moderate(ctx, Action.REJECT, rest)
