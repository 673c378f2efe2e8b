"""Posting a product: `JUAL Keripik 15rb`, a captioned photo, or `/jual` step by step.

Two flows, in the order a seller meets them:
- `POST` gathers title, price (and, step by step, description, photo, category) in
  `PostData`; once title and price are known it makes a DRAFT product;
- `REVIEW` (flow "product") shows the draft: publish, change one field, or cancel.
Both live in the conversation state, so a restart in the middle of a post loses nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.answers import is_no, is_yes
from handlers.arguments import is_skip
from handlers.catalogue.cards import product_card
from handlers.catalogue.categories import category_name, suggest_category
from handlers.catalogue.drafts import first_photo, limit_reply, notes_replies, publish
from handlers.catalogue.editing import (
    EDIT_BUTTON_KEYS,
    EditField,
    apply_edit,
    category_buttons,
    edit_prompt,
    managed,
    match_category,
    saved,
)
from handlers.catalogue.fields import cap_description, index_text, read_post
from handlers.catalogue.pricing import read_price
from handlers.context import Context
from handlers.flow import Flow
from handlers.i18n import rupiah
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Member, Product, ProductStatus
from storage.products import create_product, delete_drafts

__all__ = ["POST", "REVIEW", "begin_post"]

SELL_WORDS = {"jual", "sell", "/jual", "/sell"}
PUBLISH_WORDS = {"pasang", "publish", "kirim", "tayang"}  # and every yes (handlers/answers.py)


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


# --- POST: the parts of a product, from one message or asked one by one ----------------


@dataclass
class PostData:
    """What the seller has told so far; `guided` posts ask for every part."""

    seller_id: int
    guided: bool
    photo: str | None = None
    title: str | None = None
    price: int | None = None
    price_set: bool = False  # True also for "no price, ask the seller"
    description: str | None = None
    photo_skipped: bool = False
    category: str | None = None


POST = Flow("post", PostData)

QUESTION_KEYS = {
    ("title", False): "catalogue.ask.title",
    ("title", True): "catalogue.ask.title_again",
    ("price", False): "catalogue.ask.price",
    ("price", True): "catalogue.ask.price_again",
    ("description", False): "catalogue.ask.description",
    ("description", True): "catalogue.ask.description_again",
    ("photo", False): "catalogue.ask.photo",
    ("photo", True): "catalogue.ask.photo_again",
}


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
    ctx.end_flow()  # a new post: no question of it has been asked yet
    data = PostData(seller_id=seller.id or 0, guided=guided or not text, photo=photo)
    if text.strip():
        return _take_post(ctx, data, text)
    return _continue(ctx, data)


def _take_post(ctx: Context, data: PostData, text: str) -> list[Reply]:
    """Fill title, price and description from one message, then ask what is missing."""
    post = read_post(text)
    notes = notes_replies(ctx, post.notes)
    if post.title:
        data.title = post.title
    if post.description:
        data.description = post.description
    if post.price is not None:
        data.price, data.price_set = post.price, True
    elif post.doubtful_price is not None:
        data.price_set = False
        POST.start(ctx, "price", data)
        question = ctx.reply("catalogue.ask.price_doubtful", price=rupiah(post.doubtful_price))
        return [*notes, question]
    elif not data.guided and not data.price_set:
        data.price, data.price_set = None, True  # no price or "harga nego": ask the seller
    return [*notes, *_continue(ctx, data)]


def _missing(data: PostData) -> str | None:
    """The next step to ask, or None when the draft can be made."""
    if not data.title:
        return "title"
    if not data.price_set:
        return "price"
    if data.guided:
        if data.description is None:
            return "description"
        if data.photo is None and not data.photo_skipped:
            return "photo"
        if data.category is None:
            return "category"
    return None


def _continue(ctx: Context, data: PostData) -> list[Reply]:
    """Ask for the next missing part, or make the draft and show it for review."""
    step = _missing(data)
    if step is None:
        return _make_draft(ctx, data)
    again = POST.is_at(ctx, step)
    POST.start(ctx, step, data)
    return [_ask(ctx, step, data, again=again)]


def _ask(ctx: Context, step: str, data: PostData, *, again: bool = False) -> Reply:
    """The question for one step."""
    if step == "title" and data.photo and not again:
        return ctx.reply("catalogue.ask.title_with_photo")
    if step == "category":
        suggested = category_name(_suggested(data), ctx.lang)
        buttons = category_buttons(ctx, POST)
        return ctx.reply("catalogue.ask.category", suggested=suggested, buttons=buttons)
    key = QUESTION_KEYS[step, again]
    if step in ("description", "photo"):
        return ctx.reply(key, buttons=[POST.button(ctx, "catalogue.button.skip", "skip")])
    return ctx.reply(key)


def _suggested(data: PostData) -> str:
    return suggest_category(f"{data.title or ''} {data.description or ''}")


def _typed(ctx: Context, msg: Incoming, data: PostData) -> tuple[str, bool]:
    """The typed answer and whether it skips; a photo sent with any answer is kept."""
    if photo := first_photo(ctx, msg):
        data.photo = photo
    text = "" if msg.payload else msg.text.strip()
    return text, POST.pressed(msg, "skip") or is_skip(text)


@POST.step("title", free_text=True)
async def title(msg: Incoming, ctx: Context, data: PostData) -> Sequence[Reply]:
    """The product's name (a whole `Keripik 15rb` works too)."""
    text, _ = _typed(ctx, msg, data)
    return _take_post(ctx, data, text) if text else _continue(ctx, data)


@POST.step("price")
async def price(msg: Incoming, ctx: Context, data: PostData) -> Sequence[Reply]:
    """The price; a doubtful one (Rp0, Rp5 miliar) is asked about, "nego" means no price."""
    text, _ = _typed(ctx, msg, data)
    answer = read_price(text)
    if answer.doubtful is not None:
        return [ctx.reply("catalogue.ask.price_doubtful", price=rupiah(answer.doubtful))]
    if not answer.understood:
        return [_ask(ctx, "price", data, again=True)]
    data.price, data.price_set = answer.price, True
    return _continue(ctx, data)


@POST.step("description", free_text=True)
async def description(msg: Incoming, ctx: Context, data: PostData) -> Sequence[Reply]:
    """A description, or Lewati."""
    text, skip = _typed(ctx, msg, data)
    if not text and not skip:
        return _continue(ctx, data)
    notes: list[str] = []
    data.description = "" if skip else cap_description(text, notes)
    return [*notes_replies(ctx, notes), *_continue(ctx, data)]


@POST.step("photo")
async def photo(msg: Incoming, ctx: Context, data: PostData) -> Sequence[Reply]:
    """A photo, or Lewati."""
    _, skip = _typed(ctx, msg, data)
    if skip:
        data.photo_skipped = True
    elif not data.photo:
        return [_ask(ctx, "photo", data, again=True)]
    return _continue(ctx, data)


@POST.step("category")
async def category(msg: Incoming, ctx: Context, data: PostData) -> Sequence[Reply]:
    """A category button, or its name typed."""
    _typed(ctx, msg, data)
    chosen = match_category(POST, msg)
    if chosen is None:
        return [_ask(ctx, "category", data, again=True)]
    data.category = chosen
    return _continue(ctx, data)


def _make_draft(ctx: Context, data: PostData) -> list[Reply]:
    assert ctx.member is not None and ctx.community is not None
    assert data.title is not None
    text = data.description or ""
    product = create_product(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        seller_id=data.seller_id,
        posted_by_id=ctx.member.id,
        title=data.title,
        description=text,
        price=data.price,
        category=data.category or _suggested(data),
        photo_media_id=data.photo,
        search_text=index_text(data.title, text),
        now=ctx.now,
    )
    return _review(ctx, product)


# --- REVIEW: the draft as buyers will see it ------------------------------------------


@dataclass
class ReviewData:
    """The draft under review, and the field being changed (at step "edit")."""

    product_id: int
    field: EditField | None = None


REVIEW = Flow("product", ReviewData)  # its buttons: `product:ok`, `product:edit:price`


def _review(ctx: Context, product: Product) -> list[Reply]:
    """Show the draft with Pasang / ubah / Batal, waiting for the seller's choice."""
    REVIEW.start(ctx, "review", ReviewData(product.id or 0))
    buttons = [
        REVIEW.button(ctx, "catalogue.button.publish", "ok"),
        *(REVIEW.button(ctx, key, "edit", field) for field, key in EDIT_BUTTON_KEYS.items()),
        REVIEW.button(ctx, "common.cancel", "no"),
    ]
    heading = ctx.t("catalogue.review.heading")
    return [product_card(ctx, product, heading=heading, buttons=buttons)]


@REVIEW.step("review", reads=("jual", "sell"))
async def review(msg: Incoming, ctx: Context, data: ReviewData) -> Sequence[Reply]:
    """The seller looks at the draft: publish, change something, or cancel."""
    product = managed(ctx, data.product_id)
    if product is None:
        REVIEW.end(ctx)
        return [ctx.reply("catalogue.not_found")]
    answer = REVIEW.answer(msg)
    action = answer.action if answer else None
    typed = "" if msg.payload else msg.text
    if action == "ok" or typed.strip().casefold().strip("!. ") in PUBLISH_WORDS or is_yes(typed):
        return publish(ctx, product)
    if action == "no" or is_no(typed):
        ctx.session.delete(product)
        REVIEW.end(ctx)
        return [ctx.reply("catalogue.cancelled")]
    if answer is not None and action == "edit" and (field := answer.arg_as(EditField)):
        REVIEW.start(ctx, "edit", ReviewData(product.id or 0, field))
        return [edit_prompt(ctx, field, product, REVIEW)]
    if photo := first_photo(ctx, msg):
        product.photo_media_id = photo
        ctx.session.add(product)
        return _review(ctx, product)
    first, _, rest = msg.text.strip().partition(" ")
    seller = ctx.session.get(Member, product.seller_id)
    if first.casefold() in SELL_WORDS and seller is not None:
        return begin_post(ctx, seller, rest, None)
    return [ctx.reply("catalogue.review.hint"), *_review(ctx, product)]


@REVIEW.step("edit", free_text=True)
async def edit(msg: Incoming, ctx: Context, data: ReviewData) -> Sequence[Reply]:
    """The new value of the field chosen on the review card; then the card again."""
    product = managed(ctx, data.product_id)
    if product is None or data.field is None:
        REVIEW.end(ctx)
        return [ctx.reply("catalogue.not_found")]
    replies, done = apply_edit(ctx, msg, product, data.field, REVIEW)
    if not done:
        return replies
    if product.status != ProductStatus.DRAFT:
        REVIEW.end(ctx)
        return [*replies, *saved(ctx, product)]
    return [*replies, *_review(ctx, product)]
