"""The daily recommendation notice: each seller hears at most once a day who vouched for them.

One job per community, at 19:00 in its own time zone (after the working day, when sellers
read their phones). A run gathers every recommendation no notice has gathered yet into
one message per seller ("3 anggota merekomendasikan #12 Keripik pisang"), never naming
who recommended or who removed a testimonial. Idempotent per seller and local day: the
outbox key is `recommend:{seller_id}:{local date}` and gathered rows get
`seller_notified_at`, so a catch-up or a second run sends nothing twice.
"""

import logging
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from handlers.i18n import t
from handlers.messages import Reply, reply_to_payload
from jobs.scheduler import JOB_FACTORIES, JobEnv, JobSpec, community_jobs
from storage.db import transaction
from storage.models import Community, Member, Product, Recommendation
from storage.outbox import enqueue
from storage.products import caretaker
from storage.recommendations import unnotified

__all__ = ["NOTICE_HOUR", "notify_sellers", "recommendation_notice_jobs"]

log = logging.getLogger(__name__)

NOTICE_HOUR = 19


def _notice(
    community: Community, member: Member, counts: Counter[int], products: dict[int, Product]
) -> Reply:
    language = member.language
    lines = [t(language, "recommend.notice.heading", community=community.name)]
    for product_id, count in sorted(counts.items()):
        product = products[product_id]
        label = f"#{product.id} {product.title}"
        lines.append(t(language, "recommend.notice.line", count=count, product=label))
    lines.append(t(language, "recommend.notice.footer"))
    return Reply(text="\n".join(lines), kind="notice")


async def notify_sellers(env: JobEnv, community_id: int, fire_time: datetime) -> int:
    """Queue one notice per seller with new recommendations; returns how many were new."""
    queued = 0
    with transaction(env.open_session) as session:
        community = session.get(Community, community_id)
        if community is None:
            return 0
        day = fire_time.astimezone(ZoneInfo(community.timezone)).date().isoformat()
        rows: dict[int, list[Recommendation]] = defaultdict(list)
        counts: dict[int, Counter[int]] = defaultdict(Counter)
        products: dict[int, Product] = {}
        members: dict[int, Member] = {}
        for row, product in unnotified(session=session, community_id=community_id, until=fire_time):
            member = caretaker(session=session, product=product)
            if member is None or member.id is None:
                continue  # nobody to tell (an erased seller): the row waits, harmless
            members[member.id] = member
            rows[member.id].append(row)
            counts[member.id][product.id or 0] += 1
            products[product.id or 0] = product
        for member_id, gathered in rows.items():
            added = enqueue(
                session=session,
                community_id=community_id,
                member_id=member_id,
                kind="notice",
                idempotency_key=f"recommend:{member_id}:{day}",
                payload=reply_to_payload(
                    _notice(community, members[member_id], counts[member_id], products)
                ),
                now=fire_time,
            )
            if not added:
                continue  # already told today: these wait for tomorrow's notice
            for row in gathered:
                row.seller_notified_at = fire_time
                session.add(row)
            queued += 1
    if queued:
        log.info("told %d sellers of new recommendations in community %d", queued, community_id)
        env.kick_delivery()
    return queued


def recommendation_notice_jobs(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
    """One daily job per community, at NOTICE_HOUR in the community's time zone."""
    return community_jobs(
        env,
        communities,
        "recommendation-notices",
        notify_sellers,
        lambda community: CronTrigger(hour=NOTICE_HOUR, minute=0, timezone=community.timezone),
    )


if recommendation_notice_jobs not in JOB_FACTORIES:
    JOB_FACTORIES.append(recommendation_notice_jobs)
