"""Recommend (*rekomendasi*): a member vouches for another member's product, once.

`REKOMENDASI 12` (or the 👍 button on a card) stores the recommendation at once, then asks
for an optional short testimonial. Caps keep it honest: never one's own product, one per
product, and at most `Community.recommendations_per_day` a local day. A coordinator can
remove a testimonial (`/hapusulasan 12`); the recommendation stays counted and the seller
is never told who removed it. Sellers hear about new recommendations once a day
(jobs/recommendation_notices.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from handlers.arguments import is_skip, parse_id
from handlers.catalogue.cards import CARD_BUTTONS, author_name, product_label, testimonial_line
from handlers.commands import hint
from handlers.context import Context, in_language_of
from handlers.flow import Flow
from handlers.messages import Button, Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Member, Product, ProductStatus, Role
from storage.products import find_product
from storage.recommendations import (
    add_recommendation,
    count_given_since,
    find_recommendation,
    testimonials,
)

__all__ = ["TESTIMONIAL_LIMIT", "recommend_button"]

TESTIMONIAL_LIMIT = 200
REVIEW_PREFIX = "u"  # `/hapusulasan 12 u34`: the button removing testimonial (recommendation) 34


@dataclass
class TestimonialData:
    """The recommendation waiting for its optional testimonial."""

    recommendation_id: int
    product_id: int


TESTIMONIAL = Flow("recommend", TestimonialData)


def _skip_button(ctx: Context) -> Button:
    return TESTIMONIAL.button(ctx, "recommend.button.skip", "skip")


def _start_of_day(ctx: Context) -> datetime:
    """Midnight today in the community's zone: the daily cap counts from here."""
    local = ctx.now.astimezone(ctx.zone)
    return datetime.combine(local.date(), time(), tzinfo=ctx.zone)


def _refusal(ctx: Context, product: Product | None, product_id: int) -> Reply | None:
    """Why this member may not recommend this product, or None when they may."""
    assert ctx.member is not None and ctx.community is not None
    if product is None or product.status == ProductStatus.DRAFT:
        return ctx.reply("recommend.not_found", id=product_id, catalog=hint(ctx, "catalogue"))
    label = product_label(product)
    if product.seller_id == ctx.member.id:
        return ctx.reply("recommend.own", product=label)
    if product.status == ProductStatus.SOLD_OUT:
        return ctx.reply("recommend.sold_out", product=label)
    if product.status != ProductStatus.ACTIVE:
        return ctx.reply("recommend.not_listed", product=label)
    given = find_recommendation(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        product_id=product.id,
        member_id=ctx.member.id,
    )
    if given is not None:
        return ctx.reply("recommend.twice", product=label)
    limit = ctx.community.recommendations_per_day
    today = count_given_since(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        member_id=ctx.member.id or 0,
        since=_start_of_day(ctx),
    )
    if today >= limit:
        return ctx.reply("recommend.cap", count=limit)
    return None


def _recommend(ctx: Context, rest: str) -> list[Reply]:
    assert ctx.member is not None and ctx.community is not None
    product_id, _ = parse_id(rest)
    if product_id is None:
        return [ctx.reply("recommend.usage", cmd=hint(ctx, "recommend"))]
    product = find_product(
        session=ctx.session, community_id=ctx.community.id or 0, product_id=product_id
    )
    refusal = _refusal(ctx, product, product_id)
    if refusal is not None:
        return [refusal]
    assert product is not None
    row = add_recommendation(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        product_id=product_id,
        member_id=ctx.member.id or 0,
        now=ctx.now,
    )
    TESTIMONIAL.start(ctx, "text", TestimonialData(row.id or 0, product_id))
    return [
        ctx.reply(
            "recommend.done",
            product=product_label(product),
            limit=TESTIMONIAL_LIMIT,
            buttons=[_skip_button(ctx)],
        )
    ]


@REGISTRY.command("recommend", slash=("rekomendasi", "recommend"), en="recommend")
async def recommend(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`REKOMENDASI 12`: vouch for someone's product, then an optional testimonial."""
    return _recommend(ctx, rest)


def _typed_recommend(text: str) -> str | None:
    """`REKOMENDASI 13` typed while asked for a testimonial: the next recommendation's rest."""
    first, _, rest = text.strip().partition(" ")
    command = REGISTRY.find(first.lower(), slash=False)
    if command is None or command.key != "recommend" or parse_id(rest)[0] is None:
        return None
    return rest


@TESTIMONIAL.step("text", free_text=True)
async def testimonial(msg: Incoming, ctx: Context, data: TestimonialData) -> Sequence[Reply]:
    """The optional testimonial: kept exactly as typed (markup too), up to 200 characters."""
    assert ctx.community is not None and ctx.member is not None
    text = msg.text.strip()
    if TESTIMONIAL.pressed(msg, "skip") or (not msg.payload and is_skip(text)):
        TESTIMONIAL.end(ctx)
        return [ctx.reply("recommend.testimonial.skipped")]
    if msg.payload or not text:
        return [ctx.reply("recommend.testimonial.again", buttons=[_skip_button(ctx)])]
    if (rest := _typed_recommend(text)) is not None:
        TESTIMONIAL.end(ctx)
        return _recommend(ctx, rest)
    if len(text) > TESTIMONIAL_LIMIT:
        return [
            ctx.reply(
                "recommend.testimonial.too_long",
                count=len(text),
                limit=TESTIMONIAL_LIMIT,
                buttons=[_skip_button(ctx)],
            )
        ]
    TESTIMONIAL.end(ctx)
    row = find_recommendation(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        member_id=ctx.member.id,
        recommendation_id=data.recommendation_id,
    )
    if row is None:  # gone meanwhile: nothing to attach it to
        return [ctx.reply("flow.expired")]
    row.testimonial = text
    ctx.session.add(row)
    return [ctx.reply("recommend.testimonial.saved", testimonial=text)]


def recommend_button(ctx: Context, product: Product) -> Button | None:
    """👍 Rekomendasikan on a card: for members, on others' active products not yet vouched for."""
    member, community = ctx.member, ctx.community
    if member is None or community is None or product.community_id != community.id:
        return None
    if product.seller_id == member.id or product.status != ProductStatus.ACTIVE:
        return None
    given = find_recommendation(
        session=ctx.session,
        community_id=community.id or 0,
        product_id=product.id,
        member_id=member.id,
    )
    if given is not None:
        return None
    return ctx.button("recommend.button.recommend", f"/rekomendasi {product.id}")


if recommend_button not in CARD_BUTTONS:
    CARD_BUTTONS.append(recommend_button)


# -- coordinators: removing a testimonial ---------------------------------------------------


def _review_list(ctx: Context, product: Product) -> list[Reply]:
    """The product's testimonials, numbered, with one remove button each."""
    assert ctx.community is not None
    shown = testimonials(
        session=ctx.session, community_id=ctx.community.id or 0, product_id=product.id or 0
    )
    label = product_label(product)
    if not shown:
        return [ctx.reply("recommend.review.none", product=label)]
    lines = [ctx.t("recommend.review.heading", product=label)]
    buttons = []
    for number, (row, author) in enumerate(shown, start=1):
        lines.append(f"{number}. {testimonial_line(ctx, row, author)}")
        buttons.append(
            ctx.button(
                "recommend.button.remove",
                f"/hapusulasan {product.id} {REVIEW_PREFIX}{row.id}",
                number=number,
            )
        )
    return [Reply(text="\n".join(lines), buttons=tuple(buttons))]


def _chosen_review(rest: str) -> int | None:
    """`u34` -> 34: the recommendation a remove button names; None for anything else."""
    word = rest.strip().lower()
    if not word.startswith(REVIEW_PREFIX):
        return None
    number, remainder = parse_id(word.removeprefix(REVIEW_PREFIX))
    return number if not remainder else None


@REGISTRY.command(
    "remove_review",
    slash=("hapusulasan", "removereview"),
    bare=(),
    role=Role.COORDINATOR,
    en="removereview",
)
async def remove_review(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`/hapusulasan 12` lists the product's testimonials; a button removes one of them."""
    assert ctx.community is not None
    product_id, remainder = parse_id(rest)
    if product_id is None:
        return [ctx.reply("recommend.review.usage", cmd=hint(ctx, "remove_review"))]
    product = find_product(
        session=ctx.session, community_id=ctx.community.id or 0, product_id=product_id
    )
    if product is None or product.status == ProductStatus.DRAFT:
        return [ctx.reply("recommend.not_found", id=product_id, catalog=hint(ctx, "catalogue"))]
    chosen = _chosen_review(remainder)
    if chosen is None:
        return _review_list(ctx, product)
    row = find_recommendation(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        product_id=product.id,
        recommendation_id=chosen,
    )
    if row is None or row.testimonial is None or row.testimonial_removed_at is not None:
        return [ctx.reply("recommend.review.gone"), *_review_list(ctx, product)]
    row.testimonial_removed_at = ctx.now
    ctx.session.add(row)
    author = ctx.session.get(Member, row.member_id) if row.member_id else None
    label = product_label(product)
    if author is not None and ctx.member is not None and author.id != ctx.member.id:
        theirs = in_language_of(ctx, author)
        notice = theirs.t("recommend.review.removed_notice", product=label)
        ctx.notify(author.id or 0, Reply(text=notice))
    return [ctx.reply("recommend.review.removed", product=label, author=author_name(ctx, author))]
