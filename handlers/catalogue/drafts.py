"""Drafts: from a seller's words to a confirmed product.

A post becomes a DRAFT product only once it has a title and a believable price; until
then its parts wait in the conversation state. Nothing is public before the seller
presses Pasang (publish): then the product is ACTIVE, or PENDING_APPROVAL when the
community wants a coordinator to look first.
"""

from dataclasses import replace
from typing import Any

from handlers.catalogue.cards import product_card, product_label
from handlers.catalogue.categories import CATEGORIES, category_name, suggest_category
from handlers.catalogue.fields import NOTE_LIMITS, index_text, read_post
from handlers.commands import command_hint
from handlers.context import Context, has_role
from handlers.i18n import rupiah
from handlers.messages import Button, Incoming, Reply
from handlers.registry import REGISTRY
from storage.communities import members_of
from storage.models import Member, Product, ProductStatus, Role
from storage.products import count_live, create_product, delete_drafts

__all__ = [
    "FLOW",
    "STEPS",
    "ask",
    "begin_post",
    "category_buttons",
    "continue_post",
    "first_photo",
    "hint",
    "in_language_of",
    "limit_reply",
    "notes_replies",
    "publish",
    "review_card",
    "set_text",
    "take_post",
]

FLOW = "product"
STEPS = ("title", "price", "description", "photo", "category")
"""The questions of a post, in order; one-message posts only ask the first two if needed."""


def hint(ctx: Context, key: str) -> str:
    """How this person types command `key` (`/cari` on Telegram, `CARI` on WhatsApp)."""
    command = next(c for c in REGISTRY.commands if c.key == key)
    return command_hint(ctx, command)


def in_language_of(ctx: Context, member: Member) -> Context:
    """The same context speaking another member's language, for notices to them."""
    return replace(ctx, lang=member.language)


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


def category_buttons(ctx: Context) -> list[Button]:
    """One button per category, in the person's language."""
    return [Button(category_name(c.key, ctx.lang), f"product:cat:{c.key}") for c in CATEGORIES]


def begin_post(
    ctx: Context, seller: Member, text: str, photo: str | None, *, guided: bool = False
) -> list[Reply]:
    """Start a post: one message (`JUAL Keripik 15rb`, a captioned photo) or step by step."""
    assert ctx.member is not None and ctx.community is not None
    if (refusal := limit_reply(ctx, seller)) is not None:
        return [refusal]
    delete_drafts(
        session=ctx.session, community_id=ctx.community.id or 0, posted_by_id=ctx.member.id
    )
    data: dict[str, Any] = {"seller_id": seller.id, "guided": guided or not text, "photo": photo}
    ctx.start_flow(FLOW, "start", data)
    if text.strip():
        return take_post(ctx, data, text)
    return continue_post(ctx, data)


def take_post(ctx: Context, data: dict[str, Any], text: str) -> list[Reply]:
    """Fill title, price and description from one message, then ask what is missing."""
    post = read_post(text)
    notes = notes_replies(ctx, post.notes)
    if post.title:
        data["title"] = post.title
    if post.description:
        data["description"] = post.description
    if post.price is not None:
        data["price"], data["price_set"] = post.price, True
    elif post.doubtful_price is not None:
        data["price_set"] = False
        ctx.start_flow(FLOW, "price", data)
        question = ctx.reply("catalogue.ask.price_doubtful", price=rupiah(post.doubtful_price))
        return [*notes, question]
    elif not data["guided"] and "price_set" not in data:
        data["price"], data["price_set"] = None, True  # no price or "harga nego": ask the seller
    return [*notes, *continue_post(ctx, data)]


def notes_replies(ctx: Context, keys: list[str]) -> list[Reply]:
    """Notices about what was cut, each with its limit."""
    return [ctx.reply(key, count=NOTE_LIMITS[key]) for key in keys]


def _missing(data: dict[str, Any]) -> str | None:
    if not data.get("title"):
        return "title"
    if not data.get("price_set"):
        return "price"
    if data["guided"]:
        if data.get("description") is None:
            return "description"
        if data.get("photo") is None and not data.get("photo_skipped"):
            return "photo"
        if data.get("category") is None:
            return "category"
    return None


def continue_post(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    """Ask for the next missing part, or make the draft and show it for review."""
    step = _missing(data)
    if step is not None:
        again = step == ctx.state.step and ctx.state.flow == FLOW
        ctx.start_flow(FLOW, step, data)
        return [ask(ctx, step, data, again=again)]
    return _make_draft(ctx, data)


def ask(ctx: Context, step: str, data: dict[str, Any], *, again: bool = False) -> Reply:
    """The question for one step of the guided flow."""
    suffix = "_again" if again else ""
    if step == "title" and data.get("photo") and not again:
        return ctx.reply("catalogue.ask.title_with_photo")
    if step in ("description", "photo"):
        skip = [ctx.button("catalogue.button.skip", "product:skip")]
        return ctx.reply(f"catalogue.ask.{step}{suffix}", buttons=skip)
    if step == "category":
        suggested = category_name(_suggested(data), ctx.lang)
        return ctx.reply(
            "catalogue.ask.category", suggested=suggested, buttons=category_buttons(ctx)
        )
    return ctx.reply(f"catalogue.ask.{step}{suffix}")


def _suggested(data: dict[str, Any]) -> str:
    return suggest_category(f"{data.get('title', '')} {data.get('description') or ''}")


def _make_draft(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    assert ctx.member is not None and ctx.community is not None
    title, description = data["title"], data.get("description") or ""
    product = create_product(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        seller_id=data["seller_id"],
        posted_by_id=ctx.member.id,
        title=title,
        description=description,
        price=data.get("price"),
        category=data.get("category") or _suggested(data),
        photo_media_id=data.get("photo"),
        search_text=index_text(title, description),
        now=ctx.now,
    )
    ctx.start_flow(FLOW, "review", {"product_id": product.id})
    return [review_card(ctx, product)]


def review_card(ctx: Context, product: Product) -> Reply:
    """The draft as buyers will see it, with Pasang / ubah / Batal buttons."""
    buttons = [
        ctx.button("catalogue.button.publish", "product:ok"),
        *(
            ctx.button(f"catalogue.button.edit_{field}", f"product:edit:{field}")
            for field in ("price", "title", "description", "category", "photo")
        ),
        ctx.button("common.cancel", "product:no"),
    ]
    heading = ctx.t("catalogue.review.heading")
    return product_card(ctx, product, heading=heading, buttons=buttons)


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
