"""A public community with sellers and products, for the web tests, the browser tests and the
catalogue bench: every kind of contact a card can show, a hidden number, an HTML-looking name.
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlmodel import Session

from handlers.catalogue.fields import index_text
from storage.communities import create_community, get_or_create_identity, join_community
from storage.db import SessionFactory, transaction
from storage.media import MediaStore
from storage.models import Community, Member, ProductStatus, Recommendation, Role
from storage.products import create_product

__all__ = ["HIDDEN_NUMBERS", "Market", "photo_bytes", "seed_market"]

SITI_PHONE = "+6281234500001"  # shown: her WhatsApp button carries it
DEWI_PHONE = "+6281234500002"  # hidden: she is reached on Telegram (@dewikue)
BUDI_PHONE = "+6281234500003"  # hidden, no Telegram: buyers go through the coordinator
RT_PHONE = "+6281234500009"  # the coordinator shows his number
OTHER_PHONE = "+6281234500077"  # a member of another community
HIDDEN_NUMBERS = (DEWI_PHONE, BUDI_PHONE)
XSS_TITLE = "<script>alert(1)</script>"


def photo_bytes(label: str, size: tuple[int, int] = (1200, 900)) -> bytes:
    """A camera-sized JPEG with a shape in it, different per label."""
    seed = sum(label.encode())
    image = Image.new("RGB", size, (200 + seed % 50, 150 + seed % 80, 90 + seed % 60))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (size[0] // 4, size[1] // 4, 3 * size[0] // 4, 3 * size[1] // 4), fill=(120, 60, 20)
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@dataclass
class Market:
    """What was seeded: ids the tests look for."""

    community: Community
    other: Community
    products: dict[str, int] = field(default_factory=dict)
    other_product: int = 0
    hidden_product: int = 0


def _member(
    session: Session,
    community: Community,
    name: str,
    phone: str,
    now: datetime,
    *,
    business: str | None = None,
    area: str | None = None,
    hide: bool = False,
    role: Role = Role.SELLER,
    telegram: str | None = None,
) -> Member:
    if telegram:
        identity = get_or_create_identity(
            session=session,
            channel="telegram",
            address=str(abs(hash(name)) % 10**9),
            display_name=name,
            now=now,
        )
        identity.username = telegram
    else:
        identity = get_or_create_identity(
            session=session, channel="whatsapp", address=phone, display_name=name, now=now
        )
    member = join_community(
        session=session,
        identity=identity,
        community=community,
        display_name=name,
        language="id",
        phone=phone,
        now=now,
    )
    member.business_name, member.area, member.hide_phone, member.role = business, area, hide, role
    session.add(member)
    return member


def _product(
    session: Session,
    store: MediaStore,
    seller: Member,
    title: str,
    price: int | None,
    category: str,
    now: datetime,
    *,
    description: str = "",
    photo: bool = True,
    status: str = ProductStatus.ACTIVE,
) -> int:
    media = (
        store.save(
            session=session,
            data=photo_bytes(title),
            content_type="image/jpeg",
            now=now,
            community_id=seller.community_id,
        )
        if photo
        else None
    )
    product = create_product(
        session=session,
        community_id=seller.community_id,
        seller_id=seller.id or 0,
        posted_by_id=seller.id,
        title=title,
        description=description,
        price=price,
        category=category,
        photo_media_id=media.id if media else None,
        search_text=index_text(title, description),
        now=now,
        status=status,
    )
    return product.id or 0


def seed_market(
    open_session: SessionFactory, media_dir: Path, now: datetime, *, extra: int = 0
) -> Market:
    """KBA13 (public, in Palembang) with four sellers and their products, plus RW05 (private)
    with one product; `extra` more products for paging and the bench."""
    store = MediaStore(media_dir)
    with transaction(open_session) as session:
        community = create_community(
            session=session,
            name="KBA 13 Ulu",
            invite_code="KBA13",
            timezone="Asia/Jakarta",
            language="id",
            now=now,
        )
        community.area = "Palembang"
        community.public_catalogue = True
        other = create_community(
            session=session,
            name="RW 05 Melati",
            invite_code="RW05",
            timezone="Asia/Jakarta",
            language="id",
            now=now,
        )
        market = Market(community, other)
        rt = _member(session, community, "Pak RT", RT_PHONE, now, role=Role.COORDINATOR)
        siti = _member(
            session, community, "Siti", SITI_PHONE, now, business="Dapur Siti", area="Kel. 13 Ulu"
        )
        dewi = _member(
            session,
            community,
            "Dewi",
            DEWI_PHONE,
            now,
            business="Kue Dewi",
            hide=True,
            telegram="dewikue",
        )
        budi = _member(
            session, community, "Budi", BUDI_PHONE, now, business="Batik Budi", hide=True
        )
        _member(
            session,
            community,
            "Rina",
            "+6281234500004",
            now,
            role=Role.MEMBER,
            business="Rahasia Rina",
        )
        stranger = _member(session, other, "Tono", OTHER_PHONE, now, business="Toko Tono")
        at = now - timedelta(days=1)
        market.products["xss"] = _product(
            session,
            store,
            siti,
            XSS_TITLE,
            None,
            "lainnya",
            at,
            description='"><img src=x onerror=alert(2)>',
        )
        market.products["keripik"] = _product(
            session,
            store,
            siti,
            "Keripik pisang",
            15000,
            "kuliner",
            at,
            description="Renyah, manis, tanpa pengawet. 250 gram.",
        )
        market.products["pempek"] = _product(
            session, store, siti, "Pempek kapal selam", 12000, "kuliner", at
        )
        market.products["kue"] = _product(
            session, store, dewi, "Kue lapis legit", 85000, "kuliner", at, photo=False
        )
        market.products["batik"] = _product(
            session, store, budi, "Batik tulis songket", 350000, "fashion", at
        )
        market.hidden_product = _product(
            session,
            store,
            siti,
            "Sambal rahasia",
            20000,
            "kuliner",
            at,
            status=ProductStatus.HIDDEN,
        )
        for number in range(extra):
            _product(
                session,
                store,
                siti if number % 2 else budi,
                f"Produk contoh {number}",
                1000 * (number + 1),
                "lainnya",
                at - timedelta(minutes=number),
                description="Barang bagus buatan tetangga",
                photo=number < 30,
            )
        market.other_product = _product(
            session, store, stranger, "Tempe mendoan", 5000, "kuliner", at
        )
        for member in (rt, dewi, budi):
            session.add(
                Recommendation(
                    community_id=community.id or 0,
                    product_id=market.products["keripik"],
                    member_id=member.id,
                    created_at=now,
                )
            )
        session.flush()
        session.expunge_all()
    return market
