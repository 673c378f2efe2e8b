"""The weekly promo-buddy pairing, and its one gentle Thursday reminder.

Two jobs per community, at its buddy time in its own zone: on its buddy weekday the week's
pairs are made (once per ISO week: a re-run or a catch-up finds the week's rows and only
re-offers their messages, whose outbox keys `buddy:{week}:{member_id}` are already taken),
and on Thursday every pairing of the past days nobody answered gets one reminder
(`reminded_at` marks it). Jobs are built from the database at start-up: a coordinator's
`/atur pasangan` takes effect in the live scheduler after a restart (rehearsals and tests
rebuild the jobs at every clock move, so they see it at once).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from handlers.context import Context, member_context
from handlers.messages import reply_to_payload
from handlers.promotion.buddies import buddy_message, reminder_message
from handlers.promotion.pairing import pair_sellers
from handlers.weekly_time import iso_week
from jobs.scheduler import JOB_FACTORIES, JobEnv, JobSpec, community_jobs
from storage.buddies import (
    active_product_ids,
    buddy_sellers,
    create_week,
    history,
    unanswered,
    week_rows,
)
from storage.db import transaction
from storage.exposure import exposure_counts, record_exposure
from storage.models import Community, ExposureKind, Member, Product, ProductStatus
from storage.outbox import enqueue, is_queued

__all__ = ["buddy_jobs", "pair_week", "remind_week"]

log = logging.getLogger(__name__)

EXPOSURE_WINDOW = timedelta(weeks=4)
REMINDER_WEEKDAY = 3  # Thursday
REMIND_AFTER = timedelta(days=1)  # a pairing younger than a day is not nagged about yet
REMIND_WITHIN = timedelta(days=6)  # nor one from an earlier week
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _least_shown_product(
    session: Session, community_id: int, seller_id: int, now: datetime
) -> int | None:
    """The seller's active product shown least in the last four weeks, newest on ties."""
    newest_first = active_product_ids(
        session=session, community_id=community_id, seller_id=seller_id
    )
    counts = exposure_counts(
        session=session,
        community_id=community_id,
        product_ids=newest_first,
        since=now - EXPOSURE_WINDOW,
    )
    ranked = sorted(enumerate(newest_first), key=lambda item: (counts[item[1]], item[0]))
    return ranked[0][1] if ranked else None


def _speaking_to(env: JobEnv, session: Session, member: Member, community: Community) -> Context:
    return member_context(
        session=session, clock=env.clock, options=env.options, member=member, community=community
    )


async def pair_week(env: JobEnv, community_id: int, fire_time: datetime) -> int:
    """Make the week's pairs (once) and queue each member's buddy message; how many were new."""
    queued = 0
    with transaction(env.open_session) as session:
        community = session.get(Community, community_id)
        if community is None:
            return 0
        week = iso_week(fire_time, ZoneInfo(community.timezone))
        rows = week_rows(session=session, community_id=community_id, week=week)
        if not rows:
            groups = pair_sellers(
                buddy_sellers(session=session, community_id=community_id),
                week,
                history(session=session, community_id=community_id, before=week),
            )
            products = {
                member_id: product_id
                for group in groups
                for member_id in group
                if (product_id := _least_shown_product(session, community_id, member_id, fire_time))
                is not None
            }
            rows = create_week(
                session=session,
                community_id=community_id,
                week=week,
                groups=groups,
                products=products,
                now=fire_time,
            )
        promoters = {row.partner_id: row.member_id for row in rows}
        for row in rows:
            member = session.get(Member, row.member_id or 0)
            partner = session.get(Member, row.partner_id or 0)
            product = session.get(Product, row.product_id or 0)
            if member is None or partner is None or product is None or row.ended_at:
                continue
            if product.status != ProductStatus.ACTIVE:
                continue
            if is_queued(session=session, idempotency_key=f"buddy:{week}:{member.id}"):
                continue  # a re-run or catch-up: this week's message is already on its way
            ctx = _speaking_to(env, session, member, community)
            promoter = session.get(Member, promoters.get(member.id) or 0)
            replies = buddy_message(ctx, product=product, partner=partner, promoter=promoter)
            for index, reply in enumerate(replies):
                key = f"buddy:{week}:{member.id}" + (f":{index}" if index else "")
                added = enqueue(
                    session=session,
                    community_id=community_id,
                    member_id=member.id,
                    kind="notice",
                    idempotency_key=key,
                    payload=reply_to_payload(reply),
                    now=fire_time,
                )
                if added and index == 0:
                    record_exposure(
                        session=session,
                        community_id=community_id,
                        product_id=product.id or 0,
                        kind=ExposureKind.BUDDY,
                        member_id=member.id,
                        at=fire_time,
                    )
                    queued += 1
    if queued:
        log.info("queued %d buddy messages in community %d", queued, community_id)
        env.kick_delivery()
    return queued


async def remind_week(env: JobEnv, community_id: int, fire_time: datetime) -> int:
    """One reminder per unanswered pairing of the past days; how many were queued."""
    queued = 0
    with transaction(env.open_session) as session:
        community = session.get(Community, community_id)
        if community is None:
            return 0
        for row in unanswered(
            session=session,
            community_id=community_id,
            made_after=fire_time - REMIND_WITHIN,
            made_before=fire_time - REMIND_AFTER,
        ):
            member = session.get(Member, row.member_id or 0)
            if member is None:
                continue
            ctx = _speaking_to(env, session, member, community)
            reply = reminder_message(
                ctx,
                product=session.get(Product, row.product_id or 0),
                partner=session.get(Member, row.partner_id or 0),
            )
            queued += int(
                enqueue(
                    session=session,
                    community_id=community_id,
                    member_id=member.id,
                    kind="reminder",
                    idempotency_key=f"buddy-reminder:{row.week}:{member.id}",
                    payload=reply_to_payload(reply),
                    now=fire_time,
                )
            )
            row.reminded_at = fire_time
            session.add(row)
    if queued:
        env.kick_delivery()
    return queued


def _weekly(weekday: Callable[[Community], int]) -> Callable[[Community], CronTrigger]:
    """A weekly trigger at the community's buddy time in its zone, on `weekday(community)`."""

    def trigger(community: Community) -> CronTrigger:
        hour, _, minute = community.buddy_time.partition(":")
        return CronTrigger(
            day_of_week=DAY_NAMES[weekday(community)],
            hour=int(hour),
            minute=int(minute or 0),
            timezone=community.timezone,
        )

    return trigger


def buddy_jobs(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
    """Per community: the pairing on its buddy weekday, the reminder on Thursday, both at
    its buddy time in its zone."""
    return [
        *community_jobs(env, communities, "buddies", pair_week, _weekly(lambda c: c.buddy_weekday)),
        *community_jobs(
            env, communities, "buddies-reminder", remind_week, _weekly(lambda c: REMINDER_WEEKDAY)
        ),
    ]


if buddy_jobs not in JOB_FACTORIES:
    JOB_FACTORIES.append(buddy_jobs)
