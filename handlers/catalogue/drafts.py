"""Drafts: from a seller's confirmed words to a public product.

A post becomes a DRAFT product only once it has a title and a believable price (the
posting flow gathers them). Nothing is public before the seller presses Pasang (publish):
then the product is ACTIVE, or PENDING_APPROVAL when the community wants a coordinator
to look first.
"""

from handlers.catalogue.cards import product_card, product_label
from handlers.catalogue.fields import NOTE_LIMITS, index_text
from handlers.commands import hint
from handlers.context import Context, has_role, in_language_of
from handlers.messages import Incoming, Reply
from storage.communities import members_of
from storage.models import Member, Product, ProductStatus, Role
from storage.products import count_live

__all__ = [
    "first_photo",
    "limit_reply",
    "notes_replies",
    "publish",
    "set_text",
]


def first_photo(ctx: Context, msg: Incoming) -> str | None:
    """The media-store id of the message's first photo, if the store really has it."""
    for photo in msg.photos:
        if ctx.media.get(session=ctx.session, media_id=photo.ref) is not None:
            return photo.ref
    return None


def limit_reply(ctx: Context, seller: Member) -> Reply | None:
    """A kind refusal when the seller already uses every place; None when there is room."""
    assert ctx.community is not None
    limit = ctx.community.max_active_products
    used = count_live(
        session=ctx.session, community_id=ctx.community.id or 0, seller_id=seller.id or 0
    )
    if used < limit:
        return None
    return ctx.reply(
        "catalogue.limit_reached",
        count=limit,
        community=ctx.community.name,
        mine=hint(ctx, "my_products"),
    )


def notes_replies(ctx: Context, keys: list[str]) -> list[Reply]:
    """Notices about what was cut, each with its limit."""
    return [ctx.reply(key, count=NOTE_LIMITS[key]) for key in keys]


def set_text(product: Product, *, title: str | None = None, description: str | None = None) -> None:
    """Change title or description and keep the search text in step."""
    if title is not None:
        product.title = title
    if description is not None:
        product.description = description
    product.search_text = index_text(product.title, product.description)


def publish(ctx: Context, product: Product) -> list[Reply]:
    """The seller confirmed: make the draft public (or queue it for approval)."""
    assert ctx.member is not None and ctx.community is not None
    ctx.end_flow()
    seller = ctx.session.get(Member, product.seller_id)
    if seller is None or product.status != ProductStatus.DRAFT:
        return [ctx.reply("catalogue.not_found")]
    if (refusal := limit_reply(ctx, seller)) is not None:
        ctx.session.delete(product)
        return [refusal]
    waits = ctx.community.approval_required and not has_role(ctx.member, Role.COORDINATOR)
    product.status = ProductStatus.PENDING_APPROVAL if waits else ProductStatus.ACTIVE
    product.last_confirmed_at = product.updated_at = ctx.now
    ctx.session.add(product)
    replies = []
    if seller.role == Role.MEMBER:
        seller.role, seller.updated_at = Role.SELLER, ctx.now
        ctx.session.add(seller)
        if seller.id == ctx.member.id:
            replies.append(ctx.reply("catalogue.became_seller", community=ctx.community.name))
    if waits:
        _ask_coordinators(ctx, product)
        return [ctx.reply("catalogue.pending", product=product_label(product)), *replies]
    values: dict[str, object] = {
        "product": product_label(product),
        "search": hint(ctx, "search"),
        "word": product.title.split()[0] if product.title.split() else "",
        "seller": seller.display_name,
        "mine": hint(ctx, "my_products"),
    }
    key = "catalogue.published" if seller.id == ctx.member.id else "catalogue.published_for"
    return [Reply(text=ctx.t(key, **values)), *replies]


def _ask_coordinators(ctx: Context, product: Product) -> None:
    assert ctx.community is not None
    for coordinator in members_of(
        session=ctx.session, community_id=ctx.community.id or 0, roles=[Role.COORDINATOR]
    ):
        theirs = in_language_of(ctx, coordinator)
        buttons = [
            theirs.button("catalogue.button.approve", f"/setujui {product.id}"),
            theirs.button("catalogue.button.reject", f"/tolak {product.id}"),
        ]
        heading = theirs.t("catalogue.approval.notice", queue=hint(theirs, "queue"))
        ctx.notify(
            coordinator.id or 0, product_card(theirs, product, heading=heading, buttons=buttons)
        )
