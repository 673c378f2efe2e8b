"""The daily "masih ada?" job: ask about products nobody confirmed for 30 days.

One job per community, at 09:00 in its own time zone. Each run is idempotent for its
fire time: outbox keys are `stale:{product_id}:{local date}` and the product records
when it was asked, so a catch-up after a restart sends nothing twice. The run also
forgets drafts abandoned for more than a day.
"""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from handlers.i18n import rupiah, t
from handlers.messages import Button, Reply, reply_to_payload
from jobs.scheduler import JOB_FACTORIES, JobEnv, JobSpec, community_jobs
from storage.db import transaction
from storage.models import Community, Product
from storage.outbox import enqueue
from storage.products import caretaker, delete_drafts, stale_products

__all__ = ["ASK_HOUR", "DRAFT_TTL", "ask_about_stale", "stale_product_jobs"]

log = logging.getLogger(__name__)

ASK_HOUR = 9
DRAFT_TTL = timedelta(days=1)


def _question(product: Product, language: str) -> Reply:
    price = (
        rupiah(product.price)
        if product.price is not None
        else t(language, "catalogue.card.no_price")
    )
    return Reply(
        text=t(
            language,
            "catalogue.stale.question",
            product=f"#{product.id} {product.title}",
            price=price,
            id=product.id,
        ),
        buttons=(
            Button(t(language, "catalogue.button.still_available"), f"/masihada {product.id}"),
            Button(t(language, "catalogue.button.sold_out"), f"/habis {product.id}"),
        ),
        kind="notice",
    )


async def ask_about_stale(env: JobEnv, community_id: int, fire_time: datetime) -> int:
    """Queue one "masih ada?" per stale product of a community; returns how many were new."""
    queued = 0
    with transaction(env.open_session) as session:
        community = session.get(Community, community_id)
        if community is None:
            return 0
        day = fire_time.astimezone(ZoneInfo(community.timezone)).date().isoformat()
        for product in stale_products(session=session, community_id=community_id, now=fire_time):
            member = caretaker(session=session, product=product)
            if member is None:
                continue
            added = enqueue(
                session=session,
                community_id=community_id,
                member_id=member.id,
                kind="notice",
                idempotency_key=f"stale:{product.id}:{day}",
                payload=reply_to_payload(_question(product, member.language)),
                now=fire_time,
            )
            product.stale_asked_at = fire_time
            session.add(product)
            queued += int(added)
        delete_drafts(session=session, community_id=community_id, before=fire_time - DRAFT_TTL)
    if queued:
        log.info("asked about %d stale products in community %d", queued, community_id)
        env.kick_delivery()
    return queued


def stale_product_jobs(env: JobEnv, communities: list[Community]) -> list[JobSpec]:
    """One daily job per community, in the community's time zone."""
    return community_jobs(
        env,
        communities,
        "stale-products",
        ask_about_stale,
        lambda community: CronTrigger(hour=ASK_HOUR, minute=0, timezone=community.timezone),
    )


if stale_product_jobs not in JOB_FACTORIES:
    JOB_FACTORIES.append(stale_product_jobs)
