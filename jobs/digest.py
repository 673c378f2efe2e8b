"""The weekly digest job: one run per community at its digest day and time, in its zone.

A run reads the community once (products in the fair promotion order with sellers and
recommendation counts, the events of the next 14 days, every member's chats and last
digest: a handful of queries whatever the size), builds each member's digest in memory
(handlers/digest.py) and queues one outbox row per member, kind `digest`, key
`digest:{week}:{member_id}`, beside that week's `Digest` row. A re-run or a catch-up finds
the week's rows and queues nothing twice.

The row names the member, not a chat: the delivery worker sends it once, on one channel.
It is written for the member's digest chat (`digest_identity`: their chosen channel, else
Telegram, else WhatsApp) and fits the tightest limit of their chats. A WhatsApp chat whose
24-hour window is closed gets the teaser (sent as the digest Content template); the full
digest waits on the `Digest` row until the member writes (handlers/digest.py owed_digest).

Exposure ledger: one DIGEST row per product per run (member_id None), not one per
recipient. The ranking counts rows; a row per recipient would let one digest outweigh
every share and buddy post of the month, and the ranking only needs to know the product
had its turn this week.
"""

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session, col, select

from handlers.digest import (
    EVENT_DAYS,
    FIRST_DIGEST_LOOKBACK,
    DigestEvent,
    DigestProduct,
    Edition,
    Selection,
    digest_identity,
    length_limit,
    render,
    select_for,
    teaser,
)
from handlers.events.schedule import upcoming
from handlers.messages import Reply, reply_to_payload
from handlers.promotion.ranking import promotion_order
from handlers.weekly_time import iso_week
from jobs.scheduler import JOB_FACTORIES, JobEnv, JobSpec
from storage.db import transaction
from storage.digests import digested_members, last_digests, record_digest
from storage.exposure import record_exposure
from storage.models import (
    ChannelIdentity,
    Community,
    Exposure,
    ExposureKind,
    Member,
)
from storage.outbox import enqueue
from storage.products import recommendation_counts

__all__ = [
    "PlannedDigest",
    "Reader",
    "ReaderChat",
    "digest_jobs",
    "load_edition",
    "plan_digests",
    "send_digests",
]

log = logging.getLogger(__name__)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW_OPEN = timedelta(hours=23)
"""A WhatsApp chat that wrote within this is still in its 24-hour window when the digest
goes out (an hour of margin for the queue); older, the teaser template goes instead."""


class Reader(NamedTuple):
    """A member who may get the digest, as the run reads them (columns, not ORM rows)."""

    id: int
    display_name: str
    language: str
    contact_channel: str | None


class ReaderChat(NamedTuple):
    """One of a reader's chats, as the run reads it."""

    channel: str
    last_inbound_at: datetime | None
    unreachable_at: datetime | None


@dataclass(frozen=True)
class PlannedDigest:
    """One member's digest as it would be queued now."""

    member: Reader
    identity: ReaderChat
    week: str
    shown: Selection
    message: Reply  # what the outbox row carries: the digest, or the teaser
    full: Reply  # the digest itself
    teaser: bool  # outside the WhatsApp window: `full` waits for the member's reply


def load_edition(session: Session, community: Community, now: datetime) -> Edition:
    """The parts of the digest every member of the community shares, read once."""
    community_id = community.id or 0
    products = promotion_order(session, community_id, now)
    named = select(Member.id, Member.business_name, Member.display_name).where(
        Member.community_id == community_id
    )
    sellers = {member_id: business or name for member_id, business, name in session.exec(named)}
    counts = recommendation_counts(session=session, product_ids=[p.id or 0 for p in products])
    ranked = [
        DigestProduct(
            id=p.id or 0,
            seller_id=p.seller_id,
            title=p.title,
            price=p.price,
            seller=sellers.get(p.seller_id, "?"),
            created_at=p.created_at,
            recommendations=counts.get(p.id or 0, 0),
        )
        for p in products
    ]
    events = [
        DigestEvent(
            key=f"{o.event.id}:{o.key}",
            title=o.event.title,
            place=o.event.place,
            starts_at=o.starts_at,
        )
        for o in upcoming(session, community_id, now=now, zone=community.timezone, days=EVENT_DAYS)
    ]
    return Edition.of(community=community, now=now, ranked=ranked, events=events)


def _identities(session: Session, community_id: int) -> dict[int, list[ReaderChat]]:
    rows = session.exec(
        select(
            ChannelIdentity.member_id,
            ChannelIdentity.channel,
            ChannelIdentity.last_inbound_at,
            ChannelIdentity.unreachable_at,
        )
        .join(Member, col(Member.id) == col(ChannelIdentity.member_id))
        .where(Member.community_id == community_id)
    ).all()
    found: dict[int, list[ReaderChat]] = {}
    for member_id, channel, last_inbound_at, unreachable_at in rows:
        chat = ReaderChat(channel, last_inbound_at, unreachable_at)
        found.setdefault(member_id or 0, []).append(chat)
    return found


def _readers(session: Session, community_id: int) -> list[Reader]:
    """Members who agreed to hear from Guyub and did not say stop."""
    rows = session.exec(
        select(Member.id, Member.display_name, Member.language, Member.contact_channel)
        .where(
            Member.community_id == community_id,
            col(Member.consent_at).is_not(None),
            col(Member.opted_out_at).is_(None),
        )
        .order_by(col(Member.id))
    ).all()
    return [
        Reader(member_id or 0, name, language, channel)
        for member_id, name, language, channel in rows
    ]


def plan_digests(
    session: Session,
    community: Community,
    now: datetime,
    *,
    edition: Edition | None = None,
    only: Sequence[int] | None = None,
    skip_done: bool = True,
) -> Iterator[PlannedDigest]:
    """Each member's digest as it would go out at `now` (members with nothing new, or no
    chat, have none); `only` limits it to some member ids, `skip_done` leaves out members
    who already have this week's digest. Reads, never writes."""
    community_id = community.id or 0
    week = iso_week(now, ZoneInfo(community.timezone))
    edition = edition or load_edition(session, community, now)
    chats = _identities(session, community_id)
    last = last_digests(session=session, community_id=community_id, before=week)
    done = digested_members(session=session, community_id=community_id, week=week)
    wanted = set(only) if only is not None else None
    for member in _readers(session, community_id):
        member_id = member.id
        if (wanted is not None and member_id not in wanted) or (skip_done and member_id in done):
            continue
        identities = chats.get(member_id, [])
        identity = digest_identity(member.contact_channel, identities)
        if identity is None:
            continue
        since, seen = last.get(member_id, (now - FIRST_DIGEST_LOOKBACK, frozenset()))
        selection = select_for(edition, member_id=member_id, since=since, seen_events=seen)
        if selection is None:
            continue
        full, shown = render(
            edition,
            selection,
            lang=member.language,
            channel=identity.channel,
            limit=length_limit(identities),
        )
        closed = identity.channel == "whatsapp" and (
            identity.last_inbound_at is None or now - identity.last_inbound_at >= WINDOW_OPEN
        )
        message = (
            teaser(edition, shown, lang=member.language, channel=identity.channel)
            if closed
            else full
        )
        yield PlannedDigest(member, identity, week, shown, message, full, closed)


def _recorded_products(session: Session, community_id: int, at: datetime) -> set[int]:
    rows = session.exec(
        select(Exposure.product_id).where(
            Exposure.community_id == community_id,
            Exposure.kind == ExposureKind.DIGEST,
            Exposure.at == at,
        )
    ).all()
    return set(rows)


async def send_digests(env: JobEnv, community_id: int, fire_time: datetime) -> int:
    """Queue this week's digest of every member with something new; how many were new."""
    queued = 0
    shown: set[int] = set()
    with transaction(env.open_session) as session:
        community = session.get(Community, community_id)
        if community is None:
            return 0
        for plan in plan_digests(session, community, fire_time):
            member_id = plan.member.id
            added = record_digest(
                session=session,
                community_id=community_id,
                member_id=member_id,
                week=plan.week,
                product_ids=[p.id for p in plan.shown.products],
                event_keys=[e.key for e in plan.shown.events],
                channel=plan.identity.channel,
                pending=reply_to_payload(plan.full) if plan.teaser else None,
                now=fire_time,
            )
            if not added:
                continue
            queued += int(
                enqueue(
                    session=session,
                    community_id=community_id,
                    member_id=member_id,
                    kind="digest",
                    idempotency_key=f"digest:{plan.week}:{member_id}",
                    payload=reply_to_payload(plan.message),
                    now=fire_time,
                    # routed, not pinned: the worker sends it on the chat it was written for
                    # (their choice, else Telegram), and falls back to another app of theirs
                    channel=plan.identity.channel,
                )
            )
            shown.update(p.id for p in plan.shown.products)
        for product_id in sorted(shown - _recorded_products(session, community_id, fire_time)):
            record_exposure(
                session=session,
                community_id=community_id,
                product_id=product_id,
                kind=ExposureKind.DIGEST,
                member_id=None,
                at=fire_time,
            )
    if queued:
        log.info("queued %d weekly digests in community %d", queued, community_id)
        env.kick_delivery()
    return queued


def digest_jobs(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
    """One weekly job per community, at its digest weekday and time in its own zone."""
    specs = []
    for community in communities:
        community_id = community.id or 0
        hour, _, minute = community.digest_time.partition(":")

        async def run(fire_time: datetime, community_id: int = community_id) -> None:
            await send_digests(env, community_id, fire_time)

        trigger = CronTrigger(
            day_of_week=DAY_NAMES[community.digest_weekday],
            hour=int(hour),
            minute=int(minute or 0),
            timezone=community.timezone,
        )
        specs.append(JobSpec(f"digest:{community_id}", trigger, run))
    return specs


if digest_jobs not in JOB_FACTORIES:
    JOB_FACTORIES.append(digest_jobs)
