"""Posting a product: `JUAL Keripik 15rb`, a captioned photo, or `/jual` step by step.

Every step lives in the conversation state (flow "product"), so a restart in the
middle of a post loses nothing.
"""

from collections.abc import Sequence
from typing import Any

from handlers.catalogue.drafts import (
    FLOW,
    STEPS,
    ask,
    begin_post,
    continue_post,
    first_photo,
    notes_replies,
    publish,
    review_card,
    take_post,
)
from handlers.catalogue.editing import EDIT_FIELDS, apply_edit, match_category, start_edit
from handlers.catalogue.fields import cap_description, is_skip, read_price
from handlers.context import Context
from handlers.i18n import rupiah
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Member, Product
from storage.products import find_product

SELL_WORDS = {"jual", "sell", "/jual", "/sell"}
PUBLISH_WORDS = {"pasang", "ok", "oke", "ya", "yes", "publish", "kirim", "tayang"}


@REGISTRY.command("sell", slash=("jual", "sell"), en="sell")
async def sell(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`JUAL Keripik pisang 15rb` posts at once; `JUAL` alone asks step by step."""
    assert ctx.member is not None
    return begin_post(ctx, ctx.member, rest, first_photo(ctx, msg))


@REGISTRY.fallback(50)
async def photo_post(msg: Incoming, ctx: Context) -> Sequence[Reply] | None:
    """A member's photo is a product post; its caption, if any, says what and how much."""
    if ctx.member is None or not msg.photos:
        return None
    photo = first_photo(ctx, msg)
    if photo is None:
        return None
    return begin_post(ctx, ctx.member, msg.text, photo)


@REGISTRY.flow(FLOW)
async def product_flow(msg: Incoming, ctx: Context) -> Sequence[Reply]:
    """One answer inside a post or an edit."""
    step, data = ctx.state.step or "", dict(ctx.state.data)
    if ctx.member is None or ctx.community is None:
        ctx.end_flow()
        return [ctx.reply("catalogue.not_found")]
    if step == "start" or step in STEPS:
        return _answer(ctx, msg, step, data)
    product = find_product(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        product_id=int(data.get("product_id") or 0),
        manager_id=ctx.member.id,
    )
    if product is None:
        ctx.end_flow()
        return [ctx.reply("catalogue.not_found")]
    if step.startswith("edit:") and step[5:] in EDIT_FIELDS:
        return apply_edit(ctx, msg, product, step[5:])
    return _review(ctx, msg, product)


def _answer(ctx: Context, msg: Incoming, step: str, data: dict[str, Any]) -> list[Reply]:
    """An answer to one question of the guided flow."""
    text = "" if msg.payload else msg.text.strip()
    skip = msg.payload == "product:skip" or is_skip(text)
    if photo := first_photo(ctx, msg):
        data["photo"] = photo
    if step in ("start", "title"):
        return take_post(ctx, data, text) if text else continue_post(ctx, data)
    if step == "price":
        answer = read_price(text)
        if answer.doubtful is not None:
            return [ctx.reply("catalogue.ask.price_doubtful", price=rupiah(answer.doubtful))]
        if not answer.understood:
            return [ask(ctx, step, data, again=True)]
        data["price"], data["price_set"] = answer.price, True
        return continue_post(ctx, data)
    if step == "description":
        if not text and not skip:
            return continue_post(ctx, data)
        notes: list[str] = []
        data["description"] = "" if skip else cap_description(text, notes)
        return [*notes_replies(ctx, notes), *continue_post(ctx, data)]
    if step == "photo":
        if skip:
            data["photo_skipped"] = True
        elif not data.get("photo"):
            return [ask(ctx, step, data, again=True)]
        return continue_post(ctx, data)
    category = match_category(msg)
    if category is None:
        return [ask(ctx, step, data, again=True)]
    data["category"] = category
    return continue_post(ctx, data)


def _review(ctx: Context, msg: Incoming, product: Product) -> list[Reply]:
    """The seller looks at the draft: publish, change something, or cancel."""
    payload = msg.payload or ""
    if payload == "product:ok" or msg.text.strip().casefold().strip("!. ") in PUBLISH_WORDS:
        return publish(ctx, product)
    if payload == "product:no":
        ctx.session.delete(product)
        ctx.end_flow()
        return [ctx.reply("catalogue.cancelled")]
    if payload.startswith("product:edit:") and payload[13:] in EDIT_FIELDS:
        return start_edit(ctx, product, payload[13:])
    if photo := first_photo(ctx, msg):
        product.photo_media_id = photo
        ctx.session.add(product)
        return [review_card(ctx, product)]
    first, _, rest = msg.text.strip().partition(" ")
    seller = ctx.session.get(Member, product.seller_id)
    if first.casefold() in SELL_WORDS and seller is not None:
        return begin_post(ctx, seller, rest, None)
    return [ctx.reply("catalogue.review.hint"), review_card(ctx, product)]
