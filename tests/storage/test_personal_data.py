"""Personal data by declaration: every table has a rule, and erasure and export follow them."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, ForeignKey, Integer, MetaData, String, Table
from sqlmodel import Session, SQLModel, col, select

from storage.communities import (
    create_community,
    create_link_code,
    erase_member,
    get_or_create_identity,
    join_community,
)
from storage.dashboard import issue_login
from storage.models import (
    Announcement,
    BuddyAssignment,
    ChannelIdentity,
    Consignment,
    ConversationState,
    Digest,
    Event,
    Exposure,
    ExposureKind,
    InboxMessage,
    Media,
    Member,
    OutboxMessage,
    Product,
    ProductRequest,
    ProductStatus,
    Recommendation,
    Rsvp,
    ShareLink,
    ShareOpen,
)
from storage.personal_data import (
    NOT_PERSONAL,
    RULES,
    Anonymise,
    Delete,
    export,
    subject_of,
    undeclared_tables,
)

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_every_table_declares_how_its_personal_data_is_erased_and_exported() -> None:
    assert undeclared_tables(SQLModel.metadata) == []


def test_a_new_table_about_members_without_a_rule_is_caught() -> None:
    copy = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(copy)
    Table(
        "throwaway_gossip",
        copy,
        Column("id", Integer, primary_key=True),
        Column("member_id", Integer),
    )
    Table(
        "throwaway_favourite",
        copy,
        Column("id", Integer, primary_key=True),
        Column("who", Integer, ForeignKey("channelidentity.id")),
    )
    copy.tables["community"].append_column(Column("owner_phone", String))  # said not personal
    assert undeclared_tables(copy) == ["community", "throwaway_favourite", "throwaway_gossip"]


def test_rules_name_real_columns_and_unique_sections() -> None:
    sections = [rule.section for rule in RULES]
    assert len(sections) == len(set(sections))
    for rule in RULES:
        columns = rule.table.columns
        assert set(rule.export) <= set(columns.keys()), rule.section
        if isinstance(rule.erase, Anonymise):
            assert set(rule.erase.values) <= set(columns.keys()), rule.section
            assert all(columns[name].nullable for name in rule.erase.values), rule.section
        if isinstance(rule.erase, Delete) and rule.erase.files:
            assert rule.erase.files in columns, rule.section
    assert not set(NOT_PERSONAL) & {rule.table.name for rule in RULES}


@dataclass
class Person:
    member_id: int
    names: tuple[str, ...]  # strings that only this person's data contains


def add_person(
    session: Session, community_id: int, name: str, phone: str, *, photo: Media | None = None
) -> Person:
    """A member with two chat accounts, a flow in progress, a link code, a message, a
    product with a photo and a personal file: a row in every table a rule covers."""
    from storage.models import Community

    community = session.get(Community, community_id)
    assert community is not None
    local = get_or_create_identity(
        session=session, channel="local", address=f"{name}-local", display_name=name, now=NOW
    )
    member = join_community(
        session=session,
        identity=local,
        community=community,
        display_name=name,
        language="id",
        phone=phone,
        now=NOW,
    )
    member.business_name = f"Dapur {name}"
    wa = get_or_create_identity(
        session=session, channel="whatsapp", address=phone, display_name=name, now=NOW
    )
    wa.member_id = member.id
    session.add_all([member, wa])
    session.flush()
    assert member.id is not None and wa.id is not None
    session.add(
        ConversationState(
            identity_id=wa.id,
            flow="sell",
            step="price",
            data={"title": f"Kue {name}"},
            updated_at=NOW,
        )
    )
    create_link_code(session=session, member_id=member.id, now=NOW)
    issue_login(session=session, community_id=community_id, member_id=member.id, now=NOW)
    session.add(
        OutboxMessage(
            community_id=community_id,
            member_id=member.id,
            idempotency_key=f"notice-{name}",
            payload={"text": f"Halo {name}"},
            next_attempt_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.add(  # a reply from before she joined: it names only her address
        OutboxMessage(
            community_id=None,
            member_id=None,
            kind="reply",
            channel="whatsapp",
            address=phone,
            idempotency_key=f"reply-{name}",
            payload={"text": f"Halo {name}, ketik GABUNG"},
            next_attempt_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.add(  # a message of hers still waiting in the inbox
        InboxMessage(
            channel="whatsapp",
            platform_id=f"SM-{name}",
            sender=phone,
            payload={"fields": {"body": f"Kue {name} 10rb"}},
            received_at=NOW,
        )
    )
    photo = photo or Media(
        id=f"photo-{name}", sha256=f"sha-{name}", path=f"aa/photo-{name}.jpg", created_at=NOW
    )
    own_file = Media(
        id=f"file-{name}",
        member_id=member.id,
        sha256=f"sha-file-{name}",
        content_type="application/json",
        path=f"bb/file-{name}/guyub-data.json",
        created_at=NOW,
    )
    session.add_all([photo, own_file])
    session.flush()
    session.add(
        Product(
            community_id=community_id,
            seller_id=member.id,
            title=f"Keripik {name}",
            status=ProductStatus.ACTIVE,
            photo_media_id=photo.id,
            created_at=NOW,
            updated_at=NOW,
            last_confirmed_at=NOW + timedelta(days=1),
        )
    )
    session.add(
        ProductRequest(
            community_id=community_id, member_id=member.id, words=f"tahu {name}", created_at=NOW
        )
    )
    session.flush()
    add_promotion(session, community_id, member.id, wa.id, name)
    add_event(session, community_id, member.id, name)
    return Person(member.id, (name, phone, f"Dapur {name}", f"Keripik {name}", f"Kue {name}"))


def add_event(session: Session, community_id: int, member_id: int, name: str) -> None:
    """An event the person created, and their answer to it."""
    event = Event(
        community_id=community_id,
        title=f"Arisan {name}",
        starts_at=NOW + timedelta(days=3),
        created_by_id=member_id,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    session.add(
        Rsvp(
            community_id=community_id,
            event_id=event.id,
            occurrence=event.starts_at,
            member_id=member_id,
            answer="hadir",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    product = session.exec(select(Product).where(Product.seller_id == member_id)).one()
    for occurrence, carrier in ((event.starts_at, None), (event.starts_at + HOUR, member_id)):
        session.add(  # titip: her own request, and one she carries (her own, for brevity)
            Consignment(
                community_id=community_id,
                event_id=event.id,
                occurrence=occurrence,
                product_id=product.id or 0,
                seller_id=member_id,
                carrier_id=carrier,
                sold=2 if carrier else None,
                created_at=NOW,
                carried_at=NOW if carrier else None,
            )
        )
    session.add(  # an announcement they wrote: it stays, without its author
        Announcement(
            community_id=community_id,
            author_id=member_id,
            text="Kerja bakti Minggu pagi",
            event_id=event.id,
            scheduled_for=NOW,
            created_at=NOW,
        )
    )


def add_promotion(
    session: Session, community_id: int, member_id: int, identity_id: int, name: str
) -> None:
    """Saling promosi rows about the person (on their own product, for brevity)."""
    product = session.exec(select(Product).where(Product.seller_id == member_id)).one()
    assert product.id is not None
    session.add(
        Recommendation(
            community_id=community_id,
            product_id=product.id,
            member_id=member_id,
            testimonial=f"Enak, {name}",
            created_at=NOW,
        )
    )
    link = ShareLink(
        community_id=community_id,
        product_id=product.id,
        member_id=member_id,
        code=f"code-{name}",
        created_at=NOW,
    )
    session.add(link)
    session.flush()
    assert link.id is not None
    for opener_member, opener_identity in ((member_id, None), (None, identity_id)):
        session.add(
            ShareOpen(
                community_id=community_id,
                share_link_id=link.id,
                opener_member_id=opener_member,
                opener_identity_id=opener_identity,
                opened_at=NOW,
            )
        )
    session.add(
        BuddyAssignment(
            community_id=community_id,
            week="2026-W49",
            member_id=member_id,
            partner_id=member_id,
            product_id=product.id,
            created_at=NOW,
        )
    )
    session.add(
        Exposure(
            community_id=community_id,
            product_id=product.id,
            kind=ExposureKind.SHARE,
            member_id=member_id,
            at=NOW,
        )
    )
    session.add(
        Digest(
            community_id=community_id,
            member_id=member_id,
            week="2026-W49",
            product_ids=[product.id or 0],
            created_at=NOW,
        )
    )


def test_export_and_erasure_cover_each_rule_and_nobody_else(engine: Engine) -> None:
    with Session(engine) as session:
        kba = create_community(
            session=session,
            name="KBA",
            invite_code="KBA",
            timezone="Asia/Jakarta",
            language="id",
            now=NOW,
        )
        other = create_community(
            session=session,
            name="Lain",
            invite_code="LAIN",
            timezone="Asia/Jakarta",
            language="id",
            now=NOW,
        )
        assert kba.id is not None and other.id is not None
        siti = add_person(session, kba.id, "Siti", "+6281111111111")
        shared = session.get(Media, "photo-Siti")  # Budi's photo has the same bytes
        budi = add_person(session, kba.id, "Budi", "+6282222222222", photo=shared)
        citra = add_person(session, other.id, "Citra", "+6283333333333")
        # Siti, a coordinator, posted a product for Budi: it stays Budi's
        session.add(
            Product(
                community_id=kba.id,
                seller_id=budi.member_id,
                posted_by_id=siti.member_id,
                title="Tempe Budi",
                created_at=NOW,
                updated_at=NOW,
                last_confirmed_at=NOW,
            )
        )
        session.commit()

        sections = export(session, subject_of(session, member_id=siti.member_id))
        empty = [rule.section for rule in RULES if rule.export and not sections[rule.section]]
        assert empty == []  # each rule finds Siti's rows
        text = json.dumps(sections, ensure_ascii=False)
        for name in (*siti.names, "Siti-local"):
            assert name in text
        for stranger in (*budi.names, *citra.names, "Tempe Budi", "KBA", "Lain"):
            assert stranger not in text, stranger
        assert sections["products_posted_for_others"][0].keys() == {"id", "created_at"}
        assert "code" not in sections["link_codes"][0]  # a secret that grants access

        member = session.get(Member, siti.member_id)
        assert member is not None
        files = erase_member(session=session, member=member)
        session.commit()
        assert files == ["bb/file-Siti/guyub-data.json"]  # the shared photo stays for Budi

        assert session.get(Member, siti.member_id) is None
        assert (
            session.exec(
                select(ChannelIdentity).where(col(ChannelIdentity.address).like("Siti%"))
            ).all()
            == []
        )
        left = export(session, subject_of(session, member_id=siti.member_id))
        assert all(rows == [] for rows in left.values())
        for person in (budi, citra):
            kept = export(session, subject_of(session, member_id=person.member_id))
            assert all(
                kept[rule.section]
                for rule in RULES
                if rule.section not in {"products_posted_for_others"}
            ), person
        tempe = session.exec(select(Product).where(Product.title == "Tempe Budi")).one()
        assert tempe.posted_by_id is None and tempe.seller_id == budi.member_id
        assert session.get(Media, "photo-Siti") is not None
