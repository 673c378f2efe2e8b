"""What Guyub holds about a person, table by table: how it is erased and how it is exported.

Indonesia's personal data law (UU PDP) gives people the right to erasure (`HAPUSDATA`)
and the right of access (`DATAKU`). Both are driven by RULES below, so a new table that
holds personal data needs one declaration here, and tests/storage/test_personal_data.py
fails until it has one (`undeclared_tables`).

A rule names the rows that are about a person (a `Subject`: the member, and every chat
address they use), what erasure does with those rows (`Delete`, `Anonymise` or `Keep`
with a reason) and which of their columns the export shows. A table may have several
rules, one per way it refers to a person (a product's seller, the coordinator who posted it).
Tables that hold nothing about a person are listed in NOT_PERSONAL, with the reason.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, MetaData, Table, and_, delete, false, not_, update
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    Announcement,
    BuddyAssignment,
    ChannelIdentity,
    Consignment,
    ConversationState,
    DashboardLogin,
    Digest,
    Event,
    Exposure,
    InboxMessage,
    LinkCode,
    Media,
    Member,
    OutboxMessage,
    Product,
    ProductRequest,
    Recommendation,
    Rsvp,
    ShareLink,
    ShareOpen,
)

__all__ = [
    "NOT_PERSONAL",
    "RULES",
    "Anonymise",
    "Delete",
    "Keep",
    "Rule",
    "Subject",
    "by_address",
    "by_identity",
    "by_member",
    "erase",
    "export",
    "references_person",
    "subject_of",
    "undeclared_tables",
]

CHUNK = 500  # ids per statement, well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Subject:
    """The person a request is about: a member (if they joined) and their chat addresses."""

    member_id: int | None
    identity_ids: tuple[int, ...] = ()


Selector = Callable[[Subject], ColumnElement[bool]]
"""The rows of one table that are about the subject."""


@dataclass(frozen=True)
class Delete:
    """Erasure deletes the rows, except those `unless` selects (still someone else's too);
    `files` names a column of media-folder paths to remove from disk as well."""

    files: str | None = None
    unless: Selector | None = None


@dataclass(frozen=True)
class Anonymise:
    """Erasure keeps the rows (others need them) but overwrites the columns that point at
    the person."""

    values: Mapping[str, Any]


@dataclass(frozen=True)
class Keep:
    """Erasure leaves the rows as they are, for the stated reason."""

    reason: str


@dataclass(frozen=True)
class Rule:
    """How the rows of one table that are about a person are found, erased and exported."""

    section: str  # the name of these rows in the export
    model: type[SQLModel]
    rows: Selector
    erase: Delete | Anonymise | Keep
    export: tuple[str, ...] = ()  # columns shown in the export

    @property
    def table(self) -> Table:
        """The rule's table."""
        table = self.model.__table__  # type: ignore[attr-defined]
        assert isinstance(table, Table)
        return table


def by_member(column: Any) -> Selector:
    """Rows whose `column` is the member (none for a guest: NULL must never match)."""
    return lambda s: col(column) == s.member_id if s.member_id is not None else false()


def by_identity(column: Any) -> Selector:
    """Rows whose `column` is one of the person's chat addresses."""
    return lambda s: col(column).in_(s.identity_ids) if s.identity_ids else false()


def by_address(channel: Any, address: Any) -> Selector:
    """Rows naming one of the person's chat addresses as (channel, address): messages that
    came in or went out before (or without) a member row."""

    def select_rows(subject: Subject) -> ColumnElement[bool]:
        if not subject.identity_ids:
            return false()
        theirs = select(ChannelIdentity.channel, ChannelIdentity.address).where(
            col(ChannelIdentity.id).in_(subject.identity_ids)
        )
        return sqlalchemy.tuple_(col(channel), col(address)).in_(theirs)

    return select_rows


def _photos_of_their_products(subject: Subject) -> ColumnElement[bool]:
    if subject.member_id is None:
        return false()
    theirs = select(Product.photo_media_id).where(col(Product.seller_id) == subject.member_id)
    return col(Media.id).in_(theirs)


def _photos_others_show(subject: Subject) -> ColumnElement[bool]:
    """The same bytes are kept once, so another seller's product may show the same photo."""
    others = select(Product.photo_media_id).where(
        col(Product.seller_id) != subject.member_id, col(Product.photo_media_id).is_not(None)
    )
    return col(Media.id).in_(others)


RULES: tuple[Rule, ...] = (
    Rule(
        "profile",
        Member,
        by_member(Member.id),
        Delete(),
        export=(
            "id",
            "display_name",
            "business_name",
            "area",
            "role",
            "language",
            "phone",
            "hide_phone",
            "contact_channel",
            "assisted",
            "consent_at",
            "opted_out_at",
            "buddy_since",
            "leaderboard_hidden",
            "created_at",
            "updated_at",
        ),
    ),
    Rule(
        "chat_accounts",
        ChannelIdentity,
        by_identity(ChannelIdentity.id),
        Delete(),
        export=(
            "channel",
            "address",
            "display_name",
            "username",
            "language",
            "last_inbound_at",
            "unreachable_at",
            "unreachable_reason",
            "created_at",
        ),
    ),
    Rule(
        "conversations",
        ConversationState,
        by_identity(ConversationState.identity_id),
        Delete(),
        export=("flow", "step", "data", "updated_at"),
    ),
    # the code itself is a secret that grants access: the export only says one exists
    Rule("link_codes", LinkCode, by_member(LinkCode.member_id), Delete(), export=("expires_at",)),
    # a dashboard link grants access like a link code: the export says when, never the hash
    Rule(
        "dashboard_logins",
        DashboardLogin,
        by_member(DashboardLogin.member_id),
        Delete(),
        export=("created_at", "expires_at", "used_at"),
    ),
    Rule(
        "messages",
        OutboxMessage,
        by_member(OutboxMessage.member_id),
        Delete(),
        export=("kind", "status", "channel", "payload", "created_at", "sent_at"),
    ),
    # replies to someone who had not joined yet carry only their address
    Rule(
        "messages_to_your_address",
        OutboxMessage,
        lambda s: and_(
            by_address(OutboxMessage.channel, OutboxMessage.address)(s),
            col(OutboxMessage.member_id).is_(None),
        ),
        Delete(),
        export=("kind", "status", "channel", "payload", "created_at", "sent_at"),
    ),
    # A row is blanked (no sender, no text) the moment it is handled; only messages still
    # waiting, usually for milliseconds, name the person. The erasure request is one of them,
    # and the person's later messages must still be handled, so erasure leaves them.
    Rule(
        "messages_waiting",
        InboxMessage,
        by_address(InboxMessage.channel, InboxMessage.sender),
        Keep("waiting messages are handled within seconds, then blanked"),
        export=("channel", "received_at"),
    ),
    Rule(
        "products",
        Product,
        by_member(Product.seller_id),
        Delete(),
        export=(
            "id",
            "title",
            "description",
            "price",
            "category",
            "status",
            "photo_media_id",
            "moderation_reason",
            "created_at",
            "updated_at",
            "last_confirmed_at",
        ),
    ),
    # a coordinator who posted for someone else: the product is the seller's, so it stays
    Rule(
        "products_posted_for_others",
        Product,
        lambda s: and_(by_member(Product.posted_by_id)(s), col(Product.seller_id) != s.member_id),
        Anonymise({"posted_by_id": None}),
        export=("id", "created_at"),
    ),
    Rule(
        "photos",
        Media,
        _photos_of_their_products,
        Delete(files="path", unless=_photos_others_show),
        export=("id", "content_type", "size", "created_at"),
    ),
    Rule(
        "product_requests",
        ProductRequest,
        by_member(ProductRequest.member_id),
        Delete(),
        export=("words", "created_at"),
    ),
    Rule(
        "files",
        Media,
        by_member(Media.member_id),
        Delete(files="path"),
        export=("id", "content_type", "size", "created_at"),
    ),
    # saling promosi: the products keep their counts, the erased member's name goes
    Rule(
        "recommendations_given",
        Recommendation,
        by_member(Recommendation.member_id),
        Anonymise({"member_id": None}),
        export=("product_id", "testimonial", "created_at"),
    ),
    Rule(
        "share_links",
        ShareLink,
        by_member(ShareLink.member_id),
        Anonymise({"member_id": None}),
        export=("product_id", "created_at"),
    ),
    Rule(
        "share_links_opened",
        ShareOpen,
        by_member(ShareOpen.opener_member_id),
        Anonymise({"opener_member_id": None, "opener_identity_id": None}),
        export=("share_link_id", "opened_at"),
    ),
    Rule(
        "share_links_opened_before_joining",
        ShareOpen,
        by_identity(ShareOpen.opener_identity_id),
        Anonymise({"opener_member_id": None, "opener_identity_id": None}),
        export=("share_link_id", "opened_at"),
    ),
    Rule(
        "promo_buddy_weeks",
        BuddyAssignment,
        by_member(BuddyAssignment.member_id),
        Anonymise({"member_id": None}),
        export=("week", "product_id", "done_at", "created_at"),
    ),
    Rule(
        "promo_buddy_partners",
        BuddyAssignment,
        by_member(BuddyAssignment.partner_id),
        Anonymise({"partner_id": None}),
        export=("week", "created_at"),
    ),
    Rule(
        "promotion_ledger",
        Exposure,
        by_member(Exposure.member_id),
        Anonymise({"member_id": None}),
        export=("product_id", "kind", "at"),
    ),
    Rule(
        "weekly_digests",
        Digest,
        by_member(Digest.member_id),
        Delete(),
        export=("week", "product_ids", "event_keys", "channel", "created_at"),
    ),
    # events: the community's event stays when its coordinator goes; answers are theirs
    Rule(
        "events_created",
        Event,
        by_member(Event.created_by_id),
        Anonymise({"created_by_id": None}),
        export=("id", "title", "starts_at", "created_at"),
    ),
    Rule(
        "event_answers",
        Rsvp,
        by_member(Rsvp.member_id),
        Delete(),
        export=("event_id", "occurrence", "answer", "waitlisted", "created_at", "updated_at"),
    ),
    # titip: the seller's request goes with the seller; a carrier's part is forgotten
    # (the row stays the seller's, open again if not reported yet)
    Rule(
        "consignments",
        Consignment,
        by_member(Consignment.seller_id),
        Delete(),
        export=("event_id", "occurrence", "product_id", "quantity", "sold", "created_at"),
    ),
    Rule(
        "consignments_carried",
        Consignment,
        by_member(Consignment.carrier_id),
        Anonymise({"carrier_id": None, "carried_at": None}),
        export=("event_id", "occurrence", "product_id", "sold", "carried_at", "reported_at"),
    ),
    # an announcement went to the whole community: it stays, without its author
    Rule(
        "announcements_written",
        Announcement,
        by_member(Announcement.author_id),
        Anonymise({"author_id": None}),
        export=("id", "text", "audience", "scheduled_for", "created_at"),
    ),
)

NOT_PERSONAL: dict[str, str] = {
    "community": "the community itself; members are found through member.community_id",
    "eventoccurrence": "one occurrence of an event moved or cancelled: when, never who",
    "whatsappquota": "how many business-initiated WhatsApp messages a day uses; no person",
    "processedinbound": "platform message ids with a time, kept to drop duplicates; no person",
    "process": "the running Guyub processes (host, pid, role); no person",
    "linkattempt": (
        "a one-way hash of a chat address that typed a wrong link code, deleted within the hour;"
        " not tied to a member on purpose, so erasing one's data cannot reset the guessing limit"
    ),
}
"""Tables that hold nothing about a person, and why."""

PERSON_COLUMN = re.compile(
    r"(^|_)(member|seller|buyer|identity|person|user|username|address|phone|posted_by)(_|$)"
)
PERSON_TABLES = ("member", "channelidentity")


def references_person(table: Table) -> bool:
    """A foreign key to a member or chat address, or a column named after a person."""
    if any(fk.column.table.name in PERSON_TABLES for fk in table.foreign_keys):
        return True
    return table.name in PERSON_TABLES or any(PERSON_COLUMN.search(c.name) for c in table.columns)


def undeclared_tables(metadata: MetaData, rules: Iterable[Rule] = RULES) -> list[str]:
    """Tables with neither a rule nor a NOT_PERSONAL reason, and NOT_PERSONAL tables that
    do refer to a person: each is personal data that erasure and export would miss."""
    ruled = {rule.table.name for rule in rules}
    missing = [name for name in metadata.tables if name not in ruled and name not in NOT_PERSONAL]
    wrong = [
        name
        for name in NOT_PERSONAL
        if name in metadata.tables and references_person(metadata.tables[name])
    ]
    return sorted(missing + wrong)


def subject_of(
    session: Session, *, member_id: int | None, identity_id: int | None = None
) -> Subject:
    """The member with every chat address they use, or a guest's one address."""
    identities = {identity_id} if identity_id is not None else set()
    if member_id is not None:
        query = select(ChannelIdentity.id).where(col(ChannelIdentity.member_id) == member_id)
        identities |= {i for i in session.exec(query).all() if i is not None}
    return Subject(member_id=member_id, identity_ids=tuple(sorted(identities)))


def _key(rule: Rule) -> Any:
    (key,) = rule.table.primary_key.columns  # every personal table has a one-column key
    return key


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def erase(session: Session, subject: Subject) -> list[str]:
    """Apply every rule's erasure to the subject's rows; returns media paths to delete
    from disk once the transaction has committed.

    All rows are found first, then anonymised, then deleted children before parents, so
    no rule's selection depends on what another rule already removed.
    """
    found = []
    for rule in RULES:
        query = select(_key(rule)).where(rule.rows(subject))
        if isinstance(rule.erase, Delete) and rule.erase.unless is not None:
            query = query.where(not_(rule.erase.unless(subject)))
        found.append((rule, list(session.exec(query).all())))
    files: list[str] = []
    doomed: dict[str, tuple[Rule, set[Any]]] = {}
    for rule, keys in found:
        if not keys or isinstance(rule.erase, Keep):
            continue
        if isinstance(rule.erase, Anonymise):
            for part in _chunks(keys):
                session.exec(
                    update(rule.model)
                    .where(_key(rule).in_(part))
                    .values(**rule.erase.values)
                    .execution_options(synchronize_session="fetch")
                )
            continue
        if rule.erase.files:
            column = rule.table.columns[rule.erase.files]
            for part in _chunks(keys):
                files += session.exec(select(column).where(_key(rule).in_(part))).all()
        doomed.setdefault(rule.table.name, (rule, set()))[1].update(keys)
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name not in doomed:
            continue
        owner, pending = doomed[table.name]
        for part in _chunks(sorted(pending)):
            session.exec(
                delete(owner.model)
                .where(_key(owner).in_(part))
                .execution_options(synchronize_session="fetch")
            )
    session.flush()
    return sorted(set(files))


def export(session: Session, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    """Every exported section with the subject's rows, as JSON-ready values."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for rule in RULES:
        if not rule.export:
            continue
        columns = [rule.table.columns[name] for name in rule.export]
        query = sqlalchemy.select(*columns).where(rule.rows(subject)).order_by(_key(rule))
        sections[rule.section] = [
            {name: _plain(value) for name, value in zip(rule.export, row, strict=True)}
            for row in session.connection().execute(query).all()
        ]
    return sections


def _plain(value: Any) -> Any:
    """A value as JSON has it: times in ISO 8601."""
    return value.isoformat() if isinstance(value, datetime) else value
