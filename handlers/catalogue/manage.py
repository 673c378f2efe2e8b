"""A seller's own products: PRODUKKU, sold out / available again, price and text, delete.

Product numbers are the ids people see (`#12`); every lookup is scoped to the member's
community and to products they manage, so a wrong number is "not found", never
someone else's product.
"""

import re
from collections.abc import Sequence
from dataclasses import replace

from handlers.answers import is_yes
from handlers.arguments import is_page_number, parse_id
from handlers.catalogue.cards import price_text, product_label, status_text
from handlers.catalogue.drafts import limit_reply
from handlers.catalogue.editing import (
    EditField,
    manage_card,
    managed,
    start_edit,
    take_value,
    touch,
)
from handlers.commands import hint
from handlers.context import Context
from handlers.messages import Button, Incoming, Reply
from handlers.registry import REGISTRY
from handlers.shorten import shorten
from storage.models import Member, Product, ProductStatus
from storage.products import managed_products

LIST_PAGE = 10
EDIT_USAGE = {
    "price": "catalogue.usage.edit_price",
    "description": "catalogue.usage.edit_description",
}
# `HABIS 12`, `HAPUS #12 ya`, or the word alone (answered with how to use it).
TYPED = re.compile(
    r"^(?P<word>habis|sold\s*out|ada|available|masih\s*ada|still\s*available|hapus|delete)"
    r"(?:\s*#?(?P<id>\d+)(?:\s+(?P<yes>ya|yes|y|ok))?)?[\s.!]*$",
    re.IGNORECASE,
)


def owned(ctx: Context, product_id: int) -> Product | None:
    """A product this member manages, in their community (never a draft or removed one)."""
    product = managed(ctx, product_id)
    if product is None or product.status in (ProductStatus.DRAFT, ProductStatus.REMOVED):
        return None
    return product


def _lookup(ctx: Context, rest: str, usage: str) -> tuple[Product | None, str, list[Reply]]:
    """The product named by the first word of `rest`, or the friendly reply to send."""
    product_id, remainder = parse_id(rest)
    if product_id is None:
        return None, remainder, [ctx.reply(usage, mine=hint(ctx, "my_products"))]
    product = owned(ctx, product_id)
    if product is None:
        return None, remainder, [ctx.reply("catalogue.not_found")]
    return product, remainder, []


@REGISTRY.command(
    "my_products",
    slash=("produkku", "myproducts"),
    en="myproducts",
)
async def my_products(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """PRODUKKU lists the products; `PRODUKKU 12` shows one with its buttons."""
    assert ctx.member is not None and ctx.community is not None
    if rest.startswith("@") and is_page_number(rest[1:]):
        return [_list(ctx, int(rest[1:]))]
    if not rest:
        return [_list(ctx, 1)]
    product, _, problem = _lookup(ctx, rest, "catalogue.usage.my_products")
    return [manage_card(ctx, product)] if product is not None else problem


def _list(ctx: Context, page: int) -> Reply:
    assert ctx.member is not None and ctx.community is not None
    page = max(page, 1)
    rows = managed_products(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        member_id=ctx.member.id or 0,
        limit=LIST_PAGE + 1,
        offset=(page - 1) * LIST_PAGE,
    )
    if not rows and page == 1:
        return ctx.reply("catalogue.mine.empty", sell=hint(ctx, "sell"))
    if not rows:
        first = ctx.button("catalogue.button.first_page", "/produkku")
        return ctx.reply("catalogue.mine.no_more", page=page, buttons=[first])
    lines = [ctx.t("catalogue.mine.header", limit=ctx.community.max_active_products)]
    buttons = []
    for product in rows[:LIST_PAGE]:
        status = status_text(ctx, product.status)
        line = f"{product_label(product)} — {price_text(ctx, product.price)} — {status}"
        if product.seller_id != ctx.member.id:
            seller = ctx.session.get(Member, product.seller_id)
            line += " " + ctx.t("catalogue.mine.for", seller=seller.display_name if seller else "?")
        lines.append(line)
        buttons.append(Button(shorten(product_label(product), 40), f"/produkku {product.id}"))
    if page > 1:
        buttons.append(ctx.button("catalogue.button.previous", f"/produkku @{page - 1}"))
    if len(rows) > LIST_PAGE:
        buttons.append(ctx.button("catalogue.button.next", f"/produkku @{page + 1}"))
    lines.append(ctx.t("catalogue.mine.footer"))
    return Reply(text="\n".join(lines), buttons=tuple(buttons))


@REGISTRY.command("sold_out", slash=("habis", "soldout"), bare=(), en="soldout", listed=False)
async def sold_out(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """HABIS 12: hide the product from buyers until ADA 12."""
    product, _, problem = _lookup(ctx, rest, "catalogue.usage.sold_out")
    if product is None:
        return problem
    if product.status == ProductStatus.SOLD_OUT:
        return [ctx.reply("catalogue.already_sold_out", product=product_label(product))]
    if product.status != ProductStatus.ACTIVE:
        return [ctx.reply("catalogue.cannot_change", product=product_label(product))]
    product.status = ProductStatus.SOLD_OUT
    touch(ctx, product)
    available = f"{hint(ctx, 'available', typed=True)} {product.id}"
    return [
        ctx.reply("catalogue.marked_sold_out", product=product_label(product), available=available)
    ]


@REGISTRY.command(
    "available", slash=("ada", "available", "tersedia"), bare=(), en="available", listed=False
)
async def available(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """ADA 12: a sold-out product is back (if there is room under the limit)."""
    product, _, problem = _lookup(ctx, rest, "catalogue.usage.available")
    if product is None:
        return problem
    if product.status == ProductStatus.ACTIVE:
        touch(ctx, product)
        return [ctx.reply("catalogue.still_shown", product=product_label(product))]
    if product.status != ProductStatus.SOLD_OUT:
        return [ctx.reply("catalogue.cannot_change", product=product_label(product))]
    seller = ctx.session.get(Member, product.seller_id)
    if seller is not None and (refusal := limit_reply(ctx, seller)) is not None:
        return [refusal]
    product.status = ProductStatus.ACTIVE
    touch(ctx, product)
    return [ctx.reply("catalogue.marked_available", product=product_label(product))]


@REGISTRY.command(
    "still_available",
    slash=("masihada", "stillavailable"),
    bare=(),
    en="stillavailable",
    listed=False,
)
async def still_available(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """The answer to "masih ada?": the product stays (or comes back) in the catalogue."""
    return await available(msg, ctx, rest)


@REGISTRY.command("delete_product", slash=("hapus", "delete"), bare=(), en="delete", listed=False)
async def delete_product(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """HAPUS 12 asks first; the Ya button (`/hapus 12 ya`) deletes for good."""
    product, answer, problem = _lookup(ctx, rest, "catalogue.usage.delete")
    if product is None:
        return problem
    if not is_yes(answer):
        buttons = [
            ctx.button("catalogue.button.confirm_delete", f"/hapus {product.id} ya"),
            ctx.button("catalogue.button.keep_product", f"/produkku {product.id}"),
        ]
        return [
            ctx.reply("catalogue.delete.confirm", product=product_label(product), buttons=buttons)
        ]
    label = product_label(product)
    ctx.session.delete(product)
    return [ctx.reply("catalogue.delete.done", product=label)]


@REGISTRY.command(
    "edit_price", slash=("ubahharga", "editprice"), bare=(), en="editprice", listed=False
)
async def edit_price(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/ubahharga 12 20rb` at once, or `/ubahharga 12` to be asked."""
    return _edit(ctx, msg, rest, EditField.PRICE, "catalogue.usage.edit_price")


@REGISTRY.command(
    "edit_description",
    slash=("ubahketerangan", "editdescription"),
    bare=(),
    en="editdescription",
    listed=False,
)
async def edit_description(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/ubahketerangan 12 Isi 10 bungkus` at once, or `/ubahketerangan 12` to be asked."""
    return _edit(ctx, msg, rest, EditField.DESCRIPTION, "catalogue.usage.edit_description")


def _edit(ctx: Context, msg: Incoming, rest: str, field: EditField, usage: str) -> list[Reply]:
    product, value, problem = _lookup(ctx, rest, usage)
    if product is None:
        return problem
    question = start_edit(ctx, product, field)
    if not value:
        return [question]
    # Inside the edit flow, so a questioned or unreadable value is answered in the next message.
    return take_value(ctx, replace(msg, text=value, payload=None, media=()), product, field)


@REGISTRY.fallback(60)
async def typed_status(msg: Incoming, ctx: Context) -> Sequence[Reply] | None:
    """`HABIS 12`, `ADA 12`, `MASIH ADA 12`, `HAPUS 12` typed without a slash."""
    match = TYPED.match(msg.text.strip())
    if ctx.member is None or ctx.community is None or match is None:
        return None
    word = match["word"].casefold().replace(" ", "")
    handler = {
        "habis": sold_out,
        "soldout": sold_out,
        "hapus": delete_product,
        "delete": delete_product,
    }.get(word, available)
    return await handler(msg, ctx, f"{match['id'] or ''} {match['yes'] or ''}".strip())
