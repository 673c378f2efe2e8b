"""The product card: what buyers, sellers and coordinators see of one product."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from handlers.catalogue.categories import category_name
from handlers.context import Context
from handlers.i18n import rupiah
from handlers.labels import STATUS_TEXT
from handlers.messages import Button, Reply
from handlers.shorten import shorten
from storage.communities import identities_of
from storage.models import Member, Product, ProductStatus, Recommendation
from storage.products import recommendation_counts
from storage.recommendations import latest_testimonial

__all__ = [
    "CARD_BUTTONS",
    "Contact",
    "author_name",
    "card_buttons",
    "contact_line",
    "price_text",
    "product_card",
    "product_cards",
    "product_label",
    "seller_contact",
    "status_text",
    "testimonial_line",
]

LIST_DESCRIPTION_LIMIT = 300
"""Search and catalogue cards show the start of long descriptions (photo captions are short)."""


CardButton = Callable[[Context, Product], Button | None]

CARD_BUTTONS: list[CardButton] = []
"""What a member can do with someone's product, offered on every card they see in a list or
search (👍 Rekomendasikan, 📣 Bagikan, Lihat penjual). Features append a maker on import; a
maker returns None where its button makes no sense (one's own product, say)."""


def card_buttons(ctx: Context, product: Product) -> list[Button]:
    """The feature buttons for one product card, in the order the features registered."""
    return [button for make in CARD_BUTTONS if (button := make(ctx, product)) is not None]


def price_text(ctx: Context, price: int | None) -> str:
    """`Rp15.000`, or "tanya penjual" when the seller gave no price."""
    return rupiah(price) if price is not None else ctx.t("catalogue.card.no_price")


def status_text(ctx: Context, status: str) -> str:
    """A product status in the person's language ("habis", "sold out")."""
    return ctx.t(STATUS_TEXT[ProductStatus(status)])


def product_label(product: Product) -> str:
    """`#12 Keripik pisang`: how a product is named in lists and messages."""
    return f"#{product.id} {product.title}"


def _telegram_username(session: Session, seller: Member) -> str | None:
    for identity in identities_of(session=session, member_id=seller.id or 0):
        if identity.channel == "telegram" and identity.username:
            return identity.username
    return None


@dataclass(frozen=True)
class Contact:
    """How a buyer reaches a seller: `whatsapp` and the number's digits (for wa.me), or
    `telegram` and the username (for t.me)."""

    channel: str
    target: str


def seller_contact(session: Session, seller: Member) -> Contact | None:
    """The seller's way to be reached, as they chose it; never a number they hid.

    The chat card and the public web page (bot/site) both read this one rule.
    """
    whatsapp = (
        Contact("whatsapp", seller.phone.lstrip("+"))
        if seller.phone and not seller.hide_phone
        else None
    )
    username = _telegram_username(session, seller)
    telegram = Contact("telegram", username) if username else None
    preferred = (
        [telegram, whatsapp] if seller.contact_channel == "telegram" else [whatsapp, telegram]
    )
    return next((contact for contact in preferred if contact), None)


def contact_line(ctx: Context, seller: Member) -> str:
    """How to reach the seller, the way they chose; never a number they hid."""
    contact = seller_contact(ctx.session, seller)
    if contact is None:
        return ctx.t("catalogue.card.contact_coordinator")
    link = (
        f"https://wa.me/{contact.target}"
        if contact.channel == "whatsapp"
        else f"https://t.me/{contact.target}"
    )
    return ctx.t("catalogue.card.contact", link=link)


def _seller_line(ctx: Context, seller: Member | None) -> str:
    if seller is None:
        return ctx.t("catalogue.card.seller", seller="?")
    name = seller.business_name or seller.display_name
    if seller.area:
        return ctx.t("catalogue.card.seller_area", seller=name, area=seller.area)
    return ctx.t("catalogue.card.seller", seller=name)


def author_name(ctx: Context, author: Member | None) -> str:
    """The name under a testimonial; a neutral "anggota" once the author erased their data."""
    return author.display_name if author is not None else ctx.t("recommend.card.anonymous")


def testimonial_line(ctx: Context, row: Recommendation, author: Member | None) -> str:
    """`💬 "Enak banget!" — Dewi`: a testimonial exactly as typed, and who wrote it."""
    return ctx.t(
        "recommend.card.testimonial", testimonial=row.testimonial, author=author_name(ctx, author)
    )


def _latest_testimonial_line(ctx: Context, product: Product) -> str:
    latest = latest_testimonial(
        session=ctx.session, community_id=product.community_id, product_id=product.id or 0
    )
    return testimonial_line(ctx, *latest) if latest is not None else ""


def _description(product: Product, full: bool) -> str:
    text = product.description
    if not full and len(text) > LIST_DESCRIPTION_LIMIT:
        text = shorten(text, LIST_DESCRIPTION_LIMIT)
    return text


def product_card(
    ctx: Context,
    product: Product,
    *,
    recommendations: int = 0,
    heading: str | None = None,
    buttons: Sequence[Button] = (),
    full: bool = True,
    show_status: bool = False,
) -> Reply:
    """One product as a reply: photo, title, price, seller, recommendations, contact."""
    seller = ctx.session.get(Member, product.seller_id)
    lines = [heading] if heading else []
    lines.append(f"🛍️ {product_label(product)}")
    lines.append(ctx.t("catalogue.card.price", price=price_text(ctx, product.price)))
    lines.append(
        ctx.t("catalogue.card.category", category=category_name(product.category, ctx.lang))
    )
    if product.description:
        lines.append(_description(product, full))
    lines.append(_seller_line(ctx, seller))
    lines.append(ctx.t("catalogue.card.recommendations", count=recommendations))
    lines.append(_latest_testimonial_line(ctx, product))
    if show_status and product.status != ProductStatus.ACTIVE:
        lines.append(status_text(ctx, product.status))
        if product.moderation_reason and product.status in (
            ProductStatus.HIDDEN,
            ProductStatus.REMOVED,
        ):
            lines.append(ctx.t("catalogue.card.reason", reason=product.moderation_reason))
    if seller is not None:
        lines.append(contact_line(ctx, seller))
    media = (product.photo_media_id,) if product.photo_media_id else ()
    return Reply(
        text="\n".join(line for line in lines if line), media=media, buttons=tuple(buttons)
    )


def product_cards(
    ctx: Context,
    products: Sequence[Product],
    buttons_for: Callable[[Product], Sequence[Button]] | None = None,
) -> list[Reply]:
    """Cards for a page of products, with each one's recommendation count; the buttons are
    the features' card buttons unless the caller gives its own."""
    if buttons_for is None:
        buttons_for = lambda product: card_buttons(ctx, product)  # noqa: E731
    counts = recommendation_counts(
        session=ctx.session, product_ids=[product.id or 0 for product in products]
    )
    return [
        product_card(
            ctx,
            product,
            recommendations=counts.get(product.id or 0, 0),
            buttons=buttons_for(product),
            full=False,
        )
        for product in products
    ]
