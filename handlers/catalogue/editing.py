"""Changing one field of a product: of a draft under review, or of one already listed.

The questions and the reading of answers live here; the flow asking them is either the
draft review (handlers/catalogue/posting.py) or `EDIT` below, for listed products
(`/ubahharga 12`, the buttons of PRODUKKU).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.arguments import is_skip
from handlers.catalogue.cards import product_card, product_label
from handlers.catalogue.categories import CATEGORIES, category_name
from handlers.catalogue.drafts import first_photo, notes_replies, set_text
from handlers.catalogue.fields import cap_description, cap_title, category_from_text
from handlers.catalogue.pricing import read_price
from handlers.commands import hint
from handlers.context import Context
from handlers.flow import Flow
from handlers.i18n import rupiah
from handlers.messages import Button, Incoming, Reply
from storage.models import Product, ProductStatus
from storage.products import find_product, recommendation_counts

__all__ = [
    "EDIT",
    "EditField",
    "apply_edit",
    "category_buttons",
    "edit_prompt",
    "manage_card",
    "managed",
    "match_category",
    "saved",
    "start_edit",
    "touch",
]

REMOVE_PHOTO_WORDS = {"hapus", "hapus foto", "tanpa foto", "remove", "no photo", "delete"}


class EditField(StrEnum):
    """The fields a seller can change, in the order of the review buttons."""

    PRICE = "price"
    TITLE = "title"
    DESCRIPTION = "description"
    CATEGORY = "category"
    PHOTO = "photo"


EDIT_BUTTON_KEYS = {
    EditField.PRICE: "catalogue.button.edit_price",
    EditField.TITLE: "catalogue.button.edit_title",
    EditField.DESCRIPTION: "catalogue.button.edit_description",
    EditField.CATEGORY: "catalogue.button.edit_category",
    EditField.PHOTO: "catalogue.button.edit_photo",
}
PROMPT_KEYS = {
    EditField.PRICE: "catalogue.edit.price",
    EditField.TITLE: "catalogue.edit.title",
    EditField.DESCRIPTION: "catalogue.edit.description",
    EditField.PHOTO: "catalogue.edit.photo",
}


def touch(ctx: Context, product: Product) -> None:
    """The seller looked after the product now, so it is not stale."""
    product.updated_at = ctx.now
    if product.status != ProductStatus.DRAFT:
        product.last_confirmed_at = ctx.now
    ctx.session.add(product)


def category_buttons(ctx: Context, flow: Flow[Any]) -> list[Button]:
    """One button per category, in the person's language, answering `flow`."""
    return [
        Button(category_name(c.key, ctx.lang), flow.payload("category", c.key)) for c in CATEGORIES
    ]


def match_category(flow: Flow[Any], msg: Incoming) -> str | None:
    """A category from `flow`'s button, or typed by key or name in either language."""
    answer = flow.answer(msg)
    if answer is not None and answer.action == "category":
        return answer.arg if any(c.key == answer.arg for c in CATEGORIES) else None
    return category_from_text(msg.text)


def edit_prompt(ctx: Context, field: EditField, product: Product, flow: Flow[Any]) -> Reply:
    """The question asking for the new value of `field`, its buttons answering `flow`."""
    if field == EditField.CATEGORY:
        current = category_name(product.category, ctx.lang)
        buttons = category_buttons(ctx, flow)
        return ctx.reply("catalogue.edit.category", current=current, buttons=buttons)
    if field in (EditField.PHOTO, EditField.DESCRIPTION):
        keep = [flow.button(ctx, "catalogue.button.keep", "skip")]
        return ctx.reply(PROMPT_KEYS[field], buttons=keep)
    return ctx.reply(PROMPT_KEYS[field], title=product.title)


def apply_edit(
    ctx: Context, msg: Incoming, product: Product, field: EditField, flow: Flow[Any]
) -> tuple[list[Reply], bool]:
    """Take the answer to an edit question: (notes, True) once changed, or (the question
    again, False) when the answer is not usable.
    """
    text = msg.text.strip() if not msg.payload else ""
    keep = flow.pressed(msg, "skip") or is_skip(text)
    notes: list[str] = []
    if field == EditField.PRICE:
        answer = read_price(text)
        if answer.doubtful is not None:
            return [ctx.reply("catalogue.ask.price_doubtful", price=rupiah(answer.doubtful))], False
        if not answer.understood:
            return [ctx.reply("catalogue.ask.price_again")], False
        product.price = answer.price
    elif field == EditField.TITLE:
        title = cap_title(text, notes)
        if not title:
            return [edit_prompt(ctx, field, product, flow)], False
        set_text(product, title=title)
    elif field == EditField.DESCRIPTION:
        if not keep:
            if not text:
                return [edit_prompt(ctx, field, product, flow)], False
            set_text(product, description=cap_description(text, notes))
    elif field == EditField.CATEGORY:
        category = match_category(flow, msg)
        if category is None:
            return [edit_prompt(ctx, field, product, flow)], False
        product.category = category
    elif field == EditField.PHOTO:
        photo = first_photo(ctx, msg)
        if photo is not None:
            product.photo_media_id = photo
        elif " ".join(text.casefold().split()) in REMOVE_PHOTO_WORDS:
            product.photo_media_id = None
        elif not keep:
            return [ctx.reply("catalogue.edit.photo_again")], False
    touch(ctx, product)
    return notes_replies(ctx, notes), True


def saved(ctx: Context, product: Product) -> list[Reply]:
    """A listed product was changed: say so and show it with its buttons."""
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


# --- The flow for a listed product: one question, one answer ---------------------------


@dataclass
class EditData:
    """Which product, and which of its fields the next message is the new value of."""

    product_id: int
    field: EditField


EDIT = Flow("edit", EditData)


def start_edit(ctx: Context, product: Product, field: EditField) -> Reply:
    """Ask for a new value of a listed product's field; the answer arrives in `EDIT`."""
    EDIT.start(ctx, "value", EditData(product.id or 0, field))
    return edit_prompt(ctx, field, product, EDIT)


@EDIT.step("value", free_text=True)
async def value(msg: Incoming, ctx: Context, data: EditData) -> Sequence[Reply]:
    """The new value: saved, or the question again."""
    product = managed(ctx, data.product_id)
    if product is None:
        EDIT.end(ctx)
        return [ctx.reply("catalogue.not_found")]
    return take_value(ctx, msg, product, data.field)


def take_value(ctx: Context, msg: Incoming, product: Product, field: EditField) -> list[Reply]:
    """Apply an answer inside `EDIT`: done (the flow ends) or asked again (it stays)."""
    replies, done = apply_edit(ctx, msg, product, field, EDIT)
    if not done:
        return replies
    EDIT.end(ctx)
    return [*replies, *saved(ctx, product)]


def managed(ctx: Context, product_id: int) -> Product | None:
    """A product of this member's community that they may manage (drafts included)."""
    if ctx.member is None or ctx.community is None:
        return None
    return find_product(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        product_id=product_id,
        manager_id=ctx.member.id,
    )
