"""Changing one field of a product (a draft under review, or one already in the catalogue)."""

from handlers.catalogue.cards import product_card, product_label
from handlers.catalogue.categories import CATEGORIES, category_name
from handlers.catalogue.drafts import (
    FLOW,
    category_buttons,
    first_photo,
    hint,
    notes_replies,
    review_card,
    set_text,
)
from handlers.catalogue.fields import (
    cap_description,
    cap_title,
    category_from_text,
    is_skip,
    read_price,
)
from handlers.context import Context
from handlers.i18n import rupiah
from handlers.messages import Incoming, Reply
from storage.models import Product, ProductStatus
from storage.products import recommendation_counts

__all__ = [
    "EDIT_FIELDS",
    "after_change",
    "apply_edit",
    "edit_prompt",
    "manage_card",
    "match_category",
    "start_edit",
    "touch",
]

EDIT_FIELDS = ("price", "title", "description", "category", "photo")
REMOVE_PHOTO_WORDS = {"hapus", "hapus foto", "tanpa foto", "remove", "no photo", "delete"}


def touch(ctx: Context, product: Product) -> None:
    """The seller looked after the product now, so it is not stale."""
    product.updated_at = ctx.now
    if product.status != ProductStatus.DRAFT:
        product.last_confirmed_at = ctx.now
    ctx.session.add(product)


def match_category(msg: Incoming) -> str | None:
    """A category from its button, or typed by key or name in either language."""
    if msg.payload and msg.payload.startswith("product:cat:"):
        key = msg.payload.removeprefix("product:cat:")
        return key if any(c.key == key for c in CATEGORIES) else None
    return category_from_text(msg.text)


def edit_prompt(ctx: Context, field: str, product: Product) -> Reply:
    """The question asking for the new value of `field`."""
    if field == "category":
        current = category_name(product.category, ctx.lang)
        return ctx.reply("catalogue.edit.category", current=current, buttons=category_buttons(ctx))
    if field in ("photo", "description"):
        skip = [ctx.button("catalogue.button.keep", "product:skip")]
        return ctx.reply(f"catalogue.edit.{field}", buttons=skip)
    return ctx.reply(f"catalogue.edit.{field}", title=product.title)


def start_edit(ctx: Context, product: Product, field: str) -> list[Reply]:
    """Ask for a new value; the answer arrives in the product flow."""
    ctx.start_flow(FLOW, f"edit:{field}", {"product_id": product.id})
    return [edit_prompt(ctx, field, product)]


def apply_edit(ctx: Context, msg: Incoming, product: Product, field: str) -> list[Reply]:
    """Take the answer to an edit question; ask again when it is not usable."""
    text = msg.text.strip() if not msg.payload else ""
    keep = msg.payload == "product:skip" or is_skip(text)
    notes: list[str] = []
    if field == "price":
        answer = read_price(text)
        if answer.doubtful is not None:
            return [ctx.reply("catalogue.ask.price_doubtful", price=rupiah(answer.doubtful))]
        if not answer.understood:
            return [ctx.reply("catalogue.ask.price_again")]
        product.price = answer.price
    elif field == "title":
        title = cap_title(text, notes)
        if not title:
            return [edit_prompt(ctx, field, product)]
        set_text(product, title=title)
    elif field == "description":
        if not keep:
            if not text:
                return [edit_prompt(ctx, field, product)]
            set_text(product, description=cap_description(text, notes))
    elif field == "category":
        category = match_category(msg)
        if category is None:
            return [edit_prompt(ctx, field, product)]
        product.category = category
    elif field == "photo":
        photo = first_photo(ctx, msg)
        if photo is not None:
            product.photo_media_id = photo
        elif " ".join(text.casefold().split()) in REMOVE_PHOTO_WORDS:
            product.photo_media_id = None
        elif not keep:
            return [ctx.reply("catalogue.edit.photo_again")]
    touch(ctx, product)
    return [*notes_replies(ctx, notes), *after_change(ctx, product)]


def after_change(ctx: Context, product: Product) -> list[Reply]:
    """Back to the review of a draft, or the saved product with its buttons."""
    if product.status == ProductStatus.DRAFT:
        ctx.start_flow(FLOW, "review", {"product_id": product.id})
        return [review_card(ctx, product)]
    ctx.end_flow()
    return [ctx.reply("catalogue.saved", product=product_label(product)), manage_card(ctx, product)]


def manage_card(ctx: Context, product: Product) -> Reply:
    """The seller's own view of a product: its status and what they can do with it."""
    pid = product.id
    buttons = [
        ctx.button("catalogue.button.edit_price", f"/ubahharga {pid}"),
        ctx.button("catalogue.button.edit_description", f"/ubahketerangan {pid}"),
    ]
    if product.status == ProductStatus.ACTIVE:
        buttons.append(ctx.button("catalogue.button.sold_out", f"/habis {pid}"))
    elif product.status == ProductStatus.SOLD_OUT:
        buttons.append(ctx.button("catalogue.button.available", f"/ada {pid}"))
    buttons.append(ctx.button("catalogue.button.delete", f"/hapus {pid}"))
    counts = recommendation_counts(session=ctx.session, product_ids=[pid or 0])
    heading = ctx.t("catalogue.manage.heading", mine=hint(ctx, "my_products"))
    return product_card(
        ctx,
        product,
        recommendations=counts.get(pid or 0, 0),
        heading=heading,
        buttons=buttons,
        show_status=True,
    )
