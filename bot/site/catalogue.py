"""What the public catalogue shows: a community's active products as cards, and how to
reach each seller.

Only a public community's ACTIVE products; of people, only the sellers of those products
(business name, area, and the contact they chose). A number a seller hid never reaches the
page: the contact comes from `seller_contact`, the same rule as the chat card.
"""

from dataclasses import dataclass
from urllib.parse import quote

from sqlmodel import Session, col, select

from handlers.catalogue.cards import Contact, seller_contact
from handlers.catalogue.categories import CATEGORIES, category_name
from handlers.catalogue.lookup import Page, category_page, search_page
from handlers.context import Options
from handlers.i18n import rupiah, t
from handlers.public_catalogue import join_links
from storage.communities import get_community_by_invite, members_of
from storage.models import Community, Member, Product, ProductStatus, Role
from storage.products import category_counts, recommendation_counts

__all__ = [
    "WEB_PAGE_SIZE",
    "CardView",
    "CategoryView",
    "ContactView",
    "Listing",
    "find_public_product",
    "listing",
    "public_community",
]

WEB_PAGE_SIZE = 24
"""Cards per page: a screenful of scrolling on a phone, and light enough on a slow line."""


@dataclass(frozen=True)
class ContactView:
    """The contact button: where it goes and what it says."""

    href: str
    label: str
    kind: str  # whatsapp, telegram, coordinator, join


@dataclass(frozen=True)
class CardView:
    """One product as the page shows it."""

    id: int
    title: str
    price: str
    category: str
    description: str
    seller: str
    seller_area: str
    recommendations: int
    photo_id: str | None
    initial: str
    contact: ContactView | None


@dataclass(frozen=True)
class CategoryView:
    """A category link with its count."""

    key: str
    name: str
    count: int


@dataclass(frozen=True)
class Listing:
    """One page of the catalogue: the categories, the products, where the visitor is."""

    categories: list[CategoryView]
    total: int
    cards: list[CardView]
    page: Page


def public_community(session: Session, code: str) -> Community | None:
    """The community behind an invite code (any case), only if its catalogue is public."""
    community = get_community_by_invite(session=session, invite_code=code)
    if community is None or not community.public_catalogue:
        return None
    return community


def find_public_product(session: Session, community: Community, product_id: int) -> Product | None:
    """An ACTIVE product of this community; another community's id is as unknown as none."""
    return session.exec(
        select(Product).where(
            col(Product.id) == product_id,
            col(Product.community_id) == community.id,
            col(Product.status) == ProductStatus.ACTIVE,
        )
    ).first()


def _price(lang: str, price: int | None) -> str:
    return rupiah(price) if price is not None else t(lang, "catalogue.card.no_price")


def _seller_name(seller: Member | None) -> str:
    if seller is None:
        return "?"
    return seller.business_name or seller.display_name


class Contacts:
    """Contact buttons for one page: the coordinators are looked up once, when needed."""

    def __init__(self, session: Session, community: Community, options: Options, lang: str) -> None:
        self.session = session
        self.community = community
        self.options = options
        self.lang = lang
        self._found: tuple[Member, Contact] | None = None
        self._looked = False
        self._sellers: dict[int, Contact | None] = {}

    def _contact(self, seller: Member) -> Contact | None:
        """The seller's contact, read once per page however many products they have."""
        if seller.id not in self._sellers:
            self._sellers[seller.id or 0] = seller_contact(self.session, seller)
        return self._sellers[seller.id or 0]

    def _href(self, contact: Contact, to: Member, key: str, product: Product, seller: str) -> str:
        """wa.me with a message naming the product, in the language of whom it goes to;
        or their Telegram (which takes no prefilled text)."""
        if contact.channel != "whatsapp":
            return f"https://t.me/{quote(contact.target)}"
        message = t(
            to.language,
            key,
            seller=seller,
            product=product.title,
            price=_price(to.language, product.price),
            community=self.community.name,
        )
        return f"https://wa.me/{contact.target}?text={quote(message, safe='')}"

    def for_product(self, product: Product, seller: Member | None) -> ContactView | None:
        """The seller's WhatsApp (with a message naming the product, in the seller's
        language) or Telegram; else a coordinator who can be reached; else the join link."""
        name = _seller_name(seller)
        contact = self._contact(seller) if seller is not None else None
        if seller is not None and contact is not None:
            href = self._href(contact, seller, "site.contact.message", product, name)
            label = (
                "site.contact.whatsapp"
                if contact.channel == "whatsapp"
                else "site.contact.telegram"
            )
            return ContactView(href, t(self.lang, label), contact.channel)
        coordinator = self._coordinator()
        if coordinator is not None:
            person, through = coordinator
            href = self._href(through, person, "site.contact.message_coordinator", product, name)
            return ContactView(href, t(self.lang, "site.contact.coordinator"), "coordinator")
        links = join_links(self.options, self.community)
        if links:
            return ContactView(links[0].link, t(self.lang, "site.contact.join"), "join")
        return None

    def _coordinator(self) -> tuple[Member, Contact] | None:
        """The first coordinator who shows a way to be reached (and still hears from us)."""
        if not self._looked:
            self._looked = True
            for person in members_of(
                session=self.session,
                community_id=self.community.id or 0,
                roles=[Role.COORDINATOR],
            ):
                contact = seller_contact(self.session, person)
                if contact is not None and person.opted_out_at is None:
                    self._found = (person, contact)
                    break
        return self._found


def cards(
    session: Session,
    community: Community,
    products: list[Product],
    *,
    options: Options,
    lang: str,
    full: bool = False,
) -> list[CardView]:
    """Cards for products of one community, with recommendation counts and contacts."""
    counts = recommendation_counts(
        session=session, product_ids=[product.id or 0 for product in products]
    )
    contacts = Contacts(session, community, options, lang)
    sellers: dict[int, Member | None] = {}
    views = []
    for product in products:
        if product.seller_id not in sellers:
            sellers[product.seller_id] = session.get(Member, product.seller_id)
        seller = sellers[product.seller_id]
        name = _seller_name(seller)
        area = seller.area if seller is not None and seller.area else ""
        description = product.description
        if not full and len(description) > 140:
            description = ""  # cards stay short; the product page has it all
        views.append(
            CardView(
                id=product.id or 0,
                title=product.title,
                price=_price(lang, product.price),
                category=category_name(product.category, lang),
                description=description,
                seller=t(lang, "site.card.seller_area", seller=name, area=area) if area else name,
                seller_area=area,
                recommendations=counts.get(product.id or 0, 0),
                photo_id=product.photo_media_id,
                initial=next((ch.upper() for ch in product.title if ch.isalnum()), "?"),
                contact=contacts.for_product(product, seller),
            )
        )
    return views


def listing(
    session: Session,
    community: Community,
    *,
    options: Options,
    lang: str,
    query: str,
    category: str | None,
    number: int,
) -> Listing:
    """One page of the catalogue: search results for `query` (the same search as CARI,
    typo-tolerant), else one category's products, else all, newest first."""
    counts = category_counts(session=session, community_id=community.id or 0)
    categories = [
        CategoryView(c.key, category_name(c.key, lang), counts[c.key])
        for c in CATEGORIES
        if counts.get(c.key)
    ]
    if query.strip():
        found = search_page(
            session=session,
            community_id=community.id or 0,
            query=query,
            number=number,
            size=WEB_PAGE_SIZE,
        )
    else:
        found = category_page(
            session=session,
            community_id=community.id or 0,
            category=category,
            number=number,
            size=WEB_PAGE_SIZE,
        )
    return Listing(
        categories=categories,
        total=sum(counts.values()),
        cards=cards(session, community, found.products, options=options, lang=lang),
        page=found,
    )
