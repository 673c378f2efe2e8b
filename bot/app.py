"""Assembling Guyub: settings -> database -> router, delivery worker and job environment."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from bot.inbox import Claims, InboxWorker
from bot.inbox_writer import InboxWriter
from bot.roles import ProcessRole, ProcessTag, identity
from bot.router import Router
from bot.settings import Settings
from bot.web_link import Link
from handlers.clock import Clock, SystemClock
from handlers.context import Options
from handlers.messages import Incoming, Reply
from jobs.delivery import (
    DeliveryReport,
    DeliveryWorker,
    ReplyRecorder,
    deliver_due,
    send_claimed_replies,
)
from jobs.scheduler import JobEnv
from jobs.sending import Sender
from storage.db import SessionFactory, make_engine, prepare, session_factory
from storage.locks import is_shared
from storage.media import MediaStore

__all__ = ["Core", "build_core"]

log = logging.getLogger(__name__)


@dataclass
class Core:
    """The parts every way of running Guyub shares (live bot, chat, demo, tests)."""

    settings: Settings
    engine: Engine
    open_session: SessionFactory
    clock: Clock
    options: Options
    router: Router
    worker: DeliveryWorker
    inbox: InboxWorker
    inbox_writer: InboxWriter
    senders: dict[str, Sender] = field(default_factory=dict)
    tag: ProcessTag = field(default_factory=lambda: identity(ProcessRole.ALL, None))
    parent_link: Link | None = None
    """A web process's link to its main process (bot/web_processes.py), on SQLite."""

    @property
    def shared(self) -> bool:
        """Several processes may share this database (PostgreSQL)."""
        return is_shared(self.engine)

    @property
    def job_env(self) -> JobEnv:
        """What scheduled jobs get to work with."""
        return JobEnv(self.open_session, self.clock, self.options, self.worker.kick)

    def add_sender(self, sender: Sender) -> None:
        """Let the delivery worker reach people on one more channel."""
        self.senders[sender.channel] = sender

    async def drain(self) -> DeliveryReport:
        """Deliver everything due now (rehearsals and tests; live, the worker loops)."""
        return await deliver_due(
            open_session=self.open_session, senders=self.senders, clock=self.clock
        )

    @property
    def media(self) -> MediaStore:
        """The media store the handlers use."""
        return MediaStore(self.options.media_dir)

    def close(self) -> None:
        """Release the database."""
        self.engine.dispose()


def build_core(
    settings: Settings,
    clock: Clock | None = None,
    *,
    role: ProcessRole = ProcessRole.ALL,
    background_checkpoints: bool = False,
) -> Core:
    """Open (and, if empty, create) the database and wire the router and worker.

    On PostgreSQL the inbox is claimed with leases (several workers may share it), and a
    worker's rate limits are its share of the platforms' (WORKER_PROCESSES).
    """
    engine = make_engine(settings.database_url, background_checkpoints=background_checkpoints)
    prepare(engine)
    shared = is_shared(engine)
    tag = identity(role, settings.delivery_worker_name)
    if shared and settings.worker_processes > 1:
        share = settings.worker_processes
        settings = settings.model_copy(
            update={
                "telegram_rate_per_second": settings.telegram_rate_per_second / share,
                "whatsapp_rate_per_second": settings.whatsapp_rate_per_second / share,
            }
        )
    open_session = session_factory(engine)
    clock = clock or SystemClock()
    options = Options(
        public_base_url=settings.public_base_url,
        web_base_url=settings.web_base_url,
        media_dir=settings.media_dir,
        whatsapp_number=settings.whatsapp_number,
        whatsapp_template_price=settings.whatsapp_template_price_idr,
        whatsapp_daily_cap=settings.whatsapp_daily_business_initiated_cap,
        announce_progress_from=settings.announce_progress_from,
    )
    senders: dict[str, Sender] = {}
    worker = DeliveryWorker(
        open_session=open_session,
        senders=senders,
        clock=clock,
        name=tag.name,
        interval=1.0 if shared else 5.0,  # shared: other processes queue rows without a kick
    )
    router = Router(open_session=open_session, clock=clock, options=options, on_outbox=worker.kick)

    recorder = ReplyRecorder(open_session, clock)  # the sends of all messages in flight

    async def deliver_replies(inbox_id: int) -> DeliveryReport:
        claimed = router.take_claimed(inbox_id)
        if claimed is not None:  # written already claimed: no claim transaction needed
            return await send_claimed_replies(
                open_session=open_session,
                senders=senders,
                clock=clock,
                rows=claimed.rows,
                member=claimed.member,
                identity=claimed.identity,
                recorder=recorder,
            )
        # claimed in this worker's name: a restart after a crash takes them back at once
        return await deliver_due(
            open_session=open_session,
            senders=senders,
            clock=clock,
            inbox_id=inbox_id,
            worker=tag.name,
        )

    claims = Claims(tag.name, timedelta(seconds=settings.inbox_lease_seconds)) if shared else None
    inbox = InboxWorker(
        open_session=open_session,
        router=_ClaimingRouter(router, worker.name),
        deliver=deliver_replies,
        clock=clock,
        claims=claims,
    )
    writer = InboxWriter(open_session)  # a web process may forward instead (bot/runner.py)
    return Core(
        settings, engine, open_session, clock, options, router, worker, inbox, writer, senders, tag
    )


class _ClaimingRouter:
    """The router as the inbox worker uses it: replies are written already claimed by this
    process's delivery worker (so a restart takes back any a crash left `sending`), and
    `deliver_replies` sends them right after."""

    def __init__(self, router: Router, worker: str) -> None:
        self.router, self.worker = router, worker

    async def process(self, inbox_id: int, msg: Incoming) -> list[Reply]:
        return await self.router.process(inbox_id, msg, claim_as=self.worker)

    async def answer(self, inbox_id: int, msg: Incoming, replies: list[Reply]) -> None:
        await self.router.answer(inbox_id, msg, replies)

    def skip(self, inbox_id: int) -> None:
        self.router.skip(inbox_id)
