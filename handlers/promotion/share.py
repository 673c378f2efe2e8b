"""Bagikan: share a product with a personal link, and credit the sharer for who comes.

`BAGIKAN 12` (or the card's 📣 button, payload `/bagikan 12`) gives a ready-to-forward text
for WhatsApp groups and status and a square picture with a QR code. Both carry the
member's personal link: `t.me/<bot>?start=p12-<code>` on Telegram, and a wa.me chat with
the bot prefilled with `LIHAT p12-<code>`. Opening it shows the product card (and the join
step to someone new to the community); each distinct person credits the sharer once.
"""

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.arguments import parse_id
from handlers.catalogue.cards import CARD_BUTTONS, card_buttons, product_card, product_label
from handlers.commands import hint
from handlers.context import Context, Options
from handlers.i18n import rupiah, t
from handlers.membership import DEEP_LINKS, offer_join
from handlers.messages import Button, Incoming, Reply, reply_to_payload
from handlers.promotion.share_image import ShareCard, render_share_image
from handlers.registry import REGISTRY
from storage.communities import identities_of
from storage.exposure import record_exposure
from storage.media import MediaStore
from storage.models import Community, ExposureKind, Member, Product, ProductStatus
from storage.outbox import enqueue
from storage.products import find_product, recommendation_counts
from storage.shares import CODE_LENGTH, credited_count, find_share_link, record_open, share_link_for

__all__ = ["open_share_link", "parse_token", "share_package", "share_token"]

TOKEN = re.compile(rf"\bp(\d{{1,9}})-([A-Za-z0-9]{{{CODE_LENGTH}}})\b")
"""`p12-ABCDEFGH23`: a product id and a link code, as carried by both kinds of link."""
LOOKS_LIKE_TOKEN = re.compile(r"p\d+-", re.I)
"""A deep link meant as a share link (even a mangled one), not an invite code."""


def share_token(product_id: int, code: str) -> str:
    """The short token a link carries (`p12-ABCDEFGH23`); a Telegram start parameter too."""
    return f"p{product_id}-{code}"


def parse_token(text: str, *, whole: bool = True) -> tuple[int, str] | None:
    """(product id, code) from a token; with `whole=False`, from a token inside a longer text
    (a forwarded share message)."""
    match = TOKEN.fullmatch(text.strip()) if whole else TOKEN.search(text)
    return (int(match.group(1)), match.group(2).upper()) if match else None


def _links(options: Options, language: str, token: str) -> tuple[str | None, str | None]:
    """The Telegram deep link and the wa.me link, each only when its channel runs."""
    telegram = (
        f"https://t.me/{options.telegram_bot_username}?start={token}"
        if options.telegram_bot_username
        else None
    )
    words = t(language, "share.open_words", token=token)
    whatsapp = (
        f"https://wa.me/{options.whatsapp_number}?text={quote(words)}"
        if options.whatsapp_number
        else None
    )
    return telegram, whatsapp


def share_package(
    *,
    session: Session,
    options: Options,
    member: Member,
    product: Product,
    now: datetime,
    language: str | None = None,
    record: bool = True,
) -> list[Reply]:
    """What a member forwards to promote a product: the text with their personal links, and
    the share picture (a photo reply). Makes the member's link the first time, reuses it
    after, and records the share in the exposure ledger (unless the caller records the
    appearance under its own kind, as the weekly buddy message does).

    Needs no message to answer, so the weekly buddy job can send it as a notice too.
    """
    if member.community_id != product.community_id:
        raise ValueError("a member can only share products of their own community")
    lang = language or member.language
    community = session.get(Community, product.community_id)
    seller = session.get(Member, product.seller_id)
    assert community is not None and member.id is not None and product.id is not None
    link = share_link_for(
        session=session,
        community_id=community.id or 0,
        product_id=product.id,
        member_id=member.id,
        now=now,
    )
    token = share_token(product.id, link.code)
    telegram, whatsapp = _links(options, lang, token)
    price = (
        rupiah(product.price) if product.price is not None else t(lang, "catalogue.card.no_price")
    )
    seller_name = (seller.business_name or seller.display_name) if seller else "?"
    lines = [
        t(lang, "share.text.headline", product=product.title, price=price),
        t(lang, "share.text.seller", seller=seller_name, community=community.name),
        t(lang, "share.text.why"),
        "",
    ]
    if telegram:
        lines.append(t(lang, "share.text.telegram", link=telegram))
    if whatsapp:
        lines.append(t(lang, "share.text.whatsapp", link=whatsapp))
    if not (telegram or whatsapp):  # the local channel: the words to send the bot
        lines.append(t(lang, "share.text.code", words=t(lang, "share.open_words", token=token)))
    image = _share_image(
        session=session,
        options=options,
        product=product,
        card=ShareCard(
            title=product.title,
            price=price,
            seller=seller_name,
            community=t(lang, "share.image.footer", community=community.name),
            link=telegram or whatsapp or t(lang, "share.open_words", token=token),
            scan_label=t(lang, "share.image.scan"),
        ),
        now=now,
    )
    if record:
        record_exposure(
            session=session,
            community_id=community.id or 0,
            product_id=product.id,
            kind=ExposureKind.SHARE,
            member_id=member.id,
            at=now,
        )
    return [
        Reply(text="\n".join(lines)),
        Reply(text=t(lang, "share.caption"), media=(image,)),
    ]


def _share_image(
    *, session: Session, options: Options, product: Product, card: ShareCard, now: datetime
) -> str:
    """Draw the picture and keep it in the media store (the same picture is kept once);
    its media id. It shows the seller's business, so it is erased with the seller."""
    store = MediaStore(options.media_dir)
    photo = None
    if product.photo_media_id:
        kept = store.get(session=session, media_id=product.photo_media_id)
        if kept is not None and store.path_of(kept).is_file():
            photo = store.read(kept)
    png = render_share_image(replace(card, photo=photo))
    media = store.save(
        session=session,
        data=png,
        content_type="image/png",
        now=now,
        community_id=product.community_id,
        member_id=product.seller_id,
    )
    return media.id


@REGISTRY.command("share", slash=("bagikan", "share"), en="share")
async def share(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`BAGIKAN 12`: the share text and picture with the member's personal link."""
    assert ctx.member is not None and ctx.community is not None
    product_id, _ = parse_id(rest)
    if product_id is None:
        return [ctx.reply("share.usage", cmd=hint(ctx, "share"))]
    product = find_product(
        session=ctx.session, community_id=ctx.community.id or 0, product_id=product_id
    )
    if product is None:
        return [ctx.reply("share.not_found", id=product_id, search=hint(ctx, "search"))]
    if product.status != ProductStatus.ACTIVE:
        return [ctx.reply("share.unavailable", product=product_label(product))]
    return share_package(
        session=ctx.session,
        options=ctx.options,
        member=ctx.member,
        product=product,
        now=ctx.now,
        language=ctx.lang,
    )


def _share_button(ctx: Context, product: Product) -> Button | None:
    """📣 Bagikan on every card of an active product a member sees."""
    if ctx.member is None or product.status != ProductStatus.ACTIVE:
        return None
    return ctx.button("share.button", f"/bagikan {product.id}")


if _share_button not in CARD_BUTTONS:
    CARD_BUTTONS.append(_share_button)


# -- opening a link ---------------------------------------------------------------------


@REGISTRY.command("open_share", slash=("lihat", "view"), role=None, listed=False, en="view")
async def open_share(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """`LIHAT p12-<code>`: what a wa.me share link prefills; opens the shared product.

    A member's `LIHAT 12` opens product #12 of their community (the weekly digest says
    "ketik LIHAT 12"); `LIHAT keripik` points to CARI rather than calling it a bad link.
    """
    if ctx.member is None or LOOKS_LIKE_TOKEN.match(rest.strip()):
        return await open_share_link(ctx, rest)
    product_id, _ = parse_id(rest)
    if product_id is None:
        words = rest.strip()
        if not words:
            return [ctx.reply("share.view.usage", cmd=hint(ctx, "open_share"))]
        return [ctx.reply("share.view.search", search=hint(ctx, "search"), words=words[:60])]
    product = find_product(
        session=ctx.session, community_id=ctx.member.community_id, product_id=product_id
    )
    if product is None or product.status != ProductStatus.ACTIVE:
        return [ctx.reply("share.view.not_found", id=product_id, search=hint(ctx, "search"))]
    counts = recommendation_counts(session=ctx.session, product_ids=[product_id])
    return [
        product_card(
            ctx,
            product,
            recommendations=counts.get(product_id, 0),
            buttons=card_buttons(ctx, product),
        )
    ]


async def _deep_link(msg: Incoming, ctx: Context, argument: str) -> Sequence[Reply] | None:
    """`/start p12-<code>` from a Telegram share link; anything else is not ours."""
    if not LOOKS_LIKE_TOKEN.match(argument):
        return None
    return await open_share_link(ctx, argument)


if _deep_link not in DEEP_LINKS:
    DEEP_LINKS.append(_deep_link)


@REGISTRY.fallback(20)
async def forwarded_share(msg: Incoming, ctx: Context) -> Sequence[Reply] | None:
    """A whole share message forwarded to the bot: its link token opens the product."""
    if msg.payload or msg.media or parse_token(msg.text, whole=False) is None:
        return None
    return await open_share_link(ctx, msg.text, whole=False)


async def open_share_link(ctx: Context, text: str, *, whole: bool = True) -> list[Reply]:
    """Show the product a share token points at, credit its sharer for a new person, and
    offer the join step to someone not yet in the community.

    A forged or mistyped code, one of another community, or a product no longer active
    gets a friendly answer and changes nothing.
    """
    parsed = parse_token(text, whole=whole)
    if parsed is None:
        return [ctx.reply("share.open.unknown")]
    product_id, code = parsed
    link = find_share_link(
        session=ctx.session,
        code=code,
        product_id=product_id,
        community_id=ctx.member.community_id if ctx.member else None,
    )
    if link is None:
        return [ctx.reply("share.open.unknown")]
    product = find_product(
        session=ctx.session, community_id=link.community_id, product_id=link.product_id
    )
    community = ctx.session.get(Community, link.community_id)
    if product is None or community is None or product.status != ProductStatus.ACTIVE:
        return [ctx.reply("share.open.unavailable")]
    member_id = ctx.member.id if ctx.member else None
    others = (
        [i.id or 0 for i in identities_of(session=ctx.session, member_id=member_id)]
        if member_id
        else []
    )
    opened = record_open(
        session=ctx.session,
        link=link,
        opener_member_id=member_id,
        opener_identity_id=ctx.identity.id or 0,
        other_identity_ids=[i for i in others if i != ctx.identity.id],
        now=ctx.now,
    )
    own = member_id is not None and member_id == link.member_id
    sharer = ctx.session.get(Member, link.member_id) if link.member_id else None
    if not own:
        record_exposure(
            session=ctx.session,
            community_id=link.community_id,
            product_id=product.id or 0,
            kind=ExposureKind.SHARE_OPEN,
            member_id=link.member_id,
            at=ctx.now,
        )
    if opened.credited and sharer is not None:
        _thank_sharer(ctx, sharer, community, product, link_id=link.id or 0)
    counts = recommendation_counts(session=ctx.session, product_ids=[product.id or 0])
    heading = ctx.t("share.open.heading", sharer=sharer.display_name) if sharer else None
    card = product_card(
        ctx,
        product,
        recommendations=counts.get(product.id or 0, 0),
        heading=heading if not own else None,
        buttons=card_buttons(ctx, product) if ctx.member else (),
    )
    if own:
        return [card, ctx.reply("share.open.own")]
    if ctx.member is None:
        return [card, offer_join(ctx, community)]
    return [card]


def _thank_sharer(
    ctx: Context, sharer: Member, community: Community, product: Product, *, link_id: int
) -> None:
    """Tell the sharer someone new came, at most once a day per link (the outbox key holds
    the community's local date); the count says how many came in all.

    Queued directly rather than with ctx.notify: the opener may not be a member yet, and a
    notice is only ever sent within the sender's own community.
    """
    day = ctx.now.astimezone(ZoneInfo(community.timezone)).date().isoformat()
    count = credited_count(
        session=ctx.session, community_id=community.id or 0, share_link_id=link_id
    )
    text = t(sharer.language, "share.credit", product=product_label(product), count=count)
    enqueue(
        session=ctx.session,
        community_id=community.id,
        member_id=sharer.id,
        kind="notice",
        idempotency_key=f"share-credit:{link_id}:{day}",
        payload=reply_to_payload(Reply(text=text, kind="notice")),
        now=ctx.now,
    )
