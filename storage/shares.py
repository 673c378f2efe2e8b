"""Personal share links (*Bagikan*) and their openings: who brought whom to a product.

A member has one link per product, reused every time they share it. Its code is the only
secret in the link, so it is long and random, from an alphabet that survives being read
aloud or retyped (no 0/O, no 1/I). Whoever opens it is credited to the sharer once: a
member, or before joining the chat identity that opened it (the same person joining later
is still the same person).
"""

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, func, select

from storage.models import ShareLink, ShareOpen

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "credited_count",
    "find_share_link",
    "new_code",
    "record_open",
    "share_link_for",
]

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 32**10 = 2**50 codes: guessing one is hopeless


def new_code() -> str:
    """A fresh unguessable code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def share_link_for(
    *, session: Session, community_id: int, product_id: int, member_id: int, now: datetime
) -> ShareLink:
    """The member's personal link to a product, made the first time they share it."""
    link = session.exec(
        select(ShareLink).where(
            ShareLink.community_id == community_id,
            ShareLink.product_id == product_id,
            ShareLink.member_id == member_id,
        )
    ).first()
    if link is not None:
        return link
    code = new_code()
    while session.exec(select(ShareLink.id).where(ShareLink.code == code)).first() is not None:
        code = new_code()  # astronomically rare, but a clash must never reuse someone's link
    link = ShareLink(
        community_id=community_id,
        product_id=product_id,
        member_id=member_id,
        code=code,
        created_at=now,
    )
    session.add(link)
    session.flush()
    return link


def find_share_link(
    *, session: Session, code: str, product_id: int, community_id: int | None
) -> ShareLink | None:
    """The link behind a code, if the code, its product and its community all match.

    `community_id` is the opener's community; None only for someone who belongs to no
    community yet (the unguessable code itself is then what says which community it is).
    """
    query = select(ShareLink).where(
        ShareLink.code == code.strip().upper(), ShareLink.product_id == product_id
    )
    if community_id is not None:
        query = query.where(ShareLink.community_id == community_id)
    return session.exec(query).first()


def record_open(
    *,
    session: Session,
    link: ShareLink,
    opener_member_id: int | None,
    opener_identity_id: int,
    other_identity_ids: Sequence[int] = (),
    now: datetime,
) -> ShareOpen:
    """One opening of a link, from the chat identity `opener_identity_id` (and, for a
    member, their `other_identity_ids` on other apps).

    Credited when the opener is neither the sharer nor someone this link already brought,
    as a member or, before they joined, as any of their identities.
    """
    own = opener_member_id is not None and opener_member_id == link.member_id
    identity_ids = [opener_identity_id, *other_identity_ids]
    credited = (
        link.member_id is not None
        and not own
        and not _already_brought(
            session=session, link=link, member_id=opener_member_id, identity_ids=identity_ids
        )
    )
    opened = ShareOpen(
        community_id=link.community_id,
        share_link_id=link.id or 0,
        opener_member_id=opener_member_id,
        opener_identity_id=opener_identity_id,
        credited=credited,
        opened_at=now,
    )
    session.add(opened)
    session.flush()
    return opened


def _already_brought(
    *, session: Session, link: ShareLink, member_id: int | None, identity_ids: Sequence[int]
) -> bool:
    same_person: list[ColumnElement[bool]] = [
        col(ShareOpen.opener_identity_id).in_(list(identity_ids))
    ]
    if member_id is not None:
        same_person.append(col(ShareOpen.opener_member_id) == member_id)
    found = session.exec(
        select(ShareOpen.id).where(
            ShareOpen.community_id == link.community_id,
            ShareOpen.share_link_id == link.id,
            col(ShareOpen.credited).is_(True),
            or_(*same_person),
        )
    ).first()
    return found is not None


def credited_count(*, session: Session, community_id: int, share_link_id: int) -> int:
    """How many distinct people a link has brought."""
    return session.exec(
        select(func.count()).where(
            ShareOpen.community_id == community_id,
            ShareOpen.share_link_id == share_link_id,
            col(ShareOpen.credited).is_(True),
        )
    ).one()
