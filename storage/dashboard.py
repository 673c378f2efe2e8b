"""One-time dashboard links: issued in chat, redeemed once by the browser.

The token goes to the coordinator in chat; only its SHA-256 is stored. Redeeming is one
conditional UPDATE (unused and unexpired), so two tabs opening the same link cannot both win.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from storage.models import ChannelIdentity, DashboardLogin, Member, Product, ProductStatus

__all__ = [
    "LOGIN_TTL",
    "Redeemed",
    "issue_login",
    "member_chats",
    "redeem_login",
    "reviewable_products",
    "token_hash",
]

LOGIN_TTL = timedelta(minutes=10)
KEEP_USED = timedelta(days=1)  # spent links are kept a day (a reused one says "used"), no more


def token_hash(token: str) -> str:
    """What is stored for a token (a copy of the database opens nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login(*, session: Session, community_id: int, member_id: int, now: datetime) -> str:
    """A new one-time token for this coordinator; old spent or expired ones are cleared."""
    session.exec(
        delete(DashboardLogin).where(col(DashboardLogin.expires_at) < now - KEEP_USED)  # type: ignore[call-overload]
    )
    token = secrets.token_urlsafe(24)
    session.add(
        DashboardLogin(
            token_hash=token_hash(token),
            community_id=community_id,
            member_id=member_id,
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class Redeemed:
    """Whom a redeemed link names (or why it opened nothing)."""

    community_id: int | None
    member_id: int | None
    problem: str | None  # None, "unknown", "used", "expired"


def redeem_login(*, session: Session, token: str, now: datetime) -> Redeemed:
    """Use up a token: the member and community it names, or why not."""
    digest = token_hash(token)
    row = session.exec(select(DashboardLogin).where(DashboardLogin.token_hash == digest)).first()
    if row is None:
        return Redeemed(None, None, "unknown")
    if row.used_at is not None:
        return Redeemed(None, None, "used")
    if row.expires_at <= now:
        return Redeemed(None, None, "expired")
    taken = session.exec(  # type: ignore[call-overload]
        update(DashboardLogin)
        .where(col(DashboardLogin.id) == row.id, col(DashboardLogin.used_at).is_(None))
        .values(used_at=now)
    )
    if taken.rowcount != 1:
        return Redeemed(None, None, "used")
    return Redeemed(row.community_id, row.member_id, None)


def reviewable_products(*, session: Session, community_id: int) -> list[Product]:
    """The community's products a coordinator may act on (not drafts, not removed), newest
    first; the approval queue is storage.products.pending_products."""
    query = (
        select(Product)
        .where(
            col(Product.community_id) == community_id,
            col(Product.status).in_(
                [ProductStatus.ACTIVE, ProductStatus.SOLD_OUT, ProductStatus.HIDDEN]
            ),
        )
        .order_by(col(Product.id).desc())
        .limit(200)
    )
    return list(session.exec(query).all())


def member_chats(*, session: Session, community_id: int) -> dict[int, list[ChannelIdentity]]:
    """Each member's chat accounts (their channels and whether they are reachable)."""
    query = (
        select(ChannelIdentity)
        .join(Member, col(Member.id) == col(ChannelIdentity.member_id))
        .where(col(Member.community_id) == community_id)
    )
    found: dict[int, list[ChannelIdentity]] = {}
    for identity in session.exec(query).all():
        found.setdefault(identity.member_id or 0, []).append(identity)
    return found
