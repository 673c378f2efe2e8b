"""Numbers a coordinator needs to see: who can be reached, and what did not get through."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import (
    ChannelIdentity,
    Member,
    OutboxLane,
    OutboxMessage,
    OutboxStatus,
    Product,
    ProductStatus,
)

__all__ = ["CommunityReport", "community_report"]


@dataclass(frozen=True)
class CommunityReport:
    """Counts for one community."""

    members: int
    sellers: int  # members with a published product, whatever their role
    coordinators: int
    opted_out: int
    unreachable: dict[str, int]  # channel -> members whose address there is gone (blocked, ...)
    outbox: dict[str, int]  # status -> rows since `since`


def community_report(*, session: Session, community_id: int, since: datetime) -> CommunityReport:
    """Members by role and reachability, and the outbox since `since` by status.

    A seller is a member with at least one published product (on show now): the same
    count whether the member posted it, a coordinator posted it for them, or the
    member is a coordinator who sells too.
    """
    roles = dict(
        session.exec(
            select(Member.role, func.count())
            .where(Member.community_id == community_id)
            .group_by(col(Member.role))
        ).all()
    )
    sellers = session.exec(
        select(func.count(func.distinct(Product.seller_id))).where(
            Product.community_id == community_id, Product.status == ProductStatus.ACTIVE
        )
    ).one()
    opted_out = session.exec(
        select(func.count()).where(
            Member.community_id == community_id, col(Member.opted_out_at).is_not(None)
        )
    ).one()
    unreachable = dict(
        session.exec(
            select(ChannelIdentity.channel, func.count())
            .join(Member, col(Member.id) == col(ChannelIdentity.member_id))
            .where(
                Member.community_id == community_id,
                col(ChannelIdentity.unreachable_at).is_not(None),
            )
            .group_by(col(ChannelIdentity.channel))
        ).all()
    )
    outbox = dict(
        session.exec(
            select(OutboxMessage.status, func.count())
            .where(
                OutboxMessage.community_id == community_id,
                OutboxMessage.created_at >= since,
                OutboxMessage.lane != OutboxLane.REPLY,  # what the bot started, not answers
            )
            .group_by(col(OutboxMessage.status))
        ).all()
    )
    return CommunityReport(
        members=sum(roles.values()),
        sellers=int(sellers),
        coordinators=roles.get("coordinator", 0),
        opted_out=int(opted_out),
        unreachable={str(k): int(v) for k, v in unreachable.items()},
        outbox={str(k): int(v) for k, v in outbox.items() if k != OutboxStatus.PENDING or v},
    )
