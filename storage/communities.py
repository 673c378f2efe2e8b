"""Communities, members and their channel identities."""

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, delete, select

from storage import personal_data
from storage.core import run, table_of
from storage.models import (
    ChannelIdentity,
    Community,
    ConversationState,
    LinkCode,
    Member,
    Role,
)

__all__ = [
    "claim_link_code",
    "create_community",
    "create_link_code",
    "erase_member",
    "find_identity",
    "find_members",
    "find_sender",
    "get_community_by_invite",
    "get_or_create_identity",
    "identities_of",
    "join_community",
    "members_of",
    "promote",
    "touch_identity",
]

LINK_CODE_TTL = timedelta(minutes=15)
LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


def create_community(
    *,
    session: Session,
    name: str,
    invite_code: str,
    timezone: str,
    language: str,
    now: datetime,
) -> Community:
    """Add a community; the invite code is stored upper-case so matching ignores case."""
    community = Community(
        name=name,
        invite_code=invite_code.strip().upper(),
        timezone=timezone,
        language=language,
        created_at=now,
    )
    session.add(community)
    session.flush()
    return community


def get_community_by_invite(*, session: Session, invite_code: str) -> Community | None:
    """Find a community by its invite code, case-insensitively."""
    code = invite_code.strip().upper()
    return session.exec(select(Community).where(Community.invite_code == code)).first()


FIND_IDENTITY = select(ChannelIdentity).where(
    ChannelIdentity.channel == bindparam("channel"), ChannelIdentity.address == bindparam("address")
)


SENDER = (
    select(ChannelIdentity, Member, Community, ConversationState)
    .outerjoin(Member, col(Member.id) == col(ChannelIdentity.member_id))
    .outerjoin(Community, col(Community.id) == col(Member.community_id))
    .outerjoin(ConversationState, col(ConversationState.identity_id) == col(ChannelIdentity.id))
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.address == bindparam("address"),
    )
)


def find_sender(
    *, session: Session, channel: str, address: str
) -> tuple[ChannelIdentity | None, Member | None, Community | None, ConversationState | None]:
    """Who wrote, in one query: their identity, member, community and conversation state.

    The router needs all four for every message; one joined SELECT cost about a third of
    an identity lookup and three `Session.get`s (bench/inbound.py).
    """
    row = session.exec(SENDER, params={"channel": channel, "address": address}).first()
    if row is None:
        return None, None, None, None
    identity, member, community, state = row
    return identity, member, community, state


def find_identity(*, session: Session, channel: str, address: str) -> ChannelIdentity | None:
    """The identity behind an address on a channel, if that address ever wrote to us."""
    # built once: every message looks its sender up, and building the query cost as much
    # as running it
    return session.exec(FIND_IDENTITY, params={"channel": channel, "address": address}).first()


def get_or_create_identity(
    *, session: Session, channel: str, address: str, display_name: str, now: datetime
) -> ChannelIdentity:
    """The identity behind an address; the first message from an address creates it."""
    identity = find_identity(session=session, channel=channel, address=address)
    if identity is None:
        identity = ChannelIdentity(
            channel=channel, address=address, display_name=display_name, created_at=now
        )
        session.add(identity)
        session.flush()
    return identity


IDENTITY = table_of(ChannelIdentity)
TOUCH_IDENTITY = update(IDENTITY).where(IDENTITY.c.id == bindparam("identity_id"))


def touch_identity(
    *,
    session: Session,
    identity: ChannelIdentity,
    now: datetime,
    display_name: str = "",
    username: str | None = None,
) -> None:
    """The identity just wrote: reachable again, its last message now, its name as sent.

    One plain UPDATE, the loaded identity kept in step (every message passes here: through
    the ORM it was a flush of its own, a tenth of the router's work).
    """
    values: dict[str, object] = {
        "last_inbound_at": now,
        "unreachable_at": None,
        "unreachable_reason": None,
    }
    if display_name:
        values["display_name"] = display_name
    if username:
        values["username"] = username
    run(session, TOUCH_IDENTITY, {"identity_id": identity.id, **values})
    for name, value in values.items():
        set_committed_value(identity, name, value)


def join_community(
    *,
    session: Session,
    identity: ChannelIdentity,
    community: Community,
    display_name: str,
    language: str,
    phone: str | None,
    now: datetime,
) -> Member:
    """Make the identity a member of the community, recording consent now."""
    assert community.id is not None
    member = Member(
        community_id=community.id,
        display_name=display_name,
        language=language,
        phone=phone,
        consent_at=now,
        created_at=now,
        updated_at=now,
        contact_channel=identity.channel if identity.channel != "local" else None,
    )
    session.add(member)
    session.flush()
    identity.member_id = member.id
    session.add(identity)
    return member


def identities_of(*, session: Session, member_id: int) -> Sequence[ChannelIdentity]:
    """Every channel address of a member, most recently active first."""
    rows = session.exec(select(ChannelIdentity).where(ChannelIdentity.member_id == member_id)).all()
    return sorted(rows, key=lambda i: i.last_inbound_at or i.created_at, reverse=True)


def members_of(
    *, session: Session, community_id: int, roles: Sequence[str] | None = None
) -> Sequence[Member]:
    """Members of one community, optionally only some roles."""
    query = select(Member).where(Member.community_id == community_id)
    if roles:
        query = query.where(col(Member.role).in_(list(roles)))
    return session.exec(query.order_by(col(Member.id))).all()


def find_members(
    *, session: Session, community_id: int, name: str, phone: str | None = None
) -> list[Member]:
    """Resolve how people name a member: E.164 phone, @username, Telegram id, local name,
    or display/business name (case-insensitive). The caller normalises `phone`.
    """
    text = name.strip()
    conditions: list[ColumnElement[bool]] = [
        and_(
            col(ChannelIdentity.channel) == "telegram",
            func.lower(ChannelIdentity.username) == text.removeprefix("@").lower(),
        ),
        col(ChannelIdentity.address) == text,
    ]
    if phone:
        conditions.append(col(ChannelIdentity.address) == phone)
    via_identity = select(ChannelIdentity.member_id).where(or_(*conditions))
    member_conditions: list[ColumnElement[bool]] = [
        col(Member.id).in_(via_identity),
        # SQLite's lower() folds only ASCII: "Ömer" must still find "Ömer" as typed
        col(Member.display_name) == text,
        col(Member.business_name) == text,
        func.lower(Member.display_name) == text.lower(),
        func.lower(Member.business_name) == text.lower(),
    ]
    if phone:
        member_conditions.append(col(Member.phone) == phone)
    query = select(Member).where(Member.community_id == community_id, or_(*member_conditions))
    return list(session.exec(query.order_by(col(Member.id))).all())


def create_link_code(*, session: Session, member_id: int, now: datetime) -> str:
    """Issue a one-time code to send from another chat app; older codes stop working."""
    session.exec(delete(LinkCode).where(col(LinkCode.member_id) == member_id))
    code = "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(6))
    session.add(LinkCode(code=code, member_id=member_id, expires_at=now + LINK_CODE_TTL))
    session.flush()
    return code


def claim_link_code(*, session: Session, code: str, now: datetime) -> int | None:
    """Use up a link code; returns the member it belongs to, or None if unknown/expired."""
    link = session.get(LinkCode, code.strip().upper())
    if link is None:
        return None
    session.delete(link)
    session.flush()
    return link.member_id if link.expires_at > now else None


def erase_member(*, session: Session, member: Member) -> list[str]:
    """Delete everything Guyub holds about a person (Indonesia's PDP law, right to erasure).

    What "everything" is comes from storage/personal_data.py, one rule per table.
    Returns the media files (paths relative to the media folder) that are no longer
    referenced, for the caller to delete from disk once the transaction has committed.
    """
    subject = personal_data.subject_of(session, member_id=member.id)
    return personal_data.erase(session, subject)


def promote(*, member: Member, role: Role, now: datetime) -> None:
    """Give a member a role."""
    member.role = role
    member.updated_at = now
